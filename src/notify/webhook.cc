// The generic webhook: schema "x0tta6bl4.notification/v1" (docs/ONCALL.md), signed so that a
// receiver can tell it came from a node holding the shared key:
//   X-X0tta6bl4-Timestamp: <unix seconds>
//   X-X0tta6bl4-Signature: sha256=<hex HMAC-SHA256(key, timestamp + "." + body)>
// (the timestamp inside the MAC lets a receiver refuse replays). X-X0tta6bl4-Delivery and
// Idempotency-Key carry the dedup key: at-least-once delivery repeats it, never changes it.
// Any 2xx is success; 408, 429 and 5xx are retried; other 4xx are permanent.
#include <nlohmann/json.hpp>

#include "notify/wire.h"

namespace x0::notify::detail {

OutboundRequest format_webhook(const Channel& c, const Event& e, const FormatContext& x) {
  nlohmann::json incident = {{"id", e.incident_id},
                             {"title", e.title},
                             {"severity", to_string(e.severity)},
                             {"status", e.status},
                             {"detection", e.detection},
                             {"rule", e.rule},
                             {"target", e.target},
                             {"affected_services", e.services}};
  if (auto link = report_link(x, e); !link.empty()) incident["report_url"] = link;
  nlohmann::json body = {{"schema", "x0tta6bl4.notification/v1"},
                         {"id", x.delivery_id},
                         {"event", to_string(e.kind)},
                         {"level", to_string(e.level)},
                         {"occurred_at", rfc3339_utc(e.time_ms)},
                         {"node_id", x.node_id},
                         {"text", e.text},
                         {"details", e.details},
                         {"incident", incident}};
  OutboundRequest r;
  r.url = c.url;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.headers = {{"Content-Type", "application/json"},
               {"X-X0tta6bl4-Event", std::string(to_string(e.kind))},
               {"X-X0tta6bl4-Delivery", x.delivery_id},
               {"Idempotency-Key", x.delivery_id}};
  if (!c.secret.empty()) {
    const std::string ts = std::to_string(x.now_ms / 1000);
    r.headers.emplace_back("X-X0tta6bl4-Timestamp", ts);
    r.headers.emplace_back("X-X0tta6bl4-Signature",
                           "sha256=" + hmac_sha256_hex(c.secret, ts + "." + r.body));
  }
  return r;
}

Outcome classify_webhook(const ServiceAnswer& a) {
  if (a.status >= 200 && a.status < 300)
    return {Verdict::kDelivered, std::nullopt, "answered " + std::to_string(a.status), ""};
  if (a.status == 408 || a.status == 429)
    return retry(a, a.retry_after_s ? std::optional(*a.retry_after_s * 1000) : std::nullopt);
  if (a.status == 0 || a.status >= 500) return retry(a);
  return permanent(a);
}

}  // namespace x0::notify::detail
