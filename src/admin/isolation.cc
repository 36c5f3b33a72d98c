// Isolation by config, operator and autopilot (see isolation.h).
#include "admin/isolation.h"

#include "admin/control_thread.h"
#include "common/clock.h"
#include "common/log.h"
#include "gateway/access_log.h"
#include "incident/incident_store.h"

namespace x0::admin {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxReasonBytes = 512;

Reply answer(int status, const json& body) { return Reply{status, body.dump() + "\n"}; }

// Opens the operator's SEV-1 (deduplicated by rule and target against unresolved incidents).
std::string open_security_incident(NodeState& node, const std::string& reason,
                                   const std::string& peer) {
  incident::IncidentStore* store = node.incidents.store;
  if (store == nullptr) return "";
  incident::OpenRequest open;
  open.title = "Node isolated by an operator: " + reason;
  open.severity = incident::Severity::kSev1;
  open.detection = incident::DetectionMethod::kManual;
  open.rule = "operator_isolation";
  open.target = "node";
  open.impact = "external traffic blocked; the node is out of rotation (/health/ready 503)";
  open.actor = "operator";
  open.fields = {{"reason", reason}, {"peer", peer}};
  auto opened = store->open_incident(open);
  if (!opened) {
    log::error("INCIDENT", "cannot record the isolation's incident",
               {{"detail", opened.error().detail}});
    return "";
  }
  return opened->incident.id;
}

Reply isolate(NodeState& node, const std::string& reason, const std::string& peer) {
  if (!latch_isolation(node, "operator", reason))
    return answer(200, isolation_json(node));  // already: the first reason stands
  node.isolation.incident_id = open_security_incident(node, reason, peer);
  log::info("AUDIT", "node isolated by an operator",
            {{"peer", peer}, {"reason", reason}, {"incident", node.isolation.incident_id}});
  return answer(200, isolation_json(node));
}

Reply lift(NodeState& node, const std::string& reason, const std::string& peer) {
  Isolation& iso = node.isolation;
  if (!iso.latched) return answer(200, isolation_json(node));
  std::string incident_id = iso.incident_id;
  std::string by = iso.by;
  iso = Isolation{iso.by_config, false, "", "", 0, ""};
  apply_isolation(node);
  log::info("AUDIT", "isolation lifted by an operator",
            {{"peer", peer},
             {"reason", reason},
             {"isolated_by", by},
             {"still_isolated_by_config", iso.by_config ? "true" : "false"}});
  if (!incident_id.empty() && node.incidents.store != nullptr) {
    incident::Note note{"operator",
                        "isolation lifted" + (reason.empty() ? "" : ": " + reason),
                        {},
                        {{"peer", peer}}};
    if (!node.incidents.store->set_mitigated(incident_id, note))
      node.incidents.store->add_update(incident_id, note);
  }
  return answer(200, isolation_json(node));
}

}  // namespace

void apply_isolation(NodeState& node) {
  bool on = node.isolation.by_config || node.isolation.latched;
  bool was = node.isolated.exchange(on);
  auto config = node.config.load();
  gateway::set_access_log(on || (config && config->security.log_all_requests));
  if (on && !was) {
    log::warn("SECURITY",
              "node isolated: external clients refused, /health/ready 503, no mesh traffic; "
              "audit and request logging on",
              {{"by", node.isolation.latched ? node.isolation.by : "config"},
               {"reason", node.isolation.latched ? node.isolation.reason : "[security] isolate"}});
  } else if (!on && was) {
    log::warn("SECURITY", "isolation lifted: serving external clients again");
  }
}

bool latch_isolation(NodeState& node, std::string by, std::string reason) {
  Isolation& iso = node.isolation;
  if (iso.latched) return false;
  iso.latched = true;
  iso.by = std::move(by);
  iso.reason = std::move(reason);
  iso.since_unix = unix_ms() / 1000;
  iso.incident_id.clear();
  apply_isolation(node);
  return true;
}

json isolation_json(const NodeState& node) {
  const Isolation& iso = node.isolation;
  json out = {{"isolated", iso.by_config || iso.latched}, {"by_config", iso.by_config}};
  if (iso.latched) {
    out["latched"] = {{"by", iso.by}, {"reason", iso.reason}, {"since", iso.since_unix}};
    if (!iso.incident_id.empty()) out["latched"]["incident"] = iso.incident_id;
  } else {
    out["latched"] = nullptr;
  }
  return out;
}

void handle_isolate(NodeState& node, http::ServerConnection& conn, const http::Request& request) {
  if (node.control == nullptr) {
    conn.respond(503, "application/json",
                 R"({"error":"unavailable","detail":"the control thread is not running"})"
                 "\n");
    return;
  }
  NodeState* state = &node;
  if (request.head.method == http::Method::kGet || request.head.method == http::Method::kHead) {
    answer_async(conn, *node.control, [state] { return answer(200, isolation_json(*state)); });
    return;
  }
  if (request.head.method != http::Method::kPost) {
    conn.respond(405, "application/json",
                 R"({"error":"method_not_allowed","detail":"GET or POST /admin/isolate"})"
                 "\n");
    return;
  }
  bool on = true;
  std::string reason;
  if (!request.body.empty()) {
    json body = json::parse(request.body, nullptr, false);
    bool ok = body.is_object() && (!body.contains("isolate") || body["isolate"].is_boolean()) &&
              (!body.contains("reason") || body["reason"].is_string());
    if (ok) {
      on = body.value("isolate", true);
      reason = body.value("reason", "");
    }
    if (!ok || reason.size() > kMaxReasonBytes) {
      json error = {{"error", "bad_request"},
                    {"detail",
                     "expected {\"isolate\": true|false, \"reason\": \"...\"}, "
                     "the reason at most 512 bytes"}};
      conn.respond(400, "application/json", error.dump() + "\n");
      return;
    }
  }
  if (on && reason.empty()) reason = "no reason given";
  std::string peer(conn.peer_ip());
  answer_async(conn, *node.control, [state, on, reason, peer] {
    return on ? isolate(*state, reason, peer) : lift(*state, reason, peer);
  });
}

}  // namespace x0::admin
