// Channel selection for an event (see planner.h).
#include "notify/planner.h"

namespace x0::notify {

bool takes(const Channel& c, const Event& e) {
  if (!c.events.test(static_cast<size_t>(e.kind))) return false;
  if (!c.severities.test(static_cast<size_t>(static_cast<int>(e.severity) - 1))) return false;
  for (int l = 1; l <= static_cast<int>(e.level); ++l)
    if (c.levels.test(static_cast<size_t>(l - 1))) return true;
  return false;
}

std::string dedup_key(const Event& e) {
  return e.incident_id + ":" + std::string(to_string(e.kind)) + ":" + std::to_string(e.entry_seq);
}

std::vector<Planned> plan(const std::vector<Channel>& channels, const Event& event) {
  std::vector<Planned> out;
  for (const Channel& c : channels)
    if (takes(c, event)) out.push_back({c.name, dedup_key(event)});
  return out;
}

}  // namespace x0::notify
