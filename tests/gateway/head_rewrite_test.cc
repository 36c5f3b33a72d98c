// The heads the proxy writes: Host is the canonical authority exactly once, hop-by-hop fields
// never cross, the proxy's own fields are its own, front-proxy fields depend on trust.
#include "gateway/head_rewrite.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>

namespace x0::gateway {
namespace {

// The head's views point into the parsed bytes: keep every input alive for the whole test run.
std::string_view keep(std::string raw) {
  static std::deque<std::string> inputs;
  return inputs.emplace_back(std::move(raw));
}

http::RequestHead parse_request(std::string raw) {
  http::RequestHead head;
  http::ParseError err{};
  EXPECT_EQ(http::parse_request_head(keep(std::move(raw)), http::Limits{}, &head, &err),
            http::ParseStatus::kComplete)
      << err.reason;
  return head;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(UpstreamRequest, HostIsTheCanonicalAuthorityExactlyOnce) {
  std::string raw = "GET http://a.example/x?q HTTP/1.1\r\nHost: evil\r\nAccept: */*\r\n\r\n";
  http::RequestHead head = parse_request(raw);
  std::string out;
  write_upstream_request(head, {"/x", "a.example", "10.0.0.1:80", "192.0.2.1", false, "id1"}, out);
  EXPECT_TRUE(out.starts_with("GET /x?q HTTP/1.1\r\nHost: a.example\r\n")) << out;
  EXPECT_EQ(count(out, "Host:"), 1u);
  EXPECT_EQ(count(out, "evil"), 0u);
  EXPECT_NE(out.find("Accept: */*\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("X-Request-Id: id1\r\n\r\n"));
}

TEST(UpstreamRequest, WithoutAuthorityTheEndpointIsTheHost) {
  http::RequestHead head = parse_request("GET / HTTP/1.0\r\n\r\n");
  std::string out;
  write_upstream_request(head, {"/", "", "10.0.0.1:8000", "192.0.2.1", false, "id"}, out);
  EXPECT_NE(out.find("Host: 10.0.0.1:8000\r\n"), std::string::npos) << out;
}

TEST(UpstreamRequest, HopByHopAndOwnFieldsAreReplaced) {
  std::string raw =
      "POST /u HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\n"
      "Keep-Alive: 5\r\nTE: trailers\r\nExpect: 100-continue\r\nX-Request-Id: theirs\r\n"
      "Via: 1.0 a\r\nVia: 1.1 b\r\nContent-Length: 3\r\n\r\n";
  http::RequestHead head = parse_request(raw);
  std::string out;
  write_upstream_request(head, {"/u", "h", "e:1", "192.0.2.1", false, "ours"}, out);
  for (const char* gone : {"X-Secret", "Keep-Alive", "TE:", "Expect", "theirs", "Connection"}) {
    EXPECT_EQ(out.find(gone), std::string::npos) << gone << " in\n" << out;
  }
  EXPECT_NE(out.find("Content-Length: 3\r\n"), std::string::npos);
  EXPECT_NE(out.find("Via: 1.0 a, 1.1 b, 1.1 x0tta6bl4\r\n"), std::string::npos) << out;
}

TEST(UpstreamRequest, ConnectionNamingAnOwnFieldIsRefused) {
  for (const char* named : {"Via", "x-forwarded-for", "X-Request-Id", "Forwarded"}) {
    http::RequestHead head =
        parse_request(std::string("GET / HTTP/1.1\r\nHost: h\r\nConnection: ") + named + "\r\n\r\n");
    EXPECT_NE(refuse_upstream_request(head), nullptr) << named;
  }
  EXPECT_EQ(refuse_upstream_request(parse_request("GET / HTTP/1.1\r\nHost: h\r\nConnection: x\r\n\r\n")),
            nullptr);
}

TEST(UpstreamRequest, FrontProxyFieldsDependOnTrust) {
  std::string raw =
      "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 203.0.113.1\r\nX-Forwarded-For: 10.0.0.9\r\n"
      "X-Forwarded-Host: evil\r\nX-Real-IP: 203.0.113.1\r\nForwarded: for=x\r\n\r\n";
  http::RequestHead head = parse_request(raw);
  std::string untrusted, trusted;
  write_upstream_request(head, {"/", "h", "e:1", "192.0.2.1", false, "id"}, untrusted);
  write_upstream_request(head, {"/", "h", "e:1", "192.0.2.1", true, "id"}, trusted);
  EXPECT_NE(untrusted.find("X-Forwarded-For: 192.0.2.1\r\n"), std::string::npos) << untrusted;
  EXPECT_NE(untrusted.find("X-Real-IP: 192.0.2.1\r\n"), std::string::npos);
  EXPECT_EQ(count(untrusted, "203.0.113.1"), 0u);
  EXPECT_EQ(untrusted.find("evil"), std::string::npos);
  EXPECT_EQ(untrusted.find("Forwarded: "), std::string::npos);
  EXPECT_NE(trusted.find("X-Forwarded-For: 203.0.113.1, 10.0.0.9, 192.0.2.1\r\n"), std::string::npos)
      << trusted;
  EXPECT_NE(trusted.find("X-Forwarded-Host: evil\r\n"), std::string::npos);
  EXPECT_NE(trusted.find("X-Real-IP: 203.0.113.1\r\n"), std::string::npos);
  EXPECT_EQ(untrusted.find("X-Forwarded-Proto"), std::string::npos);  // plain HTTP: none
}

TEST(UpstreamRequest, ATlsClientIsForwardedAsHttpsUnlessAFrontProxySaysOtherwise) {
  http::RequestHead head =
      parse_request("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: http\r\n\r\n");
  HeaderEdits untrusted, trusted;
  add_request_forwarding(head, {"192.0.2.1", false, "id", true}, untrusted);
  add_request_forwarding(head, {"192.0.2.1", true, "id", true}, trusted);
  std::string out;
  write_upstream_head(head, "/", "h", untrusted, out);
  EXPECT_EQ(count(out, "X-Forwarded-Proto"), 1u) << out;
  EXPECT_NE(out.find("X-Forwarded-Proto: https\r\n"), std::string::npos) << out;
  out.clear();
  write_upstream_head(head, "/", "h", trusted, out);
  EXPECT_EQ(count(out, "X-Forwarded-Proto"), 1u) << out;
  EXPECT_NE(out.find("X-Forwarded-Proto: http\r\n"), std::string::npos) << out;
}

http::ResponseHead parse_response(std::string raw, http::Method method = http::Method::kGet) {
  http::ResponseHead head;
  http::ParseError err{};
  EXPECT_EQ(http::parse_response_head(keep(std::move(raw)), http::Limits{}, method, &head, &err),
            http::ParseStatus::kComplete)
      << err.reason;
  return head;
}

TEST(ClientResponse, RewritesAndRefuses) {
  std::string out;
  EXPECT_EQ(write_client_response_head(
                parse_response("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-A: 1\r\n\r\n"),
                {"id", false, true, false, ""}, out),
            nullptr);
  EXPECT_EQ(out.find("Content-Length"), std::string::npos) << out;
  EXPECT_NE(out.find("X-A: 1\r\n"), std::string::npos);
  out.clear();
  write_client_response_head(parse_response("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n"),
                             {"id", false, true, false, ""}, out);
  EXPECT_EQ(out.find("Transfer-Encoding"), std::string::npos) << out;
  out.clear();
  EXPECT_NE(write_client_response_head(parse_response("HTTP/1.1 101 Switching Protocols\r\n\r\n"),
                                       {"id", false, true, false, ""}, out),
            nullptr);
  out.clear();
  EXPECT_NE(write_client_response_head(
                parse_response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: Via\r\n\r\n"),
                {"id", false, true, false, ""}, out),
            nullptr);
  out.clear();
  write_client_response_head(
      parse_response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Cache: HIT\r\nConnection: x-y\r\nX-Y: 1\r\n\r\n"),
      {"id", false, false, false, "MISS"}, out);
  EXPECT_EQ(out.find("X-Y"), std::string::npos) << out;
  EXPECT_EQ(count(out, "X-Cache:"), 1u);
  EXPECT_NE(out.find("X-Cache: MISS\r\nConnection: close\r\n\r\n"), std::string::npos) << out;
}

TEST(RequestId, IsABoundedToken) {
  EXPECT_TRUE(valid_request_id("trace-1.2:3_x"));
  EXPECT_TRUE(valid_request_id(std::string(128, 'a')));
  EXPECT_FALSE(valid_request_id(std::string(129, 'a')));
  EXPECT_FALSE(valid_request_id(""));
  EXPECT_FALSE(valid_request_id("a\"b"));
  EXPECT_FALSE(valid_request_id("a b"));
  EXPECT_FALSE(valid_request_id("a\\b"));
}

}  // namespace
}  // namespace x0::gateway
