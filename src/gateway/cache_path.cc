// Cache lookup before proxying and the replay of stored responses (see cache_path.h).
#include "gateway/cache_path.h"

#include <ctime>

#include "cache/cache_policy.h"
#include "cache/response_store.h"
#include "gateway/access_log.h"
#include "http/serialize.h"

namespace x0::gateway {
namespace {

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

cache::Headers cache_headers(const http::HeaderList& headers, std::vector<cache::Header>& scratch) {
  scratch.clear();
  for (const http::Header& h : headers) scratch.push_back({h.name, h.value});
  return scratch;
}

bool answer_from_cache(WorkerContext& worker, const ServiceState& service, EndpointRole side,
                       http::ServerConnection& conn, const http::Request& request,
                       const RequestTarget& target, CacheProbe& probe) {
  probe = CacheProbe{};
  const http::RequestHead& head = request.head;
  bool method_ok = head.method == http::Method::kGet || head.method == http::Method::kHead;
  // A request whose Connection hides fields from the origin is answered for a request the
  // cache never saw (e.g. "Connection: Origin" with Vary: Origin): it neither reads nor fills it.
  if (worker.cache == nullptr || !service.cache_rules.enabled || !method_ok ||
      head.body_kind != http::BodyKind::kNone || side == EndpointRole::kCandidate ||
      http::connection_hides_fields(head.headers)) {
    return false;
  }
  int64_t started_ns = monotonic_ns();
  probe.eligible = true;
  cache::Headers headers = cache_headers(head.headers, worker.request_headers);
  cache::RequestRules rules = cache::request_rules(headers, service.cache_rules);
  probe.may_use_stored = rules.may_use_stored;
  probe.may_store = rules.may_store;
  thread_local std::string key_target;
  key_target.assign(target.path);
  if (!head.query.empty()) key_target.append("?").append(head.query);
  probe.key = cache::CacheKey(head.method_text, target.authority, key_target);
  if (!rules.may_use_stored) return false;
  cache::LookupResult found = worker.cache->lookup(probe.key, headers, unix_ms());
  if (found.status == cache::LookupStatus::kHit &&
      cache::satisfies(rules, found.age_s, found.response->freshness.lifetime_s)) {
    double seconds = static_cast<double>(monotonic_ns() - started_ns) / 1e9;
    record_cache_answer(service, conn, request, found.response->status, seconds, "-");
    send_cached(conn, request, *found.response, found.age_s, "HIT");
    return true;
  }
  if (found.status == cache::LookupStatus::kStale && found.within_stale_if_error) {
    probe.stale = std::move(found.response);
  }
  return false;
}

void send_cached(http::ServerConnection& conn, const http::Request& request,
                 const cache::CachedResponse& entry, int64_t age_s, std::string_view label) {
  bool keep_alive = request.head.keep_alive && conn.keep_alive_requested();
  std::string tail;
  tail.reserve(64);
  tail.append("Age: ").append(std::to_string(age_s)).append("\r\nX-Cache: ").append(label);
  tail.append("\r\n");
  if (!keep_alive) {
    tail.append("Connection: close\r\n");
  } else if (request.head.version_minor == 0) {
    tail.append("Connection: keep-alive\r\n");
  }
  tail.append("\r\n");
  conn.append_output(entry.head);
  conn.append_output(tail);
  if (request.head.method != http::Method::kHead) conn.append_output(entry.body);
  conn.finish_response(keep_alive);
}

void record_cache_answer(const ServiceState& service, http::ServerConnection& conn,
                         const http::Request& request, int status, double seconds,
                         std::string_view request_id) {
  service.stats->record_cached(status, seconds);
  if (access_log_enabled()) {
    log_access({conn.peer_ip(), request.head.method_text, request.head.target, status, seconds,
                service.config.name, "cache", request_id});
  }
}

}  // namespace x0::gateway
