// The node's rate-limit buckets (the rate_limit filter's state, filters/rate_limit_filter.cc):
// one table shared by every worker, so a limit is exact per node whatever the worker count.
// Each key holds one GCRA "theoretical arrival time" (a token bucket in one int64), in one of a
// few mutex-striped LRU tables with a hard cap on keys: an address-spraying client evicts the
// least recently used keys instead of growing memory. Thread-safe: every member is reached only
// under its stripe's mutex or is atomic. docs/RATE_LIMIT.md says why it is built this way.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "config/config.h"
#include "telemetry/metrics.h"

namespace x0::gateway {

// One route's limit, resolved at route build from [security] and the service (route_table.cc),
// so a reload changes it with the routes.
struct RateLimitRule {
  int requests_per_second = 0;  // 0: the route is not limited
  int burst = 0;                // the bucket's size (requests taken at once after a pause)
  int64_t interval_ns = 0;      // 1e9 / requests_per_second: one token's refill time
  std::string header;           // the key's header (e.g. X-Api-Key); empty: the client address
  std::string policy;           // RateLimit-Policy's value, e.g. `"default";q=10;w=1`
  bool fields_on_allowed = true;  // [security] rate_limit_headers = "always"
  // rate_limit_decisions_total{service, decision}: process-lifetime, sharded per thread.
  telemetry::Counter* allowed = nullptr;
  telemetry::Counter* limited = nullptr;
  bool on() const { return requests_per_second > 0; }
};

// The rule of `service` under `security`: the route's keys where set, else the node's.
RateLimitRule rate_limit_rule(const config::Security& security, const config::Service& service);

struct RateLimitDecision {
  bool allowed = false;
  bool evicted = false;           // making room for this key evicted the least recently used one
  bool started_limiting = false;  // limited, and the key's previous request was allowed
  int64_t remaining = 0;          // whole requests the key may still make at once
  int64_t retry_after_ns = 0;     // limited: until the next request would be allowed
  int64_t reset_ns = 0;           // until the bucket is full again
};

// Appends the key of a client address: 'a' + the 4 bytes of an IPv4 address (an IPv4-mapped
// IPv6 address counts as IPv4), or '6' + the first 8 bytes of an IPv6 address: a /64, the
// smallest block a host is given, so one host cannot spray addresses out of its own prefix.
void append_address_key(const sockaddr_storage& address, std::string& out);
// Appends the key of a header value: 'h' + the value when at most kMaxInlineKey bytes, else
// 'H' + its length, a 64-bit hash and its first 32 bytes (memory per key stays bounded).
void append_header_key(std::string_view value, std::string& out);
inline constexpr size_t kMaxInlineKey = 64;

class RateLimiter {
 public:
  // At most max_keys keys in all (hard); stripes 0 = chosen from max_keys (up to 64, each
  // holding at least 256 keys), else a power of two (tests use 1 for an exact LRU order).
  explicit RateLimiter(size_t max_keys, size_t stripes = 0);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one token from `key`'s bucket (interval_ns per token, `burst` tokens), now_ns on the
  // monotonic clock (callers on different threads may pass slightly out-of-order times). A new
  // key's bucket starts full: so does an evicted one's when it comes back. Any thread.
  RateLimitDecision take(std::string_view key, int64_t interval_ns, int burst, int64_t now_ns);

  size_t size() const;  // keys held now (locks each stripe: scrapes, tests)
  size_t capacity() const { return stripe_capacity_ * stripe_count_; }
  size_t stripes() const { return stripe_count_; }
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }
  bool holds(std::string_view key) const;  // tests

  // rate_limit_clients (gauge), rate_limit_capacity (gauge), rate_limit_evictions_total, read
  // from this limiter at scrape time; it must outlive the registry's scrapes.
  void register_metrics(telemetry::Registry& registry) const;

 private:
  struct Stripe;
  Stripe& stripe_of(std::string_view key, size_t& hash) const;

  size_t stripe_count_;
  size_t stripe_capacity_;
  int stripe_shift_;  // the hash's top bits pick the stripe
  std::unique_ptr<Stripe[]> stripes_;
  std::atomic<uint64_t> evictions_{0};
};

}  // namespace x0::gateway
