// Building and querying the route table (see route_table.h).
#include "gateway/route_table.h"

#include <algorithm>
#include <cctype>

namespace x0::gateway {
namespace {

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
                                             const std::string& name, bool fallback) {
  if (previous == nullptr) return nullptr;
  const ServiceState* old = previous->find(service);
  if (old == nullptr) return nullptr;
  for (const auto& e : fallback ? old->fallback : old->primary) {
    if (e->name == name) return e;
  }
  return nullptr;
}

Result<std::shared_ptr<EndpointState>> make_endpoint(const RouteTable* previous,
                                                     const std::string& service,
                                                     const config::Endpoint& endpoint,
                                                     bool fallback) {
  std::string name = endpoint.to_string();
  if (auto kept = find_previous(previous, service, name, fallback)) return kept;
  auto address = net::resolve(endpoint.host, endpoint.port);
  if (!address) return std::unexpected(address.error());
  auto state = std::make_shared<EndpointState>();
  state->name = name;
  state->address = *address;
  state->fallback = fallback;
  return state;
}

}  // namespace

bool ServiceState::has_available_primary(int64_t now_ms) const {
  return std::any_of(primary.begin(), primary.end(),
                     [&](const auto& e) { return e->available(now_ms); });
}

bool ServiceState::has_available_fallback(int64_t now_ms) const {
  return std::any_of(fallback.begin(), fallback.end(),
                     [&](const auto& e) { return e->available(now_ms); });
}

Result<std::shared_ptr<const RouteTable>> RouteTable::build(const config::Config& config,
                                                            const RouteTable* previous,
                                                            uint64_t version) {
  auto table = std::make_shared<RouteTable>();
  table->version_ = version;
  for (const config::Service& svc : config.services) {
    auto state = std::make_shared<ServiceState>();
    state->config = svc;
    state->index = table->services_.size();
    for (const auto& e : svc.endpoints) {
      auto ep = make_endpoint(previous, svc.name, e, false);
      if (!ep) return std::unexpected(ep.error());
      state->primary.push_back(*ep);
    }
    std::vector<config::Endpoint> fallback = svc.fallback;
    if (fallback.empty() && !config.api_gateway.fallback_upstream.empty()) {
      auto hp = config::parse_host_port(config.api_gateway.fallback_upstream);
      if (hp) fallback.push_back(config::Endpoint{hp->first, hp->second});
    }
    for (const auto& e : fallback) {
      auto ep = make_endpoint(previous, svc.name, e, true);
      if (!ep) return std::unexpected(ep.error());
      state->fallback.push_back(*ep);
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
  return std::shared_ptr<const RouteTable>(std::move(table));
}

const ServiceState* RouteTable::route(std::string_view host, std::string_view path) const {
  std::string_view bare = strip_port(host);
  for (const Rule& rule : rules_) {
    if (path.substr(0, rule.prefix.size()) != rule.prefix) continue;
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
