// Upstream keep-alive pool (see upstream_pool.h).
#include "gateway/upstream_pool.h"

#include <sys/epoll.h>

#include <algorithm>

namespace x0::gateway {

UpstreamConnection::UpstreamConnection(net::EventLoop& loop,
                                       std::unique_ptr<net::Transport> transport,
                                       std::shared_ptr<EndpointState> endpoint)
    : loop_(loop), transport_(std::move(transport)), endpoint_(std::move(endpoint)) {}

UpstreamConnection::~UpstreamConnection() {
  // Events of this batch not yet delivered to it are dropped with it (its user may free it from
  // another handler's event, e.g. the client's reset ending the request).
  if (registered_) loop_.remove(fd(), this);
}

void UpstreamConnection::attach(net::IoHandler* user, uint32_t events) {
  user_ = user;
  set_events(events);
}

void UpstreamConnection::set_events(uint32_t events) {
  if (registered_ && events == events_) return;
  if (!registered_) {
    loop_.add(fd(), events, this);
    registered_ = true;
  } else {
    loop_.modify(fd(), events, this);
  }
  events_ = events;
}

void UpstreamConnection::unregister() {
  if (!registered_) return;
  loop_.remove(fd(), this);
  registered_ = false;
}

void UpstreamConnection::on_io(uint32_t events) {
  if (user_ != nullptr) {
    user_->on_io(events);
    return;
  }
  // Idle: any readable event means the upstream closed or sent something unsolicited.
  if (idle_in_ != nullptr) idle_in_->drop_idle(this);
}

std::unique_ptr<UpstreamConnection> UpstreamPool::take(const EndpointState* endpoint) {
  auto it = idle_.find(endpoint);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  // Newest first (warmest), skipping those given back during this very loop iteration.
  for (size_t i = list.size(); i-- > 0;) {
    if (list[i]->parked_at_iteration_ == loop_.iterations()) continue;
    std::unique_ptr<UpstreamConnection> connection = std::move(list[i]);
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
    idle_total_.store(idle_total_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    connection->idle_in_ = nullptr;
    if (!connection->transport().idle_and_open()) {  // unread bytes or EOF: close it
      discarded_.fetch_add(1, std::memory_order_relaxed);
      continue;  // destroyed here; its events still in this batch are dropped (see the destructor)
    }
    connection->reused = true;
    return connection;
  }
  return nullptr;
}

Result<std::unique_ptr<UpstreamConnection>> UpstreamPool::connect(
    const std::shared_ptr<EndpointState>& endpoint) {
  auto fd = net::connect_tcp(endpoint->address, endpoint->source ? &*endpoint->source : nullptr);
  if (!fd) return std::unexpected(fd.error());
  std::unique_ptr<net::Transport> transport;
  if (std::shared_ptr<net::ClientTransportFactory> tls = endpoint->transports.load()) {
    auto wrapped = tls->connect(std::move(*fd));
    if (!wrapped) return std::unexpected(wrapped.error());
    transport = *std::move(wrapped);
  } else {
    transport = std::make_unique<net::PlainTransport>(std::move(*fd));
  }
  return std::make_unique<UpstreamConnection>(loop_, std::move(transport), endpoint);
}

void UpstreamPool::give_back(std::unique_ptr<UpstreamConnection> connection, size_t max_idle) {
  auto& list = idle_[&connection->endpoint()];
  if (list.size() >= max_idle) return;  // destructor closes it
  connection->user_ = nullptr;
  connection->idle_in_ = this;
  connection->parked_at_iteration_ = loop_.iterations();
  connection->set_events(EPOLLIN | EPOLLRDHUP);
  list.push_back(std::move(connection));
  idle_total_.store(idle_total_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void UpstreamPool::drop_idle(UpstreamConnection* connection) {
  auto& list = idle_[&connection->endpoint()];
  auto it = std::find_if(list.begin(), list.end(),
                         [&](const auto& owned) { return owned.get() == connection; });
  if (it == list.end()) return;
  discarded_.fetch_add(1, std::memory_order_relaxed);
  // Destroy after this event batch: the connection is the handler being called right now.
  std::shared_ptr<UpstreamConnection> doomed(std::move(*it));
  list.erase(it);
  idle_total_.store(idle_total_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  loop_.remove(doomed->fd(), doomed.get());
  doomed->registered_ = false;
  loop_.defer([doomed] {});
}

int UpstreamPool::in_flight(const EndpointState* endpoint) const {
  auto it = in_flight_.find(endpoint);
  return it == in_flight_.end() ? 0 : it->second;
}

size_t UpstreamPool::idle_count(const EndpointState* endpoint) const {
  auto it = idle_.find(endpoint);
  return it == idle_.end() ? 0 : it->second.size();
}

}  // namespace x0::gateway
