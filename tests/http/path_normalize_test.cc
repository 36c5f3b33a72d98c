// Path normalisation: unreserved decoding, dot-segment removal (RFC 3986 5.2.4 examples) and
// the encoded-slash / backslash policy.
#include "http/path_normalize.h"

#include <gtest/gtest.h>

namespace x0::http {
namespace {

std::string norm(std::string_view path, PathPolicy policy = {}) {
  std::string out;
  const char* refused = normalize_path(path, policy, out);
  return refused ? std::string("!") + refused : out;
}

TEST(PathNormalize, RemovesDotSegments) {
  EXPECT_EQ(norm("/"), "/");
  EXPECT_EQ(norm("/a/b/c/./../../g"), "/a/g");  // RFC 3986 5.2.4
  EXPECT_EQ(norm("/public/../private"), "/private");
  EXPECT_EQ(norm("/.."), "/");
  EXPECT_EQ(norm("/../../x"), "/x");
  EXPECT_EQ(norm("/a/."), "/a/");
  EXPECT_EQ(norm("/a/b/.."), "/a/");
  EXPECT_EQ(norm("/a//../b"), "/a/b");
  EXPECT_EQ(norm("/a/..b/.c"), "/a/..b/.c");  // not dot-segments
  EXPECT_EQ(norm("/a/b"), "/a/b");
  EXPECT_EQ(norm("/a;v=1/b"), "/a;v=1/b");  // parameters on ordinary segments pass
  EXPECT_EQ(norm("/a/...;x"), "/a/...;x");
}

TEST(PathNormalize, DecodesUnreservedBeforeRemovingDots) {
  EXPECT_EQ(norm("/public/%2e%2e/private"), "/private");
  EXPECT_EQ(norm("/public/%2E./private"), "/private");
  EXPECT_EQ(norm("/%7euser/%41"), "/~user/A");
  EXPECT_EQ(norm("/a%2a%3f"), "/a%2A%3F");  // reserved stays encoded, hex upper-cased
  EXPECT_EQ(norm("/caf%c3%a9"), "/caf%C3%A9");
}

TEST(PathNormalize, RefusesBadEscapesAndSeparatorLookalikes) {
  for (const char* bad : {"/..;/x", "/a/.;p/b", "/%2e%2e;x/y", "/a/..;", "/%", "/%2", "/%zz", "/%g0", "/%00", "/a%2fb", "/..%2f", "/%2F",
                          "/a\\b", "/a%5cb", "/a%5Cb", "relative", ""}) {
    EXPECT_EQ(norm(bad)[0], '!') << bad;
  }
}

TEST(PathNormalize, PolicyKeepsSeparatorLookalikesEncoded) {
  PathPolicy lax{true, true};
  EXPECT_EQ(norm("/public/..%2fprivate", lax), "/public/..%2Fprivate");  // one segment
  EXPECT_EQ(norm("/a\\..\\b", lax), "/a%5C..%5Cb");
  EXPECT_EQ(norm("/a%5c..", lax), "/a%5C..");
  EXPECT_EQ(norm("/%00", lax)[0], '!');  // NUL never
}

}  // namespace
}  // namespace x0::http
