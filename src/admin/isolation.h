// Isolating the node (the security-incident runbook): while isolated the data plane refuses
// every client that is not on loopback (503 `isolated`), /health/ready answers 503 so
// orchestrators take the node out, the mesh takes no forwarded requests, every admin call is
// logged under AUDIT and every request under ACCESS. An operator isolates and lifts through
// POST /admin/isolate (`x0tta6bl4 isolate on|off`), each an audited action; an operator's
// isolation opens a SEV-1 security incident, which lifting marks mitigated. The autopilot's
// isolate action latches the same way (its rule opened its own incident). NodeState::isolation
// belongs to the control thread: everything here runs there.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "admin/node_state.h"
#include "http/server_connection.h"

namespace x0::admin {

// node.isolated from the config and the latch, and the request log that goes with it; after
// start-up and every reload too.
void apply_isolation(NodeState& node);
// Latches the isolation; false when it was latched already (the first reason stays).
bool latch_isolation(NodeState& node, std::string by, std::string reason);
nlohmann::json isolation_json(const NodeState& node);

// GET /admin/isolate: the state. POST /admin/isolate {"isolate": true|false, "reason": "..."}:
// isolate (the default) or lift; the caller has passed the admin check.
void handle_isolate(NodeState& node, http::ServerConnection& conn, const http::Request& request);

}  // namespace x0::admin
