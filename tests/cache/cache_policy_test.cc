// Cache-Control parsing, HTTP dates, and the storability / freshness table (RFC 9111 subset).
#include "cache/cache_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace x0::cache {
namespace {

TEST(CacheControl, TokensQuotedCaseAndDuplicates) {
  CacheControl cc;
  parse_cache_control(R"(Public, MAX-AGE="30", no-cache="Set-Cookie, X", s-maxage=10 , foo=bar)",
                      cc);
  EXPECT_TRUE(cc.is_public);
  EXPECT_TRUE(cc.no_cache);
  EXPECT_EQ(cc.max_age, 30);
  EXPECT_EQ(cc.s_maxage, 10);
  EXPECT_FALSE(cc.invalid_freshness);
  parse_cache_control("max-age=30", cc);  // same value again: fine
  EXPECT_FALSE(cc.invalid_freshness);
  parse_cache_control("max-age=31", cc);  // conflicting: treated as stale
  EXPECT_TRUE(cc.invalid_freshness);

  CacheControl bad;
  parse_cache_control("max-age=abc", bad);
  EXPECT_TRUE(bad.invalid_freshness);
  CacheControl huge;
  parse_cache_control("max-age=99999999999999999999, stale-if-error=5", huge);
  EXPECT_EQ(huge.max_age, kMaxDeltaSeconds);
  EXPECT_EQ(huge.stale_if_error, 5);
  CacheControl unterminated;
  parse_cache_control("private=\"abc, max-age=5", unterminated);
  EXPECT_TRUE(unterminated.is_private);
  EXPECT_FALSE(unterminated.max_age);  // swallowed by the open quote
}

TEST(HttpDate, ThreeFormats) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), 784111777);
  EXPECT_FALSE(parse_http_date("0"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Xyz 1994 08:49:37 GMT"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"));
}

constexpr int64_t kT = 784111777;  // "Sun, 06 Nov 1994 08:49:37 GMT"
constexpr const char* kDate = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr const char* kDatePlus100 = "Sun, 06 Nov 1994 08:51:17 GMT";

struct Case {
  const char* name;
  const char* method;
  std::vector<Header> req;
  int status;
  std::vector<Header> resp;
  RouteCacheRules rules;
  bool store;
  const char* reason;
  int64_t lifetime;
  int64_t stale_if_error = -1;  // -1: not checked
};

RouteCacheRules route(std::optional<int64_t> ttl = std::nullopt, bool enabled = true) {
  RouteCacheRules r;
  r.enabled = enabled;
  r.ttl_s = ttl;
  return r;
}

RouteCacheRules ignoring_cookies(std::optional<int64_t> ttl) {
  RouteCacheRules r = route(ttl);
  r.ignore_cookies = true;
  return r;
}

TEST(DecideStorable, Table) {
  const std::vector<Case> cases = {
      {"max-age", "GET", {}, 200, {{"Cache-Control", "max-age=60"}}, route(), true, "ok", 60, 300},
      {"s-maxage wins",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=60, s-maxage=5"}},
       route(),
       true,
       "ok",
       5,
       0},
      {"max-age beats Expires",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=7"}, {"Date", kDate}, {"Expires", kDatePlus100}},
       route(),
       true,
       "ok",
       7},
      {"Expires - Date",
       "GET",
       {},
       200,
       {{"Date", kDate}, {"Expires", kDatePlus100}},
       route(99),
       true,
       "ok",
       100},
      {"invalid Expires is expired",
       "GET",
       {},
       200,
       {{"Date", kDate}, {"Expires", "0"}},
       route(99),
       false,
       "zero_lifetime",
       0},
      {"route ttl when nothing explicit", "GET", {}, 200, {}, route(45), true, "ok", 45},
      {"no freshness, no ttl", "GET", {}, 200, {}, route(), false, "no_freshness", 0},
      {"route disabled",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=60"}},
       route(60, false),
       false,
       "route_disabled",
       0},
      {"POST", "POST", {}, 200, {{"Cache-Control", "max-age=60"}}, route(), false, "method", 0},
      {"HEAD ok", "HEAD", {}, 200, {{"Cache-Control", "max-age=60"}}, route(), true, "ok", 60},
      {"no-store",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=60, No-Store"}},
       route(),
       false,
       "no_store",
       0},
      {"private",
       "GET",
       {},
       200,
       {{"Cache-Control", "private, max-age=60"}},
       route(),
       false,
       "private",
       0},
      {"no-cache (no revalidation)",
       "GET",
       {},
       200,
       {{"Cache-Control", "no-cache"}},
       route(60),
       false,
       "no_cache",
       0},
      {"request no-store",
       "GET",
       {{"Cache-Control", "no-store"}},
       200,
       {{"Cache-Control", "max-age=60"}},
       route(),
       false,
       "request_no_store",
       0},
      {"Vary *",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=60"}, {"Vary", "*"}},
       route(),
       false,
       "vary_star",
       0},
      {"status 302",
       "GET",
       {},
       302,
       {{"Cache-Control", "max-age=60"}},
       route(),
       false,
       "status",
       0},
      {"status 404 with ttl", "GET", {}, 404, {}, route(10), true, "ok", 10},
      {"status 500", "GET", {}, 500, {}, route(10), false, "status", 0},
      {"Authorization without public",
       "GET",
       {{"Authorization", "Bearer x"}},
       200,
       {{"Cache-Control", "max-age=60"}},
       route(),
       false,
       "authorization",
       0},
      {"Authorization with public",
       "GET",
       {{"authorization", "Bearer x"}},
       200,
       {{"Cache-Control", "public, max-age=60"}},
       route(),
       true,
       "ok",
       60},
      {"Authorization with s-maxage",
       "GET",
       {{"Authorization", "Bearer x"}},
       200,
       {{"Cache-Control", "s-maxage=9"}},
       route(),
       true,
       "ok",
       9},
      {"Set-Cookie",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=60"}, {"Set-Cookie", "a=b"}},
       route(),
       false,
       "set_cookie",
       0},
      {"Set-Cookie public",
       "GET",
       {},
       200,
       {{"Cache-Control", "public, max-age=60"}, {"Set-Cookie", "a=b"}},
       route(),
       false,
       "set_cookie",
       0},
      {"Set-Cookie s-maxage",
       "GET",
       {},
       200,
       {{"Cache-Control", "s-maxage=60"}, {"set-cookie", "a=b"}},
       route(),
       false,
       "set_cookie",
       0},
      {"Set-Cookie with route ttl", "GET", {}, 200, {{"Set-Cookie", "a=b"}}, route(60), false,
       "set_cookie", 0},
      {"Set-Cookie on a route ignoring cookies",
       "GET",
       {},
       200,
       {{"Cache-Control", "public, max-age=60"}, {"Set-Cookie", "a=b"}},
       ignoring_cookies(60),
       false,
       "set_cookie",
       0},
      {"Cookie with route ttl", "GET", {{"Cookie", "session=alice"}}, 200, {}, route(60), false,
       "cookie", 0},
      {"Cookie with public",
       "GET",
       {{"cookie", "session=alice"}},
       200,
       {{"Cache-Control", "public, max-age=60"}},
       route(),
       false,
       "cookie",
       0},
      {"Cookie on a route ignoring cookies", "GET", {{"Cookie", "session=alice"}}, 200, {},
       ignoring_cookies(60), true, "ok", 60},
      {"Authorization with route ttl", "GET", {{"Authorization", "Bearer x"}}, 200, {}, route(60),
       false, "authorization", 0},
      {"conflicting max-age",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=60"}, {"Cache-Control", "max-age=5"}},
       route(),
       false,
       "invalid_freshness",
       0},
      {"two Expires",
       "GET",
       {},
       200,
       {{"Expires", kDate}, {"Expires", kDatePlus100}},
       route(),
       false,
       "conflicting_headers",
       0},
      {"max-age=0",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=0"}},
       route(60),
       false,
       "zero_lifetime",
       0},
      {"must-revalidate: no stale",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=60, must-revalidate, stale-if-error=99"}},
       route(),
       true,
       "ok",
       60,
       0},
      {"stale-if-error directive",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=60, stale-if-error=99"}},
       route(),
       true,
       "ok",
       60,
       99},
  };
  for (const Case& c : cases) {
    RequestFacts req{c.method, c.req, kT * 1000};
    ResponseFacts resp{c.status, c.resp, kT * 1000};
    StoreDecision d = decide_storable(req, resp, c.rules);
    EXPECT_EQ(d.store, c.store) << c.name;
    EXPECT_EQ(d.reason, c.reason) << c.name;
    if (c.store) {
      EXPECT_EQ(d.freshness.lifetime_s, c.lifetime) << c.name;
    }
    if (c.stale_if_error >= 0) {
      EXPECT_EQ(d.freshness.stale_if_error_s, c.stale_if_error) << c.name;
    }
  }
}

TEST(DecideStorable, InitialAgeFromAgeDateAndDelay) {
  // Age 10, and the response took 3 s: corrected age value 13.
  std::vector<Header> resp = {{"Cache-Control", "max-age=60"}, {"Age", "10"}};
  StoreDecision d = decide_storable({"GET", {}, 1000'000}, {200, resp, 1003'000}, route());
  ASSERT_TRUE(d.store);
  EXPECT_EQ(d.freshness.initial_age_s, 13);
  // Date 20 s in the past with no Age: apparent age 20.
  std::vector<Header> dated = {{"Cache-Control", "max-age=60"}, {"Date", kDate}};
  d = decide_storable({"GET", {}, (kT + 20) * 1000}, {200, dated, (kT + 20) * 1000}, route());
  EXPECT_EQ(d.freshness.initial_age_s, 20);
  // current age grows with resident time, in whole seconds.
  EXPECT_EQ(current_age_s(d.freshness, 5'000, 5'000), 20);
  EXPECT_EQ(current_age_s(d.freshness, 5'000, 7'999), 22);
}

TEST(RequestRules, BypassAndConstraints) {
  std::vector<Header> nc = {{"Cache-Control", "no-cache"}};
  EXPECT_FALSE(request_rules(nc).may_use_stored);
  std::vector<Header> ma0 = {{"cache-control", "max-age=0"}};
  EXPECT_FALSE(request_rules(ma0).may_use_stored);
  std::vector<Header> pragma = {{"Pragma", "no-cache"}};
  EXPECT_FALSE(request_rules(pragma).may_use_stored);
  std::vector<Header> ns = {{"Cache-Control", "no-store"}};
  EXPECT_FALSE(request_rules(ns).may_store);
  std::vector<Header> ma = {{"Cache-Control", "max-age=10, min-fresh=5"}};
  RequestRules r = request_rules(ma);
  EXPECT_TRUE(satisfies(r, 4, 60));
  EXPECT_FALSE(satisfies(r, 11, 60));  // too old for this client
  EXPECT_FALSE(satisfies(r, 8, 12));   // not fresh for 5 more seconds
  EXPECT_TRUE(satisfies(request_rules({}), 59, 60));
}

// A Cookie keeps the request away from stored entries and in-flight fetches (may_use_stored
// also decides coalescing) and from storing, unless the route ignores cookies.
TEST(RequestRules, CookieNeitherUsesNorFillsTheCache) {
  std::vector<Header> alice = {{"Cookie", "session=alice"}};
  for (const RequestRules& r : {request_rules(alice), request_rules(alice, route(60))}) {
    EXPECT_FALSE(r.may_use_stored);
    EXPECT_FALSE(r.may_store);
    EXPECT_FALSE(satisfies(r, 0, 60));
  }
  std::vector<Header> lower = {{"cookie", ""}};  // present, even empty
  EXPECT_FALSE(request_rules(lower).may_use_stored);

  RequestRules ignored = request_rules(alice, ignoring_cookies(60));
  EXPECT_TRUE(ignored.may_use_stored);
  EXPECT_TRUE(ignored.may_store);
  // Ignoring cookies does not override the request's own Cache-Control.
  std::vector<Header> no_store = {{"Cookie", "a=b"}, {"Cache-Control", "no-store"}};
  EXPECT_FALSE(request_rules(no_store, ignoring_cookies(60)).may_store);
}

TEST(RequestRules, AuthorizationIsNotAnsweredFromTheCache) {
  std::vector<Header> auth = {{"Authorization", "Bearer x"}};
  for (const RequestRules& r : {request_rules(auth), request_rules(auth, ignoring_cookies(60))}) {
    EXPECT_FALSE(r.may_use_stored);
    EXPECT_TRUE(r.may_store);  // decide_storable applies RFC 9111 3.5 to the response
  }
}

}  // namespace
}  // namespace x0::cache
