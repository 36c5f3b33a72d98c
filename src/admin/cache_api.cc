// The cache's operator endpoints (see cache_api.h).
#include "admin/cache_api.h"

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "admin/cache_admin.h"
#include "admin/control_thread.h"
#include "common/clock.h"
#include "common/log.h"
#include "http/serialize.h"
#include "incident/incident_store.h"

namespace x0::admin {
namespace {

using json = nlohmann::json;

// How long /admin/data/verify waits on cache_io for the control thread's incident check.
constexpr auto kIncidentVerifyWait = std::chrono::seconds(60);

Reply json_reply(int status, const json& body) { return Reply{status, body.dump(2) + "\n"}; }

int http_status(Errc code) {
  switch (code) {
    case Errc::kBadRequest:
      return 400;
    case Errc::kConflict:
      return 409;
    default:
      return 500;
  }
}

Reply error_reply(const Error& e) {
  return json_reply(http_status(e.code), {{"error", e.name()}, {"detail", e.detail}});
}

void respond(http::ServerConnection& conn, int status, const json& body) {
  conn.respond(status, "application/json", body.dump(2) + "\n");
}

bool cache_on(const CacheServices& cache) { return cache.admin != nullptr && cache.io != nullptr; }

// The warm body: a JSON array of strings or {"urls": [...]}; empty (or blank) = no list.
Result<std::vector<std::string>> parse_warm_body(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return std::vector<std::string>{};
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail(Errc::kBadRequest, "the body is not valid JSON");
  const json* list = &doc;
  if (doc.is_object()) {
    if (!doc.contains("urls")) return fail(Errc::kBadRequest, "expected {\"urls\": [...]}");
    list = &doc["urls"];
  }
  if (!list->is_array()) {
    return fail(Errc::kBadRequest, "expected a JSON array of URLs or {\"urls\": [...]}");
  }
  std::vector<std::string> urls;
  for (const auto& u : *list) {
    if (!u.is_string()) return fail(Errc::kBadRequest, "every URL must be a JSON string");
    urls.push_back(u.get<std::string>());
  }
  if (urls.empty()) return fail(Errc::kBadRequest, "the URL list is empty");
  return urls;
}

// The incident half of /admin/data/verify; control thread only.
json verify_incidents(const IncidentServices& incidents) {
  if (incidents.store == nullptr) {
    return {{"ok", false}, {"error", "unavailable"},
            {"detail", incidents.unavailable.empty() ? "incident store not open" : incidents.unavailable}};
  }
  auto report = incidents.store->verify();
  if (!report) {
    return {{"ok", false}, {"error", report.error().name()}, {"detail", report.error().detail}};
  }
  return incident::to_json(*report);
}

// Runs verify_incidents on the control thread and waits for it (called on cache_io).
json verify_incidents_on_control(const IncidentServices& incidents, ControlThread* control) {
  if (control == nullptr) {
    return {{"ok", false}, {"error", "unavailable"}, {"detail", "control thread not running"}};
  }
  auto done = std::make_shared<std::promise<json>>();
  std::future<json> result = done->get_future();
  const IncidentServices* state = &incidents;  // the node's: outlives the wait
  control->post([done, state] {
    try {
      done->set_value(verify_incidents(*state));
    } catch (const std::exception& e) {
      done->set_value({{"ok", false}, {"error", "store_error"}, {"detail", e.what()}});
    }
  });
  if (result.wait_for(kIncidentVerifyWait) != std::future_status::ready) {
    return {{"ok", false}, {"error", "timeout"},
            {"detail", "the control thread did not run the incident check in time"}};
  }
  return result.get();
}

json data_verify_body(json cache_part, json incidents_part) {
  bool cache_ok = !cache_part.contains("ok") || cache_part["ok"] == true;
  bool incidents_ok = incidents_part.value("ok", false);
  log::info("CACHE", "data verified", {{"snapshots_ok", cache_ok}, {"incidents_ok", incidents_ok}});
  return {{"ok", cache_ok && incidents_ok}, {"cache", std::move(cache_part)},
          {"incidents", std::move(incidents_part)}};
}

}  // namespace

void handle_cache_admin(const CacheServices& cache, http::ServerConnection& conn, const http::Request& request) {
  std::string_view action = request.head.path.substr(std::string_view("/admin/cache/").size());
  if (action != "clear" && action != "verify" && action != "snapshot" && action != "restore" &&
      action != "warm") {
    return respond(conn, 404, {{"error", "not_found"},
                               {"detail", "use POST /admin/cache/{clear|verify|snapshot|restore|warm}"}});
  }
  if (request.head.method != http::Method::kPost) {
    return respond(conn, 405, {{"error", "method_not_allowed"}, {"detail", "use POST"}});
  }
  if (!cache_on(cache)) {
    return respond(conn, 503, {{"error", "cache_disabled"},
                               {"detail", "the response cache is off ([cache] enabled = false)"}});
  }
  CacheAdmin* admin = cache.admin;
  if (action == "clear") {
    std::string prefix;
    if (auto p = http::query_param(request.head.query, "prefix")) {
      if (p->empty() || p->front() != '/') {
        return respond(conn, 400, {{"error", "bad_request"},
                                   {"detail", "prefix must start with '/' (a path prefix)"}});
      }
      prefix = std::string(*p);
    }
    return answer_async(conn, *cache.io, [admin, prefix] {
      return json_reply(200, admin->clear(prefix));
    });
  }
  if (action == "verify") {
    return answer_async(conn, *cache.io, [admin] { return json_reply(200, admin->verify()); });
  }
  if (action == "snapshot") {
    return answer_async(conn, *cache.io, [admin] {
      auto written = admin->snapshot(unix_ms());
      return written ? json_reply(200, *written) : error_reply(written.error());
    });
  }
  if (action == "restore") {
    return answer_async(conn, *cache.io,
                        [admin] { return json_reply(200, admin->restore(unix_ms())); });
  }
  // warm
  if (request.head.body_kind == http::BodyKind::kChunked) {
    return respond(conn, 400, {{"error", "bad_request"}, {"detail", "send the body with Content-Length"}});
  }
  auto urls = parse_warm_body(request.body);
  if (!urls)
    return respond(conn, 400, {{"error", urls.error().name()}, {"detail", urls.error().detail}});
  answer_async(conn, *cache.io, [admin, list = std::move(*urls)]() mutable {
    auto started = admin->start_warm(std::move(list));
    return started ? json_reply(202, *started) : error_reply(started.error());
  });
}

void handle_data_verify(const CacheServices& cache, const IncidentServices& incidents, ControlThread* control,
                        http::ServerConnection& conn, const http::Request& request) {
  if (request.head.method != http::Method::kPost) {
    return respond(conn, 405, {{"error", "method_not_allowed"}, {"detail", "use POST"}});
  }
  const IncidentServices* state = &incidents;  // the node's: outlives the request
  if (cache_on(cache)) {
    CacheAdmin* admin = cache.admin;
    return answer_async(conn, *cache.io, [admin, state, control] {
      json snapshots = admin->verify_snapshots(unix_ms());
      return json_reply(200, data_verify_body(std::move(snapshots), verify_incidents_on_control(*state, control)));
    });
  }
  json cache_part = {{"enabled", false}};
  if (control == nullptr) {
    return respond(conn, 200, data_verify_body(cache_part, verify_incidents_on_control(incidents, control)));
  }
  answer_async(conn, *control, [state, cache_part] {
    return json_reply(200, data_verify_body(cache_part, verify_incidents(*state)));
  });
}

json cache_status(const CacheServices& cache) {
  if (cache.admin == nullptr) return {{"enabled", false}};
  return cache.admin->status();
}

json cache_health(const CacheServices& cache, telemetry::Status* status) {
  *status = telemetry::Status::kHealthy;
  json out = {{"status", "healthy"}, {"type", "response_cache"}};
  if (cache.admin == nullptr) {
    out["enabled"] = false;
    return out;
  }
  json s = cache.admin->status();
  if (!s["degraded"].empty()) *status = telemetry::Status::kDegraded;
  out["status"] = telemetry::to_string(*status);
  out.update(s);
  return out;
}

}  // namespace x0::admin
