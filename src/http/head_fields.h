// Internal pieces shared by the request and response head parsers: the header-field line
// scanner and the framing-header interpreters (Content-Length, Transfer-Encoding, Connection).
// Not part of the module's public API (namespace detail).
#pragma once

#include <cstdint>
#include <string_view>

#include "http/message.h"

namespace x0::http::detail {

// Outcome of one parsing step: done, needs more bytes, or failed (error filled in).
enum class Step : uint8_t { kDone, kNeedMore, kFailed };

inline Step fail(ParseError* err, int status, const char* reason) {
  *err = ParseError{status, reason};
  return Step::kFailed;
}

// Scans header-field lines from *p up to and including the empty line that ends the head.
// end is the last byte the head may use (the buffer end clipped to max_header_bytes). On kDone
// *p points just after the final CRLF. Strict: CRLF only, no obs-fold, no space before ':',
// field-name a token, field-value without CTLs; more than max_headers fields -> 431.
Step parse_fields(const char** p, const char* end, size_t max_headers, HeaderList* list,
                  ParseError* err);

// What the framing headers of one message say, accumulated over all its fields.
struct Framing {
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool has_transfer_encoding = false;
  bool final_chunked = false;      // last transfer coding is exactly "chunked"
  bool unknown_coding = false;     // a coding other than gzip/deflate/compress/x-* seen
  bool conn_close = false;
  bool conn_keep_alive = false;
  bool conn_upgrade = false;
  // Connection lists Content-Length, Transfer-Encoding or Host: a hop-by-hop removal of the
  // very fields that frame or address the message (request smuggling), always refused.
  bool conn_names_framing = false;
};

// Content-Length value: exactly 1*DIGIT, in one field. A list ("5, 5"), a second field, sign,
// empty or overflow -> 400.
Step add_content_length(std::string_view value, Framing* f, ParseError* err);
// Transfer-Encoding value(s): codings in order; "chunked" more than once or not last -> flags.
Step add_transfer_encoding(std::string_view value, Framing* f, ParseError* err);
// Connection value: records the close / keep-alive / upgrade tokens and framing fields named.
void add_connection(std::string_view value, Framing* f);
// Content-Length, Transfer-Encoding, Host (any case): never removable through Connection.
bool is_framing_field(std::string_view name);

// Interprets the fields of list that decide framing: Content-Length, Transfer-Encoding,
// Connection. Host, Expect and Upgrade are request-only and read by the request parser.
Step read_framing(const HeaderList& list, Framing* f, ParseError* err);

}  // namespace x0::http::detail
