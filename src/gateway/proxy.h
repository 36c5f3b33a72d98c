// One proxied request: pick an endpoint, send the request over a pooled (or new) upstream
// connection, stream the response back to the client, retry idempotent requests on connect
// failure, and map upstream failures to 502/503/504. One ProxyExchange is attached to each
// client connection and reused for its requests, so steady-state proxying allocates nothing.
// With the cache on (see cache_path.h) it also waits for a concurrent miss of the same key
// instead of fetching, keeps a copy of a cacheable response while streaming it and stores it,
// and answers a stale entry when every endpoint fails.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cache/cache_policy.h"
#include "gateway/cache_path.h"
#include "gateway/route_table.h"
#include "gateway/worker_context.h"
#include "http/chunked.h"
#include "http/message.h"
#include "http/server_connection.h"
#include "net/buffer.h"
#include "net/timer.h"

namespace x0::gateway {

class ProxyExchange final : public http::PendingResponse, public net::IoHandler {
 public:
  // `detach` runs when a request ends normally: it takes the exchange off the connection (and
  // may destroy it), so the exchange must not touch its members after calling it.
  ProxyExchange(WorkerContext& worker, std::function<void(http::ServerConnection&)> detach);
  ~ProxyExchange() override;

  void start(http::ServerConnection& client, const http::Request& request,
             const RequestTarget& target, std::shared_ptr<const RouteTable> table, const ServiceState& service,
             EndpointRole side, CacheProbe probe);

  void on_client_gone() override;
  void on_client_writable() override;
  void on_io(uint32_t events) override;

 private:
  enum class Phase { kIdle, kWaitingForCache, kConnecting, kWriting, kReadingHead, kReadingBody };
  enum class Failure { kConnect, kTimeout, kReset, kBadResponse };

  void build_upstream_request(const EndpointState& endpoint);
  void attempt();
  void send_request();
  void read_response();
  bool on_response_head();
  bool forward_body(std::string_view bytes);  // false: the exchange ended (see proxy.cc)
  void complete(bool upstream_reusable);
  void fail(Failure failure, const std::string& detail);
  void respond_error(int status, const char* error, const std::string& detail);
  void record(int status);
  void release_upstream(bool reusable);
  void count_endpoint_failure(EndpointState& endpoint);
  // Cache: wait for another exchange's fetch of the same key, or answer from a stored entry.
  cache::CoalescedWaiter waiter();
  void on_coalesced(const cache::CoalescedOutcome& outcome);
  void answer_from_entry(std::shared_ptr<const cache::CachedResponse> entry, const char* label);
  bool serve_stale(bool upstream_failed);  // false: no stale entry to serve
  void begin_capture();
  void capture(std::string_view bytes);
  void stop_capture();  // drops the copy and gives its bytes back to the worker's budget
  std::shared_ptr<const cache::CachedResponse> store_capture();
  void end_flight();  // lead of a coalesced fetch: release the waiters (exactly once)
  // One deadline at a time, its meaning given by the phase when it fires (see on_deadline).
  void arm_timer(int64_t ms) { timer_.arm(ms); }
  void cancel_timer() { timer_.cancel(); }
  void on_deadline();
  // Clears the request state and returns the client connection (nullptr if none); the caller
  // then hands the exchange back (detach_) and answers or closes the client.
  http::ServerConnection* reset();

  WorkerContext& worker_;
  std::function<void(http::ServerConnection&)> detach_;
  http::ServerConnection* client_ = nullptr;
  const http::Request* request_ = nullptr;
  std::shared_ptr<const RouteTable> table_;  // keeps service_ alive for the request
  const ServiceState* service_ = nullptr;
  std::unique_ptr<UpstreamConnection> upstream_;
  Phase phase_ = Phase::kIdle;

  std::string path_, authority_;  // copies of the RequestTarget (capacity reused)
  bool client_trusted_ = false;
  std::string request_head_;   // rewritten head sent upstream
  size_t request_sent_ = 0;    // bytes of head + body written
  bool request_cut_short_ = false;  // the upstream answered before taking the whole request
  std::string request_id_;
  net::Buffer in_;
  std::string scratch_;        // rewritten response head + first body bytes
  http::ResponseHead response_{};
  http::ChunkedDecoder chunked_{0};
  uint64_t body_remaining_ = 0;
  bool dechunk_ = false;       // HTTP/1.0 client: strip chunk framing, close at the end
  bool client_keep_alive_ = true;
  bool paused_ = false;
  bool using_fallback_ = false;
  EndpointRole side_ = EndpointRole::kStable;
  bool retried_stale_ = false;
  int retries_left_ = 0;
  std::vector<const EndpointState*> tried_;
  net::Timer timer_;
  int64_t last_upstream_read_ms_ = 0;  // loop time body bytes last came from the upstream
  int64_t start_ns_ = 0;
  int64_t sent_ns_ = 0;

  // Cache state of the current request (see cache_path.h).
  CacheProbe cache_;
  bool flight_leader_ = false;  // other exchanges of this worker wait for our response
  std::shared_ptr<const cache::CachedResponse> flight_result_;
  bool capturing_ = false;      // keeping a copy of the response to store it
  cache::StoreDecision decision_;
  std::string capture_head_, capture_body_;
  int64_t start_unix_ms_ = 0;     // RFC 9111 request_time
  int64_t response_unix_ms_ = 0;  // RFC 9111 response_time
  // Waiter callbacks hold a weak reference and the generation of the request they belong to, so
  // one that fires after the client left (or for an exchange since reused) does nothing.
  std::shared_ptr<ProxyExchange*> self_ = std::make_shared<ProxyExchange*>(this);
  uint64_t generation_ = 0;
};

}  // namespace x0::gateway
