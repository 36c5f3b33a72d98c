// The fault-injectable origin (see origin.h).
#include "app/origin.h"

#include <signal.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <vector>

#include "common/log.h"
#include "http/server.h"
#include "http/serialize.h"

namespace x0::app {
namespace {

using json = nlohmann::json;

struct Faults {
  std::atomic<double> error_rate{0.0};
  std::atomic<int> latency_ms{0};
  std::atomic<bool> health_failing{false};
  std::atomic<uint64_t> requests{0};
  std::vector<http::Server*> servers;
  uint64_t accepted() const {
    uint64_t n = 0;
    for (auto* s : servers) n += s->accepted_total();
    return n;
  }
};

// A response held back by injected latency; cancelled if the client goes away first.
class DelayedResponse final : public http::PendingResponse {
 public:
  void on_client_gone() override {
    if (timer != 0) loop->cancel_timer(timer);
    timer = 0;
  }
  net::EventLoop* loop = nullptr;
  net::TimerId timer = 0;
};

class OriginHandler final : public http::RequestHandler {
 public:
  OriginHandler(Faults& faults, std::string name) : faults_(faults), name_(std::move(name)) {
    body_ = "x0tta6bl4 origin " + name_ + " ";
    body_.resize(99, '.');
    body_ += '\n';  // 100 bytes, like the peers' benchmark origin
    extra_ = "X-Origin: " + name_ + "\r\n";
  }

  void handle(http::ServerConnection& conn, const http::Request& request) override {
    faults_.requests.fetch_add(1, std::memory_order_relaxed);
    std::string_view path = request.head.path;
    if (path == "/__fault") return fault(conn, request);
    if (path == "/__stats") {
      return conn.respond(200, "application/json",
                          json{{"requests", faults_.requests.load()},
                               {"connections", faults_.accepted()},
                               {"name", name_}}
                              .dump());
    }
    if (path == "/health") {
      if (faults_.health_failing.load()) return conn.respond(503, "text/plain", "failing\n", extra_);
      return conn.respond(200, "text/plain", "ok\n", extra_);
    }
    int latency = faults_.latency_ms.load(std::memory_order_relaxed);
    if (latency > 0) {
      auto* delayed = static_cast<DelayedResponse*>(conn.attachment());
      if (delayed == nullptr) {
        auto owned = std::make_unique<DelayedResponse>();
        delayed = owned.get();
        conn.set_attachment(std::move(owned));
      }
      delayed->loop = &conn.loop();
      conn.set_pending(delayed);
      const http::Request* req = &request;
      delayed->timer = conn.loop().add_timer(latency, [this, &conn, req, delayed] {
        delayed->timer = 0;
        conn.set_pending(nullptr);
        answer(conn, *req);
      });
      return;
    }
    answer(conn, request);
  }

 private:
  void answer(http::ServerConnection& conn, const http::Request& request) {
    double rate = faults_.error_rate.load(std::memory_order_relaxed);
    if (rate > 0 && dist_(rng_) < rate) {
      return conn.respond(500, "application/json",
                          R"({"error":"injected_fault","detail":"error_rate"})", extra_);
    }
    std::string_view path = request.head.path;
    if (path == "/echo") return echo(conn, request);
    if (path == "/chunked") {
      std::string out;
      http::append_status_line(out, 200);
      out += "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n";
      out += extra_;
      out += "\r\n5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n";
      conn.send_raw(out);
      conn.finish_response(true);
      return;
    }
    if (path.starts_with("/status/")) {
      int code = std::atoi(std::string(path.substr(8)).c_str());
      if (code < 200 || code > 599) code = 400;
      return conn.respond(code, "text/plain", "status " + std::to_string(code) + "\n", extra_);
    }
    conn.respond(200, "text/plain", body_, extra_);
  }

  void echo(http::ServerConnection& conn, const http::Request& request) {
    json headers = json::object();
    for (const auto& h : request.head.headers) headers[std::string(h.name)] = std::string(h.value);
    json body = {{"origin", name_},
                 {"method", std::string(request.head.method_text)},
                 {"path", std::string(request.head.path)},
                 {"query", std::string(request.head.query)},
                 {"headers", headers},
                 {"body_bytes", request.body.size()},
                 {"body", std::string(request.body.substr(0, 4096))}};
    // Bodies and headers need not be UTF-8: replace invalid bytes rather than throw.
    conn.respond(200, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace),
                 extra_);
  }

  void fault(http::ServerConnection& conn, const http::Request& request) {
    if (request.head.method == http::Method::kPost) {
      std::string_view q = request.head.query;
      std::string rate(http::query_param(q, "error_rate").value_or(""));
      std::string latency(http::query_param(q, "latency_ms").value_or(""));
      std::string health(http::query_param(q, "health").value_or(""));
      if (!rate.empty()) {
        double r = std::atof(rate.c_str());
        faults_.error_rate.store(r < 0 ? 0 : (r > 1 ? 1 : r));
      }
      if (!latency.empty()) faults_.latency_ms.store(std::max(0, std::atoi(latency.c_str())));
      if (!health.empty()) faults_.health_failing.store(health == "fail");
      log::info("ORIGIN", "faults changed", {{"name", name_}, {"error_rate", faults_.error_rate.load()},
                                              {"latency_ms", faults_.latency_ms.load()},
                                              {"health", faults_.health_failing.load() ? "fail" : "ok"}});
    }
    conn.respond(200, "application/json",
                 json{{"error_rate", faults_.error_rate.load()},
                      {"latency_ms", faults_.latency_ms.load()},
                      {"health", faults_.health_failing.load() ? "fail" : "ok"}}
                     .dump());
  }

  Faults& faults_;
  std::string name_;
  std::string body_;
  std::string extra_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::uniform_real_distribution<double> dist_{0.0, 1.0};
};

}  // namespace

int run_origin(const OriginOptions& options) {
  Faults faults;
  faults.error_rate.store(options.error_rate);
  faults.latency_ms.store(options.latency_ms);
  std::string name = options.name.empty() ? "origin-" + std::to_string(options.port) : options.name;
  auto address = net::resolve(options.host, options.port);
  if (!address) {
    std::fprintf(stderr, "origin: %s\n", address.error().detail.c_str());
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  http::ServerLimits limits;
  int threads = options.threads < 1 ? 1 : options.threads;
  std::vector<std::unique_ptr<net::EventLoop>> loops;
  std::vector<std::unique_ptr<OriginHandler>> handlers;
  std::vector<std::unique_ptr<http::Server>> servers;
  for (int i = 0; i < threads; ++i) {
    loops.push_back(std::make_unique<net::EventLoop>());
    handlers.push_back(std::make_unique<OriginHandler>(faults, name));
    servers.push_back(std::make_unique<http::Server>(*loops.back(), limits));
    faults.servers.push_back(servers.back().get());
    if (auto ok = servers.back()->listen(*address, *handlers.back(), true); !ok) {
      std::fprintf(stderr, "origin: %s\n", ok.error().detail.c_str());
      return 2;
    }
  }
  log::info("ORIGIN", "listening", {{"address", address->to_string()}, {"name", name},
                                     {"error_rate", options.error_rate}, {"latency_ms", options.latency_ms}});
  std::vector<std::thread> workers;
  for (auto& loop : loops) workers.emplace_back([&loop] { loop->run(); });
  int sig = 0;
  sigwait(&signals, &sig);
  for (auto& loop : loops) loop->stop();
  for (auto& t : workers) t.join();
  return 0;
}

}  // namespace x0::app
