// The fault-injectable origin (see origin.h).
#include "app/origin.h"

#include <signal.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/log.h"
#include "http/server.h"
#include "http/serialize.h"

namespace x0::app {
namespace {

using json = nlohmann::json;

std::string percent_decode(std::string_view in);

struct Faults {
  std::atomic<double> error_rate{0.0};
  std::atomic<int> latency_ms{0};
  std::atomic<bool> health_failing{false};
  // A silent failure: regular answers are 200 with an empty body (the health check still "ok").
  std::atomic<bool> empty_body{false};
  std::atomic<uint64_t> requests{0};
  std::vector<http::Server*> servers;
  // Requests per exact target, shared by the origin's threads (a test tool: one short lock per
  // request is fine). Past kMaxTargets distinct targets the table starts again from empty.
  static constexpr size_t kMaxTargets = 200000;
  std::mutex targets_mu;
  std::unordered_map<std::string, uint64_t> targets;

  uint64_t accepted() const {
    uint64_t n = 0;
    for (auto* s : servers) n += s->accepted_total();
    return n;
  }
  uint64_t count_target(std::string_view target) {
    std::lock_guard lock(targets_mu);
    auto it = targets.find(std::string(target));
    if (it == targets.end()) {
      if (targets.size() >= kMaxTargets) targets.clear();
      it = targets.emplace(std::string(target), 0).first;
    }
    return ++it->second;
  }
  json stats(std::string_view name, std::string_view target_query) {
    json out = {{"requests", requests.load()}, {"connections", accepted()}, {"name", name}};
    std::lock_guard lock(targets_mu);
    if (auto target = http::query_param(target_query, "target")) {
      auto it = targets.find(percent_decode(*target));
      out["count"] = it == targets.end() ? 0 : it->second;
    }
    json per_target = json::object();
    for (const auto& [t, n] : targets) per_target[t] = n;
    out["targets"] = std::move(per_target);
    return out;
  }
};

// "%2F" -> "/", "+" -> " "; a malformed escape is kept as is.
std::string percent_decode(std::string_view in) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%' && i + 2 < in.size() && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
      out += static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

// A decoded query value made safe for a header line: control characters (CR, LF, ...) dropped.
std::string header_safe(std::string_view value) {
  std::string out;
  for (char c : percent_decode(value)) {
    auto u = static_cast<unsigned char>(c);
    if ((u >= 0x20 && u != 0x7f) || c == '\t') out += c;
  }
  return out;
}

// IMF-fixdate (RFC 9110 5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::time_t t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

// The headers asked for by cc=, vary=, expires= and age= (see origin.h), and set_cookie=<v>
// (Set-Cookie: <v>, for the cache's never-store-Set-Cookie tests).
void append_cache_headers(std::string& out, std::string_view query) {
  if (query.empty()) return;
  if (auto cc = http::query_param(query, "cc")) http::append_header(out, "Cache-Control", header_safe(*cc));
  if (auto cookie = http::query_param(query, "set_cookie"))
    http::append_header(out, "Set-Cookie", header_safe(*cookie));
  if (auto vary = http::query_param(query, "vary")) http::append_header(out, "Vary", header_safe(*vary));
  if (auto age = http::query_param(query, "age")) http::append_header(out, "Age", header_safe(*age));
  if (auto expires = http::query_param(query, "expires")) {
    std::time_t now = std::time(nullptr);
    long long delta = std::atoll(percent_decode(*expires).c_str());
    http::append_header(out, "Date", http_date(now));
    http::append_header(out, "Expires", http_date(now + static_cast<std::time_t>(delta)));
  }
}

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
      return conn.respond(200, "application/json", faults_.stats(name_, request.head.query).dump());
    }
    uint64_t count = faults_.count_target(request.head.target);
    if (path == "/health") {
      std::string extra = extra_ + "X-Origin-Count: " + std::to_string(count) + "\r\n";
      if (faults_.health_failing.load()) return conn.respond(503, "text/plain", "failing\n", extra);
      return conn.respond(200, "text/plain", "ok\n", extra);
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
      delayed->timer = conn.loop().add_timer(latency, [this, &conn, req, delayed, count] {
        delayed->timer = 0;
        conn.set_pending(nullptr);
        answer(conn, *req, count);
      });
      return;
    }
    answer(conn, request, count);
  }

 private:
  static constexpr size_t kMaxBodyBytes = 16 * 1024 * 1024;

  void answer(http::ServerConnection& conn, const http::Request& request, uint64_t count) {
    std::string extra = extra_;
    extra += "X-Origin-Count: ";
    extra += std::to_string(count);
    extra += "\r\n";
    double rate = faults_.error_rate.load(std::memory_order_relaxed);
    if (rate > 0 && dist_(rng_) < rate) {
      return conn.respond(500, "application/json",
                          R"({"error":"injected_fault","detail":"error_rate"})", extra);
    }
    if (faults_.empty_body.load(std::memory_order_relaxed)) {
      return conn.respond(200, "text/plain", "", extra);
    }
    std::string_view query = request.head.query;
    append_cache_headers(extra, query);
    std::string_view path = request.head.path;
    if (path == "/echo") return echo(conn, request, extra);
    if (path == "/chunked") {
      std::string out;
      http::append_status_line(out, 200);
      out += "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n";
      out += extra;
      out += "\r\n5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n";
      conn.send_raw(out);
      conn.finish_response(true);
      return;
    }
    int code = 0;
    if (path.starts_with("/status/")) code = std::atoi(std::string(path.substr(8)).c_str());
    if (auto status = http::query_param(query, "status")) code = std::atoi(std::string(*status).c_str());
    if (code != 0) {
      if (code < 200 || code > 599) code = 400;
      if (code == 204 || code == 304) return answer_without_body(conn, code, extra);
      return conn.respond(code, "text/plain", "status " + std::to_string(code) + "\n", extra);
    }
    if (auto size = http::query_param(query, "size")) {
      size_t n = std::min<size_t>(std::strtoull(std::string(*size).c_str(), nullptr, 10), kMaxBodyBytes);
      std::string body;
      body.reserve(n);
      while (body.size() < n) body.append(body_, 0, std::min(body_.size(), n - body.size()));
      return conn.respond(200, "text/plain", body, extra);
    }
    conn.respond(200, "text/plain", body_, extra);
  }

  // 204 and 304 have no body and no Content-Length for one (RFC 9110 8.6, 15.4.5).
  void answer_without_body(http::ServerConnection& conn, int code, const std::string& extra) {
    std::string out;
    http::append_status_line(out, code);
    out += extra;
    out += "\r\n";
    conn.send_raw(out);
    conn.finish_response(conn.keep_alive_requested());
  }

  void echo(http::ServerConnection& conn, const http::Request& request, const std::string& extra) {
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
                 extra);
  }

  void fault(http::ServerConnection& conn, const http::Request& request) {
    if (request.head.method == http::Method::kPost) {
      std::string_view q = request.head.query;
      std::string rate(http::query_param(q, "error_rate").value_or(""));
      std::string latency(http::query_param(q, "latency_ms").value_or(""));
      std::string health(http::query_param(q, "health").value_or(""));
      std::string empty(http::query_param(q, "empty_body").value_or(""));
      if (!rate.empty()) {
        double r = std::atof(rate.c_str());
        faults_.error_rate.store(r < 0 ? 0 : (r > 1 ? 1 : r));
      }
      if (!latency.empty()) faults_.latency_ms.store(std::max(0, std::atoi(latency.c_str())));
      if (!health.empty()) faults_.health_failing.store(health == "fail");
      if (!empty.empty()) faults_.empty_body.store(empty == "1" || empty == "true");
      log::info("ORIGIN", "faults changed",
                {{"name", name_},
                 {"error_rate", faults_.error_rate.load()},
                 {"latency_ms", faults_.latency_ms.load()},
                 {"empty_body", faults_.empty_body.load()},
                 {"health", faults_.health_failing.load() ? "fail" : "ok"}});
    }
    conn.respond(200, "application/json",
                 json{{"error_rate", faults_.error_rate.load()},
                      {"latency_ms", faults_.latency_ms.load()},
                      {"empty_body", faults_.empty_body.load()},
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
