// The load steps after TOML: environment overrides, resolution of derived defaults and legacy
// keys, and the checks that span several keys. Messages keep the "where: [section] key: what"
// shape, where "where" is file:line or the X0TTA6BL4_* variable that set the value.
#include "config/pipeline.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <map>

#include "config/fields.h"

namespace x0::config::detail {

std::string Origins::locate(const std::string& path) const {
  auto it = where.find(path);
  return it == where.end() ? name : it->second;
}

std::string problem(const std::string& loc, std::string_view label, std::string_view key,
                    std::string_view message) {
  std::string out = loc + ": [" + std::string(label) + "]";
  if (!key.empty()) out += " " + std::string(key);
  return out + ": " + std::string(message);
}

std::string closest(std::string_view key, const std::vector<std::string_view>& known) {
  auto distance = [](std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diag = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diag = up;
      }
    }
    return row[b.size()];
  };
  if (key.size() > 64) return "";
  std::string best;
  size_t best_d = 3;  // suggest only within two edits
  for (std::string_view k : known) {
    size_t d = distance(key, k);
    if (d < best_d) best_d = d, best = std::string(k);
  }
  return best;
}

void read_env(const std::vector<std::pair<std::string, std::string>>& env, Config& cfg, Origins& o,
              Problems& out) {
  constexpr std::string_view kPrefix = "X0TTA6BL4_";
  std::map<std::string, std::pair<std::string_view, Field>> by_name;
  for (std::string_view section : section_names())
    for (const Field& f : section_fields(cfg, section))
      by_name.emplace(env_name(section, f.key), std::pair{section, f});
  for (const auto& [name, value] : env) {
    if (!name.starts_with(kPrefix)) continue;
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      out.push_back(name + ": unknown variable (no such configuration key; see docs/CONFIG.md)");
      continue;
    }
    const auto& [section, field] = it->second;
    o.where[std::string(section) + "." + std::string(field.key)] = name;
    if (auto bad = set_from_text(field, value))
      out.push_back(problem(name, section, field.key, *bad));
  }
}

namespace {

std::string hostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

// Replaces the port of a "host:port" listener; leaves it alone if it does not parse.
void replace_port(std::string& listener, uint16_t port) {
  auto hp = parse_host_port(listener);
  if (hp) listener = Endpoint{hp->first, port}.to_string();
}

}  // namespace

void resolve(Config& cfg) {
  if (cfg.node.id.empty()) cfg.node.id = hostname();
  if (cfg.mesh.node_id.empty()) cfg.mesh.node_id = cfg.node.id;
  if (cfg.mesh.advertise_address.empty()) cfg.mesh.advertise_address = cfg.listeners.mesh;
  // Files in the data dir when not configured elsewhere.
  std::string dir = cfg.node.data_dir.empty() ? "." : cfg.node.data_dir;
  if (!dir.ends_with('/')) dir += '/';
  if (cfg.incidents.store.empty()) cfg.incidents.store = dir + "incidents.db";
  if (cfg.node.takeover_socket.empty()) cfg.node.takeover_socket = dir + "takeover.sock";
  // The snapshot directory; the cache code can then always use backing_file as it is.
  if (cfg.cache.backing_file.empty())
    cfg.cache.backing_file = cfg.node.data_dir.empty() ? "." : cfg.node.data_dir;
  if (cfg.api_gateway.port != 0) replace_port(cfg.listeners.data, cfg.api_gateway.port);
  if (cfg.performance_monitor.prometheus_port != PerformanceMonitor{}.prometheus_port)
    replace_port(cfg.listeners.metrics, cfg.performance_monitor.prometheus_port);
  if (!cfg.api_gateway.fallback_upstream.empty()) {
    auto hp = parse_host_port(cfg.api_gateway.fallback_upstream);
    if (hp)
      for (Service& s : cfg.services)
        if (s.fallback.empty()) s.fallback.push_back(Endpoint{hp->first, hp->second});
  }
}

// Mesh addresses travel in gossip, where only IP literals are taken (a name would need a lookup
// on the mesh thread): seeds and the advertised address are "ip:port", and the advertised one
// must be an address peers can reach, not the wildcard.
void validate_mesh(const Config& cfg, const Origins& o, Problems& out) {
  if (!cfg.mesh.enabled) return;
  auto numeric = [](const std::string& hp) {
    auto parsed = parse_host_port(hp);
    if (!parsed) return false;
    in6_addr six{};
    in_addr four{};
    std::string host = parsed->first;
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    return inet_pton(AF_INET, host.c_str(), &four) == 1 ||
           inet_pton(AF_INET6, host.c_str(), &six) == 1;
  };
  const std::string& adv = cfg.mesh.advertise_address;
  if (!numeric(adv) || adv.starts_with("0.0.0.0:") || adv.starts_with("[::]:"))
    out.push_back(problem(o.locate("mesh.advertise_address"), "mesh", "advertise_address",
                          "\"" + adv +
                              "\" must be the IP address and port peers reach this node at"
                              " (set it when listeners.mesh binds a wildcard address)"));
  for (const std::string& peer : cfg.mesh.peers)
    if (!numeric(peer))
      out.push_back(problem(o.locate("mesh.peers"), "mesh", "peers",
                            "\"" + peer + "\": an IP address and port (ip:port) is needed"));
}

// What the HTTPS listener needs; the files themselves are read when the TLS context is built.
void validate_tls(const Config& cfg, const Origins& o, Problems& out) {
  const Tls& t = cfg.tls;
  if (!cfg.listeners.https.empty()) {
    if (t.cert_file.empty())
      out.push_back(problem(o.locate("tls.cert_file"), "tls", "cert_file",
                            "required when listeners.https is set"));
    if (t.key_file.empty())
      out.push_back(problem(o.locate("tls.key_file"), "tls", "key_file",
                            "required when listeners.https is set"));
  }
  if (t.groups.empty())
    out.push_back(
        problem(o.locate("tls.groups"), "tls", "groups", "at least one group is required"));
  for (const std::string& g : t.groups) {
    static const char* const kKnown[] = {"X25519MLKEM768", "X25519", "X448",
                                         "P-256",          "P-384",  "P-521"};
    if (std::find(std::begin(kKnown), std::end(kKnown), g) == std::end(kKnown))
      out.push_back(problem(o.locate("tls.groups"), "tls", "groups",
                            "unknown group \"" + g +
                                "\" (one of X25519MLKEM768, X25519, X448, P-256, P-384, P-521)"));
  }
  if (t.min_version != "1.3" && t.min_version != "1.2")
    out.push_back(problem(o.locate("tls.min_version"), "tls", "min_version",
                          "expected \"1.3\" or \"1.2\", got \"" + t.min_version + "\""));
}

void validate(const Config& cfg, const Origins& o, Problems& out) {
  std::map<std::string, size_t> names;
  for (size_t i = 0; i < cfg.services.size(); ++i) {
    const Service& s = cfg.services[i];
    std::string at = "services." + std::to_string(i);
    std::string label =
        s.name.empty() ? "services[" + std::to_string(i) + "]" : "services." + s.name;
    if (s.name.empty()) out.push_back(problem(o.locate(at), label, "name", "required key missing"));
    auto [it, fresh] = names.emplace(s.name, i);
    if (!fresh && !s.name.empty())
      out.push_back(problem(o.locate(at + ".name"), label, "name",
                            "duplicate service name (also at " +
                                o.locate("services." + std::to_string(it->second) + ".name") +
                                ")"));
    if (s.endpoints.empty()) {
      std::string loc =
          o.where.contains(at + ".endpoints") ? o.locate(at + ".endpoints") : o.locate(at);
      out.push_back(problem(loc, label, "endpoints", "at least one endpoint is required"));
    }
    if (s.path_prefixes.empty())
      out.push_back(problem(o.locate(at + ".path_prefixes"), label, "path_prefixes",
                            "at least one prefix is required (\"/\" matches everything)"));
    if (s.rate_limit_requests_per_second == 0 && s.rate_limit_burst > 0)
      out.push_back(problem(o.locate(at + ".rate_limit_burst"), label, "rate_limit_burst",
                            "set on a route whose rate_limit_requests_per_second = 0 (off)"));
  }
  // A body the parser allows must fit in the budget of buffered bodies, or it can never be
  // taken and its client is told to retry forever.
  if (cfg.api_gateway.memory_pool_size < cfg.api_gateway.max_body_bytes) {
    out.push_back(problem(o.locate("api_gateway.memory_pool_size"), "api_gateway",
                          "memory_pool_size",
                          "must be at least max_body_bytes (" +
                              std::to_string(cfg.api_gateway.max_body_bytes) + ")"));
  }
  validate_tls(cfg, o, out);
  validate_mesh(cfg, o, out);
  // Two listeners on one address would fail at bind time; say so now, with the key.
  const std::pair<std::string_view, const std::string*> listeners[] = {
      {"data", &cfg.listeners.data},
      {"health", &cfg.listeners.health},
      {"metrics", &cfg.listeners.metrics},
      {"mesh", &cfg.listeners.mesh},
      {"operator", &cfg.listeners.operator_api},  // "" (no listener of its own) is no address
      {"https", &cfg.listeners.https}};
  for (size_t i = 0; i < std::size(listeners); ++i)
    for (size_t j = 0; j < i; ++j)
      if (!listeners[i].second->empty() && *listeners[i].second == *listeners[j].second)
        out.push_back(problem(o.locate("listeners." + std::string(listeners[i].first)), "listeners",
                              listeners[i].first,
                              "same address as listeners." + std::string(listeners[j].first) +
                                  " (" + *listeners[i].second + ")"));
}

}  // namespace x0::config::detail
