// The mesh listener's per-address cap on links in set-up (see unproven_links.h).
#include "mesh/unproven_links.h"

namespace x0::mesh {

UnprovenLinks::Ticket& UnprovenLinks::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::move(other.owner_);
    ip_ = std::move(other.ip_);
  }
  return *this;
}

void UnprovenLinks::Ticket::release() {
  if (owner_ == nullptr) return;
  owner_->give_back(ip_);
  owner_.reset();
}

std::optional<UnprovenLinks::Ticket> UnprovenLinks::take(const std::string& ip) {
  std::lock_guard lock(mu_);
  int& count = by_ip_[ip];
  if (count >= kMaxPerAddress) return std::nullopt;
  ++count;
  return Ticket(shared_from_this(), ip);
}

int UnprovenLinks::in_setup(const std::string& ip) const {
  std::lock_guard lock(mu_);
  auto it = by_ip_.find(ip);
  return it == by_ip_.end() ? 0 : it->second;
}

void UnprovenLinks::give_back(const std::string& ip) {
  std::lock_guard lock(mu_);
  auto it = by_ip_.find(ip);
  if (it != by_ip_.end() && --it->second <= 0) by_ip_.erase(it);
}

}  // namespace x0::mesh
