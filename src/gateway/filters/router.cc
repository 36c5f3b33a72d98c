// The router (see router.h). Read top to bottom: on_request -> attempt -> send_request ->
// read_response -> handle_response_head -> forward_body -> complete; fail(), respond_error() and
// cut_off() are the ways out when something breaks.
#include "gateway/filters/router.h"

#include <sys/epoll.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "common/log.h"
#include "gateway/filters/filters.h"
#include "gateway/head_rewrite.h"
#include "gateway/mesh_forwarding.h"
#include "gateway/stream.h"
#include "http/body_framer.h"

namespace x0::gateway {
std::unique_ptr<StreamFilter> make_router(WorkerContext& worker) {
  return std::make_unique<Router>(worker, worker.pool);
}

Router::Router(WorkerContext& worker, ConnectionPool& pool)
    : worker_(worker),
      pool_(pool),
      timer_(worker.loop, net::Timer::call<&Router::on_deadline>(this)) {}

Router::~Router() {
  timer_.cancel();
  release_upstream(false);
}

FilterStatus Router::on_request(Stream& stream) {
  stream_ = &stream;
  service_ = &stream.service();
  request_ = &stream.request();
  client_keep_alive_ = request_->head.keep_alive;
  retries_left_ = http::is_idempotent(request_->head.method) ? service_->config.retries : 0;
  retried_stale_ = false;
  tried_.clear();
  attempt();
  return FilterStatus::kStop;
}

void Router::on_done(Stream& /*stream*/, const StreamOutcome& /*outcome*/) {
  timer_.cancel();
  release_upstream(false);  // still held only when the client went away mid-exchange
  remote_routes_.reset();
  phase_ = Phase::kIdle;
  // stream_ stays set: the stream is not reused before the call that ended it has returned, and
  // that call checks stream_->ended().
}

void Router::attempt() {
  // The chosen side first, then the other side of a release (a request is better served by the
  // stable set than failed because the candidate is down, and vice versa), then the fallback.
  EndpointRole side = stream_->side();
  EndpointRole other =
      side == EndpointRole::kStable ? EndpointRole::kCandidate : EndpointRole::kStable;
  const std::shared_ptr<EndpointState>* picked = pick_endpoint(worker_, *service_, side, tried_);
  if (picked == nullptr && service_->in_release)
    picked = pick_endpoint(worker_, *service_, other, tried_);
  // No local endpoint left: a peer that serves the service live (mesh_failover) comes before
  // a stale copy, and both before the fallback pool.
  const RemoteHop* remote = picked == nullptr ? pick_remote_hop() : nullptr;
  if (remote != nullptr) picked = &remote->endpoint;
  // Every endpoint failed or is down: a filter (the cache's stale copy of the real answer) is
  // better than the fallback pool.
  if (picked == nullptr && stream_->upstream_failure() == FilterStatus::kStop) return;
  bool using_fallback = false;
  if (picked == nullptr) {
    picked = pick_endpoint(worker_, *service_, EndpointRole::kFallback, tried_);
    using_fallback = picked != nullptr;
  }
  if (picked == nullptr) {
    if (tried_.empty()) {
      respond_error(ErrorCode::kNoHealthyUpstream,
                    "no healthy endpoint and no fallback for service " + service_->config.name);
    } else {
      respond_error(ErrorCode::kBadGateway,
                    "every endpoint tried failed for service " + service_->config.name);
    }
    return;
  }
  const std::shared_ptr<EndpointState>& endpoint = *picked;
  tried_.push_back(endpoint.get());
  stream_->set_upstream(endpoint.get());
  if (using_fallback) service_->stats->fallback_requests->inc();
  endpoint->requests.fetch_add(1, std::memory_order_relaxed);
  pool_.begin_request(endpoint.get());

  // Rebuilt per attempt: an HTTP/1.0 request without Host is sent with the chosen endpoint's.
  request_head_.clear();
  std::string_view authority = stream_->authority();
  if (authority.empty()) authority = endpoint->authority;
  if (remote != nullptr) {
    // Over the mesh: the peer's forwarding path, and the hop fields it checks.
    forward_path(service_->config.name, stream_->path(), remote_path_);
    remote_edits_ = stream_->request_edits();
    append_mesh_hop(stream_->mesh_hops(), stream_->mesh_via(), remote_routes_->self,
                    within_deadline(service_->config.request_timeout_ms), remote_edits_.append);
    write_upstream_head(request_->head, remote_path_, authority, remote_edits_, request_head_);
    worker_.mesh_forwarded(service_->config.name, remote->peer, "out")->inc();
  } else {
    write_upstream_head(request_->head, stream_->path(), authority, stream_->request_edits(),
                        request_head_);
  }
  request_sent_ = 0;
  request_cut_short_ = false;
  interim_seen_ = 0;
  result_reported_ = false;
  in_.consume(in_.size());
  upstream_ = pool_.take(endpoint.get());
  if (upstream_) {
    // Same events as while idle, so taking a pooled connection costs no epoll_ctl; EPOLLOUT is
    // added only if the request does not fit in the socket buffer at once.
    phase_ = Phase::kWriting;
    upstream_->attach(this, EPOLLIN | EPOLLRDHUP);
    // The route timeout covers taking the whole request (an upstream that stops reading an
    // upload) and answering it.
    timer_.arm(within_deadline(service_->config.request_timeout_ms));
    send_request();
    return;
  }
  auto connection = pool_.connect(endpoint);
  if (!connection) {
    pool_.end_request(endpoint.get());
    fail(Failure::kConnect, connection.error().detail);
    return;
  }
  upstream_ = std::move(*connection);
  phase_ = Phase::kConnecting;
  upstream_->attach(this, EPOLLOUT);
  timer_.arm(within_deadline(service_->config.connect_timeout_ms));
}

int Router::within_deadline(int timeout_ms) {
  const int64_t deadline = stream_->mesh_deadline_ns();
  cut_to_mesh_deadline_ = false;
  if (deadline == 0) return timeout_ms;
  const int64_t left_ms = (deadline - monotonic_ns()) / 1'000'000;
  cut_to_mesh_deadline_ = left_ms < timeout_ms;
  return static_cast<int>(std::clamp<int64_t>(left_ms, 1, timeout_ms));
}

const RemoteHop* Router::pick_remote_hop() {
  if (!service_->config.mesh_failover || worker_.remote == nullptr) return nullptr;
  if (!remote_routes_) remote_routes_ = worker_.remote->current();
  if (!remote_routes_) return nullptr;
  return pick_remote(worker_, *remote_routes_, service_->config.name, stream_->mesh_hops(),
                     stream_->mesh_via(), tried_);
}

void Router::on_io(uint32_t events) {
  if (!upstream_) return;
  if (phase_ == Phase::kConnecting) {
    int error = net::connect_result(upstream_->fd());
    if (error != 0 || (events & EPOLLERR)) {
      fail(Failure::kConnect,
           std::string("connect: ") + std::strerror(error ? error : ECONNREFUSED));
      return;
    }
    // TLS (an https:// endpoint) shakes hands before the request, under the connect deadline.
    net::IoResult handshake = upstream_->transport().handshake();
    if (handshake.status == net::IoStatus::kWouldBlock) {
      upstream_->set_events(upstream_->transport().extra_events());
      return;
    }
    if (handshake.status != net::IoStatus::kDone) {
      fail(Failure::kConnect, "TLS handshake: " + upstream_->transport().failure());
      return;
    }
    // A mesh link proves a node of our mesh CA; it must be the node we meant to reach.
    const std::string& expected = upstream_->endpoint().mesh_peer;
    if (!expected.empty() && upstream_->transport().peer_identity() != expected) {
      fail(Failure::kConnect, "mesh peer at " + upstream_->endpoint().name + " proved to be " +
                                  upstream_->transport().peer_identity() + ", not " + expected);
      return;
    }
    // From here on, as for a pooled connection.
    timer_.arm(within_deadline(service_->config.request_timeout_ms));
    phase_ = Phase::kWriting;
    upstream_->set_events(EPOLLIN | EPOLLRDHUP);
    send_request();
    return;
  }
  if (phase_ == Phase::kWriting && (events & EPOLLOUT)) {
    send_request();
    if (!upstream_) return;
  }
  if (phase_ == Phase::kWriting && (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR))) {
    // The upstream answers (or closes) before taking the whole request, e.g. an early 413:
    // read its response; the connection cannot be reused since the request was cut short.
    // Over TLS the readable bytes may be a record of its own (a session ticket): no answer.
    if (!upstream_->transport().peer_sent_data()) return;
    request_cut_short_ = true;
    phase_ = Phase::kReadingHead;
    sent_ns_ = monotonic_ns();
  }
  if (phase_ == Phase::kWriting) return;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR | EPOLLOUT)) read_response();
}

void Router::send_request() {
  std::string_view body = request_->body;
  size_t total = request_head_.size() + body.size();
  while (request_sent_ < total) {
    iovec iov[2];
    int count = 0;
    if (request_sent_ < request_head_.size()) {
      iov[count++] = {request_head_.data() + request_sent_, request_head_.size() - request_sent_};
      if (!body.empty()) iov[count++] = {const_cast<char*>(body.data()), body.size()};
    } else {
      size_t off = request_sent_ - request_head_.size();
      iov[count++] = {const_cast<char*>(body.data()) + off, body.size() - off};
    }
    net::IoResult r = upstream_->transport().writev(iov, count);
    if (r.status == net::IoStatus::kDone) {
      request_sent_ += r.bytes;
      continue;
    }
    if (r.status == net::IoStatus::kWouldBlock) {
      upstream_->set_events(EPOLLIN | EPOLLOUT | EPOLLRDHUP);  // on_io continues the write
      return;
    }
    fail(Failure::kReset, std::string("send: ") + std::strerror(r.error));
    return;
  }
  phase_ = Phase::kReadingHead;
  sent_ns_ = monotonic_ns();
  upstream_->set_events(EPOLLIN | EPOLLRDHUP);  // no-op unless EPOLLOUT had been added
}

void Router::read_response() {
  for (;;) {
    if (paused_) return;
    char* tail = in_.prepare(16 * 1024);
    size_t room = in_.free_space();
    net::IoResult r = upstream_->transport().read(tail, room);
    if (r.status == net::IoStatus::kDone) {
      in_.commit(r.bytes);
      last_upstream_read_ms_ = worker_.loop.now_ms();
      if (phase_ == Phase::kReadingHead) {
        if (!handle_response_head()) return;
      } else {
        std::string_view bytes = in_.view();
        if (!forward_body(bytes)) return;
        in_.consume(bytes.size());
      }
      if (phase_ == Phase::kIdle || !upstream_) return;
      if (r.bytes < room && !upstream_->transport().has_buffered_input()) return;
      continue;
    }
    if (r.status == net::IoStatus::kWouldBlock) {
      // TLS may need the socket writable to go on reading (EPOLLOUT while it does, then not).
      upstream_->set_events(EPOLLIN | EPOLLRDHUP | upstream_->transport().extra_events());
      return;
    }
    // EOF or reset.
    if (phase_ == Phase::kReadingBody && framer_.ends_at_close()) {
      stream_->response_body({}, true);
      complete(false);
      return;
    }
    if (phase_ == Phase::kReadingHead && in_.empty()) {
      fail(Failure::kReset, "upstream closed the connection before responding");
    } else if (phase_ == Phase::kReadingHead) {
      fail(Failure::kBadResponse,
           "upstream closed the connection in the middle of a response head");
    } else {
      log::warn("PROXY", "upstream closed mid-response",
                {{"service", service_->config.name}, {"request_id", stream_->request_id()}});
      cut_off(502);
    }
    return;
  }
}

// Returns false when the stream ended or more bytes are needed.
bool Router::handle_response_head() {
  http::ParseError error{};
  size_t interim = 0, interim_count = 0;  // 1xx heads before it: we already sent the client its 100
  http::ParseStatus status =
      http::parse_final_response_head(in_.view(), http::Limits{}, request_->head.method, &response_,
                                      &error, &interim, &interim_count);
  in_.consume(
      interim);  // dropped now, whatever follows; the buffer does not move, views stay valid
  interim_seen_ += interim_count;
  if (interim_seen_ > http::kMaxInterimResponses) {
    fail(Failure::kBadResponse, "upstream sent more than 16 interim (1xx) responses");
    return false;
  }
  if (status == http::ParseStatus::kIncomplete) return false;
  if (status == http::ParseStatus::kError) {
    fail(Failure::kBadResponse, std::string("invalid response from upstream: ") + error.reason);
    return false;
  }
  if (upstream_->endpoint().role == EndpointRole::kRemote &&
      response_.headers.count_of(kMeshUnservedHeader) != 0) {
    // The peer sent it nowhere (its view changed since it advertised the service): not its
    // failure, not the client's answer; on to the next hop, a stale copy or the fallback.
    timer_.cancel();
    release_upstream(false);
    attempt();
    return false;
  }
  service_->stats->upstream_time->observe(static_cast<double>(monotonic_ns() - sent_ns_) / 1e9);
  if (const char* refused = refuse_client_response(response_)) {
    fail(Failure::kBadResponse, std::string("invalid response from upstream: ") + refused);
    return false;
  }
  // The body streams under the upstream's inactivity deadline (read_timeout_ms, see on_deadline).
  timer_.arm(service_->config.read_timeout_ms);
  // A 5xx is the endpoint's failure now (a filter may answer instead of it, below); any other
  // answer is its success only once the body is through (complete), so an endpoint that stalls
  // mid-body counts as failing.
  if (response_.status >= 500) {
    stream_->upstream_result(upstream_->endpoint(), true);
    result_reported_ = true;
  }
  if (stream_->response_head(response_) == FilterStatus::kStop) {
    release_upstream(false);  // a filter answered instead (e.g. stale-if-error on a 5xx)
    return false;
  }
  bool client_http10 = request_->head.version_minor == 0;
  dechunk_ = client_http10 && response_.body_kind == http::BodyKind::kChunked;
  if (response_.body_kind == http::BodyKind::kUntilClose || dechunk_) client_keep_alive_ = false;
  if (!stream_->client().keep_alive_requested()) client_keep_alive_ = false;
  std::string& out = scratch_;
  out.clear();
  write_client_head(response_, {dechunk_, client_keep_alive_, client_http10},
                    stream_->response_edits(), out);
  phase_ = Phase::kReadingBody;
  framer_.start(response_);
  size_t head_bytes = response_.head_bytes;
  std::string_view rest = in_.view().substr(head_bytes);
  in_.consume(head_bytes);
  if (response_.body_kind == http::BodyKind::kNone) {
    stream_->response_body({}, true);  // a filter storing it does so before the client sees the end
    stream_->client().send_raw(out);
    if (!stream_->ended()) complete(in_.empty());
    return false;
  }
  // The head and the first body bytes leave in one send().
  if (!forward_body(rest)) return false;
  in_.consume(rest.size());
  return phase_ == Phase::kReadingBody && upstream_ != nullptr;
}

// Forwards body bytes (prefixed by a pending head in scratch_) and detects the body's end.
// Returns false when the stream ended.
bool Router::forward_body(std::string_view bytes) {
  std::string& out = scratch_;
  http::ParseError error{};
  bool decode = dechunk_ || stream_->wants_response_payload();
  http::BodyFramer::Piece piece = framer_.feed(bytes, decode, &error);
  if (piece.status == http::ParseStatus::kError) {
    if (!out.empty()) stream_->client().send_raw(out);  // the head and what came before
    out.clear();
    log::warn("PROXY", "bad chunked framing from upstream",
              {{"service", service_->config.name}, {"reason", error.reason}});
    if (!stream_->ended()) cut_off(502);
    return false;
  }
  bool done = piece.status == http::ParseStatus::kComplete;
  // Raw bytes go through as framed; an HTTP/1.0 client gets the payload alone (until close).
  if (dechunk_)
    out.append(piece.payload);
  else
    out.append(bytes.data(), piece.consumed);
  stream_->response_body(piece.payload, done);  // a filter storing it does so before the end leaves
  if (!out.empty()) {
    stream_->client().send_raw(out);
    out.clear();
    if (stream_->ended()) return false;  // the send failed and the client went away
  }
  if (done) {
    complete(piece.consumed == bytes.size());  // bytes after the body: not reusable
    return false;
  }
  if (stream_->client().output_pending() > http::ServerConnection::kOutputHighWater) {
    // Slow client: stop reading upstream until it drains. Off epoll meanwhile: an upstream that
    // closes (or resets) now is seen at the next read, instead of waking the loop over and over.
    paused_ = true;
    upstream_->unregister();
  }
  return true;
}

void Router::on_client_writable(Stream& /*stream*/) {
  if (!paused_ || !upstream_) return;
  paused_ = false;
  last_upstream_read_ms_ = worker_.loop.now_ms();  // the upstream's inactivity counts from now
  upstream_->set_events(EPOLLIN | EPOLLRDHUP);
  read_response();
}

void Router::complete(bool upstream_reusable) {
  EndpointState* endpoint = &upstream_->endpoint();
  if (!result_reported_) stream_->upstream_result(*endpoint, false);
  release_upstream(upstream_reusable && response_.keep_alive && !request_cut_short_);
  std::optional<uint64_t> body_bytes;
  if (response_.body_kind != http::BodyKind::kNone) body_bytes = framer_.payload_bytes();
  stream_->finish({response_.status, StreamOutcome::Source::kUpstream, endpoint, body_bytes},
                  client_keep_alive_);
}

void Router::cut_off(int status) {
  const EndpointState* endpoint = upstream_ ? &upstream_->endpoint() : nullptr;
  release_upstream(false);
  stream_->abort({status, StreamOutcome::Source::kUpstream, endpoint});
}

void Router::fail(Failure failure, const std::string& detail) {
  timer_.cancel();
  bool nothing_received = in_.empty();
  bool stale_reuse =
      upstream_ && upstream_->reused && failure == Failure::kReset && nothing_received;
  EndpointState* endpoint =
      upstream_ ? &upstream_->endpoint()
                : (tried_.empty() ? nullptr : const_cast<EndpointState*>(tried_.back()));
  release_upstream(false);
  if (stale_reuse && !retried_stale_ && http::is_idempotent(request_->head.method)) {
    // A pooled connection the upstream had closed: not the endpoint's fault, try a fresh one.
    retried_stale_ = true;
    tried_.pop_back();
    attempt();
    return;
  }
  if (endpoint != nullptr) stream_->upstream_result(*endpoint, true);
  if (failure == Failure::kConnect || failure == Failure::kTimeout) {
    (failure == Failure::kConnect ? service_->stats->errors_connect
                                  : service_->stats->errors_timeout)
        ->inc();
  }
  // Retry on another endpoint when the upstream never saw the request (connect failure), or
  // reset the connection before answering an idempotent one (e.g. its accept queue overflowed).
  bool retryable =
      failure == Failure::kConnect || (failure == Failure::kReset && nothing_received &&
                                       http::is_idempotent(request_->head.method));
  if (retryable && retries_left_ > 0) {
    --retries_left_;
    service_->stats->retries->inc();
    attempt();
    return;
  }
  log::error("PROXY", "upstream request failed",
             {{"service", service_->config.name},
              {"endpoint", endpoint ? endpoint->name : std::string("-")},
              {"request_id", stream_->request_id()},
              {"detail", detail}});
  respond_error(failure == Failure::kTimeout ? ErrorCode::kGatewayTimeout : ErrorCode::kBadGateway,
                detail);
}

void Router::respond_error(ErrorCode code, const std::string& detail) {
  if (stream_->upstream_failure() == FilterStatus::kStop) return;  // e.g. a stale copy was served
  stream_->respond(code, detail);
}

void Router::release_upstream(bool reusable) {
  if (!upstream_) return;
  pool_.end_request(&upstream_->endpoint());
  if (reusable) {
    upstream_->requests_served++;
    pool_.give_back(std::move(upstream_),
                    static_cast<size_t>(service_->config.max_idle_per_endpoint));
  } else {
    upstream_.reset();
  }
  in_.consume(in_.size());
  in_.release_if_empty();
  paused_ = false;
}

void Router::on_deadline() {
  switch (phase_) {
    case Phase::kIdle:
      return;
    case Phase::kConnecting:
      fail(Failure::kConnect, "connect timed out");
      return;
    case Phase::kWriting:
    case Phase::kReadingHead:
      if (cut_to_mesh_deadline_) {
        fail(Failure::kTimeout,
             "upstream did not answer within the budget of the mesh peer "
             "that sent the request (X-X0-Mesh-Budget-Ms)");
        return;
      }
      fail(Failure::kTimeout, request_sent_ < request_head_.size() + request_->body.size()
                                  ? "upstream did not take the request within request_timeout_ms"
                                  : "upstream did not answer within request_timeout_ms");
      return;
    case Phase::kReadingBody:
      break;
  }
  // Body: an inactivity deadline, moved on lazily (no re-arm per read). While paused for a slow
  // client the upstream is not to blame; the client's send timeout bounds that wait.
  int64_t quiet_ms = worker_.loop.now_ms() - last_upstream_read_ms_;
  if (paused_ || quiet_ms < service_->config.read_timeout_ms) {
    timer_.arm(paused_ ? service_->config.read_timeout_ms
                       : service_->config.read_timeout_ms - quiet_ms);
    return;
  }
  log::warn("PROXY", "upstream stalled mid-response",
            {{"service", service_->config.name},
             {"request_id", stream_->request_id()},
             {"read_timeout_ms", service_->config.read_timeout_ms}});
  service_->stats->errors_timeout->inc();
  if (!result_reported_) stream_->upstream_result(upstream_->endpoint(), true);
  cut_off(504);
}

}  // namespace x0::gateway
