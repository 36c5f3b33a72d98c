// security.log_all_requests: one ACCESS line per answered request. Off by default; the flag is
// flipped by the node at start-up and on reload, and read with one relaxed load per request.
#pragma once

#include <atomic>
#include <string_view>

namespace x0::gateway {

void set_access_log(bool enabled);
bool access_log_enabled();

struct AccessRecord {
  std::string_view peer;
  std::string_view method;
  std::string_view target;
  int status;
  double seconds;
  std::string_view service;   // "-" when not routed
  std::string_view endpoint;  // "-" when no upstream answered
  std::string_view request_id;
};
void log_access(const AccessRecord& record);

}  // namespace x0::gateway
