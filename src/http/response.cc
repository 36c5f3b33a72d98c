// The response-head parser (RFC 9112 section 4 and 6.3): status line, header fields, and the
// message-body length rules. Every error is reported as 502: the proxy answers its client so.
#include "http/chars.h"
#include "http/head_fields.h"
#include "http/message.h"

namespace x0::http {

using detail::fail;
using detail::Step;

namespace {

// HTTP-version SP 3DIGIT SP [ reason-phrase ] CRLF. A missing SP before an empty reason
// ("HTTP/1.1 200\r\n") is tolerated: some origins send it and it is unambiguous.
Step parse_status_line(const char** pp, const char* end, ResponseHead* out, ParseError* err) {
  const char* p = *pp;
  static constexpr char kPattern[] = "HTTP/1.1 200";  // digits at 5, 7, 9..11
  for (size_t i = 0; i < 12; ++i) {
    if (p + i == end) return Step::kNeedMore;
    char c = p[i];
    bool digit = i == 5 || i == 7 || i >= 9;
    bool ok = digit ? (c >= '0' && c <= '9') : c == kPattern[i];
    if (!ok) return fail(err, 502, "invalid status line");
    if (i == 7 && (p[5] != '1' || p[7] > '1')) return fail(err, 502, "unsupported HTTP version");
  }
  out->version_minor = p[7] - '0';
  out->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
  if (out->status < 100) return fail(err, 502, "invalid status code");
  p += 12;
  if (p == end) return Step::kNeedMore;
  if (*p == ' ') {
    ++p;
  } else if (*p != '\r') {
    return fail(err, 502, "invalid status line");
  }
  const char* reason_begin = p;
  while (p != end && detail::is_class(*p, detail::kReason)) ++p;
  if (p == end) return Step::kNeedMore;
  if (*p != '\r') return fail(err, 502, "invalid character in status line");
  if (p + 1 == end) return Step::kNeedMore;
  if (p[1] != '\n') return fail(err, 502, "bare CR in status line");
  out->reason = std::string_view(reason_begin, static_cast<size_t>(p - reason_begin));
  *pp = p + 2;
  return Step::kDone;
}

// RFC 9112 6.3, in its order of precedence.
Step interpret_response(ResponseHead* out, Method request_method, ParseError* err) {
  detail::Framing f;
  if (detail::read_framing(out->headers, &f, err) == Step::kFailed) return Step::kFailed;
  if (f.conn_names_framing) return fail(err, 502, "Connection names a framing header");
  if (f.has_transfer_encoding && f.has_content_length) {
    return fail(err, 502, "Content-Length with Transfer-Encoding");
  }
  if (f.has_transfer_encoding && out->version_minor == 0) {
    return fail(err, 502, "Transfer-Encoding in HTTP/1.0");  // RFC 9112 6.1: faulty framing
  }
  out->keep_alive = !f.conn_close && (out->version_minor >= 1 || f.conn_keep_alive);
  if (f.has_content_length) out->content_length = f.content_length;
  int s = out->status;
  bool no_body = request_method == Method::kHead || s < 200 || s == 204 || s == 304 ||
                 (request_method == Method::kConnect && s < 300);
  if (no_body) {
    out->body_kind = BodyKind::kNone;
  } else if (f.has_transfer_encoding) {
    out->body_kind = f.final_chunked ? BodyKind::kChunked : BodyKind::kUntilClose;
  } else if (f.has_content_length) {
    out->body_kind = BodyKind::kContentLength;
  } else {
    out->body_kind = BodyKind::kUntilClose;
  }
  if (out->body_kind == BodyKind::kUntilClose) out->keep_alive = false;
  return Step::kDone;
}

}  // namespace

ParseStatus parse_response_head(std::string_view buf, const Limits& limits, Method request_method,
                                ResponseHead* out, ParseError* err) {
  ParseError scratch{};
  if (err == nullptr) err = &scratch;
  const char* begin = buf.data();
  const char* end = begin + (buf.size() < limits.max_header_bytes ? buf.size()
                                                                   : limits.max_header_bytes);
  size_t max_headers = limits.max_headers < kMaxHeaders ? limits.max_headers : kMaxHeaders;
  out->headers.count = 0;
  out->body_kind = BodyKind::kNone;
  out->content_length = 0;
  out->head_bytes = 0;

  const char* p = begin;
  Step s = parse_status_line(&p, end, out, err);
  if (s == Step::kDone) s = detail::parse_fields(&p, end, max_headers, &out->headers, err);
  if (s == Step::kNeedMore) {
    if (buf.size() >= limits.max_header_bytes) {
      *err = ParseError{502, "response header section too large"};
      return ParseStatus::kError;
    }
    return ParseStatus::kIncomplete;
  }
  if (s == Step::kFailed) {
    err->status = 502;  // field errors come back with request codes (400/431)
    return ParseStatus::kError;
  }
  out->head_bytes = static_cast<size_t>(p - begin);
  if (interpret_response(out, request_method, err) == Step::kFailed) {
    err->status = 502;
    return ParseStatus::kError;
  }
  return ParseStatus::kComplete;
}

}  // namespace x0::http
