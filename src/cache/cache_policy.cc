// Cache-Control / Expires / Date / Age parsing and the storability and age rules of
// cache_policy.h (RFC 9111 sections 3, 4.2, 5.2; stale-if-error from RFC 5861).
#include "cache/cache_policy.h"

#include <array>
#include <cstring>

#include "common/civil_date.h"

namespace x0::cache {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Sets dst from a directive value; a second, different value marks the freshness invalid.
void set_seconds(std::optional<int64_t>& dst, std::string_view value, bool freshness,
                 CacheControl& cc) {
  std::optional<int64_t> v = parse_delta_seconds(value);
  if (!v) {
    if (freshness) cc.invalid_freshness = true;
    return;
  }
  if (dst && *dst != *v && freshness) cc.invalid_freshness = true;
  if (!dst) dst = v;
}

void apply(std::string_view name, std::string_view value, bool has_value, CacheControl& cc) {
  char buf[24];
  if (name.size() >= sizeof buf) return;
  for (size_t i = 0; i < name.size(); ++i) buf[i] = lower(name[i]);
  std::string_view n(buf, name.size());
  if (n == "no-store")
    cc.no_store = true;
  else if (n == "no-cache")
    cc.no_cache = true;  // qualified form (field names) treated as plain
  else if (n == "private")
    cc.is_private = true;
  else if (n == "public")
    cc.is_public = true;
  else if (n == "must-revalidate")
    cc.must_revalidate = true;
  else if (n == "proxy-revalidate")
    cc.proxy_revalidate = true;
  else if (n == "only-if-cached")
    cc.only_if_cached = true;
  else if (n == "max-age")
    set_seconds(cc.max_age, value, true, cc);
  else if (n == "s-maxage")
    set_seconds(cc.s_maxage, value, true, cc);
  else if (n == "stale-if-error")
    set_seconds(cc.stale_if_error, value, false, cc);
  else if (n == "min-fresh")
    set_seconds(cc.min_fresh, value, false, cc);
  else if (n == "max-stale") {
    if (has_value)
      set_seconds(cc.max_stale, value, false, cc);
    else
      cc.max_stale_any = true;
  }
}

}  // namespace

std::optional<int64_t> parse_delta_seconds(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
    if (v > kMaxDeltaSeconds) v = kMaxDeltaSeconds;
  }
  return v;
}

void parse_cache_control(std::string_view value, CacheControl& cc) {
  size_t i = 0;
  const size_t n = value.size();
  while (i < n) {
    while (i < n && (value[i] == ' ' || value[i] == '\t' || value[i] == ',')) ++i;
    size_t name_start = i;
    while (i < n && value[i] != '=' && value[i] != ',' && value[i] != ' ' && value[i] != '\t') ++i;
    std::string_view name = value.substr(name_start, i - name_start);
    while (i < n && (value[i] == ' ' || value[i] == '\t')) ++i;
    std::string_view arg;
    bool has_value = false;
    if (i < n && value[i] == '=') {
      has_value = true;
      ++i;
      while (i < n && (value[i] == ' ' || value[i] == '\t')) ++i;
      if (i < n && value[i] == '"') {
        size_t start = ++i;
        while (i < n && value[i] != '"') i += (value[i] == '\\' && i + 1 < n) ? 2 : 1;
        arg = value.substr(start, (i < n ? i : n) - start);
        if (i < n) ++i;  // closing quote
      } else {
        size_t start = i;
        while (i < n && value[i] != ',' && value[i] != ' ' && value[i] != '\t') ++i;
        arg = value.substr(start, i - start);
      }
    }
    if (!name.empty()) apply(name, arg, has_value, cc);
    while (i < n && value[i] != ',') ++i;  // skip junk up to the next directive
  }
}

CacheControl cache_control_of(Headers headers) {
  CacheControl cc;
  for (const Header& h : headers)
    if (iequals(h.name, "cache-control")) parse_cache_control(h.value, cc);
  return cc;
}

namespace {

int month_index(std::string_view m) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (size_t i = 0; i < kMonths.size(); ++i)
    if (iequals(m, kMonths[i])) return static_cast<int>(i) + 1;
  return 0;
}

bool digits(std::string_view s, int& out) {
  if (s.empty() || s.size() > 4) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

bool parse_time(std::string_view t, int& h, int& mi, int& s) {
  return t.size() == 8 && t[2] == ':' && t[5] == ':' && digits(t.substr(0, 2), h) &&
         digits(t.substr(3, 2), mi) && digits(t.substr(6, 2), s) && h < 24 && mi < 60 && s <= 60;
}

std::optional<int64_t> make_time(int y, int mo, int d, int h, int mi, int s) {
  if (mo < 1 || d < 1 || d > 31 || y < 1970 || y > 9999) return std::nullopt;
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

}  // namespace

std::optional<int64_t> parse_http_date(std::string_view s) {
  s = trim(s);
  int d = 0, y = 0, h = 0, mi = 0, sec = 0;
  size_t comma = s.find(',');
  if (comma != std::string_view::npos) {
    std::string_view rest = trim(s.substr(comma + 1));
    if (rest.size() == 24 && rest[2] == ' ' && rest[6] == ' ' && rest[11] == ' ' &&
        rest[20] == ' ' && rest.substr(21) == "GMT") {  // IMF-fixdate: "06 Nov 1994 08:49:37 GMT"
      if (!digits(rest.substr(0, 2), d) || !digits(rest.substr(7, 4), y) ||
          !parse_time(rest.substr(12, 8), h, mi, sec))
        return std::nullopt;
      return make_time(y, month_index(rest.substr(3, 3)), d, h, mi, sec);
    }
    if (rest.size() == 22 && rest[2] == '-' && rest[6] == '-' && rest[9] == ' ' &&
        rest[18] == ' ' && rest.substr(19) == "GMT") {  // RFC 850: "06-Nov-94 08:49:37 GMT"
      if (!digits(rest.substr(0, 2), d) || !digits(rest.substr(7, 2), y) ||
          !parse_time(rest.substr(10, 8), h, mi, sec))
        return std::nullopt;
      y += y < 70 ? 2000 : 1900;  // RFC 9110 5.6.7: 50-year window, simplified
      return make_time(y, month_index(rest.substr(3, 3)), d, h, mi, sec);
    }
    return std::nullopt;
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (s.size() != 24 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ')
    return std::nullopt;
  std::string_view day = s.substr(8, 2);
  if (day[0] == ' ') day.remove_prefix(1);
  if (!digits(day, d) || !digits(s.substr(20, 4), y) || !parse_time(s.substr(11, 8), h, mi, sec))
    return std::nullopt;
  return make_time(y, month_index(s.substr(4, 3)), d, h, mi, sec);
}

namespace {

constexpr int kStorableStatus[] = {200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501};

bool has_header(Headers hs, std::string_view name) {
  for (const Header& h : hs)
    if (iequals(h.name, name)) return true;
  return false;
}

// The single value of a header that must appear once; `conflict` if it appears with two values.
std::optional<std::string_view> single_value(Headers hs, std::string_view name, bool& conflict) {
  std::optional<std::string_view> v;
  for (const Header& h : hs) {
    if (!iequals(h.name, name)) continue;
    std::string_view t = trim(h.value);
    if (v && *v != t) conflict = true;
    if (!v) v = t;
  }
  return v;
}

StoreDecision no(std::string_view why) {
  StoreDecision d;
  d.reason = why;
  return d;
}

}  // namespace

StoreDecision decide_storable(const RequestFacts& req, const ResponseFacts& resp,
                              const RouteCacheRules& rules) {
  if (!rules.enabled) return no("route_disabled");
  if (req.method != "GET" && req.method != "HEAD") return no("method");
  const CacheControl qcc = cache_control_of(req.headers);
  if (qcc.no_store) return no("request_no_store");
  if (!rules.ignore_cookies && has_header(req.headers, "cookie")) return no("cookie");
  const CacheControl cc = cache_control_of(resp.headers);
  if (cc.no_store) return no("no_store");
  if (cc.is_private) return no("private");
  if (cc.no_cache) return no("no_cache");  // would need revalidation, which we do not do
  StoreDecision d;
  d.vary = parse_vary(resp.headers);
  if (d.vary.star) return no("vary_star");
  bool status_ok = false;
  for (int s : kStorableStatus) status_ok |= s == resp.status;
  if (!status_ok) return no("status");
  if (has_header(req.headers, "authorization") && !cc.is_public && !cc.s_maxage)
    return no("authorization");
  // Not even with `public`: a shared entry would hand this cookie to every later client.
  // (Varnish strips Set-Cookie and stores the rest in some cases; refusing is simpler and safe.)
  if (has_header(resp.headers, "set-cookie")) return no("set_cookie");
  if (cc.invalid_freshness) return no("invalid_freshness");

  bool conflict = false;
  const auto date_text = single_value(resp.headers, "date", conflict);
  const auto expires_text = single_value(resp.headers, "expires", conflict);
  const auto age_text = single_value(resp.headers, "age", conflict);
  if (conflict) return no("conflicting_headers");
  const int64_t response_s = resp.received_at_ms / 1000;
  // Plain values (not optional) also keep g++ 12's -Wmaybe-uninitialized quiet.
  const std::optional<int64_t> parsed_date = date_text ? parse_http_date(*date_text) : std::nullopt;
  const bool has_date = parsed_date.has_value();
  const int64_t date_s = parsed_date.value_or(response_s);

  int64_t lifetime = 0;
  if (cc.s_maxage) {
    lifetime = *cc.s_maxage;
  } else if (cc.max_age) {
    lifetime = *cc.max_age;
  } else if (expires_text) {
    std::optional<int64_t> exp = parse_http_date(*expires_text);
    lifetime = exp ? *exp - date_s : 0;  // invalid Expires = already expired
  } else if (rules.ttl_s) {
    lifetime = *rules.ttl_s;
  } else {
    return no("no_freshness");
  }
  if (lifetime <= 0) return no("zero_lifetime");

  // RFC 9111 4.2.3.
  const int64_t age_value = age_text ? parse_delta_seconds(*age_text).value_or(0) : 0;
  const int64_t apparent = has_date ? std::max<int64_t>(0, response_s - date_s) : 0;
  const int64_t delay_s = std::max<int64_t>(0, resp.received_at_ms - req.sent_at_ms) / 1000;
  d.freshness.lifetime_s = lifetime;
  d.freshness.initial_age_s = std::max(apparent, age_value + delay_s);
  if (cc.must_revalidate || cc.proxy_revalidate) {
    d.freshness.stale_if_error_s = 0;
  } else if (cc.stale_if_error) {
    d.freshness.stale_if_error_s = *cc.stale_if_error;
  } else {
    d.freshness.stale_if_error_s = cc.s_maxage ? 0 : std::max<int64_t>(0, rules.stale_if_error_s);
  }
  d.store = true;
  d.reason = "ok";
  return d;
}

int64_t current_age_s(const Freshness& f, int64_t stored_at_ms, int64_t now_ms) {
  const int64_t resident_ms = std::max<int64_t>(0, now_ms - stored_at_ms);
  return f.initial_age_s + resident_ms / 1000;
}

RequestRules request_rules(Headers request_headers, const RouteCacheRules& route) {
  RequestRules r;
  if (!route.ignore_cookies && has_header(request_headers, "cookie")) {
    r.may_use_stored = false;  // a stored page (or a coalesced fetch) may be another user's
    r.may_store = false;
  }
  // Stored entries come from other clients; an authorised request gets its own answer.
  if (has_header(request_headers, "authorization")) r.may_use_stored = false;
  bool has_cc = false;
  for (const Header& h : request_headers) has_cc |= iequals(h.name, "cache-control");
  const CacheControl cc = cache_control_of(request_headers);
  if (cc.no_store) r.may_store = false;
  if (cc.no_cache || (cc.max_age && *cc.max_age == 0)) r.may_use_stored = false;
  if (!has_cc) {
    for (const Header& h : request_headers)
      if (iequals(h.name, "pragma") && trim(h.value).find("no-cache") != std::string_view::npos)
        r.may_use_stored = false;  // RFC 9111 5.4: only when there is no Cache-Control
  }
  r.max_age = cc.max_age;
  r.min_fresh = cc.min_fresh;
  return r;
}

bool satisfies(const RequestRules& r, int64_t age_s, int64_t lifetime_s) {
  if (!r.may_use_stored) return false;
  if (r.max_age && age_s > *r.max_age) return false;
  if (r.min_fresh && lifetime_s - age_s < *r.min_fresh) return false;
  return true;
}

}  // namespace x0::cache
