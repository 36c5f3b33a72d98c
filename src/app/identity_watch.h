// The node certificate's expiry policy (docs/TLS.md, "Node PKI"): 30 days before its notAfter a
// WARN under PQC (once a day), 7 days before a SEV-3 incident, once expired a SEV-1 incident
// (security: the mesh cannot authenticate this node). Each check also publishes what it found
// for /security/pqc/status.identity. An identity that does not verify is logged as an ERROR.
// Called on one thread at a time: start-up, then the control thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "incident/incident.h"
#include "tls/pki/node_identity.h"

namespace x0::app {

enum class ExpiryAlarm { kNone, kWarn, kSev3, kSev1 };
ExpiryAlarm expiry_alarm(int64_t days_left);

class IdentityWatch {
 public:
  using OpenIncident = std::function<void(incident::OpenRequest)>;
  explicit IdentityWatch(OpenIncident open_incident) : open_incident_(std::move(open_incident)) {}

  std::shared_ptr<const tls::pki::NodeIdentity> check(const std::string& dir,
                                                      std::chrono::sys_seconds now);

 private:
  void raise(const tls::pki::NodeIdentity& id, ExpiryAlarm alarm, int64_t days);

  OpenIncident open_incident_;
  std::string last_problem_;    // logged once per distinct problem
  int64_t last_warn_day_ = -1;  // days since the epoch of the last WARN line
};

}  // namespace x0::app
