// Authority syntax (what a Host or absolute-form authority may be) and its canonical form.
#include "http/authority.h"

#include <gtest/gtest.h>

namespace x0::http {
namespace {

TEST(Authority, AcceptsNamesAddressesAndPorts) {
  for (const char* ok : {"example.com", "a", "EXAMPLE.com.", "127.0.0.1", "h:1", "h:65535",
                         "[::1]", "[::1]:8080", "[2001:db8::7]:443", "a-b_c~d.example"}) {
    EXPECT_TRUE(parse_authority(ok, nullptr)) << ok;
  }
}

TEST(Authority, RefusesWhatParsersDisagreeOn) {
  for (const char* bad : {"", "a:1:2", "[::1:38080", "[::1", "::1", "h:", "h:99999", "h:123456",
                          "h:-1", "user@h", "a..b", ".a", "a..", "h%41", "h/x", "h\\x", "h x",
                          "[fe80::1%eth0]", "[::1]x", "[::1]:", "[zz]", "h,i"}) {
    EXPECT_FALSE(parse_authority(bad, nullptr)) << bad;
  }
}

TEST(Authority, CanonicalFormIsLowerCaseWithoutTrailingDotOrDefaultPort) {
  std::string out;
  auto canon = [&](const char* in, uint16_t port = 80) {
    canonical_authority(in, port, out);
    return out;
  };
  EXPECT_EQ(canon("Example.COM."), "example.com");
  EXPECT_EQ(canon("example.com:80"), "example.com");
  EXPECT_EQ(canon("example.com:080"), "example.com");
  EXPECT_EQ(canon("example.com:8080"), "example.com:8080");
  EXPECT_EQ(canon("example.com:443", 443), "example.com");
  EXPECT_EQ(canon("example.com:80", 443), "example.com:80");
  EXPECT_EQ(canon("[::1]:80"), "[::1]");
  EXPECT_EQ(canon("[::1]:81"), "[::1]:81");
  EXPECT_EQ(canon(""), "");
  EXPECT_EQ(canon("a:1:2"), "");  // never called with a refused value; still safe
}

}  // namespace
}  // namespace x0::http
