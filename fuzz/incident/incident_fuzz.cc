// Fuzzes the incident request-body parsers, the list query parser, incident_from_json, the
// RFC 3339 reader of Alertmanager's times and the Alertmanager webhook reader: any input gives a
// value or a bad_request error (or none), never a crash or an exception; what is accepted holds
// the documented limits, converts to JSON and renders into a report.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/rfc3339.h"
#include "incident/alert_webhook.h"
#include "incident/incident_json.h"
#include "incident/report.h"

using namespace x0::incident;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

template <class T>
void expect_value_or_bad_request(const x0::Result<T>& r) {
  if (!r.has_value()) check(r.error().code == x0::Errc::kBadRequest && !r.error().detail.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  auto open = parse_open_request(body);
  expect_value_or_bad_request(open);
  if (open.has_value()) {
    check(!open->title.empty() && open->title.size() <= kMaxTitleBytes);
    check(open->affected_services.size() <= kMaxListItems);
    Incident inc;
    inc.id = "INC-20261124-0001";
    inc.title = open->title;
    inc.severity = open->severity;
    inc.detection = open->detection;
    inc.affected_services = open->affected_services;
    inc.impact = open->impact;
    if (open->first_anomalous_ms)
      inc.timeline.push_back({*open->first_anomalous_ms, TimelineKind::kFirstAnomalousSample,
                              open->actor, "", nlohmann::json::object(), 1});
    inc.timeline.push_back({open->detected_ms.value_or(0), TimelineKind::kDetected, open->actor,
                            open->text, open->fields, 2});
    const std::string md = render_report(inc, 0);
    check(md.find("| Incident ID | INC-20261124-0001 |") != std::string::npos);
    auto back = incident_from_json(to_json(inc));
    check(back.has_value());
  }
  expect_value_or_bad_request(parse_ack_request(body));
  expect_value_or_bad_request(parse_update_request(body));
  auto resolve = parse_resolve_request(body);
  expect_value_or_bad_request(resolve);
  if (resolve.has_value()) check(!resolve->root_cause.empty() && !resolve->resolution.empty());

  expect_value_or_bad_request(parse_list_filter(body, body, body));

  // Alertmanager's startsAt/endsAt: a value only for a full date-time (20 bytes at least) of the
  // years 0000-9999, whatever the offset, so in [0000-01-01 - 24 h, 10000-01-01 + 24 h).
  if (auto ms = x0::parse_rfc3339_ms(body)) {
    check(body.size() >= 20);
    check(*ms >= -62'167'219'200'000 - 86'400'000 && *ms < 253'402'300'800'000 + 86'400'000);
  }

  // Alertmanager's webhook: every alert kept is within the bounds of alert_webhook.h.
  auto hook = parse_alertmanager_webhook(body, 1795532400000);
  expect_value_or_bad_request(hook);
  if (hook.has_value()) {
    check(hook->group_key.size() <= kMaxGroupKeyBytes);
    check(hook->alerts.size() <= kMaxAlertsPerWebhook);
    for (const auto& a : hook->alerts) {
      check(a.fingerprint.size() <= kMaxFingerprintBytes);
      if (!a.rejected.empty() || a.resolved) continue;
      check(!a.open.title.empty() && a.open.title.size() <= kMaxTitleBytes);
      check(!a.open.rule.empty() && a.open.rule.size() <= kMaxAlertNameBytes);
      check(a.open.target.size() <= kMaxAlertNameBytes);
      check(a.open.fields["labels"].dump().size() <= kMaxLabelsBytes);
      check(a.open.alert_fingerprint == a.fingerprint);
      if (a.open.first_anomalous_ms) check(*a.open.first_anomalous_ms <= 1795532400000);
    }
  }

  if (size <= kMaxBodyBytes) {
    auto j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
    if (!j.is_discarded()) {
      auto inc = incident_from_json(j);
      expect_value_or_bad_request(inc);
      if (inc.has_value()) (void)render_report(*inc, 0);
    }
  }
  return 0;
}
