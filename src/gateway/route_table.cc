// Building and querying the route table (see route_table.h).
#include "gateway/route_table.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "net/resolver.h"

namespace x0::gateway {
namespace {

// The cache rules of one route: the service may turn the cache off, set its own TTL (used
// only when the origin gives no freshness) or declare that its pages ignore cookies; [cache]
// gives the defaults.
cache::RouteCacheRules cache_rules(const config::Cache& global, const config::Service& svc) {
  cache::RouteCacheRules rules;
  rules.enabled = global.enabled && svc.cache_enabled;
  if (svc.cache_ttl_s > 0)
    rules.ttl_s = svc.cache_ttl_s;
  else if (global.default_ttl_s > 0)
    rules.ttl_s = global.default_ttl_s;
  rules.stale_if_error_s = global.stale_if_error_s;
  rules.ignore_cookies = svc.cache_ignore_cookies;
  return rules;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view strip_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  size_t colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

bool prefix_matches(std::string_view prefix, std::string_view path) {
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || prefix.back() == '/' || path[prefix.size()] == '/';
}

bool host_matches(const std::string& pattern, std::string_view host) {
  if (pattern.empty()) return true;
  auto eq = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
    }
    return true;
  };
  if (pattern[0] == '*') {  // "*.example.com" matches "a.example.com", not "example.com"
    std::string_view suffix = std::string_view(pattern).substr(1);
    return host.size() > suffix.size() && eq(host.substr(host.size() - suffix.size()), suffix);
  }
  return eq(host, pattern);
}

std::shared_ptr<EndpointState> find_previous(const RouteTable* previous, const std::string& service,
                                             const std::string& name, EndpointRole role) {
  if (previous == nullptr) return nullptr;
  const ServiceState* old = previous->find(service);
  if (old == nullptr) return nullptr;
  for (const auto& e : old->set(role)) {
    if (e->name == name) return e;
  }
  return nullptr;
}

Result<net::SocketAddress> address_of(const config::Endpoint& endpoint,
                                      const RouteTable::AddressLookup& lookup) {
  if (auto literal = net::numeric_address(endpoint.host, endpoint.port)) return *literal;
  return lookup ? lookup(endpoint) : net::resolve(endpoint.host, endpoint.port);
}

// TLS transports a build gives its endpoints once the whole build succeeded: a carried-over
// endpoint is shared with the running table, which must keep its settings if the build fails.
using PendingTransports = std::vector<
    std::pair<std::shared_ptr<EndpointState>, std::shared_ptr<net::ClientTransportFactory>>>;

Result<std::vector<std::shared_ptr<EndpointState>>> make_endpoints(
    const RouteTable* previous, const config::Service& service,
    const std::vector<config::Endpoint>& endpoints, EndpointRole role,
    const RouteTable::AddressLookup& lookup, const RouteTable::UpstreamTls& upstream_tls,
    PendingTransports& pending) {
  std::vector<std::shared_ptr<EndpointState>> out;
  for (const config::Endpoint& endpoint : endpoints) {
    std::string name = endpoint.to_string();
    std::shared_ptr<EndpointState> state = find_previous(previous, service.name, name, role);
    if (!state) {
      auto address = address_of(endpoint, lookup);
      if (!address) return std::unexpected(address.error());
      state = std::make_shared<EndpointState>();
      state->name = name;
      state->authority = endpoint.authority();
      state->address = *address;
      state->role = role;
      state->fallback = role == EndpointRole::kFallback;
    }
    if (endpoint.tls) {
      if (!upstream_tls)
        return fail(Errc::kUnsupported, name + ": no upstream TLS in this route build");
      auto transports = upstream_tls(service, endpoint);
      if (!transports) return std::unexpected(transports.error());
      pending.emplace_back(state, *std::move(transports));
    }
    out.push_back(std::move(state));
  }
  return out;
}

// Calls fn(service, endpoints, role) for every endpoint set a build makes, in build order.
template <class Fn>
void for_each_set(const config::Config& config, const TrafficSplits& splits, Fn&& fn) {
  for (const config::Service& svc : config.services) {
    fn(svc.name, svc.endpoints, EndpointRole::kStable);
    fn(svc.name, svc.fallback, EndpointRole::kFallback);
    if (auto split = splits.find(svc.name); split != splits.end())
      fn(svc.name, split->second.candidate, EndpointRole::kCandidate);
  }
}

}  // namespace

bool ServiceState::has_available_primary(int64_t now_ms) const {
  return std::any_of(active().begin(), active().end(),
                     [&](const auto& e) { return e->available(now_ms); });
}

size_t ServiceState::available_in_active(int64_t now_ms) const {
  return static_cast<size_t>(std::count_if(active().begin(), active().end(),
                                           [&](const auto& e) { return e->available(now_ms); }));
}

bool ServiceState::has_available_fallback(int64_t now_ms) const {
  return std::any_of(fallback.begin(), fallback.end(),
                     [&](const auto& e) { return e->available(now_ms); });
}

Result<std::shared_ptr<const RouteTable>> RouteTable::build(
    const config::Config& config, const TrafficSplits& splits, const RouteTable* previous,
    uint64_t version, const AddressLookup& lookup, const UpstreamTls& upstream_tls) {
  auto table = std::make_shared<RouteTable>();
  table->version_ = version;
  auto trusted = AddressRanges::parse(config.api_gateway.trusted_proxies);
  if (!trusted) return std::unexpected(trusted.error());
  table->policy_.trusted_proxies = std::move(*trusted);
  table->policy_.path.allow_encoded_slash = config.api_gateway.allow_encoded_slash;
  table->policy_.path.allow_backslash = config.api_gateway.allow_backslash;
  table->policy_.allow_trace = config.api_gateway.allow_trace;
  table->policy_.status_page = config.status.enabled;
  PendingTransports pending;
  for (const config::Service& svc : config.services) {
    auto state = std::make_shared<ServiceState>();
    state->config = svc;
    state->index = table->services_.size();
    state->cache_rules = cache_rules(config.cache, svc);
    state->jwt = make_jwt_route(config, svc);
    if (!state->jwt && svc.jwt.value_or(config.security.enable_jwt_validation))
      return fail(Errc::kConfigInvalid, svc.name + ": JWT validation is on but no provider "
                                                   "applies");  // fail closed, never open
    state->rate_limit = rate_limit_rule(config.security, svc);
    auto primary = make_endpoints(previous, svc, svc.endpoints, EndpointRole::kStable, lookup,
                                  upstream_tls, pending);
    if (!primary) return std::unexpected(primary.error());
    state->primary = std::move(*primary);
    // fallback_upstream (legacy) was already folded into every service's fallback at load.
    auto fallback = make_endpoints(previous, svc, svc.fallback, EndpointRole::kFallback, lookup,
                                   upstream_tls, pending);
    if (!fallback) return std::unexpected(fallback.error());
    state->fallback = std::move(*fallback);
    if (auto split = splits.find(svc.name); split != splits.end()) {
      auto candidate = make_endpoints(previous, svc, split->second.candidate,
                                      EndpointRole::kCandidate, lookup, upstream_tls, pending);
      if (!candidate) return std::unexpected(candidate.error());
      state->candidate = std::move(*candidate);
      state->split = split->second;
      state->in_release = !state->candidate.empty();
    }
    state->stats = &stats_for(svc.name);
    table->services_.push_back(state);
  }
  for (const auto& svc : table->services_) {
    std::vector<std::string> hosts = svc->config.hosts;
    if (hosts.empty()) hosts.push_back("");
    for (const auto& host : hosts) {
      for (const auto& prefix : svc->config.path_prefixes) {
        int rank = host.empty() ? 0 : (host[0] == '*' ? 1 : 2);
        table->rules_.push_back(Rule{lower(host), prefix, svc.get(), rank});
      }
    }
  }
  // Most specific first: exact host, then wildcard, then any; longer prefix first within a rank.
  std::stable_sort(table->rules_.begin(), table->rules_.end(), [](const Rule& a, const Rule& b) {
    if (a.host_rank != b.host_rank) return a.host_rank > b.host_rank;
    return a.prefix.size() > b.prefix.size();
  });
  for (auto& [endpoint, transports] : pending) endpoint->transports.store(std::move(transports));
  return std::shared_ptr<const RouteTable>(std::move(table));
}

std::vector<config::Endpoint> RouteTable::names_to_resolve(const config::Config& config,
                                                           const TrafficSplits& splits,
                                                           const RouteTable* previous) {
  std::vector<config::Endpoint> out;
  std::set<std::string> seen;
  for_each_set(config, splits,
               [&](const std::string& service, const std::vector<config::Endpoint>& endpoints,
                   EndpointRole role) {
                 for (const config::Endpoint& endpoint : endpoints) {
                   if (net::numeric_address(endpoint.host, endpoint.port)) continue;
                   std::string name = endpoint.to_string();
                   if (find_previous(previous, service, name, role)) continue;
                   if (seen.insert(name).second) out.push_back(endpoint);
                 }
               });
  return out;
}

const ServiceState* RouteTable::route(std::string_view host, std::string_view path) const {
  std::string_view bare = strip_port(host);
  for (const Rule& rule : rules_) {
    if (!prefix_matches(rule.prefix, path)) continue;
    if (!host_matches(rule.host, bare)) continue;
    return rule.service;
  }
  return nullptr;
}

const ServiceState* RouteTable::find(std::string_view name) const {
  for (const auto& s : services_) {
    if (s->config.name == name) return s.get();
  }
  return nullptr;
}

void RouteTablePublisher::publish(std::shared_ptr<const RouteTable> table) {
  table_.store(std::move(table));
  version_.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace x0::gateway
