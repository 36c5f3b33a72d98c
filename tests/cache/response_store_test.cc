// The sharded store: eviction order (LRU and SIEVE), byte bounds, freshness states, Vary
// variants, checksums, verify_all, prefix clearing, metrics, and 4-thread use.
#include "cache/response_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "cache/cache_metrics.h"
#include "cache_test_util.h"

namespace x0::cache {
namespace {

using testing::entry;
using testing::key;
using testing::kNow;

bool has(ResponseStore& s, const std::string& target, int64_t now = kNow) {
  return s.lookup(key(target), {}, now).status == LookupStatus::kHit;
}

std::set<std::string> targets(const ResponseStore& s) {
  std::set<std::string> out;
  for (const auto& e : s.entries()) out.insert(std::string(e->target()));
  return out;
}

TEST(ResponseStore, LruEvictsLeastRecentlyUsed) {
  ResponseStore s({.capacity = 3, .shard_count = 1, .eviction = Eviction::kLru});
  s.insert(entry("/a"));
  s.insert(entry("/b"));
  s.insert(entry("/c"));
  ASSERT_TRUE(has(s, "/a"));  // /b is now the least recently used
  s.insert(entry("/d"));
  EXPECT_EQ(targets(s), (std::set<std::string>{"/a", "/c", "/d"}));
  s.insert(entry("/e"));  // then /c
  EXPECT_EQ(targets(s), (std::set<std::string>{"/a", "/d", "/e"}));
  EXPECT_EQ(s.stats().evictions, 2u);
}

TEST(ResponseStore, CountsShardLockAcquisitions) {
  ResponseStore s({.shard_count = 4});
  EXPECT_EQ(s.lock_acquisitions(), 0u);
  s.insert(entry("/a"));
  EXPECT_EQ(s.lock_acquisitions(), 1u);
  EXPECT_TRUE(has(s, "/a"));
  EXPECT_FALSE(has(s, "/b"));
  EXPECT_EQ(s.lock_acquisitions(), 3u);
  (void)s.entries();  // one lock per shard
  EXPECT_EQ(s.lock_acquisitions(), 7u);
}

TEST(ResponseStore, SieveKeepsVisitedEntries) {
  ResponseStore s({.capacity = 3, .shard_count = 1, .eviction = Eviction::kSieve});
  s.insert(entry("/a"));
  s.insert(entry("/b"));
  s.insert(entry("/c"));
  ASSERT_TRUE(has(s, "/a"));
  ASSERT_TRUE(has(s, "/b"));
  s.insert(entry("/d"));  // /a, /b visited: hand clears them and evicts /c
  EXPECT_EQ(targets(s), (std::set<std::string>{"/a", "/b", "/d"}));
  s.insert(entry("/e"));  // hand continues from /c's place toward the head: /d unvisited
  EXPECT_EQ(targets(s), (std::set<std::string>{"/a", "/b", "/e"}));
  s.insert(entry("/f"));  // the hand now rests on /e (unvisited): it goes, /a and /b stay
  EXPECT_EQ(targets(s), (std::set<std::string>{"/a", "/b", "/f"}));
  s.insert(entry("/g"));  // hand moved on to /f (newer, unvisited): one-hit entries go first
  EXPECT_EQ(targets(s), (std::set<std::string>{"/a", "/b", "/g"}));
  ASSERT_TRUE(has(s, "/g"));
  s.insert(entry("/h"));  // /g visited, /h is the newest: the hand wraps; /a's bit was cleared
  EXPECT_EQ(targets(s), (std::set<std::string>{"/b", "/g", "/h"}));
}

TEST(ResponseStore, ByteBoundEvictsAndRejectsOversized) {
  const size_t one = charged_bytes(*entry("/a", std::string(1000, 'x')));
  ResponseStore s(
      {.capacity = 100, .max_bytes = 3 * one + 10, .shard_count = 1, .eviction = Eviction::kLru});
  for (const char* t : {"/a", "/b", "/c", "/d"}) s.insert(entry(t, std::string(1000, 'x')));
  StoreStats st = s.stats();
  EXPECT_EQ(st.entries, 3u);
  EXPECT_LE(st.bytes, 3 * one + 10);
  EXPECT_EQ(targets(s), (std::set<std::string>{"/b", "/c", "/d"}));
  EXPECT_EQ(s.insert(entry("/huge", std::string(4 * one, 'x'))), InsertStatus::kTooLarge);
  EXPECT_EQ(s.stats().entries, 3u);
  // A replacement is charged its new size, not added twice.
  EXPECT_EQ(s.insert(entry("/d", "small")), InsertStatus::kReplaced);
  EXPECT_EQ(s.stats().entries, 3u);
  EXPECT_EQ(s.stats().bytes, 2 * one + charged_bytes(*entry("/d", "small")));
}

TEST(ResponseStore, FreshStaleAndExpired) {
  ResponseStore s({.shard_count = 2});
  s.insert(entry("/a", "x", /*lifetime*/ 10));  // stale_if_error 30 (helper)
  LookupResult r = s.lookup(key("/a"), {}, kNow + 9'999);
  EXPECT_EQ(r.status, LookupStatus::kHit);
  EXPECT_EQ(r.age_s, 9);
  r = s.lookup(key("/a"), {}, kNow + 10'000);
  EXPECT_EQ(r.status, LookupStatus::kStale);
  EXPECT_TRUE(r.within_stale_if_error);
  ASSERT_TRUE(r.response);
  r = s.lookup(key("/a"), {}, kNow + 40'000);  // past lifetime + stale-if-error: dropped
  EXPECT_EQ(r.status, LookupStatus::kMiss);
  EXPECT_EQ(s.stats().entries, 0u);
  EXPECT_EQ(s.stats().hits, 1u);
  EXPECT_EQ(s.stats().misses, 2u);
  EXPECT_EQ(s.stats().stale, 1u);
}

TEST(ResponseStore, VaryVariants) {
  ResponseStore s({.shard_count = 4, .max_variants = 2});
  s.insert(entry("/v", "gzip-body", 60, kNow, {"accept-encoding"}, {"gzip"}));
  s.insert(entry("/v", "plain-body", 60, kNow, {"accept-encoding"}, {""}));
  std::vector<Header> gz = {{"Accept-Encoding", "gzip"}};
  std::vector<Header> br = {{"accept-encoding", "br"}};
  LookupResult r = s.lookup(key("/v"), gz, kNow);
  ASSERT_EQ(r.status, LookupStatus::kHit);
  EXPECT_EQ(r.response->body, "gzip-body");
  r = s.lookup(key("/v"), {}, kNow);
  ASSERT_EQ(r.status, LookupStatus::kHit);
  EXPECT_EQ(r.response->body, "plain-body");
  EXPECT_EQ(s.lookup(key("/v"), br, kNow).status, LookupStatus::kMiss);
  // A third variant pushes out the oldest one (gzip) of this key only.
  s.insert(entry("/v", "br-body", 60, kNow, {"accept-encoding"}, {"br"}));
  EXPECT_EQ(s.lookup(key("/v"), gz, kNow).status, LookupStatus::kMiss);
  EXPECT_EQ(s.lookup(key("/v"), br, kNow).response->body, "br-body");
  EXPECT_EQ(s.stats().entries, 2u);
}

TEST(ResponseStore, ChecksumDetectsAFlippedByte) {
  auto e = entry("/a", "hello world");
  EXPECT_TRUE(intact(*e));
  for (std::string* field : {&e->body, &e->head, &e->key}) {
    (*field)[1] ^= 0x01;
    EXPECT_FALSE(intact(*e));
    (*field)[1] ^= 0x01;
    EXPECT_TRUE(intact(*e));
  }
  e->freshness.lifetime_s += 1;
  EXPECT_FALSE(intact(*e));
}

TEST(ResponseStore, VerifyAllDropsExactlyTheCorruptOnes) {
  telemetry::Registry reg;
  CacheMetrics metrics(reg);
  ResponseStore s({.shard_count = 4}, &metrics);
  std::vector<std::shared_ptr<CachedResponse>> all;
  for (int i = 0; i < 20; ++i) {
    all.push_back(entry("/e" + std::to_string(i), "payload" + std::to_string(i)));
    s.insert(all.back());
  }
  // Simulated memory corruption after insert (the store shares these objects).
  for (int i : {3, 7, 15}) all[static_cast<size_t>(i)]->body[0] ^= 0x40;
  VerifyReport v = s.verify_all();
  EXPECT_EQ(v.checked, 20u);
  EXPECT_EQ(v.corrupt, 3u);
  std::set<std::string> left = targets(s);
  EXPECT_EQ(left.size(), 17u);
  for (const char* gone : {"/e3", "/e7", "/e15"}) EXPECT_EQ(left.count(gone), 0u) << gone;
  EXPECT_EQ(s.verify_all().corrupt, 0u);
  EXPECT_EQ(s.stats().corrupt, 3u);
  EXPECT_NE(reg.render().find("cache_corrupt_entries_total 3"), std::string::npos);
  EXPECT_NE(reg.render().find("cache_entries 17"), std::string::npos);
}

TEST(ResponseStore, SampledReadVerificationDropsCorruptHit) {
  ResponseStore s({.shard_count = 1, .verify_sample_rate = 1.0});
  auto e = entry("/a");
  s.insert(e);
  EXPECT_EQ(s.lookup(key("/a"), {}, kNow).status, LookupStatus::kHit);
  e->body[0] ^= 1;
  EXPECT_EQ(s.lookup(key("/a"), {}, kNow).status, LookupStatus::kMiss);
  EXPECT_EQ(s.stats().entries, 0u);
  EXPECT_EQ(s.stats().corrupt, 1u);
}

TEST(ResponseStore, ErasePrefixAndClear) {
  ResponseStore s({.shard_count = 4});
  for (const char* t : {"/api/a", "/api/b?x=1", "/apix", "/static/c"}) s.insert(entry(t));
  auto other_host = std::make_shared<CachedResponse>(*entry("/api/z"));
  other_host->key = CacheKey("GET", "other.org", "/api/z").text();
  other_host->checksum = compute_checksum(*other_host);
  s.insert(other_host);
  EXPECT_EQ(s.erase_prefix("/api/"), 3u);
  EXPECT_EQ(targets(s), (std::set<std::string>{"/apix", "/static/c"}));
  EXPECT_EQ(s.clear(), 2u);
  EXPECT_EQ(s.stats().entries, 0u);
  EXPECT_EQ(s.stats().bytes, 0u);
}

TEST(ResponseStore, MetricsCountHitsMissesAndHitRate) {
  telemetry::Registry reg;
  CacheMetrics metrics(reg);
  ResponseStore s({.shard_count = 2}, &metrics);
  s.insert(entry("/a"));
  for (int i = 0; i < 3; ++i) s.lookup(key("/a"), {}, kNow);
  s.lookup(key("/b"), {}, kNow);
  s.record_stale_served();
  const std::string text = reg.render();
  EXPECT_NE(text.find("cache_hits_total 3"), std::string::npos) << text;
  EXPECT_NE(text.find("cache_misses_total 1"), std::string::npos);
  EXPECT_NE(text.find("cache_hit_rate 0.75"), std::string::npos);
  EXPECT_NE(text.find("cache_stale_served_total 1"), std::string::npos);
  EXPECT_NE(text.find("cache_warming_progress"), std::string::npos);
}

TEST(ResponseStore, FourThreadsLookupAndInsert) {
  ResponseStore s({.capacity = 200, .max_bytes = 1 << 20, .shard_count = 4});
  std::atomic<uint64_t> hits{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        const std::string target = "/k" + std::to_string((i * 7 + t) % 300);
        if (i % 3 == 0) {
          s.insert(entry(target, target));
        } else if (i % 97 == 0) {
          s.erase_prefix("/k1");
        } else {
          LookupResult r = s.lookup(key(target), {}, kNow);
          if (r.status == LookupStatus::kHit) {
            ++hits;
            if (r.response->body != target || !intact(*r.response)) ++bad;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(hits.load(), 0u);
  StoreStats st = s.stats();
  EXPECT_LE(st.entries, 200u);
  EXPECT_EQ(st.entries, s.entries().size());
  uint64_t bytes = 0;
  for (const auto& e : s.entries()) bytes += charged_bytes(*e);
  EXPECT_EQ(st.bytes, bytes);
}

}  // namespace
}  // namespace x0::cache
