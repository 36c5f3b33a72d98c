// Rate limiting per client and route: a token bucket per key in the node's shared table
// (gateway/rate_limiter.h), so the limit is the node's whatever the worker count. A limited
// request is answered 429 here, before the cache and the router, with Retry-After and the
// RateLimit-Policy / RateLimit fields of draft-ietf-httpapi-ratelimit-headers; an allowed one
// gets the same two fields on its proxied response. Operator paths and probes never get here:
// the data plane answers them before routing (data_plane.cc), the probe ports have no routes.
#include <arpa/inet.h>

#include <atomic>
#include <string>

#include "common/log.h"
#include "gateway/filters/filters.h"
#include "gateway/rate_limiter.h"
#include "gateway/stream.h"

namespace x0::gateway {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;

int64_t ceil_seconds(int64_t ns) { return (ns + kNsPerSecond - 1) / kNsPerSecond; }

// At most one log line a second for the whole node, whatever the number of clients limited or
// evicted: a spraying client must not turn the log into its amplifier. Thread-safe.
class LogBudget {
 public:
  // Whether to log now; `skipped` is how many were not logged since the last line.
  bool take(int64_t now_ns, uint64_t& skipped) {
    int64_t last = last_ns_.load(std::memory_order_relaxed);
    if (now_ns - last < kNsPerSecond ||
        !last_ns_.compare_exchange_strong(last, now_ns, std::memory_order_relaxed)) {
      skipped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    skipped = skipped_.exchange(0, std::memory_order_relaxed);
    return true;
  }

 private:
  std::atomic<int64_t> last_ns_{-kNsPerSecond};
  std::atomic<uint64_t> skipped_{0};
};

LogBudget& limited_log() {
  static LogBudget budget;
  return budget;
}
LogBudget& eviction_log() {
  static LogBudget budget;
  return budget;
}

class RateLimitFilter final : public Filter<RateLimitFilter> {
 public:
  explicit RateLimitFilter(WorkerContext& worker) : worker_(worker) {}

  // A mesh peer's forwarded request was limited by the node its client came to.
  bool takes_part(const Stream& stream) const override {
    return worker_.rate_limiter != nullptr && stream.service().rate_limit.on() &&
           stream.mesh_hops() == 0;
  }

  FilterStatus on_request(Stream& stream) override {
    const RateLimitRule& rule = stream.service().rate_limit;
    bool by_header = make_key(stream, rule);
    decision_ = worker_.rate_limiter->take(key_, rule.interval_ns, rule.burst, stream.start_ns());
    if (decision_.evicted) log_eviction(stream);
    if (decision_.allowed) {
      rule.allowed->inc();
      return FilterStatus::kContinue;
    }
    rule.limited->inc();
    if (decision_.started_limiting) log_limited(stream, by_header);
    headers_.assign("Retry-After: ");
    headers_.append(std::to_string(std::max<int64_t>(1, ceil_seconds(decision_.retry_after_ns))));
    headers_.append("\r\n");
    append_fields(rule, headers_);
    stream.respond(ErrorCode::kRateLimited, "too many requests: see Retry-After", headers_);
    return FilterStatus::kStop;
  }

  // The quota left after this request, on whatever the upstream side answers.
  FilterStatus on_response_head(Stream& stream, const http::ResponseHead& /*head*/) override {
    const RateLimitRule& rule = stream.service().rate_limit;
    if (rule.fields_on_allowed) append_fields(rule, stream.response_edits().append);
    return FilterStatus::kContinue;
  }

 private:
  // The bucket's key: the route, then the header's value or the client's address. Returns
  // whether the header keyed it. Built in a member whose capacity is reused (no allocation).
  bool make_key(Stream& stream, const RateLimitRule& rule) {
    key_.assign(stream.service().config.name);
    key_ += '\n';  // not a service-name character
    if (!rule.header.empty()) {
      std::string_view value = stream.request().head.headers.find(rule.header);
      if (!value.empty()) {
        append_header_key(value, key_);
        return true;
      }
    }
    append_address_key(client_address(stream), key_);
    return false;
  }

  // The client: the peer, or, behind a trusted front proxy, the rightmost X-Forwarded-For entry
  // that is not itself a trusted proxy (the one address in the chain no client can forge).
  const sockaddr_storage& client_address(Stream& stream) {
    const sockaddr_storage& peer = stream.client().peer();
    if (!stream.client_trusted()) return peer;
    std::string_view chain = stream.request().head.headers.find("X-Forwarded-For");
    const AddressRanges& trusted = worker_.routes.get().policy().trusted_proxies;
    while (!chain.empty()) {
      size_t comma = chain.rfind(',');
      std::string_view entry = comma == std::string_view::npos ? chain : chain.substr(comma + 1);
      chain = comma == std::string_view::npos ? std::string_view() : chain.substr(0, comma);
      while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
      while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
      if (!parse_ip(entry, forwarded_)) return peer;  // not an address: trust stops here
      if (!trusted.contains(forwarded_)) return forwarded_;
    }
    return peer;
  }

  static bool parse_ip(std::string_view text, sockaddr_storage& out) {
    char buf[INET6_ADDRSTRLEN];
    if (text.empty() || text.size() >= sizeof buf) return false;
    text.copy(buf, text.size());
    buf[text.size()] = '\0';
    out = {};
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
    if (inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      return true;
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
    if (inet_pton(AF_INET6, buf, &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      return true;
    }
    return false;
  }

  // RateLimit-Policy and RateLimit (structured fields: a list of one item, the policy id,
  // with its parameters): r the requests left now, t the seconds until the bucket is full.
  void append_fields(const RateLimitRule& rule, std::string& out) const {
    out.append("RateLimit-Policy: ").append(rule.policy).append("\r\n");
    out.append("RateLimit: \"default\";r=").append(std::to_string(decision_.remaining));
    out.append(";t=").append(std::to_string(ceil_seconds(decision_.reset_ns))).append("\r\n");
  }

  // The client's address, never the header's value: an API key is a credential.
  void log_limited(Stream& stream, bool by_header) {
    uint64_t skipped = 0;
    if (!limited_log().take(stream.start_ns(), skipped)) return;
    log::warn("SECURITY", "rate limit: client limited",
              {{"service", stream.service().config.name},
               {"client", stream.client().peer_ip()},
               {"key", by_header ? "header" : "address"},
               {"requests_per_second", stream.service().rate_limit.requests_per_second},
               {"burst", stream.service().rate_limit.burst},
               {"others_not_logged", skipped}});
  }

  // Evictions mean the table is full: more clients than rate_limit_max_clients, or a sprayer.
  void log_eviction(Stream& stream) {
    uint64_t skipped = 0;
    if (!eviction_log().take(stream.start_ns(), skipped)) return;
    log::warn("SECURITY",
              "rate limit table full: evicting the least recently used clients (their buckets "
              "start full again; raise [security] rate_limit_max_clients if this is not an attack)",
              {{"capacity", worker_.rate_limiter->capacity()},
               {"evictions_total", worker_.rate_limiter->evictions()},
               {"evictions_not_logged", skipped}});
  }

  WorkerContext& worker_;
  std::string key_, headers_;  // per request, capacity reused
  sockaddr_storage forwarded_{};
  RateLimitDecision decision_;
};

}  // namespace

std::unique_ptr<StreamFilter> make_rate_limit_filter(WorkerContext& worker) {
  return std::make_unique<RateLimitFilter>(worker);
}

}  // namespace x0::gateway
