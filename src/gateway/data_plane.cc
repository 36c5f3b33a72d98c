// Data-plane request dispatch (see data_plane.h).
#include "gateway/data_plane.h"

#include <memory>

#include "common/log.h"
#include "gateway/proxy.h"

namespace x0::gateway {
namespace {

bool is_exact_or_under(std::string_view path, std::string_view prefix) {
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

telemetry::Counter* bad_requests(int status) {
  return telemetry::default_registry().counter(
      "http_bad_requests_total", "Requests refused before routing (malformed, too large, smuggling).",
      {{"code", std::to_string(status)}});
}

}  // namespace

bool is_reserved_path(std::string_view path) {
  return is_exact_or_under(path, "/health") || path == "/metrics" ||
         path.starts_with("/security/") || path.starts_with("/mesh/") ||
         path.starts_with("/admin/") || path.starts_with("/api/v1/") ||
         is_exact_or_under(path, "/incidents") || is_exact_or_under(path, "/releases") ||
         path.starts_with("/alerts/");
}

void DataPlane::handle(http::ServerConnection& conn, const http::Request& request) {
  std::string_view path = request.head.path;
  if (operator_api_ != nullptr && is_reserved_path(path)) {
    operator_api_->handle(conn, request);
    return;
  }
  if (worker_.isolated != nullptr && worker_.isolated->load(std::memory_order_relaxed) &&
      !conn.peer_is_loopback()) {
    conn.respond(503, "application/json",
                 R"({"error":"isolated","detail":"this node is isolated: external traffic is blocked"})");
    return;
  }
  const RouteTable& table = worker_.routes.get();
  const ServiceState* service = table.route(request.head.host, path);
  if (service == nullptr) {
    conn.respond(404, "application/json",
                 R"({"error":"no_route","detail":"no service matches this host and path"})");
    return;
  }
  EndpointRole side = choose_side(worker_, *service, request.head.headers);
  CacheProbe probe;
  if (answer_from_cache(worker_, *service, side, conn, request, probe)) return;
  auto* exchange = static_cast<ProxyExchange*>(conn.attachment());
  if (exchange == nullptr) {
    std::unique_ptr<http::PendingResponse> owned;
    if (!spare_exchanges_.empty()) {
      owned = std::move(spare_exchanges_.back());
      spare_exchanges_.pop_back();
    } else {
      owned = std::make_unique<ProxyExchange>(worker_, [this](http::ServerConnection& done) {
        constexpr size_t kMaxSpare = 1024;
        auto detached = done.take_attachment();
        if (spare_exchanges_.size() < kMaxSpare) spare_exchanges_.push_back(std::move(detached));
        // else: destroyed here; the caller touches no member after handing it back
      });
    }
    exchange = static_cast<ProxyExchange*>(owned.get());
    conn.set_attachment(std::move(owned));
  }
  exchange->start(conn, request, worker_.routes.shared(), *service, side, std::move(probe));
}

DataPlane::~DataPlane() = default;

void DataPlane::on_bad_request(http::ServerConnection& conn, int status, const char* reason) {
  static thread_local telemetry::Counter* by_status[600] = {};
  int code = status >= 100 && status < 600 ? status : 400;
  if (by_status[code] == nullptr) by_status[code] = bad_requests(code);
  by_status[code]->inc();
  log::debug("HTTP", "request refused", {{"status", status}, {"reason", reason}, {"peer", conn.peer_ip()}});
}

}  // namespace x0::gateway
