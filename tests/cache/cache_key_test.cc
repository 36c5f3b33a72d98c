// Keys, authority handling, Vary parsing and matching, CRC32C vectors.
#include "cache/cache_key.h"

#include <gtest/gtest.h>

#include <vector>

#include "cache/crc32c.h"

namespace x0::cache {
namespace {

TEST(CacheKey, KeepsAuthorityAndTarget) {
  CacheKey a("GET", "example.com", "/a?b=1");
  CacheKey b("GET", "example.com", "/a?b=1");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_EQ(a.text(), "GET example.com /a?b=1");
  EXPECT_EQ(a.method(), "GET");
  EXPECT_EQ(a.target(), "/a?b=1");
  EXPECT_NE(CacheKey("HEAD", "example.com", "/a?b=1"), a);
  EXPECT_NE(CacheKey("GET", "example.com", "/a?b=2"), a);
  EXPECT_NE(CacheKey("GET", "example.com", "/A?b=1"), a);  // paths are case-sensitive
}

TEST(CacheKey, AuthorityIsKeptWithItsPort) {
  // The data plane passes the canonical authority: a non-default port is a different site
  // (a redirect cached for "h:1234" must never answer "h").
  EXPECT_NE(CacheKey("GET", "example.com:8080", "/"), CacheKey("GET", "example.com", "/"));
  EXPECT_EQ(CacheKey("GET", "[::1]:8080", "/").text(), "GET [::1]:8080 /");
}

TEST(CacheKey, FromTextRoundTrips) {
  CacheKey a("GET", "example.com", "/x y");
  EXPECT_EQ(CacheKey::from_text(a.text()), a);
  EXPECT_TRUE(CacheKey::from_text("garbage").empty());
  EXPECT_TRUE(CacheKey::from_text("GET Host.COM /").empty());  // not canonical
  EXPECT_TRUE(CacheKey::from_text("GET host.com. /").empty());
  CacheKey no_host("GET", "", "/x");  // HTTP/1.0 without Host
  EXPECT_EQ(CacheKey::from_text(no_host.text()), no_host);
}

TEST(Vary, ParsesListsAndStar) {
  std::vector<Header> h = {{"Vary", "Accept-Encoding, accept-language"},
                           {"vary", " Accept-Encoding ,,User-Agent"}};
  VaryNames v = parse_vary(h);
  EXPECT_FALSE(v.star);
  EXPECT_EQ(v.names,
            (std::vector<std::string>{"accept-encoding", "accept-language", "user-agent"}));
  std::vector<Header> star = {{"Vary", "Accept, *"}};
  EXPECT_TRUE(parse_vary(star).star);
}

TEST(Vary, RequestValuesJoinAndCompareWithoutAllocating) {
  std::vector<Header> req = {{"Accept-Encoding", " gzip "}, {"X", "1"}, {"accept-encoding", "br"}};
  EXPECT_EQ(request_header_value(req, "accept-encoding"), "gzip, br");
  EXPECT_TRUE(request_header_equals(req, "accept-encoding", "gzip, br"));
  EXPECT_FALSE(request_header_equals(req, "accept-encoding", "gzip"));
  EXPECT_FALSE(request_header_equals(req, "accept-encoding", "gzip, br, x"));
  EXPECT_TRUE(request_header_equals(req, "absent", ""));
  EXPECT_FALSE(request_header_equals(req, "absent", "x"));
}

TEST(Crc32c, KnownVectorsAndChaining) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  std::string big(1000, 'a');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  const uint32_t whole = crc32c(big);
  EXPECT_EQ(crc32c_extend(crc32c(big.substr(0, 333)), big.substr(333)), whole);
  EXPECT_EQ(crc32c_extend_portable(0, big.data(), big.size()), whole);
}

}  // namespace
}  // namespace x0::cache
