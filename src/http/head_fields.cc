// Header-field line scanning and framing-header interpretation shared by both head parsers.
#include "http/head_fields.h"

#include <limits>

#include "http/chars.h"
#include "http/serialize.h"

namespace x0::http::detail {

Step parse_fields(const char** pp, const char* end, size_t max_headers, HeaderList* list,
                  ParseError* err) {
  const char* p = *pp;
  for (;;) {
    if (p == end) return Step::kNeedMore;
    if (*p == '\r') {
      if (p + 1 == end) return Step::kNeedMore;
      if (p[1] != '\n') return fail(err, 400, "bare CR in header section");
      *pp = p + 2;
      return Step::kDone;
    }
    if (*p == '\n') return fail(err, 400, "bare LF in header section");
    if (is_ows(*p)) return fail(err, 400, "obs-fold or whitespace before field name");
    const char* name_begin = p;
    p = skip_token(p, end);
    if (p == end) return Step::kNeedMore;
    if (*p != ':') {
      if (is_ows(*p)) return fail(err, 400, "whitespace between field name and colon");
      return fail(err, 400, "invalid character in field name");
    }
    if (p == name_begin) return fail(err, 400, "empty field name");
    std::string_view name(name_begin, static_cast<size_t>(p - name_begin));
    ++p;
    while (p != end && is_ows(*p)) ++p;
    const char* value_begin = p;
    p = skip_field_value(p, end);
    if (p == end) return Step::kNeedMore;
    if (*p != '\r') {
      if (*p == '\n') return fail(err, 400, "bare LF in header section");
      return fail(err, 400, "invalid character in field value");
    }
    if (p + 1 == end) return Step::kNeedMore;
    if (p[1] != '\n') return fail(err, 400, "bare CR in header section");
    const char* value_end = p;
    while (value_end != value_begin && is_ows(value_end[-1])) --value_end;
    p += 2;
    if (list->count >= max_headers) return fail(err, 431, "too many header fields");
    list->items[list->count++] =
        Header{name, std::string_view(value_begin, static_cast<size_t>(value_end - value_begin))};
  }
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// Calls fn(element) for each comma-separated element (trimmed, possibly empty).
template <class Fn>
Step for_each_element(std::string_view value, Fn fn) {
  size_t i = 0;
  for (;;) {
    size_t comma = value.find(',', i);
    size_t stop = comma == std::string_view::npos ? value.size() : comma;
    Step s = fn(trim(value.substr(i, stop - i)));
    if (s != Step::kDone) return s;
    if (comma == std::string_view::npos) return Step::kDone;
    i = comma + 1;
  }
}

}  // namespace

Step add_content_length(std::string_view value, Framing* f, ParseError* err) {
  // RFC 9110 8.6 lets a recipient accept "5, 5" or a repeated field; llhttp and nginx refuse
  // both, and so do we: a proxy that forwards such a field leaves the framing to whichever
  // parser is next, and parsers disagree on it.
  if (f->has_content_length) return fail(err, 400, "more than one Content-Length");
  if (value.empty()) return fail(err, 400, "empty Content-Length");
  uint64_t v = 0;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  for (char c : value) {
    if (c < '0' || c > '9') return fail(err, 400, "invalid Content-Length");
    auto d = static_cast<uint64_t>(c - '0');
    if (v > (kMax - d) / 10) return fail(err, 400, "Content-Length overflow");
    v = v * 10 + d;
  }
  f->has_content_length = true;
  f->content_length = v;
  return Step::kDone;
}

Step add_transfer_encoding(std::string_view value, Framing* f, ParseError* err) {
  f->has_transfer_encoding = true;
  return for_each_element(value, [&](std::string_view item) {
    // Empty list elements are legal in general (RFC 9110 5.6.1) but a trailing empty element
    // would make "the final coding" ambiguous between parsers: refuse them here.
    if (item.empty()) return fail(err, 400, "empty transfer coding");
    if (f->final_chunked) return fail(err, 400, "chunked is not the final transfer coding");
    size_t name_end = 0;
    while (name_end < item.size() && is_token_char(item[name_end])) ++name_end;
    if (name_end == 0) return fail(err, 400, "invalid transfer coding");
    std::string_view name = item.substr(0, name_end);
    std::string_view rest = trim(item.substr(name_end));
    if (!rest.empty() && rest.front() != ';') return fail(err, 400, "invalid transfer coding");
    if (iequals(name, "chunked")) {
      if (!rest.empty()) return fail(err, 400, "parameters on chunked");
      f->final_chunked = true;
    } else if (!iequals(name, "gzip") && !iequals(name, "deflate") &&
               !iequals(name, "compress") && !iequals(name, "x-gzip") &&
               !iequals(name, "x-compress")) {
      f->unknown_coding = true;
    }
    return Step::kDone;
  });
}

void add_connection(std::string_view value, Framing* f) {
  for_each_element(value, [&](std::string_view item) {
    if (iequals(item, "close")) f->conn_close = true;
    else if (iequals(item, "keep-alive")) f->conn_keep_alive = true;
    else if (iequals(item, "upgrade")) f->conn_upgrade = true;
    else if (is_framing_field(item)) f->conn_names_framing = true;
    return Step::kDone;
  });
}

bool is_framing_field(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
         iequals(name, "host");
}

Step read_framing(const HeaderList& list, Framing* f, ParseError* err) {
  for (const Header& h : list) {
    // Dispatch on length first: most fields are skipped after one comparison.
    switch (h.name.size()) {
      case 10:
        if (iequals(h.name, "connection")) add_connection(h.value, f);
        break;
      case 14:
        if (iequals(h.name, "content-length")) {
          if (add_content_length(h.value, f, err) == Step::kFailed) return Step::kFailed;
        }
        break;
      case 17:
        if (iequals(h.name, "transfer-encoding")) {
          if (add_transfer_encoding(h.value, f, err) == Step::kFailed) return Step::kFailed;
        }
        break;
      default:
        break;
    }
  }
  return Step::kDone;
}

}  // namespace x0::http::detail
