// The shared rate-limit buckets: burst, refill, exactness under concurrent takers, the hard cap
// and LRU eviction order, the keys of addresses and headers, and the rule a route resolves to.
// Time is injected (now_ns is an argument): no sleeps, no timed assertions.
#include "gateway/rate_limiter.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <atomic>
#include <thread>
#include <vector>

namespace x0::gateway {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

int allowed_of(RateLimiter& limiter, std::string_view key, int64_t interval, int burst, int64_t now,
               int requests) {
  int allowed = 0;
  for (int i = 0; i < requests; ++i) allowed += limiter.take(key, interval, burst, now).allowed;
  return allowed;
}

TEST(RateLimiter, AFullBucketTakesTheBurstAtOnceThenRefusesWithRetryAfter) {
  RateLimiter limiter(100, 1);
  const int64_t t0 = 5 * kSecond;
  for (int i = 0; i < 10; ++i) {
    RateLimitDecision d = limiter.take("k", kSecond / 5, 10, t0);  // 5/s, burst 10
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 9 - i);
    EXPECT_EQ(d.reset_ns, (i + 1) * (kSecond / 5));  // until full again
  }
  RateLimitDecision refused = limiter.take("k", kSecond / 5, 10, t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_TRUE(refused.started_limiting);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.retry_after_ns, kSecond / 5);  // one token's refill
  EXPECT_EQ(refused.reset_ns, 2 * kSecond);
  // A second refusal in the same run is not a new start (the filter logs only starts).
  EXPECT_FALSE(limiter.take("k", kSecond / 5, 10, t0).started_limiting);
}

TEST(RateLimiter, RefillsOneTokenPerIntervalAndNeverAboveTheBurst) {
  RateLimiter limiter(100, 1);
  const int64_t interval = kSecond / 10;  // 10/s
  int64_t now = kSecond;
  EXPECT_EQ(allowed_of(limiter, "k", interval, 3, now, 5), 3);
  now += interval - 1;  // not quite a token
  EXPECT_FALSE(limiter.take("k", interval, 3, now).allowed);
  now += 1;
  EXPECT_TRUE(limiter.take("k", interval, 3, now).allowed);
  EXPECT_FALSE(limiter.take("k", interval, 3, now).allowed);
  now += 100 * kSecond;  // a long pause fills the bucket, no more
  EXPECT_EQ(allowed_of(limiter, "k", interval, 3, now, 10), 3);
  // Over a long steady run at twice the rate: exactly burst + elapsed / interval allowed.
  int allowed = 0;
  int64_t start = now;
  for (int i = 0; i < 2000; ++i) {
    now += interval / 2;
    allowed += limiter.take("k", interval, 3, now).allowed;
  }
  EXPECT_EQ(allowed, static_cast<int>((now - start) / interval));  // bucket was empty at start
}

TEST(RateLimiter, ANewRateKeepsTheTokensUsedNotTheTimeTheyTake) {
  RateLimiter limiter(100, 1);
  const int64_t now = kSecond;
  EXPECT_EQ(allowed_of(limiter, "k", kSecond, 2, now, 3), 2);  // 1/s, burst 2: empty
  // Raised to 1000/s, burst 10 (a reload): 2 of 10 tokens used, so 8 more at once, not a
  // 2-second wait for the old debt.
  EXPECT_EQ(allowed_of(limiter, "k", kSecond / 1000, 10, now, 20), 8);
  // Lowered to 1/s, burst 3: the 10 used are at most a full bucket of the new size.
  RateLimitDecision d = limiter.take("k", kSecond, 3, now);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reset_ns, 3 * kSecond);
  EXPECT_TRUE(limiter.take("k", kSecond, 3, now + kSecond).allowed);
}

TEST(RateLimiter, KeysHaveBucketsOfTheirOwn) {
  RateLimiter limiter(100, 1);
  EXPECT_EQ(allowed_of(limiter, "a", kSecond, 2, kSecond, 5), 2);
  EXPECT_EQ(allowed_of(limiter, "b", kSecond, 2, kSecond, 5), 2);
}

TEST(RateLimiter, SlightlyOutOfOrderTimesFromOtherThreadsNeitherGrantNorLose) {
  RateLimiter limiter(100, 1);
  EXPECT_TRUE(limiter.take("k", kSecond, 1, 10 * kSecond).allowed);
  // A worker whose request started a microsecond earlier arrives second: still one token.
  EXPECT_FALSE(limiter.take("k", kSecond, 1, 10 * kSecond - 1000).allowed);
  EXPECT_TRUE(limiter.take("k", kSecond, 1, 11 * kSecond).allowed);
}

TEST(RateLimiter, ConcurrentTakersTogetherGetExactlyTheBucket) {
  // 8 threads hammer one key and 8 others at one frozen instant: exactly the burst is allowed
  // per key, whatever the interleaving (the N-workers-get-N-times-the-limit bug would show).
  RateLimiter limiter(1000);
  constexpr int kThreads = 8, kPerThread = 5000, kBurst = 1234;
  std::atomic<int> shared_allowed{0};
  std::vector<std::atomic<int>> own_allowed(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string own = "own-" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        if (limiter.take("shared", kSecond, kBurst, kSecond).allowed) ++shared_allowed;
        if (limiter.take(own, kSecond, kBurst, kSecond).allowed) ++own_allowed[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(shared_allowed.load(), kBurst);
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(own_allowed[t].load(), kBurst) << t;
}

TEST(RateLimiter, ConcurrentTakersAcrossTimeGetBurstPlusRefill) {
  // Each thread advances its own clock over one shared second: allowed = burst + refill.
  RateLimiter limiter(1000);
  constexpr int kThreads = 4, kSteps = 10000;
  const int64_t interval = kSecond / 1000;  // 1000/s
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 1; i <= kSteps; ++i) {
        int64_t now = kSecond + static_cast<int64_t>(i) * kSecond / kSteps;
        if (limiter.take("k", interval, 50, now).allowed) ++allowed;
      }
    });
  }
  for (auto& th : threads) th.join();
  // 50 at once plus one per ms over the second; times interleave, so up to a token either way.
  EXPECT_NEAR(allowed.load(), 50 + 1000, 1);
}

TEST(RateLimiter, TheCapIsHardAndEvictionsAreCounted) {
  RateLimiter limiter(100);
  for (int i = 0; i < 10000; ++i) limiter.take("spray-" + std::to_string(i), kSecond, 1, kSecond);
  EXPECT_LE(limiter.size(), 100u);
  EXPECT_EQ(limiter.size(), limiter.capacity());
  EXPECT_EQ(limiter.evictions(), 10000 - limiter.capacity());
}

TEST(RateLimiter, StripesNeverAddUpToMoreThanTheCap) {
  for (size_t cap : {1u, 7u, 255u, 1000u, 100000u, 100001u}) {
    RateLimiter limiter(cap);
    EXPECT_LE(limiter.capacity(), cap) << cap;
    EXPECT_GE(limiter.capacity(), cap - limiter.stripes() + 1) << cap;
  }
  EXPECT_EQ(RateLimiter(100000).stripes(), 64u);
  EXPECT_EQ(RateLimiter(100).stripes(), 1u);
}

TEST(RateLimiter, EvictsTheLeastRecentlyUsedAndAReturningKeyStartsFull) {
  RateLimiter limiter(3, 1);
  const int64_t now = kSecond;
  for (const char* k : {"a", "b", "c"}) limiter.take(k, kSecond, 1, now);  // each emptied
  limiter.take("a", kSecond, 1, now);  // a is the most recent now: b the least
  RateLimitDecision d = limiter.take("d", kSecond, 1, now);
  EXPECT_TRUE(d.evicted);
  EXPECT_FALSE(limiter.holds("b"));
  EXPECT_TRUE(limiter.holds("a") && limiter.holds("c") && limiter.holds("d"));
  // a kept its state (empty), b lost it: back with a full bucket, evicting c, the oldest.
  EXPECT_FALSE(limiter.take("a", kSecond, 1, now).allowed);
  EXPECT_TRUE(limiter.take("b", kSecond, 1, now).allowed);
  EXPECT_FALSE(limiter.holds("c"));
  EXPECT_EQ(limiter.evictions(), 2u);
}

TEST(RateLimiter, LongKeysAreStoredBounded) {
  RateLimiter limiter(10, 1);
  std::string key_a, key_b;
  append_header_key(std::string(10000, 'x') + "a", key_a);
  append_header_key(std::string(10000, 'x') + "b", key_b);
  EXPECT_LT(key_a.size(), 64u);
  EXPECT_NE(key_a, key_b);
  std::string short_key;
  append_header_key("k-123", short_key);
  EXPECT_EQ(short_key, "hk-123");
}

sockaddr_storage address(const char* text) {
  sockaddr_storage out{};
  if (inet_pton(AF_INET, text, &reinterpret_cast<sockaddr_in&>(out).sin_addr) == 1) {
    out.ss_family = AF_INET;
  } else {
    EXPECT_EQ(inet_pton(AF_INET6, text, &reinterpret_cast<sockaddr_in6&>(out).sin6_addr), 1);
    out.ss_family = AF_INET6;
  }
  return out;
}

std::string key_of(const char* text) {
  std::string out;
  append_address_key(address(text), out);
  return out;
}

TEST(RateLimitKeys, IPv4ByAddressIPv6ByItsSlash64) {
  EXPECT_NE(key_of("127.0.0.1"), key_of("127.0.0.2"));
  EXPECT_EQ(key_of("127.0.0.1"), key_of("::ffff:127.0.0.1"));  // mapped IPv4 is IPv4
  EXPECT_EQ(key_of("2001:db8:1:2::1"), key_of("2001:db8:1:2:ffff::9"));
  EXPECT_NE(key_of("2001:db8:1:2::1"), key_of("2001:db8:1:3::1"));
  EXPECT_EQ(key_of("10.1.2.3").size(), 5u);
  EXPECT_EQ(key_of("2001:db8::1").size(), 9u);
}

TEST(RateLimitRule, RouteKeysOverrideTheNodeDefault) {
  config::Security node;
  node.rate_limit_requests_per_second = 100;
  node.rate_limit_burst = 300;
  config::Service inherit;
  inherit.name = "inherit";
  RateLimitRule r = rate_limit_rule(node, inherit);
  EXPECT_EQ(r.requests_per_second, 100);
  EXPECT_EQ(r.burst, 300);
  EXPECT_EQ(r.interval_ns, kSecond / 100);
  EXPECT_EQ(r.policy, "\"default\";q=300;w=3");
  EXPECT_TRUE(r.header.empty());
  ASSERT_NE(r.allowed, nullptr);
  ASSERT_NE(r.limited, nullptr);

  config::Service own = inherit;
  own.name = "own";
  own.rate_limit_requests_per_second = 7;  // its own rate, no burst: burst = its rate
  r = rate_limit_rule(node, own);
  EXPECT_EQ(r.requests_per_second, 7);
  EXPECT_EQ(r.burst, 7);
  EXPECT_EQ(r.policy, "\"default\";q=7;w=1");

  config::Service off = inherit;
  off.rate_limit_requests_per_second = 0;
  EXPECT_FALSE(rate_limit_rule(node, off).on());

  node.rate_limit_burst = 0;
  node.rate_limit_key = "header:X-Api-Key";
  r = rate_limit_rule(node, inherit);
  EXPECT_EQ(r.burst, 100);
  EXPECT_EQ(r.header, "X-Api-Key");

  config::Security none;
  EXPECT_FALSE(rate_limit_rule(none, inherit).on());
}

}  // namespace
}  // namespace x0::gateway
