// Byte-driven state machine for the chunked coding, with a bulk copy for chunk data.
// chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk = 1*"0" [ chunk-ext ] CRLF;
// then trailer-section (field lines) and a final CRLF. CRLF is required everywhere (no bare LF).
#include "http/chunked.h"

#include "http/chars.h"
#include "http/head_fields.h"

namespace x0::http {

using detail::is_class;

ChunkedDecoder::ChunkedDecoder(uint64_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}

ParseStatus ChunkedDecoder::error(ParseError* err, int status, const char* reason) {
  state_ = State::kError;
  last_error_ = ParseError{status, reason};
  if (err != nullptr) *err = last_error_;
  return ParseStatus::kError;
}

// chunk-ext without BWS: RFC 9112 7.1.1 allows whitespace around ';' and '=', but llhttp and
// others refuse it, and a proxy that forwards what the next parser refuses has lost the framing.
bool ChunkedDecoder::extension_step(char c) {
  auto go = [this](State next) {
    state_ = next;
    return true;
  };
  bool tchar = detail::is_token_char(c);
  switch (state_) {
    case State::kExtNameStart:
      return tchar && go(State::kExtName);
    case State::kExtName:
      if (tchar) return true;
      if (c == '=') return go(State::kExtValueStart);
      return end_of_extension(c);
    case State::kExtValueStart:
      if (c == '"') return go(State::kExtQuoted);
      return tchar && go(State::kExtToken);
    case State::kExtToken:
      return tchar || end_of_extension(c);
    case State::kExtQuoted:  // qdtext, or a quoted-pair after a backslash
      if (c == '"') return go(State::kExtAfterQuote);
      if (c == '\\') return go(State::kExtEscape);
      return is_class(c, detail::kFieldValue);
    case State::kExtEscape:
      return is_class(c, detail::kFieldValue) && go(State::kExtQuoted);
    case State::kExtAfterQuote:
      return end_of_extension(c);
    default:
      return false;
  }
}

// Keeps the first bytes of a trailer name: enough to recognise the framing fields.
void ChunkedDecoder::add_trailer_name_char(char c) {
  if (trailer_name_len_ < sizeof trailer_name_) trailer_name_[trailer_name_len_++] = c;
}

// After a complete name or value: ';' starts the next extension, CR ends the size line.
bool ChunkedDecoder::end_of_extension(char c) {
  if (c == ';') state_ = State::kExtNameStart;
  else if (c == '\r') state_ = State::kSizeLf;
  else return false;
  return true;
}

ParseStatus ChunkedDecoder::feed(std::string_view in, size_t* consumed, std::string* decoded,
                                 ParseError* err) {
  size_t i = 0;
  *consumed = 0;
  if (state_ == State::kDone) return ParseStatus::kComplete;
  if (state_ == State::kError) {
    if (err != nullptr) *err = last_error_;
    return ParseStatus::kError;
  }
  const size_t n = in.size();
  while (i < n) {
    if (state_ == State::kData) {  // bulk path: the only state that takes many bytes at once
      size_t take = n - i;
      if (chunk_remaining_ < take) take = static_cast<size_t>(chunk_remaining_);
      if (decoded != nullptr) decoded->append(in.data() + i, take);
      i += take;
      chunk_remaining_ -= take;
      body_bytes_ += take;
      if (chunk_remaining_ == 0) state_ = State::kDataCr;
      continue;
    }
    char c = in[i];
    switch (state_) {
      case State::kSize:
        if (is_class(c, detail::kHex)) {
          if (++digits_ > kMaxSizeDigits) return error(err, 400, "chunk size too long");
          chunk_remaining_ = (chunk_remaining_ << 4) | static_cast<uint64_t>(detail::hex_value(c));
          break;
        }
        if (digits_ == 0) return error(err, 400, "invalid chunk size");
        if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (c == ';') {
          state_ = State::kExtNameStart;
          ext_bytes_ = 1;  // the bound covers the whole chunk-ext, ';' included
        } else {
          return error(err, 400, "invalid chunk size");
        }
        // Enforce the limit as soon as the size is known, before any data arrives.
        if (chunk_remaining_ > max_body_bytes_ - body_bytes_) {
          return error(err, 413, "chunked body too large");
        }
        break;
      // chunk-ext = *( ";" chunk-ext-name [ "=" chunk-ext-val ] ), checked exactly: a lax
      // extension parser is where chunked smuggling hides.
      case State::kExtNameStart:
      case State::kExtName:
      case State::kExtValueStart:
      case State::kExtToken:
      case State::kExtQuoted:
      case State::kExtEscape:
      case State::kExtAfterQuote:
        if (++ext_bytes_ > kMaxExtensionBytes) return error(err, 400, "chunk extension too long");
        if (!extension_step(c)) return error(err, 400, "invalid chunk extension");
        break;
      case State::kSizeLf:
        if (c != '\n') return error(err, 400, "bare CR in chunk size line");
        digits_ = 0;
        ext_bytes_ = 0;
        state_ = chunk_remaining_ == 0 ? State::kTrailerStart : State::kData;
        break;
      case State::kDataCr:
        if (c != '\r') return error(err, 400, "missing CRLF after chunk data");
        state_ = State::kDataLf;
        break;
      case State::kDataLf:
        if (c != '\n') return error(err, 400, "missing CRLF after chunk data");
        state_ = State::kSize;
        break;
      case State::kTrailerStart:
        if (c == '\r') {
          state_ = State::kFinalLf;
        } else if (detail::is_token_char(c)) {
          state_ = State::kTrailerName;
          trailer_name_len_ = 0;
          add_trailer_name_char(c);
        } else {
          return error(err, 400, "invalid trailer field");
        }
        break;
      case State::kTrailerName:
        if (c == ':') {
          // A trailer may not frame or address the message (RFC 9110 6.5.1); parsers that
          // merged one into the head would see another message than we did.
          if (detail::is_framing_field(std::string_view(trailer_name_, trailer_name_len_))) {
            return error(err, 400, "framing field in trailer");
          }
          state_ = State::kTrailerValue;
        } else if (!detail::is_token_char(c)) {
          return error(err, 400, "invalid trailer field name");
        } else {
          add_trailer_name_char(c);
        }
        break;
      case State::kTrailerValue:
        if (c == '\r') state_ = State::kTrailerLf;
        else if (!is_class(c, detail::kFieldValue)) return error(err, 400, "invalid trailer value");
        break;
      case State::kTrailerLf:
        if (c != '\n') return error(err, 400, "bare CR in trailer");
        state_ = State::kTrailerStart;
        break;
      case State::kFinalLf:
        if (c != '\n') return error(err, 400, "bare CR at end of chunked body");
        state_ = State::kDone;
        *consumed = i + 1;
        return ParseStatus::kComplete;
      case State::kData:
      case State::kDone:
      case State::kError:
        break;  // handled above
    }
    if (state_ >= State::kTrailerStart && ++trailer_bytes_ > kMaxTrailerBytes) {
      return error(err, 400, "trailer section too large");
    }
    ++i;
  }
  *consumed = i;
  return ParseStatus::kIncomplete;
}

}  // namespace x0::http
