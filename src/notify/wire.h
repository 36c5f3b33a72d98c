// The wire formats of the five channel types, as pure functions: an event and its channel in, the
// HTTP request out (format_*); the service's answer in, what to do next out (classify_*). No
// I/O, no clock: the delivery thread supplies both (docs/ONCALL.md lists every field).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "notify/channel.h"
#include "notify/event.h"
#include "notify/planner.h"

namespace x0::notify {

struct OutboundRequest {
  std::string method = "POST";  // POST, or PATCH for a Statuspage update
  std::string url;              // may carry the secret (Telegram, Slack): never log it
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// What came back: a status and the start of the body, or a transport failure (status 0).
struct ServiceAnswer {
  int status = 0;
  std::string body;                      // first 64 KiB
  std::optional<int64_t> retry_after_s;  // the Retry-After header, when in delta-seconds
  std::string transport_error;           // set when status == 0 (refused, timed out, bad TLS)
};

enum class Verdict { kDelivered, kRetry, kPermanent };
struct Outcome {
  Verdict verdict = Verdict::kRetry;
  std::optional<int64_t> retry_after_ms;  // the service's own hint, when it gave one
  std::string reason;                     // for the timeline and the log: "answered 400: ..."
  std::string remote_id;                  // Statuspage: the incident id a create returned
};

struct FormatContext {
  std::string node_id;      // PagerDuty `source`, the webhook's `node_id`
  std::string public_url;   // [notify] public_url: links to /incidents/{id}/report; may be empty
  std::string remote_id;    // Statuspage: the incident a create made (empty: create now)
  std::string delivery_id;  // the outbox dedup key (webhook id and Idempotency-Key)
  int64_t now_ms = 0;       // unix ms (the webhook's signature timestamp)
};

OutboundRequest format(const Channel& channel, const Event& event, const FormatContext& context);
Outcome classify(const Channel& channel, const ServiceAnswer& answer);

namespace detail {
OutboundRequest format_pagerduty(const Channel& c, const Event& e, const FormatContext& x);
OutboundRequest format_slack(const Channel& c, const Event& e, const FormatContext& x);
OutboundRequest format_telegram(const Channel& c, const Event& e, const FormatContext& x);
OutboundRequest format_statuspage(const Channel& c, const Event& e, const FormatContext& x);
OutboundRequest format_webhook(const Channel& c, const Event& e, const FormatContext& x);
Outcome classify_pagerduty(const ServiceAnswer& a);
Outcome classify_slack(const ServiceAnswer& a);
Outcome classify_telegram(const ServiceAnswer& a);
Outcome classify_statuspage(const ServiceAnswer& a);
Outcome classify_webhook(const ServiceAnswer& a);

// Shared by the formats: "[SEV-1] opened: title", the report link, UTF-8 safe truncation.
std::string headline(const Event& e);
std::string report_link(const FormatContext& x, const Event& e);  // empty without public_url
std::string truncate_utf8(std::string_view s, size_t max_code_points);
size_t code_points(std::string_view s);
// Transport failures and 5xx are retried; `retry_after` is the hint if any.
Outcome retry(const ServiceAnswer& a, std::optional<int64_t> retry_after_ms = std::nullopt);
Outcome permanent(const ServiceAnswer& a);
std::string answer_text(const ServiceAnswer& a);  // "answered 400: <first 200 bytes>"
std::string slack_escape(std::string_view s);     // mrkdwn: & < > as entities
}  // namespace detail

// HMAC-SHA256 of `message` under `key`, lower-case hex (OpenSSL).
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

}  // namespace x0::notify
