// The node's own HTTP endpoints (SPEC section 2): /health and its probes, /metrics,
// /api/v1/status, and the PQC and mesh status pages. Which paths a listener serves depends on
// its scope: the data port (or the operator listener, [listeners] operator) serves all of them,
// the health port the probes and metrics, the metrics port only /metrics. Which paths are
// endpoints is gateway/reserved_paths.h. Unknown paths answer 404 with a JSON error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/node_state.h"
#include "http/server_connection.h"

namespace x0::admin {

enum class Scope { kDataPlane, kHealthPort, kMetricsPort };

class OperatorApi final : public http::RequestHandler {
 public:
  OperatorApi(NodeState& node, Scope scope) : node_(node), scope_(scope) {}
  void handle(http::ServerConnection& conn, const http::Request& request) override;

 private:
  bool authorized(http::ServerConnection& conn, const http::Request& request);
  void health(http::ServerConnection& conn, const http::Request& request);
  void live(http::ServerConnection& conn);
  void ready(http::ServerConnection& conn);
  void startup(http::ServerConnection& conn);
  void metrics(http::ServerConnection& conn);
  void status(http::ServerConnection& conn);
  void pqc_status(http::ServerConnection& conn);
  void mesh_peers(http::ServerConnection& conn);
  void mesh_status(http::ServerConnection& conn);
  void mesh_routes(http::ServerConnection& conn);
  nlohmann::json remote_routes() const;  // mesh_routes_json of the current tables
  void mesh_ping(http::ServerConnection& conn);

  NodeState& node_;
  Scope scope_;
};

// Why /health/ready would answer 503 now (empty: ready): start-up, draining, isolation, and each
// required service without a healthy endpoint or fallback. The node_ready gauge reads the same.
std::vector<std::string> readiness_problems(const NodeState& node, int64_t now_ms);

// JSON error body {"error": ..., "detail": ...}.
void respond_error(http::ServerConnection& conn, int status, std::string_view error,
                   std::string_view detail);

}  // namespace x0::admin
