// CIDR ranges: parsing errors and matching of IPv4, IPv6 and IPv4-mapped peers.
#include "common/address_ranges.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>

namespace x0 {
namespace {

sockaddr_storage v4(const char* ip) {
  sockaddr_storage s{};
  auto& in = reinterpret_cast<sockaddr_in&>(s);
  in.sin_family = AF_INET;
  inet_pton(AF_INET, ip, &in.sin_addr);
  return s;
}

sockaddr_storage v6(const char* ip) {
  sockaddr_storage s{};
  auto& in = reinterpret_cast<sockaddr_in6&>(s);
  in.sin6_family = AF_INET6;
  inet_pton(AF_INET6, ip, &in.sin6_addr);
  return s;
}

TEST(AddressRanges, MatchesPrefixes) {
  auto r = AddressRanges::parse({"10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "172.16.0.0/12"});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->contains(v4("10.200.1.1")));
  EXPECT_FALSE(r->contains(v4("11.0.0.1")));
  EXPECT_TRUE(r->contains(v4("192.0.2.7")));
  EXPECT_FALSE(r->contains(v4("192.0.2.8")));
  EXPECT_TRUE(r->contains(v4("172.31.255.255")));
  EXPECT_FALSE(r->contains(v4("172.32.0.0")));
  EXPECT_TRUE(r->contains(v6("2001:db8:1::1")));
  EXPECT_FALSE(r->contains(v6("2001:db9::1")));
  EXPECT_TRUE(r->contains(v6("::ffff:10.1.2.3")));  // IPv4-mapped
}

TEST(AddressRanges, EmptyTrustsNobody) {
  auto r = AddressRanges::parse({});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->empty());
  EXPECT_FALSE(r->contains(v4("127.0.0.1")));
}

TEST(AddressRanges, RefusesBadEntries) {
  for (const char* bad : {"", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x", "host",
                          "::1/129", "10.0.0.256", "1.2.3.4/ 8"}) {
    EXPECT_FALSE(AddressRanges::parse({bad}).has_value()) << bad;
  }
}

}  // namespace
}  // namespace x0
