// Serializers and header predicates: status lines, header fields, hop-by-hop detection.
#include <gtest/gtest.h>

#include <string>

#include "http/message.h"
#include "http/serialize.h"

namespace x0::http {
namespace {

TEST(Serialize, StatusLine) {
  std::string out = "x";
  append_status_line(out, 200);
  EXPECT_EQ(out, "xHTTP/1.1 200 OK\r\n");
  out.clear();
  append_status_line(out, 404, 0);
  EXPECT_EQ(out, "HTTP/1.0 404 Not Found\r\n");
  out.clear();
  append_status_line(out, 599);
  EXPECT_EQ(out, "HTTP/1.1 599 Unknown\r\n");
  for (int s : {100, 204, 301, 400, 413, 414, 417, 431, 501, 502, 503, 504, 505}) {
    EXPECT_NE(reason_phrase(s), "Unknown") << s;
  }
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
}

TEST(Serialize, HeaderAndRoundTrip) {
  std::string out;
  append_status_line(out, 201);
  append_header(out, "Content-Length", "0");
  append_header(out, "X-Request-Id", "abc");
  out += "\r\n";
  ResponseHead head;
  ParseError err{};
  ASSERT_EQ(parse_response_head(out, Limits{}, Method::kPost, &head, &err), ParseStatus::kComplete);
  EXPECT_EQ(head.status, 201);
  EXPECT_EQ(head.reason, "Created");
  EXPECT_EQ(head.headers.find("x-request-id"), "abc");
  EXPECT_EQ(head.head_bytes, out.size());
}

TEST(Serialize, Iequals) {
  EXPECT_TRUE(iequals("Content-Length", "content-LENGTH"));
  EXPECT_FALSE(iequals("Content-Length", "Content-Lengt"));
  EXPECT_FALSE(iequals("a", "b"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("\xc3", "\xe3"));  // no case folding outside ASCII
}

TEST(Serialize, HopByHop) {
  RequestHead head;
  ParseError err{};
  ASSERT_EQ(parse_request_head("GET / HTTP/1.1\r\nHost: h\r\nConnection: X-Secret, close\r\n"
                               "Connection: x-other\r\nX-Secret: 1\r\nX-Kept: 2\r\n\r\n",
                               Limits{}, &head, &err),
            ParseStatus::kComplete);
  for (const char* h : {"Connection", "keep-alive", "Proxy-Connection", "te", "Trailer",
                        "transfer-encoding", "Upgrade", "Proxy-Authenticate",
                        "Proxy-Authorization", "x-secret", "X-Other"}) {
    EXPECT_TRUE(is_hop_by_hop(h, head.headers)) << h;
  }
  EXPECT_FALSE(is_hop_by_hop("X-Kept", head.headers));
  EXPECT_FALSE(is_hop_by_hop("Host", head.headers));
  EXPECT_FALSE(is_hop_by_hop("Trailers", head.headers));
  EXPECT_TRUE(connection_has_token(head.headers, "CLOSE"));
  EXPECT_FALSE(connection_has_token(head.headers, "keep-alive"));
}

}  // namespace
}  // namespace x0::http
