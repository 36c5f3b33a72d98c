// Escalation timers and notifications (see escalation_tick.h).
#include "app/escalation_tick.h"

#include <poll.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "incident/incident_json.h"
#include "net/socket.h"

namespace x0::app {
namespace {

// Fire-and-forget POST of a JSON body to an http:// webhook, bounded to one second.
void post_webhook(const std::string& url, const std::string& body) {
  if (url.rfind("http://", 0) != 0) {
    log::warn("INCIDENT", "notify webhook skipped: only http:// is supported", {{"url", url}});
    return;
  }
  std::string rest = url.substr(7);
  std::string authority = rest.substr(0, rest.find('/'));
  std::string path = rest.find('/') == std::string::npos ? "/" : rest.substr(rest.find('/'));
  std::string host = authority.substr(0, authority.find(':'));
  uint16_t port = authority.find(':') == std::string::npos
                      ? 80 : static_cast<uint16_t>(std::atoi(authority.substr(authority.find(':') + 1).c_str()));
  auto address = net::resolve(host, port);
  auto fd = address ? net::connect_tcp(*address) : Result<net::Fd>(std::unexpected(address.error()));
  pollfd p{fd ? fd->get() : -1, POLLOUT, 0};
  if (!fd || ::poll(&p, 1, 1000) != 1 || net::connect_result(fd->get()) != 0) {
    log::warn("INCIDENT", "notify webhook unreachable", {{"url", url}});
    return;
  }
  std::string request = "POST " + path + " HTTP/1.1\r\nHost: " + authority +
                        "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body;
  ::send(fd->get(), request.data(), request.size(), MSG_NOSIGNAL);
  pollfd r{fd->get(), POLLIN, 0};
  ::poll(&r, 1, 1000);  // give the receiver a moment; its answer does not matter
}

void announce(const incident::Incident& i, const std::string& what,
              const std::vector<std::string>& webhooks) {
  log::warn("INCIDENT", what, {{"id", i.id}, {"severity", incident::to_string(i.severity)},
                               {"title", i.title}});
  nlohmann::json body = {{"event", what}, {"incident", incident::to_json(i, false)}};
  for (const auto& url : webhooks) post_webhook(url, body.dump());
}

}  // namespace

incident::EscalationPolicy escalation_policy_from(const autopilot::EscalationSettings& s) {
  static_assert(incident::kSeverityCount == 4, "[escalation] arrays hold SEV-1..SEV-4");
  incident::EscalationPolicy p;
  for (size_t i = 0; i < 4; ++i) {
    p.response_ms[i] = s.response_ms[i];
    p.resolution_ms[i] = s.resolution_ms[i];
    p.update_every_ms[i] = s.update_every_ms[i];
  }
  p.sev1_team_lead_after_ms = s.sev1_team_lead_after_ms;
  p.sev1_cto_after_ms = s.sev1_cto_after_ms;
  p.sev2_team_lead_after_ms = s.sev2_team_lead_after_ms;
  return p;
}

int escalate_due(incident::IncidentStore& store, const incident::EscalationPolicy& policy,
                 const std::vector<std::string>& webhooks, int64_t now_ms) {
  incident::ListFilter filter;
  filter.unresolved_only = true;
  filter.limit = 1000;
  auto open = store.list(filter);
  if (!open) return 0;
  int announced = 0;
  for (const incident::Incident& i : *open) {
    incident::DueState due = incident::evaluate(i, now_ms, policy);
    for (const incident::EscalationStep& step : incident::pending_escalations(due)) {
      announce(i, "incident escalated to " + std::string(incident::audience(step.level)), webhooks);
      store.append(i.id, incident::escalation_entry(step, now_ms));
      ++announced;
    }
    if (due.update_overdue && !due.reminder_sent && due.next_update_due_ms) {
      announce(i, "status update due", webhooks);
      store.append(i.id, incident::reminder_entry(*due.next_update_due_ms, now_ms));
      ++announced;
    }
  }
  return announced;
}

}  // namespace x0::app
