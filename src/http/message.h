// HTTP/1.1 message heads (RFC 9112) and their parsers: the request and response head types the
// server and the proxy work with, and strict, zero-copy parsers that fill them from the caller's
// buffer. No allocation per message: headers live in a fixed array and every string_view points
// into the parsed buffer (sole exception: RequestHead::path "/" for "http://host" targets).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace x0::http {

enum class Method : uint8_t { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kConnect, kTrace, kOther };

// GET HEAD PUT DELETE OPTIONS TRACE (RFC 9110 9.2.2): safe to retry on connect failure.
bool is_idempotent(Method m);
// Method enum from its exact (case-sensitive) name; kOther for any other token.
Method method_from_text(std::string_view text);

struct Header {
  std::string_view name;
  std::string_view value;  // trimmed of leading and trailing OWS
};

inline constexpr size_t kMaxHeaders = 128;       // hard cap of the fixed array
inline constexpr size_t kMaxTargetBytes = 8192;  // longer request-target -> 414

struct Limits {
  size_t max_header_bytes = 16 * 1024;  // request line + headers + CRLFCRLF
  size_t max_headers = 100;             // <= kMaxHeaders (larger values are clamped)
  uint64_t max_body_bytes = 10 * 1024 * 1024;
};

enum class BodyKind : uint8_t { kNone, kContentLength, kChunked, kUntilClose /* responses only */ };

// Fixed capacity, no allocation. Only items[0, count) are meaningful.
struct HeaderList {
  std::array<Header, kMaxHeaders> items;
  size_t count = 0;

  // Case-insensitive name match; value of the first match, "" if none.
  std::string_view find(std::string_view name) const;
  // How many fields carry this name (case-insensitive).
  size_t count_of(std::string_view name) const;
  const Header* begin() const { return items.data(); }
  const Header* end() const { return items.data() + count; }
  size_t size() const { return count; }
};

struct RequestHead {
  Method method = Method::kOther;
  std::string_view method_text;
  std::string_view target;  // as sent
  // Split of the target at the first '?'; query without the '?'. Origin-form: path starts with
  // '/'. Absolute-form: derived from the URI; an empty path is reported as "/" (a static string,
  // the only view that may lie outside the buffer). Asterisk-form: path "*". Authority-form
  // (CONNECT): path and query empty.
  std::string_view path;
  std::string_view query;
  int version_minor = 1;  // HTTP/1.0 -> 0, HTTP/1.1 -> 1
  HeaderList headers;
  // Host header value; for absolute-form the authority of the target (RFC 9112 3.2.2: it
  // replaces the Host header). "" only for HTTP/1.0 without Host.
  std::string_view host;
  uint16_t default_port = 80;  // of the target's scheme: 443 for an "https://" absolute-form
  BodyKind body_kind = BodyKind::kNone;  // kNone, kContentLength or kChunked
  uint64_t content_length = 0;           // valid for kContentLength
  bool keep_alive = true;                // from version + Connection (close / keep-alive)
  bool expect_continue = false;          // Expect: 100-continue on HTTP/1.1
  bool upgrade = false;                  // Upgrade header present and Connection lists "upgrade"
  size_t head_bytes = 0;                 // bytes of the head incl. skipped leading CRLFs + CRLFCRLF
};

struct ResponseHead {
  int status = 0;
  std::string_view reason;
  int version_minor = 1;
  HeaderList headers;
  BodyKind body_kind = BodyKind::kNone;
  uint64_t content_length = 0;  // valid for kContentLength
  bool keep_alive = true;       // false for kUntilClose, HTTP/1.0 without keep-alive, close
  size_t head_bytes = 0;
};

enum class ParseStatus : uint8_t { kComplete, kIncomplete, kError };

// Requests: status 400, 413, 414, 417, 431, 501, 505. Transfer-Encoding whose final coding is
// not chunked (or chunked twice, or with CL) is 400; an unknown coding before chunked
// ("foo, chunked") is 501 (RFC 9112 6.1); gzip/deflate/compress/x-gzip/x-compress pass.
// Responses: always 502 (the proxy answers the client with it); reason says what was wrong.
// reason is a static string.
struct ParseError {
  int status;
  const char* reason;
};

// Parses the head at the start of buf. On kComplete, views in *out point into buf.
// kIncomplete when more bytes are needed (and the head so far is within limits; if buf already
// exceeds max_header_bytes without CRLFCRLF -> kError 431). Errors are reported as soon as the
// bytes seen prove them, so a bad request is refused before its head is complete.
// Line endings must be CRLF: a bare LF or a bare CR anywhere in the head is a 400, because
// parsers that disagree on line ends are a request-smuggling vector (RFC 9112 2.2 allows
// either choice).
ParseStatus parse_request_head(std::string_view buf, const Limits& limits, RequestHead* out,
                               ParseError* err);

// request_method matters: responses to HEAD, and 1xx/204/304, have no body; 2xx to CONNECT
// neither (the connection becomes a tunnel). limits.max_body_bytes is not applied to responses
// (they are streamed); header limits are.
ParseStatus parse_response_head(std::string_view buf, const Limits& limits, Method request_method,
                                ResponseHead* out, ParseError* err);

}  // namespace x0::http
