// Building entries from an upstream response: the replay head (hop-by-hop headers out,
// Content-Length rewritten), HEAD entries, Vary values, and the seal.
#include "cache/cached_response.h"

#include <gtest/gtest.h>

#include <vector>

namespace x0::cache {
namespace {

TEST(ReplayHead, DropsHopByHopAndRewritesLength) {
  std::vector<Header> h = {{"Content-Type", "text/html"},
                           {"Transfer-Encoding", "chunked"},
                           {"Connection", "keep-alive, X-Trace"},
                           {"X-Trace", "abc"},
                           {"Keep-Alive", "timeout=5"},
                           {"Age", "7"},
                           {"X-Cache", "MISS"},
                           {"ETag", "\"v1\""}};
  EXPECT_EQ(make_replay_head(200, "OK", h, 11, false),
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nETag: \"v1\"\r\n"
            "Content-Length: 11\r\n");
  std::vector<Header> cl = {{"Content-Length", "99"}};
  EXPECT_EQ(make_replay_head(200, "OK", cl, 0, true), "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n");
  EXPECT_EQ(make_replay_head(204, "No Content", cl, 0, false), "HTTP/1.1 204 No Content\r\n");
}

TEST(MakeCachedResponse, SealsAndRecordsVaryValues) {
  CacheKey key("GET", "example.com", "/p?q=1");  // the data plane passes the canonical authority
  std::vector<Header> resp = {{"Cache-Control", "max-age=60"}, {"Vary", "Accept-Encoding"}};
  std::vector<Header> req = {{"accept-encoding", "gzip"}};
  StoreDecision d = decide_storable({"GET", req, 1000}, {200, resp, 1000}, {});
  ASSERT_TRUE(d.store);
  auto e = make_cached_response({&key, &d, 200, "OK", resp, req, "hello", 5000});
  EXPECT_EQ(e->key, "GET example.com /p?q=1");
  EXPECT_EQ(e->target(), "/p?q=1");
  EXPECT_EQ(e->body, "hello");
  EXPECT_EQ(e->stored_at_ms, 5000);
  EXPECT_EQ(e->freshness.lifetime_s, 60);
  EXPECT_EQ(e->vary_names, (std::vector<std::string>{"accept-encoding"}));
  EXPECT_EQ(e->vary_values, (std::vector<std::string>{"gzip"}));
  EXPECT_TRUE(intact(*e));
  EXPECT_TRUE(vary_matches(*e, req));
  EXPECT_FALSE(vary_matches(*e, {}));
  EXPECT_NE(e->head.find("Content-Length: 5\r\n"), std::string::npos);

  CacheKey head_key("HEAD", "example.com", "/p");
  auto h = make_cached_response({&head_key, &d, 200, "OK", resp, req, "ignored", 5000});
  EXPECT_TRUE(h->body.empty());
  EXPECT_TRUE(intact(*h));
}

}  // namespace
}  // namespace x0::cache
