// base64url: RFC 4648 test vectors in the URL alphabet without padding, and the strictness that
// gives a token one spelling.
#include "jwt/base64url.h"

#include <gtest/gtest.h>

namespace x0::jwt {
namespace {

TEST(Base64Url, RoundTripsRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg"},         {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(base64url_encode(plain), encoded);
    EXPECT_EQ(base64url_decode(encoded), plain);
  }
}

TEST(Base64Url, RefusesPaddingOtherAlphabetsAndNonCanonicalTails) {
  EXPECT_FALSE(base64url_decode("Zg=="));   // padding
  EXPECT_FALSE(base64url_decode("+/8"));    // standard alphabet
  EXPECT_FALSE(base64url_decode("Zm9 v"));  // whitespace
  EXPECT_FALSE(base64url_decode("Z"));      // 6 bits
  EXPECT_FALSE(base64url_decode("Zh"));     // "f" with a stray low bit: another spelling
  EXPECT_TRUE(base64url_decode("Zg"));
}

}  // namespace
}  // namespace x0::jwt
