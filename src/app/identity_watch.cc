// The node certificate's expiry policy (see identity_watch.h).
#include "app/identity_watch.h"

#include "common/log.h"

namespace x0::app {

ExpiryAlarm expiry_alarm(int64_t days_left) {
  if (days_left < 0) return ExpiryAlarm::kSev1;
  if (days_left < 7) return ExpiryAlarm::kSev3;
  if (days_left < 30) return ExpiryAlarm::kWarn;
  return ExpiryAlarm::kNone;
}

std::shared_ptr<const tls::pki::NodeIdentity> IdentityWatch::check(const std::string& dir,
                                                                   std::chrono::sys_seconds now) {
  auto id = std::make_shared<tls::pki::NodeIdentity>(tls::pki::check_node_identity(dir, now));
  if (!id->present) return id;  // no mesh identity issued here: nothing expires
  if (!id->problem.empty() && id->problem != last_problem_)
    log::error("PQC", "node identity does not verify", {{"dir", dir}, {"problem", id->problem}});
  last_problem_ = id->problem;
  if (id->not_after == std::chrono::sys_seconds{}) return id;  // unreadable: said above
  const int64_t days = tls::pki::days_left(id->not_after, now);
  if (ExpiryAlarm alarm = expiry_alarm(days); alarm != ExpiryAlarm::kNone) {
    const int64_t today = std::chrono::floor<std::chrono::days>(now).time_since_epoch().count();
    if (today != last_warn_day_) {
      last_warn_day_ = today;
      log::warn("PQC", days < 0 ? "node certificate EXPIRED" : "node certificate expires soon",
                {{"dir", dir},
                 {"subject", id->pq.subject},
                 {"not_after", tls::pki::rfc3339(id->not_after)},
                 {"days_left", days}});
    }
    raise(*id, alarm, days);
  }
  return id;
}

// The incident store deduplicates by (rule, target) against unresolved incidents: one SEV-3
// while the certificate runs out, one SEV-1 once it has, however often this runs.
void IdentityWatch::raise(const tls::pki::NodeIdentity& id, ExpiryAlarm alarm, int64_t days) {
  if (alarm != ExpiryAlarm::kSev3 && alarm != ExpiryAlarm::kSev1) return;
  const bool expired = alarm == ExpiryAlarm::kSev1;
  incident::OpenRequest request;
  request.severity = expired ? incident::Severity::kSev1 : incident::Severity::kSev3;
  request.title = expired ? "Node certificate expired: the mesh cannot authenticate this node"
                          : "Node certificate expires in " + std::to_string(days) + " days";
  request.detection = incident::DetectionMethod::kMonitoring;
  request.rule = expired ? "node_certificate_expired" : "node_certificate_expiring";
  request.target = id.pq.subject.empty() ? id.tls.subject : id.pq.subject;
  request.impact = "renew with `x0tta6bl4 pki issue --ca CA_DIR --node ID --out " + id.dir +
                   " --force`, then SIGHUP";
  request.actor = "x0tta6bl4";
  request.fields = {
      {"not_after", tls::pki::rfc3339(id.not_after)}, {"days_left", days}, {"dir", id.dir}};
  open_incident_(std::move(request));
}

}  // namespace x0::app
