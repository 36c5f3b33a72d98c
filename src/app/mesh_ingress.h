// The request handler of the mesh listener (listeners.mesh), one per data-plane worker. Every
// connection is a server mesh link (mesh::Agent::acceptor()), so a request only arrives once
// the peer proved its identity. Forwarded service requests (/mesh/v1/forward/...) are served
// right here by the worker's data plane; membership requests go to the mesh thread
// (mesh::Agent::serve) and are answered when it has, the worker free meanwhile.
#pragma once

#include "gateway/data_plane.h"
#include "http/server_connection.h"
#include "mesh/agent.h"

namespace x0::app {

class MeshIngress final : public http::RequestHandler {
 public:
  MeshIngress(gateway::DataPlane& data_plane, mesh::Agent& agent)
      : data_plane_(data_plane), agent_(agent) {}

  void handle(http::ServerConnection& conn, const http::Request& request) override;
  void on_bad_request(http::ServerConnection& conn, int status, const char* reason) override {
    data_plane_.on_bad_request(conn, status, reason);
  }

 private:
  gateway::DataPlane& data_plane_;
  mesh::Agent& agent_;
};

}  // namespace x0::app
