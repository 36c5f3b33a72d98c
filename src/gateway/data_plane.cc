// Data-plane request dispatch (see data_plane.h).
#include "gateway/data_plane.h"

#include <memory>

#include "common/log.h"
#include "gateway/head_rewrite.h"
#include "gateway/mesh_forwarding.h"
#include "gateway/reserved_paths.h"
#include "http/authority.h"
#include "http/path_normalize.h"

namespace x0::gateway {
namespace {

telemetry::Counter* bad_requests(int status) {
  return telemetry::default_registry().counter(
      "http_bad_requests_total",
      "Requests refused before routing (malformed, too large, smuggling).",
      {{"code", std::to_string(status)}});
}

// The sender may try elsewhere: nothing of the request reached an origin here.
constexpr std::string_view kUnserved = "X-X0-Mesh-Unserved: 1\r\n";

}  // namespace

bool DataPlane::admit(http::ServerConnection& conn, const http::RequestHead& head,
                      std::string_view path, const RouteTable& table) {
  // The node is a reverse proxy: no tunnels, no server-wide OPTIONS, no reflection of a
  // request's credentials back at the page that sent it (TRACE) unless an operator wants it.
  if (head.method == http::Method::kConnect) {
    conn.close_after_response();  // what follows a CONNECT is tunnel bytes, not a request
    refuse(conn, ErrorCode::kNotImplemented, "CONNECT is not supported: this is a reverse proxy");
    return false;
  }
  if (path == "*") {
    refuse(conn, ErrorCode::kMethodNotAllowed, "OPTIONS * is not supported", "Allow: \r\n");
    return false;
  }
  if (const char* bad = http::normalize_path(path, table.policy().path, path_)) {
    refuse(conn, ErrorCode::kBadPath, bad);
    return false;
  }
  return true;
}

bool DataPlane::admit_method(http::ServerConnection& conn, const http::RequestHead& head,
                             const RouteTable& table) {
  if (head.method == http::Method::kTrace && !table.policy().allow_trace) {
    refuse(conn, ErrorCode::kMethodNotAllowed, "TRACE is disabled ([api_gateway] allow_trace)",
           "Allow: GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS\r\n");
    return false;
  }
  if (const char* bad = refuse_upstream_request(head)) {
    refuse(conn, ErrorCode::kBadRequest, bad);
    return false;
  }
  return true;
}

void DataPlane::handle(http::ServerConnection& conn, const http::Request& request) {
  const http::RequestHead& head = request.head;
  const RouteTable& table = worker_.routes.get();
  if (!admit(conn, head, head.path, table)) return;
  // Only the exact operator paths are the node's (gateway/reserved_paths.h); a release path is
  // one only for a configured service, so "/releases/2024" reaches the site behind the node.
  OperatorEndpoint reserved = operator_api_ == nullptr
                                  ? OperatorEndpoint::kNone
                                  : reserved_endpoint(path_, [&table](std::string_view name) {
                                      return table.find(name) != nullptr;
                                    });
  // [status] enabled = false gives /status and /status.json back to the services.
  if (reserved == OperatorEndpoint::kStatusPage && !table.policy().status_page)
    reserved = OperatorEndpoint::kNone;
  if (reserved != OperatorEndpoint::kNone) {
    // Operator endpoints are matched on the exact path: one that is only reserved once
    // normalised ("/x/../admin/cache/clear") is a probe, not an operator.
    if (path_ != head.path) {
      refuse(conn, ErrorCode::kBadPath, "operator endpoints take normalised paths only");
      return;
    }
    operator_api_->handle(conn, request);
    return;
  }
  // Isolated (the security runbook): only loopback clients get further, before anything of the
  // request is looked at or counted as the service's, so an isolation looks like no outage to
  // the autopilot and tells an outside client nothing about the routes.
  if (worker_.isolated != nullptr && worker_.isolated->load(std::memory_order_relaxed) &&
      !conn.peer_is_loopback()) {
    respond_error(conn, ErrorCode::kIsolated, "this node is isolated: external traffic is blocked");
    return;
  }
  if (!admit_method(conn, head, table)) return;
  http::canonical_authority(head.host, head.default_port, authority_);
  const ServiceState* service = table.route(authority_, path_);
  if (service == nullptr) {
    respond_error(conn, ErrorCode::kNoRoute, "no service matches this host and path");
    return;
  }
  RequestTarget target{
      path_, authority_, table.policy().trusted_proxies.contains(conn.peer()), 0, {}};
  EndpointRole side = choose_side(worker_, *service, request.head.headers);
  streams_.acquire().start(conn, request, target, worker_.routes.shared(), *service, side);
}

void DataPlane::handle_forwarded(http::ServerConnection& conn, const http::Request& request,
                                 std::string_view peer) {
  const http::RequestHead& head = request.head;
  const RouteTable& table = worker_.routes.get();
  auto forwarded = parse_forward_path(head.path);
  if (!forwarded) {
    respond_error(conn, ErrorCode::kNoRoute, "not a mesh forwarding path");
    return;
  }
  auto hop = read_mesh_hop(head.headers);
  if (!hop) {
    refuse(conn, ErrorCode::kBadRequest, hop.error().detail.c_str());
    return;
  }
  std::shared_ptr<const RemoteRoutes> routes =
      worker_.remote != nullptr ? worker_.remote->current() : nullptr;
  std::string_view via = hop->via;
  size_t comma = via.rfind(',');
  std::string_view last = comma == std::string_view::npos ? via : via.substr(comma + 1);
  if (last != peer) {
    refuse(conn, ErrorCode::kBadRequest, "X-X0-Mesh-Via does not end with the node that sent it");
    return;
  }
  if (routes && via_contains(via, routes->self)) {
    respond_error(conn, ErrorCode::kMeshLoop, "this request already went through this node",
                  kUnserved);
    return;
  }
  if (!admit(conn, head, forwarded->path, table) || !admit_method(conn, head, table)) return;
  // An isolated node takes no one's clients (the security runbook): it advertises nothing
  // healthy meanwhile, so this only meets a peer with an older view.
  if (worker_.isolated != nullptr && worker_.isolated->load(std::memory_order_relaxed)) {
    respond_error(conn, ErrorCode::kIsolated, "this node is isolated: no mesh traffic", kUnserved);
    return;
  }
  const ServiceState* service = table.find(forwarded->service);
  if (service == nullptr || !service->config.mesh_failover) {
    respond_error(conn, ErrorCode::kNoRoute, "no service of that name takes mesh traffic here",
                  kUnserved);
    return;
  }
  // The service's own host and path rules hold for a peer too: a mesh identity is no licence
  // to reach what this node never routes to that origin.
  http::canonical_authority(head.host, head.default_port, authority_);
  if (table.route(authority_, path_) != service) {
    respond_error(conn, ErrorCode::kNoRoute, "this host and path are not that service's here",
                  kUnserved);
    return;
  }
  worker_.mesh_forwarded(service->config.name, peer, "in")->inc();
  // The peer proved itself: its X-Forwarded-For names the client, as a trusted proxy's would.
  RequestTarget target{path_, authority_, true, hop->hops, hop->via, hop->budget_ms};
  EndpointRole side = choose_side(worker_, *service, request.head.headers);
  streams_.acquire().start(conn, request, target, worker_.routes.shared(), *service, side);
}

DataPlane::DataPlane(WorkerContext& worker, http::RequestHandler* operator_api)
    : worker_(worker), operator_api_(operator_api), streams_(worker, default_filter_chain()) {}

DataPlane::~DataPlane() = default;

void DataPlane::on_bad_request(http::ServerConnection& conn, int status, const char* reason) {
  static thread_local telemetry::Counter* by_status[600] = {};
  int code = status >= 100 && status < 600 ? status : 400;
  if (by_status[code] == nullptr) by_status[code] = bad_requests(code);
  by_status[code]->inc();
  // A malformed or ambiguous request (400) is what smuggling and Host/path probes look like:
  // the runbooks grep SECURITY. One line a second per worker, with what it left out.
  if (status != 400) {
    log::debug("HTTP", "request refused",
               {{"status", status}, {"reason", reason}, {"peer", conn.peer_ip()}});
    return;
  }
  int64_t now = conn.loop().now_ms();
  if (now - last_refusal_log_ms_ < 1000) {
    ++refusals_not_logged_;
    return;
  }
  log::warn("SECURITY", "request refused",
            {{"status", status},
             {"reason", reason},
             {"peer", conn.peer_ip()},
             {"not_logged_since_last", refusals_not_logged_}});
  last_refusal_log_ms_ = now;
  refusals_not_logged_ = 0;
}

void DataPlane::refuse(http::ServerConnection& conn, ErrorCode code, const char* detail,
                       std::string_view extra_headers) {
  on_bad_request(conn, error_info(code).status, detail);
  respond_error(conn, code, detail, extra_headers);
}

void DataPlane::respond_error(http::ServerConnection& conn, ErrorCode code, const char* detail,
                              std::string_view extra_headers) {
  ErrorInfo info = error_info(code);
  std::string body = R"({"error":")";
  body.append(info.name).append(R"(","detail":")").append(detail).append("\"}");
  conn.respond(info.status, "application/json", body, extra_headers);
}

}  // namespace x0::gateway
