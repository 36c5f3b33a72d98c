// The status page's components and their states (see status_page.h). Every state is read from
// the /health body the node already computes (admin/health_report.h), so the page and /health
// never disagree; the only addition is that an open incident affecting a component makes it at
// least as bad as the incident's severity says (the same mapping as the Statuspage channel).
// Details are fixed phrases in the reader's words: nothing from the body that may hold an
// address, a path or an error message is copied.
#include <algorithm>

#include "status/status_page.h"

namespace x0::status {
namespace {

using json = nlohmann::json;
using CS = ComponentStatus;

std::string status_of(const json& j) { return j.is_object() ? j.value("status", "") : ""; }

// /health's healthy | degraded | unhealthy.
CS from_health(const std::string& s, CS degraded = CS::kDegradedPerformance) {
  if (s == "unhealthy") return CS::kMajorOutage;
  if (s == "degraded") return degraded;
  return CS::kOperational;
}

Component service_component(const std::string& name, const json& d) {
  Component c{"service-" + name, name, "the " + name + " service"};
  const int64_t up = d.value("healthy_endpoints", int64_t{0});
  const int64_t total = d.value("total_endpoints", int64_t{0});
  const bool fallback = d.value("diverted_to_fallback", false);
  const bool remote = d.value("served_remotely", false);
  c.status = from_health(status_of(d), fallback ? CS::kPartialOutage : CS::kDegradedPerformance);
  if (fallback)
    c.detail = "served by its fallback: no healthy endpoint";
  else if (remote)
    c.detail = "served by another node of the mesh: no healthy endpoint here";
  else if (total == 0)
    c.detail = "no endpoint configured";
  else
    c.detail = std::to_string(up) + " of " + std::to_string(total) + " endpoints healthy";
  return c;
}

Component node_component(const json& health) {
  Component c{"node", "Gateway node", "this node: its host, data directory and workers"};
  std::vector<std::string> reasons;
  for (const json& h : health.value("components", json::array())) {
    CS s = from_health(status_of(h));
    if (s == CS::kOperational) continue;
    c.status = worse(c.status, s);
    reasons.push_back("host " + h.value("name", std::string("resource")) + " " +
                      h.value("status", std::string()));
  }
  const json deps = health.value("dependencies", json::object());
  if (deps.contains("store") && status_of(deps["store"]) != "healthy") {
    c.status = worse(c.status, CS::kDegradedPerformance);
    reasons.push_back("data directory not writable");
  }
  if (health.value("draining", false)) {
    c.status = worse(c.status, CS::kDegradedPerformance);
    reasons.push_back("draining (restarting or shutting down)");
  }
  if (health.value("isolated", false)) {
    c.status = worse(c.status, CS::kMajorOutage);
    reasons.push_back("isolated by its operators");
  }
  for (const std::string& r : reasons) c.detail += (c.detail.empty() ? "" : "; ") + r;
  if (c.detail.empty()) c.detail = "serving";
  return c;
}

Component mesh_component(const json& d) {
  Component c{"mesh", "Mesh", "links to the other nodes"};
  c.status = from_health(status_of(d));
  if (!d.value("enabled", true))
    c.detail = "not enabled on this node";
  else if (d.value("partitioned", false))
    c.detail = "partitioned: some nodes are unreachable";
  else
    c.detail = std::to_string(d.value("peers_up", int64_t{0})) + " of " +
               std::to_string(d.value("peers_total", int64_t{0})) + " peers up";
  return c;
}

Component pqc_component(const json& d) {
  Component c{"pqc", "Post-quantum cryptography", "hybrid post-quantum key exchange on mesh links"};
  c.status = from_health(status_of(d));
  if (d.value("mode", std::string()) == "disabled")
    c.detail = "disabled by configuration";
  else if (d.value("fallback_enabled", false))
    c.detail = "a mesh link runs without post-quantum key exchange";
  else
    c.detail = "post-quantum key exchange in use";
  return c;
}

Component cache_component(const json& d) {
  Component c{"cache", "Response cache", "the node's HTTP response cache"};
  c.status = from_health(status_of(d));
  if (!d.value("enabled", true))
    c.detail = "not enabled on this node";
  else if (c.status != CS::kOperational)
    c.detail = "its snapshots or checks reported a problem; responses are still served";
  else
    c.detail = "serving";
  return c;
}

CS raised_by(Severity s) {
  switch (s) {
    case Severity::kSev1:
      return CS::kMajorOutage;
    case Severity::kSev2:
      return CS::kPartialOutage;
    default:
      return CS::kDegradedPerformance;
  }
}

}  // namespace

std::vector<Component> components_from_health(const json& health) {
  std::vector<Component> out;
  const json deps = health.value("dependencies", json::object());
  for (const auto& [name, d] : deps.items())
    if (d.is_object() && d.value("type", std::string()) == "upstream_pool")
      out.push_back(service_component(name, d));
  out.push_back(node_component(health));
  out.push_back(mesh_component(deps.value("mesh", json::object())));
  out.push_back(pqc_component(deps.value("pqc", json::object())));
  out.push_back(cache_component(deps.value("cache", json::object())));
  for (size_t i = 0; i < out.size(); ++i) out[i].position = static_cast<int>(i + 1);
  return out;
}

std::vector<std::string> affected_component_ids(const incident::Incident& inc,
                                                const std::vector<Component>& components) {
  std::vector<std::string> wanted;
  auto add = [&](const std::string& id) {
    bool known = std::any_of(components.begin(), components.end(),
                             [&](const Component& c) { return c.id == id; });
    if (known && std::find(wanted.begin(), wanted.end(), id) == wanted.end()) wanted.push_back(id);
  };
  for (const std::string& s : inc.affected_services) add("service-" + s);
  if (!inc.target.empty()) {
    const std::string target = inc.target.substr(0, inc.target.find('/'));
    if (target == "node" || target == "mesh" || target == "pqc" || target == "cache")
      add(target);
    else
      add("service-" + target);
  }
  return wanted;
}

void apply_incidents(std::vector<Component>& components,
                     const std::vector<incident::Incident>& unresolved) {
  for (const incident::Incident& inc : unresolved) {
    // Mitigated: service is restored and the team is watching (Statuspage's "monitoring").
    if (inc.resolved() || inc.status == incident::Status::kMitigated) continue;
    for (const std::string& id : affected_component_ids(inc, components)) {
      for (Component& c : components) {
        if (c.id != id) continue;
        const CS raised = raised_by(inc.severity);
        if (raised > c.status) {
          c.status = raised;
          c.detail += (c.detail.empty() ? "" : "; ") + std::string("incident ") + inc.id;
        }
      }
    }
  }
}

}  // namespace x0::status
