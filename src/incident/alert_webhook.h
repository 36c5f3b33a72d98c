// Alertmanager's webhook body (its version 4 JSON) read into what the incident store records:
// per alert an OpenRequest (firing) or an AlertResolution (resolved), keyed by its fingerprint.
// The body comes from whoever holds the admin token, so everything kept is bounded: the
// fingerprint's length and alphabet, rule and target names, the title, the labels stored with
// the detection, the groupKey. An alert that cannot be recorded as sent (no alertname, a
// fingerprint out of bounds) is kept with the reason, for the answer, and never stored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "incident/incident.h"
#include "incident/incident_store.h"

namespace x0::incident {

inline constexpr size_t kMaxFingerprintBytes = 64;  // Alertmanager's are 16 hex digits
inline constexpr size_t kMaxGroupKeyBytes = 512;    // longer is cut (it is only recorded)
inline constexpr size_t kMaxAlertNameBytes = 200;   // alertname and the target label
inline constexpr size_t kMaxLabelsBytes = 4096;     // the labels stored, as JSON
inline constexpr size_t kMaxLabelValueBytes = 512;  // longer values are cut
inline constexpr size_t kMaxAlertsPerWebhook = 1000;

struct WebhookAlert {
  bool resolved = false;
  std::string alertname{};
  std::string fingerprint{};
  std::string rejected{};        // non-empty: why this alert is not recorded
  OpenRequest open{};            // firing
  AlertResolution resolution{};  // resolved
};

struct Webhook {
  std::string group_key{};
  std::vector<WebhookAlert> alerts{};
};

// bad_request when the body is not an object with an "alerts" array (or has more than
// kMaxAlertsPerWebhook). Times: startsAt and endsAt are used only when valid RFC 3339, no older
// than a week and not later than now_ms + a minute (clamped to now_ms).
Result<Webhook> parse_alertmanager_webhook(std::string_view body, int64_t now_ms);

}  // namespace x0::incident
