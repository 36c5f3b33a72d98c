// POST /alerts/alertmanager: Prometheus Alertmanager's webhook. Every firing alert opens (or
// joins, by alert name and target) an incident detected by "Alert"; a resolved alert adds an
// update to its open incident (resolving stays with an operator, who knows the root cause).
#pragma once

#include "admin/node_state.h"
#include "http/server_connection.h"

namespace x0::admin {

void handle_alertmanager(const IncidentServices& api, ControlThread* control, http::ServerConnection& conn,
                        const http::Request& request);

}  // namespace x0::admin
