// Incremental validator/decoder of the chunked transfer coding (RFC 9112 7.1). The proxy
// forwards the raw chunked bytes unchanged, so the main job is to find where the body ends,
// reject malformed framing (a smuggling vector) and enforce the body-size limit. State is kept
// across calls, so input may arrive one byte at a time. Copyable; no allocation of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/message.h"

namespace x0::http {

class ChunkedDecoder {
 public:
  static constexpr size_t kMaxSizeDigits = 16;      // hex digits of chunk-size (64 bits)
  static constexpr size_t kMaxExtensionBytes = 4096;  // chunk-ext per chunk
  static constexpr size_t kMaxTrailerBytes = 16 * 1024;  // whole trailer section

  explicit ChunkedDecoder(uint64_t max_body_bytes);

  // Consumes a prefix of `in`. *consumed = bytes of the chunked encoding consumed (all of it
  // belongs to the body, including chunk-size lines, CRLFs and trailers). If `decoded` is not
  // null the payload bytes are appended to it. Returns kComplete when the last chunk and the
  // trailer section end were consumed (bytes after that are NOT consumed: next pipelined
  // message), kIncomplete when all of `in` was consumed and more is needed, kError on bad
  // framing (status 400: bad hex, missing CRLF, size overflow, chunk-ext or trailers too long,
  // bare CR/LF; status 413: body over the limit). After kComplete or kError further calls
  // consume nothing and return the same status.
  ParseStatus feed(std::string_view in, size_t* consumed, std::string* decoded, ParseError* err);

  uint64_t body_bytes() const { return body_bytes_; }  // payload bytes so far
  bool done() const { return state_ == State::kDone; }

 private:
  enum class State : uint8_t {
    kSize,          // chunk-size hex digits
    kExtNameStart,   // BWS after ';', then the first tchar of chunk-ext-name
    kExtName,        // chunk-ext-name
    kExtValueStart,  // BWS after '=', then a token or a quoted-string
    kExtToken,       // chunk-ext-val as a token
    kExtQuoted,      // chunk-ext-val as a quoted-string, after the opening quote
    kExtEscape,      // after a backslash in a quoted-string
    kExtAfterQuote,  // just after the closing quote
    kSizeLf,        // LF of the size line
    kData,          // chunk-data
    kDataCr,        // CR after chunk-data
    kDataLf,        // LF after chunk-data
    kTrailerStart,  // start of a trailer line, or CR of the final empty line
    kTrailerName,   // field-name of a trailer line
    kTrailerValue,  // field-value up to CR
    kTrailerLf,     // LF of a trailer line
    kFinalLf,       // LF of the empty line ending the body
    kDone,
    kError,
  };

  ParseStatus error(ParseError* err, int status, const char* reason);
  bool extension_step(char c);     // one byte of chunk-ext; false: not the grammar
  bool end_of_extension(char c);   // ';' or CR after a complete extension
  void add_trailer_name_char(char c);

  uint64_t max_body_bytes_;
  uint64_t body_bytes_ = 0;
  uint64_t chunk_remaining_ = 0;  // kData: payload bytes left in this chunk; kSize: size so far
  size_t digits_ = 0;             // hex digits of the current size line
  size_t ext_bytes_ = 0;
  size_t trailer_bytes_ = 0;
  char trailer_name_[18] = {};  // "transfer-encoding" + 1: a longer name is no framing field
  size_t trailer_name_len_ = 0;
  State state_ = State::kSize;
  ParseError last_error_{400, "bad chunked encoding"};
};

}  // namespace x0::http
