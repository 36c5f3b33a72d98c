// The status page's cache: fresh for a second, one build at a time, the stale copy meanwhile,
// and a build that never published is retried after its timeout.
#include "admin/status_page_cache.h"

#include <gtest/gtest.h>

namespace x0::admin {
namespace {

TEST(StatusPageCache, OneBuildASecondAndTheStaleCopyMeanwhile) {
  StatusPageCache cache;
  bool build = false;
  std::shared_ptr<const StatusPageCache::Copy> stale;
  EXPECT_EQ(cache.lookup(10'000, &build, &stale), nullptr);
  EXPECT_TRUE(build);  // the first request builds
  EXPECT_EQ(stale, nullptr);
  EXPECT_EQ(cache.lookup(10'001, &build, &stale), nullptr);
  EXPECT_FALSE(build);  // a second one, while it runs, does not (and has no copy to answer)
  cache.publish({"{}", "<html>", 10'000});
  auto fresh = cache.lookup(10'999, &build, &stale);
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(fresh->html, "<html>");
  EXPECT_EQ(cache.lookup(11'000, &build, &stale), nullptr);  // a second old: rebuilt
  EXPECT_TRUE(build);
  ASSERT_NE(stale, nullptr);
  EXPECT_EQ(cache.lookup(11'001, &build, &stale), nullptr);
  EXPECT_FALSE(build);
  ASSERT_NE(stale, nullptr);  // answered from the old copy while the build runs
  EXPECT_EQ(stale->json, "{}");
  cache.publish({"{\"a\":1}", "<html>2", 11'000});
  EXPECT_EQ(cache.lookup(11'500, &build, &stale)->json, "{\"a\":1}");
}

TEST(StatusPageCache, ABuildThatNeverPublishedIsRetried) {
  StatusPageCache cache;
  bool build = false;
  std::shared_ptr<const StatusPageCache::Copy> stale;
  cache.lookup(0, &build, &stale);
  ASSERT_TRUE(build);
  cache.lookup(StatusPageCache::kBuildTimeoutMs - 1, &build, &stale);
  EXPECT_FALSE(build);
  cache.lookup(StatusPageCache::kBuildTimeoutMs, &build, &stale);
  EXPECT_TRUE(build);
}

}  // namespace
}  // namespace x0::admin
