// /releases: release state and control (SPEC section 2). Reads and changes go through the
// control thread (release state is written to disk before a change is acknowledged).
//   GET  /releases                      every release, active first
//   GET  /releases/{service}            the service's active release (404 if none)
//   POST /releases/{service}/start      body: {"strategy","candidate","steps","step_interval_s","header"}
//   POST /releases/{service}/promote|rollback|pause|resume|abort   optional body {"reason"}
#pragma once

#include "admin/node_state.h"
#include "http/server_connection.h"

namespace x0::admin {

// Sees only the release services and the control thread they run on.
void handle_releases(const ReleaseServices& api, ControlThread* control, http::ServerConnection& conn,
                     const http::Request& request);

}  // namespace x0::admin
