// Request-head parser: every target form, header handling, framing rules, limits, pipelining,
// byte-at-a-time input, and each refusal with its status code.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "http/chunked.h"
#include "http/message.h"

namespace x0::http {
namespace {

struct Parsed {
  ParseStatus status;
  ParseError err;
  RequestHead head;
};

Parsed parse(std::string_view buf, const Limits& limits = Limits{}) {
  Parsed r{};
  r.err = ParseError{0, ""};
  r.status = parse_request_head(buf, limits, &r.head, &r.err);
  return r;
}

int error_status(std::string_view buf, const Limits& limits = Limits{}) {
  Parsed r = parse(buf, limits);
  if (r.status != ParseStatus::kError) return 0;
  return r.err.status;
}

bool inside(std::string_view buf, std::string_view v) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

TEST(RequestHead, SimpleGet) {
  std::string buf =
      "GET /index.html?a=1&b=2 HTTP/1.1\r\nHost: example.com\r\nUser-Agent:  curl/8  \r\n"
      "Accept: */*\r\n\r\n";
  Parsed r = parse(buf);
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.err.reason;
  EXPECT_EQ(r.head.method, Method::kGet);
  EXPECT_EQ(r.head.method_text, "GET");
  EXPECT_EQ(r.head.target, "/index.html?a=1&b=2");
  EXPECT_EQ(r.head.path, "/index.html");
  EXPECT_EQ(r.head.query, "a=1&b=2");
  EXPECT_EQ(r.head.version_minor, 1);
  EXPECT_EQ(r.head.host, "example.com");
  ASSERT_EQ(r.head.headers.count, 3u);
  EXPECT_EQ(r.head.headers.items[1].name, "User-Agent");
  EXPECT_EQ(r.head.headers.items[1].value, "curl/8");
  EXPECT_EQ(r.head.headers.find("user-agent"), "curl/8");
  EXPECT_EQ(r.head.headers.find("ACCEPT"), "*/*");
  EXPECT_EQ(r.head.headers.find("missing"), "");
  EXPECT_EQ(r.head.body_kind, BodyKind::kNone);
  EXPECT_TRUE(r.head.keep_alive);
  EXPECT_FALSE(r.head.expect_continue);
  EXPECT_FALSE(r.head.upgrade);
  EXPECT_EQ(r.head.head_bytes, buf.size());
  for (const Header& h : r.head.headers) {
    EXPECT_TRUE(inside(buf, h.name));
    EXPECT_TRUE(inside(buf, h.value));
  }
  EXPECT_TRUE(inside(buf, r.head.path));
}

TEST(RequestHead, EveryMethod) {
  struct Case {
    const char* text;
    Method method;
    bool idempotent;
  };
  for (Case c : {Case{"GET", Method::kGet, true}, Case{"HEAD", Method::kHead, true},
                 Case{"POST", Method::kPost, false}, Case{"PUT", Method::kPut, true},
                 Case{"DELETE", Method::kDelete, true}, Case{"PATCH", Method::kPatch, false},
                 Case{"OPTIONS", Method::kOptions, true}, Case{"TRACE", Method::kTrace, true},
                 Case{"PROPFIND", Method::kOther, false}}) {
    std::string buf = std::string(c.text) + " / HTTP/1.1\r\nHost: h\r\n\r\n";
    Parsed r = parse(buf);
    ASSERT_EQ(r.status, ParseStatus::kComplete) << c.text;
    EXPECT_EQ(r.head.method, c.method) << c.text;
    EXPECT_EQ(r.head.method_text, c.text);
    EXPECT_EQ(is_idempotent(r.head.method), c.idempotent) << c.text;
  }
}

TEST(RequestHead, AbsoluteFormTakesHostFromTarget) {
  std::string buf = "GET http://Origin.example:8080/p/q?x=y HTTP/1.1\r\nHost: other\r\n\r\n";
  Parsed r = parse(buf);
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.err.reason;
  EXPECT_EQ(r.head.host, "Origin.example:8080");
  EXPECT_EQ(r.head.path, "/p/q");
  EXPECT_EQ(r.head.query, "x=y");
  EXPECT_EQ(r.head.target, "http://Origin.example:8080/p/q?x=y");

  r = parse("GET HTTPS://h.example?z HTTP/1.1\r\nHost: h.example\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.err.reason;
  EXPECT_EQ(r.head.host, "h.example");
  EXPECT_EQ(r.head.path, "/");
  EXPECT_EQ(r.head.query, "z");
}

TEST(RequestHead, AsteriskAndAuthorityForms) {
  Parsed r = parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.path, "*");
  r = parse("CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.err.reason;
  EXPECT_EQ(r.head.method, Method::kConnect);
  EXPECT_EQ(r.head.target, "db.internal:5432");
  EXPECT_EQ(r.head.path, "");

  EXPECT_EQ(error_status("GET * HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("CONNECT h HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET h:80 HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET http://user@h/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
}

TEST(RequestHead, Http10Defaults) {
  Parsed r = parse("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.version_minor, 0);
  EXPECT_FALSE(r.head.keep_alive);
  EXPECT_EQ(r.head.host, "");
  r = parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_TRUE(r.head.keep_alive);
  r = parse("GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_FALSE(r.head.expect_continue);  // ignored for 1.0 (RFC 9110 10.1.1)
}

TEST(RequestHead, ConnectionTokens) {
  Parsed r = parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, CLOSE\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_FALSE(r.head.keep_alive);
  r = parse("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_TRUE(r.head.upgrade);
  EXPECT_TRUE(r.head.keep_alive);
  r = parse("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_FALSE(r.head.upgrade);  // Upgrade without Connection: upgrade is ignored
}

TEST(RequestHead, ExpectContinue) {
  Parsed r = parse("PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_TRUE(r.head.expect_continue);
  EXPECT_EQ(error_status("PUT /f HTTP/1.1\r\nHost: h\r\nExpect: something\r\n\r\n"), 417);
}

TEST(RequestHead, ContentLengthForms) {
  Parsed r = parse("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 42\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.body_kind, BodyKind::kContentLength);
  EXPECT_EQ(r.head.content_length, 42u);
  r = parse("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.content_length, 0u);
}

TEST(RequestHead, ContentLengthErrors) {
  // A list, even of equal values, is refused as nginx and llhttp do (issue 10, item 8).
  const char* bad[] = {"+5", "-5", "5a", "0x10", "", "5 5", "5,6", "5,,5", "5,", "5, 5", "5,5",
                       "99999999999999999999999", "18446744073709551616"};
  for (const char* v : bad) {
    std::string buf = std::string("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ") + v + "\r\n\r\n";
    EXPECT_EQ(error_status(buf), 400) << v;
  }
  EXPECT_EQ(error_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
            400);
  EXPECT_EQ(error_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"),
            400);
  Limits small;
  small.max_body_bytes = 100;
  EXPECT_EQ(error_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n", small), 413);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n", small).status,
            ParseStatus::kComplete);
}

TEST(RequestHead, TransferEncoding) {
  Parsed r = parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.body_kind, BodyKind::kChunked);
  r = parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.body_kind, BodyKind::kChunked);

  auto te = [](const char* v) {
    return error_status(std::string("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ") + v +
                        "\r\n\r\n");
  };
  EXPECT_EQ(te("gzip"), 400);
  EXPECT_EQ(te("chunked, gzip"), 400);
  EXPECT_EQ(te("chunked, chunked"), 400);
  EXPECT_EQ(te("chunked,"), 400);
  EXPECT_EQ(te("chunked;x=1"), 400);
  EXPECT_EQ(te("xchunked"), 400);
  EXPECT_EQ(te("identity"), 400);
  EXPECT_EQ(te("foo, chunked"), 501);
}

TEST(RequestHead, SmugglingIsRefused) {
  EXPECT_EQ(error_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(error_status("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                         "Content-Length: 0\r\n\r\n"),
            400);
  EXPECT_EQ(error_status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  EXPECT_EQ(error_status("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n"), 400);
  EXPECT_EQ(error_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length : 5\r\n\r\n"), 400);
  EXPECT_EQ(error_status("POST / HTTP/1.1\r\nHost: h\r\nX: y\r\n Transfer-Encoding: chunked\r\n\r\n"),
            400);  // obs-fold
  EXPECT_EQ(error_status("POST / HTTP/1.1\r\nHost: h\r\nX: y\r\n\tz\r\n\r\n"), 400);
  EXPECT_EQ(error_status("POST / HTTP/1.1\r\n Host: h\r\n\r\n"), 400);
}

TEST(RequestHead, HostRules) {
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n"), 400);
  Parsed r = parse("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.host, "[::1]:8080");
}

TEST(RequestHead, RequestLineErrors) {
  EXPECT_EQ(error_status("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET /  HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1 \r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status(" GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("G(T / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / http/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1x\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(error_status("GET / HTTP/1.2\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(error_status("GET / HTTP/0.9\r\n\r\n"), 505);
  EXPECT_EQ(error_status("GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET relative HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
}

TEST(RequestHead, LineEndingsMustBeCrlf) {
  EXPECT_EQ(error_status("GET / HTTP/1.1\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\rHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: h\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: h\r\n\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: h\r\n\rX"), 400);
  EXPECT_EQ(error_status("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
}

TEST(RequestHead, FieldErrors) {
  using std::string_view_literals::operator""sv;
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0z\r\n\r\n"sv), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x01z\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x7fz\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: h\r\nX(A): v\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n"), 400);
  // obs-text and tabs in values are allowed; empty values are allowed.
  Parsed r = parse("GET / HTTP/1.1\r\nHost: h\r\nX-A: caf\xc3\xa9\tx\r\nX-B:\r\nX-C: \t \r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.err.reason;
  EXPECT_EQ(r.head.headers.find("x-a"), "caf\xc3\xa9\tx");
  EXPECT_EQ(r.head.headers.find("x-b"), "");
  EXPECT_EQ(r.head.headers.find("x-c"), "");
  EXPECT_EQ(r.head.headers.count_of("X-C"), 1u);
}

TEST(RequestHead, LeadingEmptyLinesAreSkipped) {
  std::string buf = "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
  Parsed r = parse(buf);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.method_text, "GET");
  EXPECT_EQ(r.head.head_bytes, buf.size());
  EXPECT_EQ(parse("\r\n").status, ParseStatus::kIncomplete);
}

TEST(RequestHead, TooManyHeaders) {
  Limits limits;
  limits.max_headers = 5;
  std::string buf = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 4; ++i) buf += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(parse(buf + "\r\n", limits).status, ParseStatus::kComplete);
  EXPECT_EQ(error_status(buf + "X-5: v\r\n\r\n", limits), 431);
  // The hard cap applies whatever the configured limit.
  limits.max_headers = 100000;
  std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (size_t i = 0; i < kMaxHeaders; ++i) many += "A: b\r\n";
  EXPECT_EQ(error_status(many + "\r\n", limits), 431);
}

TEST(RequestHead, HeadTooLarge) {
  Limits limits;
  limits.max_header_bytes = 64;
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
  head += std::string(64 - head.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(head.size(), 64u);
  EXPECT_EQ(parse(head, limits).status, ParseStatus::kComplete);
  std::string longer = head;
  longer.insert(30, "a");
  EXPECT_EQ(error_status(longer, limits), 431);
  // Without the end of the head: incomplete while within the limit, 431 once beyond.
  EXPECT_EQ(parse(longer.substr(0, 63), limits).status, ParseStatus::kIncomplete);
  EXPECT_EQ(error_status(longer.substr(0, 64), limits), 431);
  EXPECT_EQ(error_status(std::string(100, 'A'), limits), 431);
}

TEST(RequestHead, TargetTooLong) {
  Limits limits;
  limits.max_header_bytes = 64 * 1024;
  std::string ok = "GET /" + std::string(kMaxTargetBytes - 1, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(parse(ok, limits).status, ParseStatus::kComplete);
  std::string too_long = "GET /" + std::string(kMaxTargetBytes, 'a');
  EXPECT_EQ(error_status(too_long, limits), 414);  // refused before the head is complete
  EXPECT_EQ(error_status(too_long + " HTTP/1.1\r\nHost: h\r\n\r\n", limits), 414);
}

TEST(RequestHead, PipelinedRequests) {
  std::string buf =
      "GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
      "PUT /three HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n"
      "GET /four HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  std::string_view rest = buf;
  Parsed r = parse(rest);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.path, "/one");
  rest.remove_prefix(r.head.head_bytes);
  r = parse(rest);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.path, "/two");
  ASSERT_EQ(r.head.body_kind, BodyKind::kContentLength);
  EXPECT_EQ(rest.substr(r.head.head_bytes, r.head.content_length), "hello");
  rest.remove_prefix(r.head.head_bytes + r.head.content_length);
  r = parse(rest);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.path, "/three");
  EXPECT_EQ(r.head.body_kind, BodyKind::kChunked);
  rest.remove_prefix(r.head.head_bytes);
  ChunkedDecoder chunked(1000);
  size_t body_bytes = 0;
  std::string decoded;
  ParseError err{};
  ASSERT_EQ(chunked.feed(rest, &body_bytes, &decoded, &err), ParseStatus::kComplete);
  EXPECT_EQ(decoded, "abc");
  EXPECT_EQ(body_bytes, 13u);
  rest.remove_prefix(body_bytes);
  r = parse(rest);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.path, "/four");
  EXPECT_FALSE(r.head.keep_alive);
  EXPECT_EQ(r.head.head_bytes, rest.size());
}

TEST(RequestHead, ByteAtATimeGivesSameResult) {
  std::string buf =
      "\r\nPOST http://api.example/v1/items?limit=10 HTTP/1.1\r\nHost: ignored\r\n"
      "Content-Type: application/json\r\nContent-Length: 17\r\nExpect: 100-continue\r\n"
      "Connection: keep-alive\r\nX-Empty:\r\n\r\nBODY";
  Parsed full = parse(buf);
  ASSERT_EQ(full.status, ParseStatus::kComplete) << full.err.reason;
  size_t head_bytes = full.head.head_bytes;
  ASSERT_EQ(head_bytes, buf.size() - 4);
  for (size_t n = 0; n < head_bytes; ++n) {
    EXPECT_EQ(parse(std::string_view(buf).substr(0, n)).status, ParseStatus::kIncomplete) << n;
  }
  for (size_t n = head_bytes; n <= buf.size(); ++n) {
    Parsed r = parse(std::string_view(buf).substr(0, n));
    ASSERT_EQ(r.status, ParseStatus::kComplete) << n;
    EXPECT_EQ(r.head.head_bytes, head_bytes);
    EXPECT_EQ(r.head.host, "api.example");
    EXPECT_EQ(r.head.path, "/v1/items");
    EXPECT_EQ(r.head.query, "limit=10");
    EXPECT_EQ(r.head.content_length, 17u);
    EXPECT_TRUE(r.head.expect_continue);
    EXPECT_EQ(r.head.headers.count, full.head.headers.count);
  }
}

TEST(RequestHead, ErrorsAreFoundBeforeTheHeadEnds) {
  // A client that never finishes its head must not hold the connection if it is already bad.
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\nHost"), 400);
  EXPECT_EQ(error_status("GET / HTTP/3\r"), 400);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nGood: x\r\n").status, ParseStatus::kIncomplete);
}

}  // namespace
}  // namespace x0::http

namespace x0::http {
namespace {

TEST(RequestHead, ConnectionMayNotNameFramingFields) {
  for (const char* named : {"Content-Length", "transfer-encoding", "HOST", "close, Content-Length"}) {
    std::string buf = std::string("POST / HTTP/1.1\r\nHost: h\r\nConnection: ") + named +
                      "\r\nContent-Length: 1\r\n\r\n";
    EXPECT_EQ(error_status(buf), 400) << named;
  }
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Custom\r\n\r\n").status,
            ParseStatus::kComplete);
}

TEST(RequestHead, MethodsAreUpperCaseTokens) {
  EXPECT_EQ(error_status("get / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("Get / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_status("G3T / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(parse("VERSION-CONTROL / HTTP/1.1\r\nHost: h\r\n\r\n").status, ParseStatus::kComplete);
  EXPECT_EQ(parse("M_SEARCH / HTTP/1.1\r\nHost: h\r\n\r\n").status, ParseStatus::kComplete);
}

TEST(RequestHead, HostMustBeOneValidAuthority) {
  for (const char* host : {"", "a:1:2", "[::1:38080", "h:", "user@h", "h x"}) {
    std::string buf = std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n";
    EXPECT_EQ(error_status(buf), 400) << host;
  }
  EXPECT_EQ(error_status("GET http://a:1:2/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  Parsed r = parse("GET https://Shop.Example/x HTTP/1.1\r\nHost: other\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.host, "Shop.Example");
  EXPECT_EQ(r.head.default_port, 443);
}

}  // namespace
}  // namespace x0::http
