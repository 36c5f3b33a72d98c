// Byte-driven state machine for the chunked coding, with a bulk copy for chunk data.
// chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk = 1*"0" [ chunk-ext ] CRLF;
// then trailer-section (field lines) and a final CRLF. CRLF is required everywhere (no bare LF).
#include "http/chunked.h"

#include "http/chars.h"

namespace x0::http {

using detail::is_class;
using detail::is_ows;

ChunkedDecoder::ChunkedDecoder(uint64_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}

ParseStatus ChunkedDecoder::error(ParseError* err, int status, const char* reason) {
  state_ = State::kError;
  last_error_ = ParseError{status, reason};
  if (err != nullptr) *err = last_error_;
  return ParseStatus::kError;
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
          state_ = State::kExt;
          ext_bytes_ = 1;  // the bound covers the whole chunk-ext, ';' included
        } else if (is_ows(c)) {
          state_ = State::kSizeWs;
          ext_bytes_ = 1;
        } else {
          return error(err, 400, "invalid chunk size");
        }
        // Enforce the limit as soon as the size is known, before any data arrives.
        if (chunk_remaining_ > max_body_bytes_ - body_bytes_) {
          return error(err, 413, "chunked body too large");
        }
        break;
      case State::kSizeWs:
        if (c == ';') state_ = State::kExt;
        else if (!is_ows(c)) return error(err, 400, "invalid chunk extension");
        if (++ext_bytes_ > kMaxExtensionBytes) return error(err, 400, "chunk extension too long");
        break;
      case State::kExt:
        if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (!is_class(c, detail::kFieldValue)) {
          return error(err, 400, "invalid character in chunk extension");
        } else if (++ext_bytes_ > kMaxExtensionBytes) {
          return error(err, 400, "chunk extension too long");
        }
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
        } else {
          return error(err, 400, "invalid trailer field");
        }
        break;
      case State::kTrailerName:
        if (c == ':') state_ = State::kTrailerValue;
        else if (!detail::is_token_char(c)) return error(err, 400, "invalid trailer field name");
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
