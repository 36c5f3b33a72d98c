// /incidents: the node's incident record (SPEC section 2). Every call runs on the control thread
// (SQLite), never on a worker.
//   GET  /incidents[?status=open&severity=SEV-1&limit=50]
//   GET  /incidents/{id}              one incident with its timeline
//   GET  /incidents/{id}/report       the post-incident report (Markdown)
//   POST /incidents                   open one manually
//   POST /incidents/{id}/ack|update|resolve
#pragma once

#include "admin/node_state.h"
#include "http/server_connection.h"

namespace x0::admin {

void handle_incidents(const IncidentServices& api, ControlThread* control, http::ServerConnection& conn,
                      const http::Request& request);

}  // namespace x0::admin
