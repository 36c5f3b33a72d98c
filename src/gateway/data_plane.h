// The request handler of the data-plane listener (:8080): the operator endpoints
// (gateway/reserved_paths.h) go to the operator API; requests no proxy should forward are
// refused; everything else is routed to a service and runs as a stream through the filters.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/stream.h"
#include "gateway/worker_context.h"
#include "http/server_connection.h"

namespace x0::gateway {

class DataPlane final : public http::RequestHandler {
 public:
  // `operator_api` answers the operator endpoints; nullptr when the operator API has a listener
  // of its own ([listeners] operator): then every path is routed to the services.
  DataPlane(WorkerContext& worker, http::RequestHandler* operator_api);
  ~DataPlane() override;

  void handle(http::ServerConnection& conn, const http::Request& request) override;
  // A request a mesh peer forwarded (POST/GET/... /mesh/v1/forward/<service><path>, with the
  // hop fields; gateway/mesh_forwarding.h), from the mesh listener: `peer` is the node id its
  // link proved. Served by the named service as this node's own request (its endpoints, its
  // release, its cache), or relayed once more; never by the operator API; only when this
  // node's routes send that host and path to that service; refused while the node is isolated.
  void handle_forwarded(http::ServerConnection& conn, const http::Request& request,
                        std::string_view peer);
  void on_bad_request(http::ServerConnection& conn, int status, const char* reason) override;

 private:
  // A JSON error of the data plane's own (counted as a bad request). detail is static text.
  // The checks every request passes first: no CONNECT, no OPTIONS *, a path that normalises
  // (into path_); false: refused and answered.
  bool admit(http::ServerConnection& conn, const http::RequestHead& head, std::string_view path,
             const RouteTable& table);
  // Those every proxied one passes too: TRACE only if allowed, a head the proxy may forward.
  bool admit_method(http::ServerConnection& conn, const http::RequestHead& head,
                    const RouteTable& table);
  void refuse(http::ServerConnection& conn, ErrorCode code, const char* detail,
              std::string_view extra_headers = {});
  // A JSON error of the data plane's own, not counted as a bad request. detail is static text.
  void respond_error(http::ServerConnection& conn, ErrorCode code, const char* detail,
                     std::string_view extra_headers = {});

  WorkerContext& worker_;
  http::RequestHandler* operator_api_;
  // The current request's normalised path and canonical authority (capacity reused). Valid
  // only during handle(): an exchange copies what it keeps.
  std::string path_, authority_;
  // The SECURITY log of refused requests is throttled per worker (see on_bad_request).
  int64_t last_refusal_log_ms_ = -1000000;
  uint64_t refusals_not_logged_ = 0;
  // A routed request runs as a stream of this pool (gateway/stream.h); idle keep-alive
  // connections hold none. Must outlive the connections (the worker destroys its server first).
  StreamPool streams_;
};

}  // namespace x0::gateway
