// Release endpoints (see release_api.h).
#include "admin/release_api.h"

#include <nlohmann/json.hpp>

#include "admin/control_thread.h"
#include "common/log.h"
#include "release/release_controller.h"
#include "release/release_json.h"

namespace x0::admin {
namespace {

using json = nlohmann::json;

Reply json_reply(int status, const json& body) { return Reply{status, body.dump(2) + "\n"}; }

int http_status(Errc code) {
  switch (code) {
    case Errc::kNotFound:
      return 404;
    case Errc::kConflict:
    case Errc::kInvalidState:
      return 409;
    case Errc::kBadRequest:
      return 400;
    case Errc::kSmokeFailed:
    case Errc::kSmokeUnavailable:
      return 424;
    default:
      return 500;
  }
}

Reply error_reply(const Error& e) {
  return json_reply(http_status(e.code), {{"error", e.name()}, {"detail", e.detail}});
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

}  // namespace

void handle_releases(const ReleaseServices& api, ControlThread* control, http::ServerConnection& conn,
                     const http::Request& request) {
  auto parts = segments(request.head.path);  // "releases", service, verb
  bool get = request.head.method == http::Method::kGet || request.head.method == http::Method::kHead;
  bool post = request.head.method == http::Method::kPost;
  if (api.controller == nullptr || control == nullptr) {
    std::string detail = api.unavailable.empty() ? "release controller not running" : api.unavailable;
    conn.respond(503, "application/json", json{{"error", "unavailable"}, {"detail", detail}}.dump() + "\n");
    return;
  }
  bool shape_ok = (parts.size() == 1 && get) || (parts.size() == 2 && get) || (parts.size() == 3 && post);
  if (!shape_ok) {
    conn.respond(parts.size() == 3 || parts.size() == 1 ? 405 : 404, "application/json",
                 R"({"error":"bad_request","detail":"use GET /releases[/{service}] or POST /releases/{service}/{start|promote|rollback|pause|resume|abort}"})" "\n");
    return;
  }
  std::string service = parts.size() > 1 ? std::string(parts[1]) : "";
  std::string verb = parts.size() > 2 ? std::string(parts[2]) : "";
  std::string body(request.body);
  std::string actor = "operator:" + conn.peer_ip();
  release::ReleaseController* releases = api.controller;
  auto smoke_check = api.smoke_check;  // a copy: the command runs later, on the control thread
  auto when_routed = api.when_routed;
  // A release command's outcome as the operator's reply (control thread), sent once the workers
  // route by it.
  auto answer = [=](const Result<release::Release>& result, const ReplyFn& reply) {
    if (!result) return reply(error_reply(result.error()));
    log::info("RELEASE", "release " + verb, {{"service", service}, {"release", result->id},
                                             {"state", release::to_string(result->state)},
                                             {"actor", actor}});
    Reply ok = json_reply(200, release::to_json(*result));
    if (!when_routed) return reply(ok);
    when_routed([=](Result<void> routed) {
      if (routed) return reply(ok);
      reply(json_reply(503, {{"error", routed.error().name()},
                             {"detail", "release " + result->id + " is " +
                                            std::string(release::to_string(result->state)) +
                                            " but the route table was not rebuilt: " +
                                            routed.error().detail}}));
    });
  };
  answer_async_later(conn, *control, [=](const ReplyFn& reply) {
    if (verb.empty() && service.empty()) return reply(json_reply(200, release::to_json(releases->list())));
    if (verb.empty()) {
      auto active = releases->active(service);
      if (!active)
        return reply(json_reply(404, {{"error", "not_found"}, {"detail", "no active release for " + service}}));
      return reply(json_reply(200, release::to_json(*active)));
    }
    if (verb == "start") {
      auto spec = release::parse_start_body(body);
      if (!spec) return reply(error_reply(spec.error()));
      return answer(releases->start(service, *spec, actor), reply);
    }
    auto reason = body.empty() ? Result<std::string>("") : release::parse_reason_body(body);
    if (!reason) return reply(error_reply(reason.error()));
    std::string why = reason->empty() ? "requested by operator" : *reason;
    if (verb == "promote") {
      // Blue/green: the smoke check is a task on the control loop; the promote is applied (or
      // refused) and answered when its result comes back, the control thread free meanwhile.
      std::optional<release::Release> target = releases->smoke_target(service);
      if (!target) return answer(releases->finish_promote(service, actor, std::nullopt, {}), reply);
      if (!smoke_check)
        return reply(
            error_reply({Errc::kSmokeUnavailable, "blue/green promote needs a smoke check"}));
      smoke_check(*target, [=](Result<void> smoke) {
        answer(releases->finish_promote(service, actor, target, smoke), reply);
      });
      return;
    }
    Result<release::Release> result = fail(Errc::kBadRequest, "unknown release command: " + verb);
    if (verb == "rollback") result = releases->rollback(service, why, actor);
    else if (verb == "pause") result = releases->pause(service, why, actor);
    else if (verb == "resume") result = releases->resume(service, actor);
    else if (verb == "abort") result = releases->abort(service, why, actor);
    answer(result, reply);
  });
}

}  // namespace x0::admin
