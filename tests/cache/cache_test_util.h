// Shared helpers for the cache tests: build sealed entries without going through an upstream.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cache/cache_key.h"
#include "cache/cached_response.h"

namespace x0::cache::testing {

inline constexpr int64_t kNow = 1'800'000'000'000;  // unix ms, fixed

inline std::shared_ptr<CachedResponse> entry(const std::string& target, std::string body = "body",
                                             int64_t lifetime_s = 60, int64_t stored_at = kNow,
                                             std::vector<std::string> vary_names = {},
                                             std::vector<std::string> vary_values = {}) {
  auto r = std::make_shared<CachedResponse>();
  r->key = CacheKey("GET", "example.com", target).text();
  r->status = 200;
  r->head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n";
  r->body = std::move(body);
  r->stored_at_ms = stored_at;
  r->freshness = Freshness{lifetime_s, 0, 30};
  r->vary_names = std::move(vary_names);
  r->vary_values = std::move(vary_values);
  r->checksum = compute_checksum(*r);
  return r;
}

inline CacheKey key(const std::string& target) { return CacheKey("GET", "example.com", target); }

}  // namespace x0::cache::testing
