// The request-head parser (RFC 9112 section 3 and 6, RFC 9110 7.2 / 8.6 / 10.1.1): request line,
// header fields, then the semantic checks that refuse ambiguous framing (smuggling) with 400.
#include "http/authority.h"
#include "http/chars.h"
#include "http/head_fields.h"
#include "http/message.h"
#include "http/serialize.h"

namespace x0::http {

using detail::fail;
using detail::Step;

bool is_idempotent(Method m) {
  switch (m) {
    case Method::kGet:
    case Method::kHead:
    case Method::kPut:
    case Method::kDelete:
    case Method::kOptions:
    case Method::kTrace:
      return true;
    default:
      return false;
  }
}

Method method_from_text(std::string_view t) {
  switch (t.size()) {
    case 3:
      if (t == "GET") return Method::kGet;
      if (t == "PUT") return Method::kPut;
      break;
    case 4:
      if (t == "POST") return Method::kPost;
      if (t == "HEAD") return Method::kHead;
      break;
    case 5:
      if (t == "PATCH") return Method::kPatch;
      if (t == "TRACE") return Method::kTrace;
      break;
    case 6:
      if (t == "DELETE") return Method::kDelete;
      break;
    case 7:
      if (t == "OPTIONS") return Method::kOptions;
      if (t == "CONNECT") return Method::kConnect;
      break;
    default:
      break;
  }
  return Method::kOther;
}

std::string_view HeaderList::find(std::string_view name) const {
  for (const Header& h : *this) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

size_t HeaderList::count_of(std::string_view name) const {
  size_t n = 0;
  for (const Header& h : *this) n += iequals(h.name, name) ? 1 : 0;
  return n;
}

namespace {

void split_path_query(std::string_view t, RequestHead* out) {
  size_t q = t.find('?');
  if (q == std::string_view::npos) {
    out->path = t;
    out->query = {};
  } else {
    out->path = t.substr(0, q);
    out->query = t.substr(q + 1);
  }
}

// Classifies the request-target into its four forms (RFC 9112 3.2) and derives path/query.
// Sets *authority for absolute-form.
Step read_target(RequestHead* out, std::string_view* authority, ParseError* err) {
  std::string_view t = out->target;
  *authority = {};
  if (out->method == Method::kConnect) {
    // authority-form: uri-host ":" port, nothing else.
    Authority a;
    if (!parse_authority(t, &a) || a.port.empty()) {
      return fail(err, 400, "CONNECT needs an authority-form target");
    }
    out->path = {};
    out->query = {};
    return Step::kDone;
  }
  if (t.front() == '/') {
    split_path_query(t, out);
    return Step::kDone;
  }
  if (t == "*") {
    if (out->method != Method::kOptions) return fail(err, 400, "asterisk-form only for OPTIONS");
    out->path = t;
    out->query = {};
    return Step::kDone;
  }
  size_t scheme_len = 0;
  if (t.size() > 7 && iequals(t.substr(0, 7), "http://")) scheme_len = 7;
  else if (t.size() > 8 && iequals(t.substr(0, 8), "https://")) scheme_len = 8;
  if (scheme_len == 0) return fail(err, 400, "invalid request-target");
  std::string_view rest = t.substr(scheme_len);
  size_t auth_end = rest.find_first_of("/?");
  if (auth_end == std::string_view::npos) auth_end = rest.size();
  std::string_view auth = rest.substr(0, auth_end);
  if (!parse_authority(auth, nullptr)) return fail(err, 400, "invalid authority in absolute-form target");
  *authority = auth;
  out->default_port = scheme_len == 8 ? 443 : 80;
  split_path_query(rest.substr(auth_end), out);
  if (out->path.empty()) out->path = "/";  // static: RFC 9110 4.2.3, empty path means "/"
  return Step::kDone;
}

// Method SP request-target SP HTTP-version CRLF, after optional leading empty lines.
Step parse_request_line(const char** pp, const char* end, RequestHead* out, ParseError* err) {
  const char* p = *pp;
  for (;;) {  // RFC 9112 2.2: ignore at least one empty line before the request-line
    if (p == end) return Step::kNeedMore;
    if (*p != '\r') break;
    if (p + 1 == end) return Step::kNeedMore;
    if (p[1] != '\n') return fail(err, 400, "bare CR before request line");
    p += 2;
  }
  const char* method_begin = p;
  while (p != end && detail::is_token_char(*p)) ++p;
  if (p == end) return Step::kNeedMore;
  if (*p != ' ' || p == method_begin) return fail(err, 400, "invalid method");
  // Any token is a method by RFC 9110, but nginx and llhttp take only upper-case ones; "get"
  // forwarded to them is a request the next hop reads differently (or not at all).
  for (const char* m = method_begin; m != p; ++m) {
    if (!((*m >= 'A' && *m <= 'Z') || *m == '-' || *m == '_')) return fail(err, 400, "invalid method");
  }
  out->method_text = std::string_view(method_begin, static_cast<size_t>(p - method_begin));
  ++p;

  const char* target_begin = p;
  const char* scan_end =
      static_cast<size_t>(end - p) > kMaxTargetBytes ? p + kMaxTargetBytes + 1 : end;
  p = detail::skip_target(p, scan_end);
  if (p == scan_end) {
    if (static_cast<size_t>(p - target_begin) > kMaxTargetBytes) {
      return fail(err, 414, "request-target too long");
    }
    return Step::kNeedMore;
  }
  if (*p != ' ') {
    if (*p == '#') return fail(err, 400, "fragment in request-target");
    return fail(err, 400, "invalid character in request-target");
  }
  if (p == target_begin) return fail(err, 400, "empty request-target");
  out->target = std::string_view(target_begin, static_cast<size_t>(p - target_begin));
  ++p;

  static constexpr char kPattern[] = "HTTP/1.1\r\n";  // '1' at 5 and 7: any digit accepted
  for (size_t i = 0; i < 10; ++i) {
    if (p + i == end) return Step::kNeedMore;
    char c = p[i];
    bool ok = (i == 5 || i == 7) ? (c >= '0' && c <= '9') : c == kPattern[i];
    if (!ok) {
      if (i == 9) return fail(err, 400, "bare CR after request line");
      if (i == 8 && c == '\n') return fail(err, 400, "bare LF after request line");
      return fail(err, 400, "invalid HTTP version");
    }
    if (i == 7 && (p[5] != '1' || p[7] > '1')) {
      return fail(err, 505, "HTTP version not supported");
    }
  }
  out->version_minor = p[7] - '0';
  *pp = p + 10;
  return Step::kDone;
}

// Host, Expect, Upgrade: the request-only fields.
Step read_request_fields(RequestHead* out, bool* has_upgrade, ParseError* err) {
  size_t hosts = 0;
  for (const Header& h : out->headers) {
    switch (h.name.size()) {
      case 4:
        if (iequals(h.name, "host")) {
          if (++hosts > 1) return fail(err, 400, "more than one Host");
          // RFC 9112 3.2 allows an empty Host for a URI without authority; nothing we route is
          // such a URI, and an empty Host is answered by origins in as many ways as there are.
          if (h.value.empty()) return fail(err, 400, "empty Host");
          if (!parse_authority(h.value, nullptr)) return fail(err, 400, "invalid Host");
          out->host = h.value;
        }
        break;
      case 6:
        if (iequals(h.name, "expect")) {
          if (!iequals(h.value, "100-continue")) return fail(err, 417, "unsupported expectation");
          // RFC 9110 10.1.1: a 100-continue expectation in HTTP/1.0 is ignored.
          out->expect_continue = out->version_minor >= 1;
        }
        break;
      case 7:
        if (iequals(h.name, "upgrade")) *has_upgrade = true;
        break;
      default:
        break;
    }
  }
  if (hosts == 0 && out->version_minor >= 1) return fail(err, 400, "missing Host");
  return Step::kDone;
}

// Everything after the head is syntactically complete: target form, Host, framing, limits.
Step interpret_request(RequestHead* out, const Limits& limits, ParseError* err) {
  out->method = method_from_text(out->method_text);
  std::string_view authority;
  if (read_target(out, &authority, err) == Step::kFailed) return Step::kFailed;
  bool has_upgrade = false;
  if (read_request_fields(out, &has_upgrade, err) == Step::kFailed) return Step::kFailed;
  if (!authority.empty()) out->host = authority;

  detail::Framing f;
  if (detail::read_framing(out->headers, &f, err) == Step::kFailed) return Step::kFailed;
  if (f.conn_names_framing) return fail(err, 400, "Connection names a framing header");
  if (f.has_transfer_encoding) {
    if (f.has_content_length) return fail(err, 400, "Content-Length with Transfer-Encoding");
    if (out->version_minor == 0) return fail(err, 400, "Transfer-Encoding in HTTP/1.0");
    if (!f.final_chunked) return fail(err, 400, "final transfer coding is not chunked");
    if (f.unknown_coding) return fail(err, 501, "transfer coding not implemented");
    out->body_kind = BodyKind::kChunked;
  } else if (f.has_content_length) {
    if (f.content_length > limits.max_body_bytes) return fail(err, 413, "body too large");
    out->body_kind = BodyKind::kContentLength;
    out->content_length = f.content_length;
  }
  out->keep_alive = !f.conn_close && (out->version_minor >= 1 || f.conn_keep_alive);
  out->upgrade = has_upgrade && f.conn_upgrade;
  return Step::kDone;
}

}  // namespace

ParseStatus parse_request_head(std::string_view buf, const Limits& limits, RequestHead* out,
                               ParseError* err) {
  ParseError scratch{};
  if (err == nullptr) err = &scratch;
  const char* begin = buf.data();
  const char* end = begin + (buf.size() < limits.max_header_bytes ? buf.size()
                                                                   : limits.max_header_bytes);
  size_t max_headers = limits.max_headers < kMaxHeaders ? limits.max_headers : kMaxHeaders;
  out->headers.count = 0;
  out->host = {};
  out->default_port = 80;
  out->body_kind = BodyKind::kNone;
  out->content_length = 0;
  out->expect_continue = false;
  out->upgrade = false;
  out->head_bytes = 0;

  const char* p = begin;
  Step s = parse_request_line(&p, end, out, err);
  if (s == Step::kDone) s = detail::parse_fields(&p, end, max_headers, &out->headers, err);
  if (s == Step::kNeedMore) {
    if (buf.size() >= limits.max_header_bytes) {
      *err = ParseError{431, "request header section too large"};
      return ParseStatus::kError;
    }
    return ParseStatus::kIncomplete;
  }
  if (s == Step::kFailed) return ParseStatus::kError;
  out->head_bytes = static_cast<size_t>(p - begin);
  if (interpret_request(out, limits, err) == Step::kFailed) return ParseStatus::kError;
  return ParseStatus::kComplete;
}

}  // namespace x0::http
