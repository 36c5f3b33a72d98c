// Incident endpoints (see incident_api.h).
#include "admin/incident_api.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "admin/control_thread.h"
#include "common/log.h"
#include "incident/incident_json.h"
#include "incident/incident_store.h"
#include "http/serialize.h"
#include "incident/report.h"

namespace x0::admin {
namespace {

using json = nlohmann::json;

Reply json_reply(int status, const json& body) { return Reply{status, body.dump(2) + "\n"}; }
Reply error_reply(const Error& e) {
  return json_reply(incident::http_status(e), incident::error_json(e));
}

}  // namespace

void handle_incidents(const IncidentServices& api, ControlThread* control, http::ServerConnection& conn,
                      const http::Request& request) {
  std::string_view path = request.head.path;
  std::string_view rest = path.substr(std::string_view("/incidents").size());
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  std::string id(rest.substr(0, rest.find('/')));
  std::string verb = rest.find('/') == std::string_view::npos ? "" : std::string(rest.substr(rest.find('/') + 1));
  bool get = request.head.method == http::Method::kGet || request.head.method == http::Method::kHead;
  bool post = request.head.method == http::Method::kPost;
  if (api.store == nullptr || control == nullptr) {
    std::string detail = api.unavailable.empty() ? "incident store not open" : api.unavailable;
    conn.respond(503, "application/json", json{{"error", "unavailable"}, {"detail", detail}}.dump() + "\n");
    return;
  }
  bool ok = (id.empty() && (get || post)) || (!id.empty() && verb.empty() && get) ||
            (!id.empty() && verb == "report" && get) ||
            (!id.empty() && post && (verb == "ack" || verb == "update" || verb == "resolve"));
  if (!ok) {
    conn.respond(405, "application/json",
                 R"({"error":"bad_request","detail":"see GET /incidents, /incidents/{id}, /incidents/{id}/report; POST /incidents, /incidents/{id}/{ack,update,resolve}"})" "\n");
    return;
  }
  incident::IncidentStore* store = api.store;
  std::string body(request.body);
  std::string query(request.head.query);
  std::string actor = "operator:" + conn.peer_ip();
  answer_async(conn, *control, [=]() -> Reply {
    if (id.empty() && !post) {
      auto filter = incident::parse_list_filter(http::query_param(query, "status"),
                                                http::query_param(query, "severity"),
                                                http::query_param(query, "limit"));
      if (!filter) return error_reply(filter.error());
      filter->with_timeline = false;
      auto list = store->list(*filter);
      if (!list) return error_reply(list.error());
      json items = json::array();
      for (const auto& i : *list) items.push_back(incident::to_json(i, false));
      return json_reply(200, items);
    }
    if (id.empty()) {
      auto request_body = incident::parse_open_request(body);
      if (!request_body) return error_reply(request_body.error());
      request_body->detection = incident::DetectionMethod::kManual;
      if (request_body->actor == "operator") request_body->actor = actor;
      auto opened = store->open_incident(*request_body);
      if (!opened) return error_reply(opened.error());
      log::info("INCIDENT", "opened manually", {{"id", opened->incident.id}, {"actor", actor}});
      return json_reply(201, incident::to_json(opened->incident));
    }
    if (verb.empty() || verb == "report") {
      auto found = store->get(id);
      if (!found) return error_reply(found.error());
      if (verb.empty()) return json_reply(200, incident::to_json(*found));
      int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count();
      return Reply{200, incident::render_report(*found, now), "text/markdown; charset=utf-8"};
    }
    Result<incident::Incident> changed = fail(Errc::kBadRequest, "unknown verb");
    if (verb == "resolve") {
      auto resolve = incident::parse_resolve_request(body);
      if (!resolve) return error_reply(resolve.error());
      if (resolve->actor == "operator") resolve->actor = actor;
      changed = store->resolve(id, *resolve);
    } else {
      auto note = verb == "ack" ? incident::parse_ack_request(body) : incident::parse_update_request(body);
      if (!note) return error_reply(note.error());
      if (note->actor == "operator") note->actor = actor;
      changed = verb == "ack" ? store->acknowledge(id, *note) : store->add_update(id, *note);
    }
    if (!changed) return error_reply(changed.error());
    log::info("INCIDENT", "incident " + verb, {{"id", id}, {"actor", actor}});
    return json_reply(200, incident::to_json(*changed));
  });
}

}  // namespace x0::admin
