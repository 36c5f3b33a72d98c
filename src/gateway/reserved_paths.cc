// The operator endpoint table (see reserved_paths.h). It runs on every data-plane request, so
// it looks at the first segment before anything else: a path whose first segment is not one of
// the node's eleven costs a few length comparisons.
#include "gateway/reserved_paths.h"

#include <algorithm>
#include <initializer_list>

namespace x0::gateway {
namespace {

using E = OperatorEndpoint;

// Splits "/a/b" into "a" and "/b"; false when path does not start with '/' or the segment is
// empty ("//x", "/" alone), which no endpoint has.
bool take_segment(std::string_view& path, std::string_view& segment) {
  if (path.size() < 2 || path[0] != '/') return false;
  path.remove_prefix(1);
  size_t end = path.find('/');
  segment = path.substr(0, end);
  path.remove_prefix(segment.size());
  return !segment.empty();
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) { return std::all_of(s.begin(), s.end(), is_digit); }

// "INC-20261124-0001": incident::make_incident_id pads the sequence to at least 4 digits; 19
// bounds it to an int64.
bool incident_id_shaped(std::string_view s) {
  if (s.size() < 17 || s.size() > 13 + 19 || !s.starts_with("INC-") || s[12] != '-') return false;
  return all_digits(s.substr(4, 8)) && all_digits(s.substr(13));
}

// config Shape::kServiceName: 1-64 characters of [a-z0-9_-].
bool service_name_shaped(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-';
  });
}

bool one_of(std::string_view s, std::initializer_list<std::string_view> words) {
  return std::find(words.begin(), words.end(), s) != words.end();
}

// rest after "/health": "", "/live", "/ready" or "/startup".
E health(std::string_view rest) {
  if (rest.empty()) return E::kHealth;
  if (rest == "/live") return E::kHealthLive;
  if (rest == "/ready") return E::kHealthReady;
  if (rest == "/startup") return E::kHealthStartup;
  return E::kNone;
}

// rest after "/incidents": "", "/{id}", "/{id}/{verb}".
E incidents(std::string_view rest) {
  if (rest.empty()) return E::kIncidents;
  std::string_view id, verb;
  if (!take_segment(rest, id) || !incident_id_shaped(id)) return E::kNone;
  if (rest.empty()) return E::kIncidents;
  if (!take_segment(rest, verb) || !rest.empty()) return E::kNone;
  return one_of(verb, {"report", "ack", "update", "resolve"}) ? E::kIncidents : E::kNone;
}

// rest after "/releases": "", "/{service}", "/{service}/{verb}".
EndpointMatch releases(std::string_view rest) {
  if (rest.empty()) return {E::kReleases, {}};
  std::string_view service, verb;
  if (!take_segment(rest, service) || !service_name_shaped(service)) return {};
  if (rest.empty()) return {E::kReleases, service};
  if (!take_segment(rest, verb) || !rest.empty()) return {};
  if (!one_of(verb, {"start", "promote", "rollback", "pause", "resume", "abort"})) return {};
  return {E::kReleases, service};
}

}  // namespace

EndpointMatch match_endpoint_shape(std::string_view path) {
  std::string_view first;
  if (!take_segment(path, first)) return {};
  std::string_view rest = path;
  if (first == "metrics") return {rest.empty() ? E::kMetrics : E::kNone, {}};
  if (first == "health") return {health(rest), {}};
  if (first == "api") return {rest == "/v1/status" ? E::kStatus : E::kNone, {}};
  if (first == "security") return {rest == "/pqc/status" ? E::kPqcStatus : E::kNone, {}};
  if (first == "mesh") {
    if (rest == "/peers") return {E::kMeshPeers, {}};
    if (rest == "/status") return {E::kMeshStatus, {}};
    if (rest == "/routes") return {E::kMeshRoutes, {}};
    if (rest == "/ping") return {E::kMeshPing, {}};
    return {};
  }
  if (first == "admin") {
    if (rest == "/data/verify") return {E::kDataVerify, {}};
    if (rest == "/isolate") return {E::kIsolate, {}};
    std::string_view cache, action;
    if (take_segment(rest, cache) && cache == "cache" && take_segment(rest, action) &&
        rest.empty() && one_of(action, {"clear", "verify", "snapshot", "restore", "warm"})) {
      return {E::kCacheAdmin, {}};
    }
    return {};
  }
  if (first == "incidents") return {incidents(rest), {}};
  if (first == "releases") return releases(rest);
  if (first == "status" || first == "status.json")
    return {rest.empty() ? E::kStatusPage : E::kNone, {}};
  if (first == "alerts") return {rest == "/alertmanager" ? E::kAlertmanager : E::kNone, {}};
  return {};
}

}  // namespace x0::gateway
