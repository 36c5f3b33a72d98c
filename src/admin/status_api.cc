// The status page's endpoints and its uptime sampler (see status_api.h).
#include "admin/status_api.h"

#include <chrono>

#include "admin/control_thread.h"
#include "admin/health_report.h"
#include "admin/operator_api.h"
#include "common/log.h"
#include "incident/incident_store.h"
#include "status/render.h"
#include "status/status_page.h"

namespace x0::admin {
namespace {

constexpr std::string_view kCacheControl = "Cache-Control: no-cache\r\n";
constexpr int kMaxIncidentsRead = 100;  // unresolved ones and the recent ones, each

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The unresolved incidents (control thread); an empty list when the store cannot answer.
std::vector<incident::Incident> unresolved_incidents(incident::IncidentStore& store) {
  incident::ListFilter filter;
  filter.unresolved_only = true;
  filter.limit = kMaxIncidentsRead;
  auto list = store.list(filter);
  return list ? std::move(*list) : std::vector<incident::Incident>{};
}

// Control thread: everything the page says, from the /health body the worker read.
status::PageInputs page_inputs(const config::Config& config, const std::string& node_id,
                               incident::IncidentStore* store, nlohmann::json health) {
  status::PageInputs in;
  in.node_id = node_id;
  in.page_name = config.status.page_name;
  in.public_url = config.notify.public_url;
  in.show_addresses = config.status.show_addresses;
  in.now_ms = unix_now_ms();
  in.health = std::move(health);
  // Never the store's own error text (it names files): the page is public.
  const std::string unavailable = "Incident history is unavailable on this node right now.";
  if (store == nullptr) {
    in.incidents_unavailable = unavailable;
    return in;
  }
  incident::ListFilter unresolved;
  unresolved.unresolved_only = true;
  unresolved.limit = kMaxIncidentsRead;
  incident::ListFilter recent;
  recent.limit = kMaxIncidentsRead;
  auto open = store->list(unresolved);
  auto last = store->list(recent);
  auto uptime = store->uptime_history();
  if (!open || !last || !uptime) in.incidents_unavailable = unavailable;
  if (open) in.unresolved = std::move(*open);
  if (last) in.recent = std::move(*last);
  if (uptime) in.uptime = std::move(*uptime);
  return in;
}

}  // namespace

void handle_status_page(const NodeState& node, http::ServerConnection& conn,
                        const http::Request& request) {
  const bool json = request.head.path == "/status.json";
  if (request.head.method != http::Method::kGet && request.head.method != http::Method::kHead)
    return conn.respond(405, "application/json",
                        R"({"error":"method_not_allowed","detail":"use GET or HEAD"})"
                        "\n",
                        "Allow: GET, HEAD\r\n");
  auto config = node.config.load();
  if (!config->status.enabled)
    return respond_error(conn, 404, "not_found", "[status] enabled = false on this node");
  if (node.control == nullptr)
    return respond_error(conn, 503, "unavailable", "the control thread is not running");
  // At most one build a second reaches the control thread, however hard the page is read.
  const int64_t now = unix_now_ms();
  bool build = false;
  std::shared_ptr<const StatusPageCache::Copy> stale;
  auto answer = [&conn, json](const StatusPageCache::Copy& copy) {
    conn.respond(200, json ? "application/json" : "text/html; charset=utf-8",
                 json ? copy.json : copy.html, kCacheControl);
  };
  if (auto fresh = node.status_cache->lookup(now, &build, &stale)) return answer(*fresh);
  if (!build && stale) return answer(*stale);  // another request's build is under way
  // Read here, on the worker: the same verdicts /health answers with at this instant.
  nlohmann::json health = health_report(node).body;
  incident::IncidentStore* store = node.incidents.store;
  std::string node_id = node.node_id;
  StatusPageCache* cache = node.status_cache.get();
  answer_async(
      conn, *node.control,
      [config, store, node_id, json, now, cache, health = std::move(health)]() mutable -> Reply {
        status::StatusPage page =
            status::build_page(page_inputs(*config, node_id, store, std::move(health)));
        page.refresh_s = config->status.refresh_s;
        StatusPageCache::Copy copy{status::summary_json_text(page), status::render_html(page), now};
        Reply reply{200, json ? copy.json : copy.html,
                    json ? "application/json" : "text/html; charset=utf-8",
                    std::string(kCacheControl)};
        cache->publish(std::move(copy));
        return reply;
      });
}

void sample_uptime(const NodeState& node, incident::IncidentStore& store) {
  std::vector<status::Component> components =
      status::components_from_health(health_report(node).body);
  status::apply_incidents(components, unresolved_incidents(store));
  std::vector<incident::UptimeSample> samples;
  samples.reserve(components.size());
  for (const status::Component& c : components) samples.push_back({c.id, c.status});
  (void)store.record_uptime(samples);  // a failure is logged by the store: a gap in the bars
}

}  // namespace x0::admin
