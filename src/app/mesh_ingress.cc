// The mesh listener's requests (see mesh_ingress.h).
#include "app/mesh_ingress.h"

#include "admin/control_thread.h"
#include "gateway/mesh_forwarding.h"

namespace x0::app {

void MeshIngress::handle(http::ServerConnection& conn, const http::Request& request) {
  std::string peer = conn.peer_identity();
  if (peer.empty()) {  // cannot happen over a mesh link; a plain listener here would be a bug
    conn.respond(403, "application/json", R"({"error":"forbidden","detail":"no mesh identity"})");
    return;
  }
  if (request.head.path.starts_with(gateway::kMeshForwardPrefix)) {
    data_plane_.handle_forwarded(conn, request, peer);
    return;
  }
  if (request.head.method != http::Method::kPost) {
    conn.respond(405, "application/json", R"({"error":"method_not_allowed"})", "Allow: POST\r\n");
    return;
  }
  mesh::MeshMessage message{std::string(request.head.target), std::string(request.body),
                            std::move(peer), conn.peer_ip()};
  mesh::Agent& agent = agent_;
  // The work starts here (it only posts to the mesh thread); the reply comes from there.
  admin::answer_async_via(
      conn, [](std::function<void()> start) { start(); },
      [&agent, message = std::move(message)](const admin::ReplyFn& reply) mutable {
        agent.serve(std::move(message), [reply](int status, std::string body) {
          reply(admin::Reply{status, std::move(body)});
        });
      });
}

}  // namespace x0::app
