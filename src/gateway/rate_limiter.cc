// The shared bucket table (see rate_limiter.h). The bucket is GCRA (ITU-T I.371's virtual
// scheduling): a key holds tat, the time its bucket would be full again if nothing else came;
// a request at `now` is allowed when tat - now <= (burst - 1) * interval, and then moves tat on
// by one interval. That is a token bucket of `burst` tokens refilled every interval, kept in
// one integer with no rounding drift, and it needs no refill timer.
#include "gateway/rate_limiter.h"

#include <netinet/in.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>

namespace x0::gateway {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;

struct KeyHash {
  using is_transparent = void;
  // Not noexcept on purpose: libstdc++ then caches each key's hash in its node, so a rehash
  // (never after the reserve) and a lookup that meets other keys' nodes compare hashes first.
  size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};

struct KeyEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

// One key's state. The LRU links are raw pointers into the map's nodes: an unordered_map node
// never moves, and extract/insert (eviction) keeps the node itself.
struct Entry {
  int64_t tat_ns = 0;
  int64_t interval_ns = 0;  // the rate tat was counted in (a reload may change it)
  Entry* newer = nullptr;  // towards the most recently used
  Entry* older = nullptr;
  const std::string* key = nullptr;  // the map node's key
  bool limited = false;              // the key's last request was refused
};

}  // namespace

// Everything in a stripe is guarded by its mutex; alignas keeps two stripes' mutexes off one
// cache line, so workers on different stripes never contend.
struct alignas(64) RateLimiter::Stripe {
  std::mutex mu;
  std::unordered_map<std::string, Entry, KeyHash, KeyEqual> map;
  Entry* newest = nullptr;
  Entry* oldest = nullptr;

  void unlink(Entry* e) {
    (e->newer != nullptr ? e->newer->older : newest) = e->older;
    (e->older != nullptr ? e->older->newer : oldest) = e->newer;
    e->newer = e->older = nullptr;
  }
  void push_newest(Entry* e) {
    e->older = newest;
    e->newer = nullptr;
    if (newest != nullptr) newest->newer = e;
    newest = e;
    if (oldest == nullptr) oldest = e;
  }

  // The key's entry, most recently used from now. A new key gets a full bucket (tat = now); at
  // capacity it takes over the least recently used key's node, so a full table allocates at
  // most a longer key string.
  Entry* find_or_insert(std::string_view key, int64_t now_ns, size_t capacity, bool& evicted) {
    if (auto it = map.find(key); it != map.end()) {
      Entry* e = &it->second;
      if (e != newest) {
        unlink(e);
        push_newest(e);
      }
      return e;
    }
    Entry* e = nullptr;
    if (map.size() >= capacity && oldest != nullptr) {
      Entry* victim = oldest;
      unlink(victim);
      auto node = map.extract(*victim->key);
      node.key().assign(key.data(), key.size());
      node.mapped() = Entry{};
      auto inserted = map.insert(std::move(node));
      e = &inserted.position->second;
      e->key = &inserted.position->first;
      evicted = true;
    } else {
      auto [it, fresh] = map.try_emplace(std::string(key));
      e = &it->second;
      e->key = &it->first;
    }
    e->tat_ns = now_ns;
    push_newest(e);
    return e;
  }
};

namespace {

// A reload changed the key's rate: it keeps the tokens it has used (not the time they take to
// come back at the old rate), at most a full bucket, so a raised limit applies at once and a
// lowered one does not forgive what was taken.
void rescale(Entry& e, int64_t interval_ns, int burst, int64_t now_ns) {
  if (e.interval_ns != 0 && e.tat_ns > now_ns) {
    __int128 debt = static_cast<__int128>(e.tat_ns - now_ns) * interval_ns / e.interval_ns;
    __int128 full = static_cast<__int128>(interval_ns) * std::max(burst, 1);
    e.tat_ns = now_ns + static_cast<int64_t>(std::min(debt, full));
  }
  e.interval_ns = interval_ns;
}

}  // namespace

RateLimitRule rate_limit_rule(const config::Security& security, const config::Service& service) {
  RateLimitRule rule;
  bool own = service.rate_limit_requests_per_second >= 0;
  rule.requests_per_second =
      own ? service.rate_limit_requests_per_second : security.rate_limit_requests_per_second;
  if (!rule.on()) return rule;
  // A route that sets its own rate and no burst gets burst = its rate, not the node's burst
  // (which was sized for the node's rate).
  int burst = service.rate_limit_burst > 0 ? service.rate_limit_burst
              : own                        ? 0
                                           : security.rate_limit_burst;
  rule.burst = burst > 0 ? burst : rule.requests_per_second;
  rule.interval_ns = kNsPerSecond / rule.requests_per_second;
  std::string_view key = security.rate_limit_key;
  if (key.starts_with("header:")) rule.header = std::string(key.substr(7));
  // Draft-ietf-httpapi-ratelimit-headers: q is the bucket, w the seconds an empty one takes to
  // fill again (so q/w is the rate when burst = rate). One policy id: the route is implied by
  // the request, and the service's name is not the client's business.
  int64_t window =
      (static_cast<int64_t>(rule.burst) + rule.requests_per_second - 1) / rule.requests_per_second;
  rule.policy = "\"default\";q=" + std::to_string(rule.burst) + ";w=" + std::to_string(window);
  rule.fields_on_allowed = security.rate_limit_headers != "limited";
  auto counter = [&](const char* decision) {
    return telemetry::default_registry().counter(
        "rate_limit_decisions_total",
        "Requests the rate_limit filter decided on, by route: allowed, or limited (answered 429).",
        {{"service", service.name}, {"decision", decision}});
  };
  rule.allowed = counter("allowed");
  rule.limited = counter("limited");
  return rule;
}

void append_address_key(const sockaddr_storage& address, std::string& out) {
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    out += 'a';
    out.append(reinterpret_cast<const char*>(&v4.sin_addr), 4);
    return;
  }
  if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    const auto* bytes = reinterpret_cast<const char*>(v6.sin6_addr.s6_addr);
    if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
      out += 'a';
      out.append(bytes + 12, 4);
    } else {
      out += '6';
      out.append(bytes, 8);
    }
    return;
  }
  out += '?';  // (unix sockets are not served; every such peer shares one bucket)
}

void append_header_key(std::string_view value, std::string& out) {
  if (value.size() <= kMaxInlineKey) {
    out += 'h';
    out.append(value);
    return;
  }
  // Two long values collide only with equal length, hash and prefix; the hash is not keyed,
  // so a client that knows another's key could share its bucket, which knowing the key gives
  // it anyway.
  uint64_t size = value.size();
  uint64_t hash = std::hash<std::string_view>{}(value);
  out += 'H';
  out.append(reinterpret_cast<const char*>(&size), sizeof size);
  out.append(reinterpret_cast<const char*>(&hash), sizeof hash);
  out.append(value.substr(0, 32));
}

RateLimiter::RateLimiter(size_t max_keys, size_t stripes) {
  max_keys = std::max<size_t>(max_keys, 1);
  if (stripes == 0) {
    stripes = 1;
    while (stripes < 64 && max_keys / (stripes * 2) >= 256) stripes *= 2;
  }
  stripes = std::bit_floor(std::min<size_t>(std::max<size_t>(stripes, 1), max_keys));
  stripe_count_ = stripes;
  stripe_capacity_ = max_keys / stripes;  // the sum stays within max_keys: the cap is hard
  stripe_shift_ = 64 - std::countr_zero(stripes);
  stripes_ = std::make_unique<Stripe[]>(stripes);
  // Buckets for every key up front: a full table never rehashes (under a lock, on a worker).
  for (size_t i = 0; i < stripes; ++i) stripes_[i].map.reserve(stripe_capacity_);
}

RateLimiter::~RateLimiter() = default;

RateLimiter::Stripe& RateLimiter::stripe_of(std::string_view key, size_t& hash) const {
  hash = KeyHash{}(key);
  size_t index = stripe_count_ == 1 ? 0 : static_cast<size_t>(uint64_t{hash} >> stripe_shift_);
  return stripes_[index];
}

RateLimitDecision RateLimiter::take(std::string_view key, int64_t interval_ns, int burst,
                                    int64_t now_ns) {
  interval_ns = std::max<int64_t>(interval_ns, 1);
  const int64_t tolerance = interval_ns * (std::max(burst, 1) - 1);
  size_t hash = 0;
  Stripe& stripe = stripe_of(key, hash);
  RateLimitDecision d;
  {
    std::lock_guard lock(stripe.mu);
    Entry* e = stripe.find_or_insert(key, now_ns, stripe_capacity_, d.evicted);
    if (e->interval_ns != interval_ns) rescale(*e, interval_ns, burst, now_ns);
    int64_t tat = std::max(e->tat_ns, now_ns);
    int64_t debt = tat - now_ns;  // ns of refill the bucket is short of full
    if (debt > tolerance) {
      d.retry_after_ns = debt - tolerance;
      d.reset_ns = debt;
      d.started_limiting = !e->limited;
      e->limited = true;
    } else {
      e->tat_ns = tat + interval_ns;
      e->limited = false;
      d.allowed = true;
      d.reset_ns = e->tat_ns - now_ns;
      d.remaining = (tolerance + interval_ns - d.reset_ns) / interval_ns;
    }
  }
  if (d.evicted) evictions_.fetch_add(1, std::memory_order_relaxed);
  return d;
}

size_t RateLimiter::size() const {
  size_t n = 0;
  for (size_t i = 0; i < stripe_count_; ++i) {
    std::lock_guard lock(stripes_[i].mu);
    n += stripes_[i].map.size();
  }
  return n;
}

bool RateLimiter::holds(std::string_view key) const {
  size_t hash = 0;
  Stripe& stripe = stripe_of(key, hash);
  std::lock_guard lock(stripe.mu);
  return stripe.map.find(key) != stripe.map.end();
}

void RateLimiter::register_metrics(telemetry::Registry& registry) const {
  registry.gauge_callback("rate_limit_clients",
                          "Keys (client addresses, /64s or header values, per route) the rate "
                          "limiter holds a bucket for now.",
                          {}, [this] { return static_cast<double>(size()); });
  registry.gauge_callback("rate_limit_capacity",
                          "The most keys the rate limiter holds ([security] "
                          "rate_limit_max_clients, read at start).",
                          {}, [this] { return static_cast<double>(capacity()); });
  registry.counter_callback("rate_limit_evictions_total",
                            "Rate-limit buckets evicted (least recently used) to make room for a "
                            "new key; an evicted key that comes back starts with a full bucket.",
                            {}, [this] { return static_cast<double>(evictions()); });
}

}  // namespace x0::gateway
