// The seam between delivery and the network: one HTTP exchange, bounded by the channel's
// connect and total timeouts. The real one is libcurl (curl_transport.cc); tests stand a fake
// here. Called on the delivery thread only; it blocks that thread for at most timeout_ms.
#pragma once

#include <atomic>
#include <memory>

#include "notify/channel.h"
#include "notify/wire.h"

namespace x0::notify {

class Transport {
 public:
  virtual ~Transport() = default;
  virtual ServiceAnswer send(const OutboundRequest& request, const Channel& channel) = 0;
};

// libcurl with certificate and host-name verification (the system store, or the channel's
// ca_file), the standard proxy variables (https_proxy, no_proxy...), its own threaded resolver
// (so the lookup is inside the timeout), http and https only, no redirects followed.
// `abort`, when set, ends a transfer in flight within about a second (shutdown).
std::unique_ptr<Transport> make_curl_transport(const std::atomic<bool>* abort = nullptr);

}  // namespace x0::notify
