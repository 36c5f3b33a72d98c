// The terminal filter: picks an endpoint (the chosen side of a release, then the other, then a
// mesh peer for a `mesh_failover` service (gateway/mesh_forwarding.h), then the fallback set), sends the request over a pooled or new upstream connection, streams the
// response back to the client under flow control, retries idempotent requests on connect
// failure or on a reset before any answer, and maps upstream failures to 502/503/504.
//
// Deadlines, one timer, its meaning given by the phase: connect_timeout_ms to connect;
// request_timeout_ms from the first byte sent until the response head (an upstream that stops
// reading an upload included); read_timeout_ms between two body reads (not while paused for a
// slow client, whose own send timeout bounds that wait).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/error_code.h"
#include "gateway/head_rewrite.h"
#include "gateway/remote_routes.h"
#include "gateway/stream_filter.h"
#include "gateway/upstream_pool.h"
#include "http/body_framer.h"
#include "http/message.h"
#include "http/server_connection.h"
#include "net/buffer.h"
#include "net/timer.h"

namespace x0::gateway {

class Router final : public Filter<Router>, public net::IoHandler {
 public:
  Router(WorkerContext& worker, ConnectionPool& pool);
  ~Router() override;

  FilterStatus on_request(Stream& stream) override;
  void on_client_writable(Stream& stream) override;
  void on_done(Stream& stream, const StreamOutcome& outcome) override;
  void on_io(uint32_t events) override;

 private:
  enum class Phase { kIdle, kConnecting, kWriting, kReadingHead, kReadingBody };
  enum class Failure { kConnect, kTimeout, kReset, kBadResponse };

  void attempt();
  const RemoteHop* pick_remote_hop();  // nullptr: none, or the service stays local
  // `timeout_ms`, cut to what is left of a forwarded request's deadline (Stream::mesh_deadline_ns)
  // (and notes whether it did, for the timeout's message).
  int within_deadline(int timeout_ms);
  void send_request();
  void read_response();
  bool handle_response_head();
  bool forward_body(std::string_view bytes);  // false: the stream ended
  void complete(bool upstream_reusable);
  void fail(Failure failure, const std::string& detail);
  void respond_error(ErrorCode code, const std::string& detail);
  void cut_off(int status);  // mid-response: the client has part of it
  void release_upstream(bool reusable);
  void on_deadline();

  WorkerContext& worker_;
  ConnectionPool& pool_;
  Stream* stream_ = nullptr;  // while a request runs
  const ServiceState* service_ = nullptr;
  const http::Request* request_ = nullptr;
  std::unique_ptr<UpstreamConnection> upstream_;
  Phase phase_ = Phase::kIdle;

  std::string request_head_;        // rewritten head sent upstream
  size_t request_sent_ = 0;         // bytes of head + body written
  bool request_cut_short_ = false;  // the upstream answered before taking the whole request
  size_t interim_seen_ = 0;         // 1xx heads of this attempt (bounded)
  bool result_reported_ = false;    // this attempt's outcome went to on_upstream_result
  net::Buffer in_;
  std::string scratch_;  // rewritten response head + first body bytes
  http::ResponseHead response_{};
  http::BodyFramer framer_;
  bool dechunk_ = false;  // HTTP/1.0 client: strip chunk framing, close at the end
  bool client_keep_alive_ = true;
  bool paused_ = false;
  bool retried_stale_ = false;
  int retries_left_ = 0;
  std::vector<const EndpointState*> tried_;
  // While a request may go across the mesh: the routes it read (they hold the hops' endpoints),
  // and the forwarded head's path and edits (capacity reused).
  std::shared_ptr<const RemoteRoutes> remote_routes_;
  std::string remote_path_;
  HeaderEdits remote_edits_;
  net::Timer timer_;
  bool cut_to_mesh_deadline_ = false;  // the armed head timeout is the mesh sender's budget
  int64_t last_upstream_read_ms_ = 0;  // loop time body bytes last came from the upstream
  int64_t sent_ns_ = 0;
};

}  // namespace x0::gateway
