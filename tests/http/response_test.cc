// Response-head parser: status line forms, every body kind of RFC 9112 6.3, keep-alive, and
// refusal (as 502) of malformed or ambiguous framing from an upstream.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "http/message.h"

namespace x0::http {
namespace {

struct Parsed {
  ParseStatus status;
  ParseError err;
  ResponseHead head;
};

Parsed parse(std::string_view buf, Method method = Method::kGet, const Limits& limits = Limits{}) {
  Parsed r{};
  r.err = ParseError{0, ""};
  r.status = parse_response_head(buf, limits, method, &r.head, &r.err);
  return r;
}

TEST(ResponseHead, ContentLength) {
  std::string buf = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nServer: o\r\n\r\nhello world!";
  Parsed r = parse(buf);
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.err.reason;
  EXPECT_EQ(r.head.status, 200);
  EXPECT_EQ(r.head.reason, "OK");
  EXPECT_EQ(r.head.version_minor, 1);
  EXPECT_EQ(r.head.body_kind, BodyKind::kContentLength);
  EXPECT_EQ(r.head.content_length, 12u);
  EXPECT_TRUE(r.head.keep_alive);
  EXPECT_EQ(r.head.head_bytes, buf.size() - 12);
  EXPECT_EQ(r.head.headers.find("server"), "o");
}

TEST(ResponseHead, Chunked) {
  Parsed r = parse("HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.body_kind, BodyKind::kChunked);
  EXPECT_TRUE(r.head.keep_alive);
}

TEST(ResponseHead, UntilClose) {
  Parsed r = parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.body_kind, BodyKind::kUntilClose);
  EXPECT_FALSE(r.head.keep_alive);
  r = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.body_kind, BodyKind::kUntilClose);
  EXPECT_FALSE(r.head.keep_alive);
}

TEST(ResponseHead, NoBodyCases) {
  const char* cl = "Content-Length: 99\r\n\r\n";
  for (const char* line : {"HTTP/1.1 204 No Content\r\n", "HTTP/1.1 304 Not Modified\r\n",
                           "HTTP/1.1 100 Continue\r\n", "HTTP/1.1 101 Switching Protocols\r\n",
                           "HTTP/1.1 103 Early Hints\r\n"}) {
    Parsed r = parse(std::string(line) + cl);
    ASSERT_EQ(r.status, ParseStatus::kComplete) << line;
    EXPECT_EQ(r.head.body_kind, BodyKind::kNone) << line;
  }
  Parsed r = parse("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", Method::kHead);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.body_kind, BodyKind::kNone);
  EXPECT_EQ(r.head.content_length, 99u);  // still reported: the size a GET would have had
  EXPECT_TRUE(r.head.keep_alive);
  r = parse("HTTP/1.1 200 Connection established\r\n\r\n", Method::kConnect);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.body_kind, BodyKind::kNone);
  r = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.status, 100);
  EXPECT_EQ(r.head.head_bytes, 25u);
}

TEST(ResponseHead, KeepAliveRules) {
  Parsed r = parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_FALSE(r.head.keep_alive);
  EXPECT_EQ(r.head.version_minor, 0);
  r = parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_TRUE(r.head.keep_alive);
  r = parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\n");
  EXPECT_FALSE(r.head.keep_alive);
}

TEST(ResponseHead, StatusLineForms) {
  Parsed r = parse("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.status, 404);
  EXPECT_EQ(r.head.reason, "");
  r = parse("HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.status, 503);
  r = parse("HTTP/1.1 599 Some Custom Reason\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.reason, "Some Custom Reason");
}

TEST(ResponseHead, ErrorsAre502) {
  const char* bad[] = {
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/1.1 099 Low\r\n\r\n",
      "HTTP/2.0 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 O\x01K\r\n\r\n",
      "http/1.1 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX : y\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: y\r\n z\r\n\r\n",
  };
  for (const char* b : bad) {
    Parsed r = parse(b);
    EXPECT_EQ(r.status, ParseStatus::kError) << b;
    EXPECT_EQ(r.err.status, 502) << b;
  }
}

TEST(ResponseHead, Limits) {
  Limits limits;
  limits.max_headers = 2;
  Parsed r = parse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", Method::kGet, limits);
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.err.status, 502);
  limits = Limits{};
  limits.max_header_bytes = 32;
  r = parse("HTTP/1.1 200 OK\r\nServer: a-very-long-name\r\n", Method::kGet, limits);
  EXPECT_EQ(r.status, ParseStatus::kError);
}

TEST(ResponseHead, ByteAtATime) {
  std::string buf = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nVia: 1.1 x\r\n\r\n5\r\n";
  size_t head_bytes = buf.size() - 3;
  for (size_t n = 0; n < head_bytes; ++n) {
    EXPECT_EQ(parse(std::string_view(buf).substr(0, n)).status, ParseStatus::kIncomplete) << n;
  }
  for (size_t n = head_bytes; n <= buf.size(); ++n) {
    Parsed r = parse(std::string_view(buf).substr(0, n));
    ASSERT_EQ(r.status, ParseStatus::kComplete) << n;
    EXPECT_EQ(r.head.head_bytes, head_bytes);
    EXPECT_EQ(r.head.body_kind, BodyKind::kChunked);
    EXPECT_EQ(r.head.headers.find("via"), "1.1 x");
  }
}

}  // namespace
}  // namespace x0::http

namespace x0::http {
namespace {

TEST(ResponseHead, FramingIsStrict) {
  ResponseHead head;
  ParseError err{};
  for (const char* bad : {"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: Content-Length\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: transfer-encoding\r\n\r\n"}) {
    EXPECT_EQ(parse_response_head(bad, Limits{}, Method::kGet, &head, &err), ParseStatus::kError) << bad;
    EXPECT_EQ(err.status, 502);
  }
}

}  // namespace
}  // namespace x0::http
