// The public status page (docs/ONCALL.md, "Status page"): GET and HEAD /status (HTML) and
// /status.json (Statuspage's summary.json shape), and the uptime sampler behind their bars.
// The worker reads the /health verdicts (atomics and snapshots) and hands the rest to the
// control thread, which owns the incident store: it reads the unresolved and recent incidents
// and the uptime history, builds the page (status/) and renders it; the worker writes it.
#pragma once

#include "admin/node_state.h"
#include "http/server_connection.h"

namespace x0::incident {
class IncidentStore;
}

namespace x0::admin {

// /status or /status.json, any method (others than GET and HEAD answer 405).
void handle_status_page(const NodeState& node, http::ServerConnection& conn,
                        const http::Request& request);

// Control thread, every [status] sample_interval_s: one sample of every component's state
// (the page's own verdicts, open incidents included) into the store's uptime history. Failures
// are logged by the store and otherwise ignored: a missed sample is a gap in a bar.
void sample_uptime(const NodeState& node, incident::IncidentStore& store);

}  // namespace x0::admin
