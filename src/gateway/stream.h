// One routed request on the data plane, from the moment it has a route to its last byte. The
// stream owns what the request is (its head, route, request id, start time, the header edits
// its filters make) and the one exit that records, answers and recycles it. What happens to the
// request is done by its filters (gateway/stream_filter.h), run in chain order; the last one,
// the router, talks to the upstream.
//
// Lifetime: streams belong to a StreamPool and are reused. A stream ends exactly once (finish,
// abort, respond, or the client going away); it goes back to its pool through
// EventLoop::defer, or, when it ended inside start(), as start() returns: a stream is never
// restarted while one of its own calls is on the stack, and whatever a filter does after ending
// the stream (within the call that ended it) touches only a stream that is still there. Owned
// by one worker thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/error_code.h"
#include "gateway/head_rewrite.h"
#include "gateway/route_table.h"
#include "gateway/stream_filter.h"
#include "gateway/worker_context.h"
#include "http/message.h"
#include "http/server_connection.h"

namespace x0::gateway {

class StreamPool;

class Stream final : public http::PendingResponse {
 public:
  Stream(WorkerContext& worker, const FilterChain& chain, StreamPool* pool);
  ~Stream() override;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Starts the request: asks each filter whether it takes part, then runs on_request in order.
  void start(http::ServerConnection& client, const http::Request& request,
             const RequestTarget& target, std::shared_ptr<const RouteTable> table,
             const ServiceState& service, EndpointRole side);

  // --- For filters -------------------------------------------------------------------------
  WorkerContext& worker() { return worker_; }
  net::EventLoop& loop() { return worker_.loop; }
  http::ServerConnection& client() { return *client_; }
  const http::Request& request() const { return *request_; }
  const ServiceState& service() const { return *service_; }
  std::string_view path() const { return path_; }            // normalised
  std::string_view authority() const { return authority_; }  // canonical; empty: HTTP/1.0, no Host
  bool client_trusted() const { return client_trusted_; }
  // A request a mesh peer forwarded: its hops so far and the nodes it came through (0, "":
  // a client's request).
  int mesh_hops() const { return mesh_hops_; }
  std::string_view mesh_via() const { return mesh_via_; }
  // A forwarded request's own deadline (monotonic ns; 0: none): the sender's budget less the
  // margin for the way back (mesh_forwarding.h). Every upstream wait is cut to it.
  int64_t mesh_deadline_ns() const { return mesh_deadline_ns_; }
  EndpointRole side() const { return side_; }  // the set the request goes to first
  const std::string& request_id() const { return request_id_; }
  int64_t start_ns() const { return start_ns_; }
  bool ended() const { return ended_; }
  // The endpoint of the current (or last) upstream attempt; set by the router.
  const EndpointState* upstream() const { return upstream_; }
  void set_upstream(const EndpointState* endpoint) { upstream_ = endpoint; }
  // Header edits the filters make to what is forwarded (gateway/head_rewrite.h). The request's
  // are made in on_request; the response's are cleared before each response head's filters.
  HeaderEdits& request_edits() { return request_edits_; }
  HeaderEdits& response_edits() { return response_edits_; }
  // A filter that needs the response payload (chunk framing removed) asks in on_response_head;
  // only then does on_response_body run, and only until every filter that asked is done (a
  // chunked body is then passed through without decoding it).
  void want_response_payload() { ++payload_wanted_; }
  void response_payload_done() {
    if (payload_wanted_ > 0) --payload_wanted_;
  }
  bool wants_response_payload() const { return payload_wanted_ > 0; }

  // A filter that stopped in on_request continues the chain after itself. Call it from an event
  // or a deferred callback of the filter's own, never from inside another stream's call.
  void resume();

  // Hooks the router (the terminal filter) runs on the filters before it.
  FilterStatus response_head(const http::ResponseHead& head);
  void response_body(std::string_view payload, bool last);
  FilterStatus upstream_failure();
  void upstream_result(EndpointState& endpoint, bool failed);

  // --- The exits: each ends the stream (on_done on every filter that saw the request) ------
  // The response was written to the client by the caller: the connection goes on (or closes).
  void finish(const StreamOutcome& outcome, bool keep_alive);
  // The client has part of a response that cannot be completed: it is cut off.
  void abort(const StreamOutcome& outcome);
  // A JSON error of the data plane's own, with the request id; extra_headers are complete
  // "Name: value\r\n" lines (e.g. WWW-Authenticate, a 429's Retry-After).
  void respond(ErrorCode code, std::string_view detail, std::string_view extra_headers = {});
  // The request carries credentials a filter checked (a bearer token, wherever it was read
  // from): the cache treats it as it treats one with Authorization (RFC 9111 section 3.5).
  void mark_credentialed() { credentialed_ = true; }
  bool credentialed() const { return credentialed_; }

  // http::PendingResponse (the client connection).
  void on_client_gone() override;
  void on_client_writable() override;

 private:
  friend class StreamPool;
  void run_filters(size_t from);
  // The filters taking part that have `hook`, among the first `count` of the chain.
  uint64_t with(FilterHook hook, size_t count) const;
  // Runs on_done and detaches from the client; returns the client (still open, unless gone).
  http::ServerConnection* end(const StreamOutcome& outcome);

  WorkerContext& worker_;
  StreamPool* pool_;
  size_t slot_ = 0;  // position in the pool's list
  std::vector<std::unique_ptr<StreamFilter>> filters_;
  uint64_t hooked_[kFilterHooks] = {};  // per hook, bit i: filter i overrides it
  uint64_t taking_part_ = 0;            // bit i: filter i takes part in this request
  size_t entered_ = 0;                  // filters [0, entered_) have seen on_request
  size_t holder_ = 0;                   // the filter running or stopped: it gets on_client_writable

  http::ServerConnection* client_ = nullptr;
  const http::Request* request_ = nullptr;
  std::shared_ptr<const RouteTable> table_;  // keeps service_ and its endpoints alive
  const ServiceState* service_ = nullptr;
  std::string path_, authority_;  // copies of the RequestTarget (capacity reused)
  bool client_trusted_ = false;
  int mesh_hops_ = 0;
  std::string mesh_via_;
  int64_t mesh_deadline_ns_ = 0;
  EndpointRole side_ = EndpointRole::kStable;
  std::string request_id_;
  int64_t start_ns_ = 0;
  const EndpointState* upstream_ = nullptr;
  HeaderEdits request_edits_, response_edits_;
  bool credentialed_ = false;
  int payload_wanted_ = 0;  // filters that asked for the payload and are not done with it
  bool ended_ = true;
  bool starting_ = false;             // start() is running
  bool recycle_after_start_ = false;  // it ended inside start(): recycled when start returns
};

// The streams of one data-plane handler. Streams are made on demand and kept for reuse (up to
// kMaxSpare idle), so steady-state proxying allocates none.
class StreamPool {
 public:
  StreamPool(WorkerContext& worker, FilterChain chain)
      : worker_(worker), chain_(std::move(chain)) {}
  Stream& acquire();
  size_t size() const { return streams_.size(); }
  size_t idle() const { return idle_.size(); }

 private:
  friend class Stream;
  void recycle(Stream* stream);  // from the loop's deferred queue only
  static constexpr size_t kMaxSpare = 1024;

  WorkerContext& worker_;
  FilterChain chain_;
  std::vector<std::unique_ptr<Stream>> streams_;  // all of them, each at its slot_
  std::vector<Stream*> idle_;
};

}  // namespace x0::gateway
