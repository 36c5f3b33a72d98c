// The piggyback queue: the latest update per member id waiting to be gossiped, and how often each
// was sent. Keyed by id, so a newer claim replaces an older one and the queue never holds more
// than the member table (kMaxMembers + self); memberlist's TransmitLimitedQueue, simplified.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mesh/member.h"

namespace x0::mesh::detail {

class GossipQueue {
 public:
  // Queues `u`, replacing (and resetting the budget of) any update about the same id.
  void push(Update u);
  // Up to `max` updates, least-sent first and then newest first; each send counts, and an
  // update sent `limit` times is dropped. An `up` about `recipient` is left for others: it is
  // the one member that cannot learn anything from it.
  std::vector<Update> take(size_t max, int limit, std::string_view recipient = {});
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Update update;
    int sent = 0;
    uint64_t order = 0;  // push order: higher is newer
  };
  std::map<std::string, Entry> entries_;
  uint64_t next_order_ = 0;
};

}  // namespace x0::mesh::detail
