// POST /alerts/alertmanager: Prometheus Alertmanager's webhook. Every firing alert opens (or
// joins, by alert name and target) an incident detected by "Alert", keyed by its fingerprint so
// a repeat writes nothing; a resolved alert mitigates its incident once its last alert resolved
// (resolving stays with an operator, who knows the root cause). 503 when the store cannot
// record an alert, so Alertmanager retries (docs/INCIDENTS.md, "Alertmanager").
#pragma once

#include "admin/node_state.h"
#include "http/server_connection.h"

namespace x0::admin {

void handle_alertmanager(const IncidentServices& api, ControlThread* control, http::ServerConnection& conn,
                        const http::Request& request);

}  // namespace x0::admin
