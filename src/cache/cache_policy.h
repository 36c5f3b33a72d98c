// When a response may be stored and for how long: the RFC 9111 subset a shared cache needs.
// Parses Cache-Control (request and response), Expires, Date and Age; decides storability and
// the freshness lifetime (s-maxage > max-age > Expires - Date > route TTL); computes ages.
// This cache does not revalidate (no conditional requests): `no-cache` responses are not stored.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "cache/cache_key.h"

namespace x0::cache {

// delta-seconds beyond this are clamped to it (RFC 9111 1.2.2).
inline constexpr int64_t kMaxDeltaSeconds = 2147483648;

struct CacheControl {
  bool no_store = false, no_cache = false, is_private = false, is_public = false;
  bool must_revalidate = false, proxy_revalidate = false, only_if_cached = false;
  std::optional<int64_t> max_age, s_maxage, stale_if_error, min_fresh, max_stale;
  bool max_stale_any = false;  // request `max-stale` without a value
  // A freshness directive (max-age, s-maxage) was malformed or given twice with different values:
  // RFC 9111 4.2.1 says treat the response as stale, so nothing is stored.
  bool invalid_freshness = false;
};

// Parses one field value and merges it into cc (call once per Cache-Control line). Directive
// names are case-insensitive; values may be tokens or quoted strings; unknown ones are ignored.
void parse_cache_control(std::string_view value, CacheControl& cc);
// All Cache-Control lines of a header list.
CacheControl cache_control_of(Headers headers);

// HTTP-date (IMF-fixdate, RFC 850, asctime) -> unix seconds; nullopt if unparseable.
std::optional<int64_t> parse_http_date(std::string_view s);
// Non-negative decimal seconds, clamped to kMaxDeltaSeconds; nullopt if not digits.
std::optional<int64_t> parse_delta_seconds(std::string_view s);

// Per-route and global inputs (config: route `enabled`, `ttl_s`, `cache_ignore_cookies`;
// [cache] stale_if_error_s).
struct RouteCacheRules {
  bool enabled = true;
  std::optional<int64_t> ttl_s;    // used only when the origin gives no explicit freshness
  int64_t stale_if_error_s = 300;  // default when the response has no stale-if-error
  // The route's pages do not depend on the request's Cookie, so it is ignored for caching. Off:
  // a request with a Cookie is neither stored nor answered from the cache, because origins
  // personalise on cookies without saying so (no `private`, no `Vary: Cookie`).
  bool ignore_cookies = false;
};

struct RequestFacts {
  std::string_view method;
  Headers headers;
  int64_t sent_at_ms = 0;  // when the request went upstream (RFC 9111 request_time)
};

struct ResponseFacts {
  int status = 0;
  Headers headers;
  int64_t received_at_ms = 0;  // when the response head arrived (RFC 9111 response_time)
};

// Numbers kept with each stored response. Ages are in whole seconds as `Age` is.
struct Freshness {
  int64_t lifetime_s = 0;        // fresh while current_age < lifetime_s
  int64_t initial_age_s = 0;     // corrected_initial_age at the time of storing
  int64_t stale_if_error_s = 0;  // may be served this long past lifetime when upstream fails
};

struct StoreDecision {
  bool store = false;
  std::string_view reason;  // why not (or "ok"): a static string for logs and tests
  Freshness freshness;
  VaryNames vary;
};

// RFC 9111 section 3 (storing) and 4.2 (freshness) for a shared cache, plus two rules of our
// own: a request with a Cookie is not stored (unless rules.ignore_cookies), and a response
// with Set-Cookie is never stored, whatever its Cache-Control (it would replay one user's
// cookie to everyone).
StoreDecision decide_storable(const RequestFacts& req, const ResponseFacts& resp,
                              const RouteCacheRules& rules);

// current_age = initial_age + resident time (RFC 9111 4.2.3), in seconds, never negative.
int64_t current_age_s(const Freshness& f, int64_t stored_at_ms, int64_t now_ms);

// What the request allows: its Cache-Control (no-cache, max-age=0, Pragma: no-cache bypass the
// cache; max-age=N, min-fresh narrow it; no-store forbids storing the response) and its
// credentials. A request with a Cookie (unless route.ignore_cookies) may neither use nor fill
// the cache; one with Authorization may not use it (it may fill it only as decide_storable
// allows, RFC 9111 3.5). may_use_stored = false also keeps the request out of the coalescer.
// Without `route`, cookies are not ignored: the safe side.
struct RequestRules {
  bool may_use_stored = true;
  bool may_store = true;
  std::optional<int64_t> max_age, min_fresh;  // constraints on a stored response's age
};
RequestRules request_rules(Headers request_headers, const RouteCacheRules& route = {});
// Whether a fresh stored response of this age and lifetime satisfies the request's constraints.
bool satisfies(const RequestRules& r, int64_t age_s, int64_t lifetime_s);

}  // namespace x0::cache
