// Reader of Alertmanager's webhook JSON (see alert_webhook.h).
#include "incident/alert_webhook.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/rfc3339.h"
#include "incident/incident_json.h"

namespace x0::incident {
namespace {

using json = nlohmann::json;

// At most n bytes of s, never ending inside a UTF-8 sequence (the parser has checked the input
// is UTF-8).
std::string cut(std::string s, size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

std::string string_at(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// Alertmanager severities (critical/warning/info) or our own SEV-N.
Severity severity_of(const std::string& s) {
  if (s == "critical" || s == "SEV-1") return Severity::kSev1;
  if (s == "warning" || s == "SEV-2") return Severity::kSev2;
  if (s == "info" || s == "SEV-4") return Severity::kSev4;
  return Severity::kSev3;
}

// startsAt or endsAt in unix ms when it is a time the incident can use: parsed, no older than a
// week (Alertmanager's "unset" is year 1), and not in the future beyond a minute of clock skew
// between Prometheus and this node (clamped to now). Else nullopt.
std::optional<int64_t> alert_time(const json& alert, const char* key, int64_t now_ms) {
  auto it = alert.find(key);
  if (it == alert.end() || !it->is_string()) return std::nullopt;
  auto ms = parse_rfc3339_ms(it->get<std::string>());
  constexpr int64_t kWeekMs = 7LL * 24 * 3600 * 1000;
  constexpr int64_t kSkewMs = 60'000;
  if (!ms || *ms > now_ms + kSkewMs || *ms < now_ms - kWeekMs) return std::nullopt;
  return std::min(*ms, now_ms);
}

// The labels kept with the detection: string values only, each cut to kMaxLabelValueBytes, in
// the body's order until kMaxLabelsBytes of JSON; "truncated" says some were left out.
json bounded_labels(const json& labels, bool* truncated) {
  json out = json::object();
  if (!labels.is_object()) return out;
  size_t bytes = 2;
  for (auto it = labels.begin(); it != labels.end(); ++it) {
    if (!it.value().is_string() || it.key().size() > kMaxAlertNameBytes) {
      *truncated = true;
      continue;
    }
    std::string value = cut(it.value().get<std::string>(), kMaxLabelValueBytes);
    if (value.size() < it.value().get_ref<const std::string&>().size()) *truncated = true;
    const size_t add = json(it.key()).dump().size() + json(value).dump().size() + 2;
    if (bytes + add > kMaxLabelsBytes) {
      *truncated = true;
      continue;
    }
    bytes += add;
    out[it.key()] = std::move(value);
  }
  return out;
}

// Empty when the fingerprint is fine (or absent); else why the alert is refused.
std::string check_fingerprint(const json& alert, std::string* out) {
  auto it = alert.find("fingerprint");
  if (it == alert.end() || it->is_null()) return "";
  if (!it->is_string()) return "fingerprint is not a string";
  const auto& fp = it->get_ref<const std::string&>();
  if (fp.size() > kMaxFingerprintBytes)
    return "fingerprint longer than " + std::to_string(kMaxFingerprintBytes) + " bytes";
  const bool plain = std::all_of(fp.begin(), fp.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '_';
  });
  if (!plain) return "fingerprint has characters other than letters, digits, - and _";
  *out = fp;
  return "";
}

WebhookAlert read_alert(const json& alert, const std::string& group_key, int64_t now_ms) {
  WebhookAlert out;
  if (!alert.is_object()) {
    out.rejected = "not a JSON object";
    return out;
  }
  const json& labels = alert.contains("labels") ? alert["labels"] : json::object();
  out.resolved = string_at(alert, "status") == "resolved";
  out.alertname = cut(string_at(labels, "alertname"), kMaxAlertNameBytes);
  out.rejected = check_fingerprint(alert, &out.fingerprint);
  if (!out.rejected.empty()) return out;
  const std::string name = string_at(labels, "alertname");
  if (name.empty()) {
    out.rejected = "no alertname label";
    return out;
  }
  std::string target = string_at(labels, "service");
  if (target.empty()) target = string_at(labels, "instance");
  if (target.empty()) target = string_at(labels, "job");
  if (target.empty()) target = "node";
  if (name.size() > kMaxAlertNameBytes || target.size() > kMaxAlertNameBytes) {
    out.rejected =
        "alertname or target label longer than " + std::to_string(kMaxAlertNameBytes) + " bytes";
    return out;
  }
  if (out.resolved) {
    AlertResolution& r = out.resolution;
    r.fingerprint = out.fingerprint;
    r.rule = name;
    r.target = target;
    r.group_key = group_key;
    r.ends_ms = alert_time(alert, "endsAt", now_ms);
    r.text = "alert " + name + " resolved in Alertmanager";
    return out;
  }
  OpenRequest& open = out.open;
  const std::string summary = string_at(alert.value("annotations", json::object()), "summary");
  open.title = cut(summary.empty() ? name + " on " + target : summary, kMaxTitleBytes);
  open.severity = severity_of(string_at(labels, "severity"));
  open.detection = DetectionMethod::kAlert;
  open.rule = name;
  open.target = target;
  if (target != "node") open.affected_services = {target};
  open.actor = "alertmanager";
  // The alert's own start (startsAt): MTTD counts from there, not from the arrival of the
  // notification, which Alertmanager's group_wait and the rule's `for:` delay.
  open.first_anomalous_ms = alert_time(alert, "startsAt", now_ms);
  bool truncated = false;
  open.fields = {{"labels", bounded_labels(labels, &truncated)}};
  if (truncated) open.fields["labels_truncated"] = true;
  if (!out.fingerprint.empty()) open.fields["fingerprint"] = out.fingerprint;
  if (!group_key.empty()) open.fields["group_key"] = group_key;
  open.alert_fingerprint = out.fingerprint;
  open.alert_group_key = group_key;
  return out;
}

}  // namespace

Result<Webhook> parse_alertmanager_webhook(std::string_view body, int64_t now_ms) {
  const json payload = json::parse(body.begin(), body.end(), nullptr, false);
  if (payload.is_discarded() || !payload.is_object() || !payload.contains("alerts") ||
      !payload["alerts"].is_array())
    return fail(Errc::kBadRequest, "expected Alertmanager's webhook JSON with an alerts array");
  if (payload["alerts"].size() > kMaxAlertsPerWebhook)
    return fail(Errc::kBadRequest, "more than " + std::to_string(kMaxAlertsPerWebhook) +
                                       " alerts in one notification");
  Webhook out;
  out.group_key = cut(string_at(payload, "groupKey"), kMaxGroupKeyBytes);
  for (const json& alert : payload["alerts"])
    out.alerts.push_back(read_alert(alert, out.group_key, now_ms));
  return out;
}

}  // namespace x0::incident
