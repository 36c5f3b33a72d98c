// The piggyback queue (gossip_queue.h): pick least-sent, newest first, and retire spent updates.
#include "mesh/gossip_queue.h"

#include <algorithm>
#include <utility>

namespace x0::mesh::detail {

void GossipQueue::push(Update u) {
  std::string id = u.id;
  entries_[std::move(id)] = Entry{std::move(u), 0, next_order_++};
}

std::vector<Update> GossipQueue::take(size_t max, int limit, std::string_view recipient) {
  std::vector<Entry*> order;
  order.reserve(entries_.size());
  for (auto& [id, entry] : entries_)
    if (id != recipient || entry.update.state != PeerState::kUp) order.push_back(&entry);
  const size_t count = std::min(max, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count), order.end(),
                    [](const Entry* a, const Entry* b) {
                      if (a->sent != b->sent) return a->sent < b->sent;
                      return a->order > b->order;
                    });
  std::vector<Update> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    Entry* e = order[i];
    out.push_back(e->update);
    if (++e->sent >= limit) {
      std::string id = e->update.id;  // copy: erasing destroys the entry
      entries_.erase(id);
    }
  }
  return out;
}

}  // namespace x0::mesh::detail
