// The proxy request path (see proxy.h). Read top to bottom: start -> attempt -> send_request ->
// read_response -> on_response_head -> forward_body -> complete; fail() and respond_error()
// are the ways out when something breaks.
#include "gateway/proxy.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "common/log.h"
#include "gateway/access_log.h"
#include "gateway/head_rewrite.h"
#include "http/serialize.h"

namespace x0::gateway {
namespace {

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

ProxyExchange::ProxyExchange(WorkerContext& worker,
                             std::function<void(http::ServerConnection&)> detach)
    : worker_(worker),
      detach_(std::move(detach)),
      timer_(worker.loop, net::Timer::call<&ProxyExchange::on_deadline>(this)) {}

ProxyExchange::~ProxyExchange() {
  cancel_timer();
  release_upstream(false);
}

void ProxyExchange::start(http::ServerConnection& client, const http::Request& request,
                          const RequestTarget& target, std::shared_ptr<const RouteTable> table,
                          const ServiceState& service, EndpointRole side, CacheProbe probe) {
  client_ = &client;
  path_.assign(target.path);
  authority_.assign(target.authority);
  client_trusted_ = target.client_trusted;
  request_ = &request;
  table_ = std::move(table);
  service_ = &service;
  start_ns_ = now_ns();
  client_keep_alive_ = request.head.keep_alive;
  retries_left_ = http::is_idempotent(request.head.method) ? service.config.retries : 0;
  retried_stale_ = false;
  tried_.clear();
  side_ = side;
  cache_ = std::move(probe);
  start_unix_ms_ = cache_.eligible ? unix_ms() : 0;
  client.set_pending(this);
  worker_.in_flight.store(worker_.in_flight.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  std::string_view incoming_id = request.head.headers.find("X-Request-Id");
  if (valid_request_id(incoming_id)) {
    request_id_.assign(incoming_id);
  } else {
    worker_.new_request_id(request_id_);
  }
  if (cache_.may_use_stored) {
    switch (worker_.coalescer.join(cache_.key, waiter(), worker_.loop.now_ms())) {
      case cache::JoinRole::kLeader:
        flight_leader_ = true;
        break;
      case cache::JoinRole::kWaiter:  // another request of this worker is fetching this key
        phase_ = Phase::kWaitingForCache;
        arm_timer(service.config.request_timeout_ms);
        return;
      case cache::JoinRole::kBypass:
        break;
    }
  }
  attempt();
}

// Rebuilt per attempt: an HTTP/1.0 request without Host is sent with the chosen endpoint's.
void ProxyExchange::build_upstream_request(const EndpointState& endpoint) {
  request_head_.clear();
  write_upstream_request(request_->head,
                         {path_, authority_, endpoint.name, client_->peer_ip(), client_trusted_,
                          request_id_},
                         request_head_);
}

void ProxyExchange::attempt() {
  // The chosen side first, then the other side of a release (a request is better served by the
  // stable set than failed because the candidate is down, and vice versa), then the fallback.
  EndpointRole other = side_ == EndpointRole::kStable ? EndpointRole::kCandidate : EndpointRole::kStable;
  const std::shared_ptr<EndpointState>* picked = pick_endpoint(worker_, *service_, side_, tried_);
  if (picked == nullptr && service_->in_release) picked = pick_endpoint(worker_, *service_, other, tried_);
  // Every endpoint failed or is down: a stale copy of the real answer beats the fallback pool.
  if (picked == nullptr && serve_stale(!tried_.empty())) return;
  using_fallback_ = false;
  if (picked == nullptr) {
    picked = pick_endpoint(worker_, *service_, EndpointRole::kFallback, tried_);
    using_fallback_ = picked != nullptr;
  }
  if (picked == nullptr) {
    if (tried_.empty()) {
      respond_error(503, "no_healthy_upstream",
                    "no healthy endpoint and no fallback for service " + service_->config.name);
    } else {
      respond_error(502, "bad_gateway", "every endpoint tried failed for service " +
                                            service_->config.name);
    }
    return;
  }
  const std::shared_ptr<EndpointState>& endpoint = *picked;
  tried_.push_back(endpoint.get());
  if (using_fallback_) service_->stats->fallback_requests->inc();
  endpoint->requests.fetch_add(1, std::memory_order_relaxed);
  worker_.pool.begin_request(endpoint.get());

  build_upstream_request(*endpoint);
  request_sent_ = 0;
  request_cut_short_ = false;
  in_.consume(in_.size());
  upstream_ = worker_.pool.take(endpoint.get());
  if (upstream_) {
    // Same events as while idle, so taking a pooled connection costs no epoll_ctl; EPOLLOUT is
    // added only if the request does not fit in the socket buffer at once.
    phase_ = Phase::kWriting;
    upstream_->attach(this, EPOLLIN | EPOLLRDHUP);
    // The route timeout covers taking the whole request (an upstream that stops reading an
    // upload) and answering it.
    arm_timer(service_->config.request_timeout_ms);
    send_request();
    return;
  }
  auto connection = worker_.pool.connect(endpoint);
  if (!connection) {
    worker_.pool.end_request(endpoint.get());
    fail(Failure::kConnect, connection.error().detail);
    return;
  }
  upstream_ = std::move(*connection);
  phase_ = Phase::kConnecting;
  upstream_->attach(this, EPOLLOUT);
  arm_timer(service_->config.connect_timeout_ms);
}

void ProxyExchange::on_io(uint32_t events) {
  if (!upstream_) return;
  if (phase_ == Phase::kConnecting) {
    int error = net::connect_result(upstream_->fd());
    if (error != 0 || (events & EPOLLERR)) {
      fail(Failure::kConnect, std::string("connect: ") + std::strerror(error ? error : ECONNREFUSED));
      return;
    }
    arm_timer(service_->config.request_timeout_ms);  // from here on, as for a pooled connection
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
    request_cut_short_ = true;
    phase_ = Phase::kReadingHead;
    sent_ns_ = now_ns();
  }
  if (phase_ == Phase::kWriting) return;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)) read_response();
}

void ProxyExchange::send_request() {
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
  sent_ns_ = now_ns();
  upstream_->set_events(EPOLLIN | EPOLLRDHUP);  // no-op unless EPOLLOUT had been added
}

void ProxyExchange::read_response() {
  for (;;) {
    if (paused_) return;
    char* tail = in_.prepare(16 * 1024);
    size_t room = in_.free_space();
    net::IoResult r = upstream_->transport().read(tail, room);
    if (r.status == net::IoStatus::kDone) {
      in_.commit(r.bytes);
      last_upstream_read_ms_ = worker_.loop.now_ms();
      if (phase_ == Phase::kReadingHead) {
        if (!on_response_head()) return;
      } else {
        std::string_view bytes = in_.view();
        if (!forward_body(bytes)) return;  // ended: `this` may be reused or gone
        in_.consume(bytes.size());
      }
      if (phase_ == Phase::kIdle || !upstream_) return;
      if (r.bytes < room && !upstream_->transport().has_buffered_input()) return;
      continue;
    }
    if (r.status == net::IoStatus::kWouldBlock) return;
    // EOF or reset.
    if (phase_ == Phase::kReadingBody && response_.body_kind == http::BodyKind::kUntilClose) {
      complete(false);
      return;
    }
    if (phase_ == Phase::kReadingHead && in_.empty()) {
      fail(Failure::kReset, "upstream closed the connection before responding");
    } else if (phase_ == Phase::kReadingHead) {
      fail(Failure::kBadResponse, "upstream closed the connection in the middle of a response head");
    } else {
      // Mid-body: the client already has a partial response; all we can do is cut it off.
      log::warn("PROXY", "upstream closed mid-response", {{"service", service_->config.name},
                                                           {"request_id", request_id_}});
      record(502);
      release_upstream(false);
      http::ServerConnection* client = reset();
      detach_(*client);  // `this` may be gone from here on
      client->close();
    }
    return;
  }
}

// Returns false when the exchange ended (error or complete) or needs more bytes.
bool ProxyExchange::on_response_head() {
  http::ParseError error{};
  http::Limits limits;
  for (;;) {
    http::ParseStatus status =
        http::parse_response_head(in_.view(), limits, request_->head.method, &response_, &error);
    if (status == http::ParseStatus::kIncomplete) return false;
    if (status == http::ParseStatus::kError) {
      fail(Failure::kBadResponse, std::string("invalid response from upstream: ") + error.reason);
      return false;
    }
    if (response_.status == 101) break;  // refused below: we never ask for an upgrade
    if (response_.status >= 100 && response_.status < 200) {  // interim: we already sent 100
      in_.consume(response_.head_bytes);
      continue;
    }
    break;
  }
  // The body streams under the upstream's inactivity deadline (read_timeout_ms, see on_deadline).
  arm_timer(service_->config.read_timeout_ms);
  service_->stats->upstream_time->observe(static_cast<double>(now_ns() - sent_ns_) / 1e9);
  if (response_.status >= 500 && cache_.stale) {  // stale-if-error covers 5xx answers too
    count_endpoint_failure(upstream_->endpoint());
    release_upstream(false);
    serve_stale(true);
    return false;
  }
  bool client_http10 = request_->head.version_minor == 0;
  dechunk_ = client_http10 && response_.body_kind == http::BodyKind::kChunked;
  if (response_.body_kind == http::BodyKind::kUntilClose || dechunk_) client_keep_alive_ = false;
  if (client_->keep_alive_requested() == false) client_keep_alive_ = false;
  std::string& out = scratch_;
  out.clear();
  const char* refused = write_client_response_head(
      response_, {request_id_, dechunk_, client_keep_alive_, client_http10, cache_.eligible ? "MISS" : ""},
      out);
  if (refused != nullptr) {
    fail(Failure::kBadResponse, std::string("invalid response from upstream: ") + refused);
    return false;
  }
  if (cache_.eligible) begin_capture();
  phase_ = Phase::kReadingBody;
  body_remaining_ = response_.content_length;
  if (response_.body_kind == http::BodyKind::kChunked) chunked_ = http::ChunkedDecoder(~0ull);
  size_t head_bytes = response_.head_bytes;
  std::string_view rest = in_.view().substr(head_bytes);
  in_.consume(head_bytes);
  if (response_.body_kind == http::BodyKind::kNone) {
    if (capturing_) flight_result_ = store_capture();  // stored before the client sees the end
    client_->send_raw(out);
    if (client_ != nullptr) complete(in_.empty());
    return false;
  }
  // The head and the first body bytes leave in one send().
  if (!forward_body(rest)) return false;  // ended: `this` may be reused or gone
  in_.consume(rest.size());
  return phase_ == Phase::kReadingBody && upstream_ != nullptr;
}

// Forwards body bytes (prefixed by a pending head in scratch_) and detects the body's end.
// Returns false when the exchange ended: it was handed back (detach_) and may already run the
// client's next pipelined request or be destroyed, so the caller must not touch any member.
bool ProxyExchange::forward_body(std::string_view bytes) {
  std::string& out = scratch_;
  bool done = false;
  bool reusable = false;
  switch (response_.body_kind) {
    case http::BodyKind::kContentLength: {
      size_t take = bytes.size() < body_remaining_ ? bytes.size() : static_cast<size_t>(body_remaining_);
      out.append(bytes.data(), take);
      if (capturing_) capture(bytes.substr(0, take));
      body_remaining_ -= take;
      done = body_remaining_ == 0;
      reusable = done && take == bytes.size();
      break;
    }
    case http::BodyKind::kChunked: {
      size_t consumed = 0;
      http::ParseError error{};
      std::string decoded;
      bool decode = dechunk_ || capturing_;
      http::ParseStatus status = chunked_.feed(bytes, &consumed, decode ? &decoded : nullptr, &error);
      if (status == http::ParseStatus::kError) {
        if (!out.empty()) client_->send_raw(out);
        out.clear();
        log::warn("PROXY", "bad chunked framing from upstream",
                  {{"service", service_->config.name}, {"reason", error.reason}});
        record(502);
        release_upstream(false);
        http::ServerConnection* client = reset();
        detach_(*client);  // `this` may be gone from here on
        client->close();
        return false;
      }
      if (dechunk_) out += decoded;
      else out.append(bytes.data(), consumed);
      if (capturing_) capture(decoded);
      done = status == http::ParseStatus::kComplete;
      reusable = done && consumed == bytes.size();
      break;
    }
    case http::BodyKind::kUntilClose:
      out.append(bytes);
      if (capturing_) capture(bytes);
      break;
    case http::BodyKind::kNone:
      done = true;
      reusable = bytes.empty();
      break;
  }
  // Stored before the last bytes leave: a client that got the whole response and asks again (on
  // any worker) must find it in the cache.
  if (done && capturing_) flight_result_ = store_capture();
  if (!out.empty()) {
    client_->send_raw(out);
    out.clear();
    if (!client_) return false;  // send failed and the client connection closed
  }
  if (done) {
    complete(reusable);
    return false;
  }
  if (client_->output_pending() > http::ServerConnection::kOutputHighWater) {
    paused_ = true;  // slow client: stop reading upstream until it drains
    upstream_->set_events(EPOLLRDHUP);
  }
  return true;
}

void ProxyExchange::on_client_writable() {
  if (!paused_ || !upstream_) return;
  paused_ = false;
  last_upstream_read_ms_ = worker_.loop.now_ms();  // the upstream's inactivity counts from now
  upstream_->set_events(EPOLLIN | EPOLLRDHUP);
  read_response();
}

void ProxyExchange::complete(bool upstream_reusable) {
  record(response_.status);
  EndpointState& endpoint = upstream_->endpoint();
  if (response_.status >= 500) {
    count_endpoint_failure(endpoint);
  } else if (endpoint.consecutive_failures.load(std::memory_order_relaxed) != 0) {
    endpoint.consecutive_failures.store(0, std::memory_order_relaxed);
  }
  if (capturing_) flight_result_ = store_capture();  // (until-close bodies end here)
  release_upstream(upstream_reusable && response_.keep_alive && !request_cut_short_);
  bool keep_alive = client_keep_alive_;
  http::ServerConnection* client = reset();
  detach_(*client);  // `this` may be gone from here on
  client->finish_response(keep_alive);  // may start the next pipelined request
}

void ProxyExchange::fail(Failure failure, const std::string& detail) {
  cancel_timer();
  bool nothing_received = in_.empty();
  bool stale_reuse = upstream_ && upstream_->reused && failure == Failure::kReset && nothing_received;
  EndpointState* endpoint = upstream_ ? &upstream_->endpoint() : (tried_.empty() ? nullptr
                                         : const_cast<EndpointState*>(tried_.back()));
  release_upstream(false);
  if (stale_reuse && !retried_stale_ && http::is_idempotent(request_->head.method)) {
    // A pooled connection the upstream had closed: not the endpoint's fault, try a fresh one.
    retried_stale_ = true;
    tried_.pop_back();
    attempt();
    return;
  }
  if (endpoint != nullptr) count_endpoint_failure(*endpoint);
  if (failure == Failure::kConnect || failure == Failure::kTimeout) {
    (failure == Failure::kConnect ? service_->stats->errors_connect : service_->stats->errors_timeout)->inc();
  }
  // Retry on another endpoint when the upstream never saw the request (connect failure), or
  // reset the connection before answering an idempotent one (e.g. its accept queue overflowed).
  bool retryable = failure == Failure::kConnect ||
                   (failure == Failure::kReset && nothing_received &&
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
              {"request_id", request_id_}, {"detail", detail}});
  if (failure == Failure::kTimeout) {
    respond_error(504, "gateway_timeout", detail);
  } else {
    respond_error(502, "bad_gateway", detail);
  }
}

void ProxyExchange::respond_error(int status, const char* error, const std::string& detail) {
  if (serve_stale(!tried_.empty())) return;
  record(status);
  std::string body = "{\"error\":\"";
  body += error;
  body += "\",\"detail\":\"";
  for (char c : detail) {
    if (c == '"' || c == '\\') body += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) body += c;
  }
  body += "\",\"request_id\":\"" + request_id_ + "\"}";
  std::string extra = "X-Request-Id: " + request_id_ + "\r\n";
  http::ServerConnection* client = reset();
  detach_(*client);  // `this` may be gone from here on
  client->respond(status, "application/json", body, extra);
}

void ProxyExchange::record(int status) {
  double seconds = static_cast<double>(now_ns() - start_ns_) / 1e9;
  bool candidate = upstream_ ? upstream_->endpoint().role == EndpointRole::kCandidate
                            : side_ == EndpointRole::kCandidate;
  service_->stats->record(status, seconds, candidate);
  if (access_log_enabled() && request_ != nullptr && client_ != nullptr) {
    log_access({client_->peer_ip(), request_->head.method_text, request_->head.target, status,
                seconds, service_->config.name,
                upstream_ ? std::string_view(upstream_->endpoint().name) : std::string_view("-"),
                request_id_});
  }
}

void ProxyExchange::release_upstream(bool reusable) {
  if (!upstream_) return;
  worker_.pool.end_request(&upstream_->endpoint());
  if (reusable) {
    upstream_->requests_served++;
    worker_.pool.give_back(std::move(upstream_), static_cast<size_t>(service_->config.max_idle_per_endpoint));
  } else {
    upstream_.reset();
  }
  in_.consume(in_.size());
  in_.release_if_empty();
  paused_ = false;
}

void ProxyExchange::on_deadline() {
  switch (phase_) {
    case Phase::kIdle:
      return;
    case Phase::kWaitingForCache:
      phase_ = Phase::kIdle;  // the lead is taking too long (e.g. a slow client): fetch ourselves
      attempt();
      return;
    case Phase::kConnecting:
      fail(Failure::kConnect, "connect timed out");
      return;
    case Phase::kWriting:
    case Phase::kReadingHead:
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
    arm_timer(paused_ ? service_->config.read_timeout_ms : service_->config.read_timeout_ms - quiet_ms);
    return;
  }
  // The client already has part of the response: all that can be done is to cut it off.
  log::warn("PROXY", "upstream stalled mid-response", {{"service", service_->config.name},
                                                        {"request_id", request_id_},
                                                        {"read_timeout_ms", service_->config.read_timeout_ms}});
  service_->stats->errors_timeout->inc();
  count_endpoint_failure(upstream_->endpoint());
  record(504);
  release_upstream(false);
  http::ServerConnection* client = reset();
  detach_(*client);  // `this` may be gone from here on
  client->close();
}

http::ServerConnection* ProxyExchange::reset() {
  end_flight();
  ++generation_;
  cache_.stale.reset();
  stop_capture();
  cancel_timer();
  http::ServerConnection* client = client_;
  if (client_ != nullptr) {
    client_->set_pending(nullptr);
    worker_.in_flight.store(worker_.in_flight.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  }
  client_ = nullptr;
  request_ = nullptr;
  service_ = nullptr;
  table_.reset();
  phase_ = Phase::kIdle;
  return client;
}

void ProxyExchange::on_client_gone() {
  if (client_ == nullptr) return;
  if (service_ != nullptr) record(499);  // nginx's "client closed request"
  release_upstream(false);
  end_flight();  // the waiters fetch for themselves
  ++generation_;
  cache_.stale.reset();
  stop_capture();
  client_ = nullptr;  // reset() must not touch the closing connection
  worker_.in_flight.store(worker_.in_flight.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  request_ = nullptr;
  service_ = nullptr;
  table_.reset();
  cancel_timer();
  phase_ = Phase::kIdle;
}

void ProxyExchange::count_endpoint_failure(EndpointState& endpoint) {
  endpoint.failures.fetch_add(1, std::memory_order_relaxed);
  int failures = endpoint.consecutive_failures.fetch_add(1, std::memory_order_relaxed) + 1;
  int eject_after = service_->config.passive_eject_failures;  // 0: passive ejection off
  if (eject_after <= 0 || failures < eject_after) return;
  if (endpoint.ejected_until_ms.load(std::memory_order_relaxed) <= worker_.loop.now_ms()) {
    log::warn("HEALTH", "endpoint ejected after consecutive failures",
              {{"service", service_->config.name}, {"endpoint", endpoint.name},
               {"failures", failures}});
  }
  endpoint.ejected_until_ms.store(worker_.loop.now_ms() + worker_.passive_eject_ms,
                                  std::memory_order_relaxed);
}

// --- Cache (see cache_path.h) -------------------------------------------------------------

cache::CoalescedWaiter ProxyExchange::waiter() {
  std::weak_ptr<ProxyExchange*> self = self_;
  uint64_t generation = generation_;
  return [self, generation](const cache::CoalescedOutcome& outcome) {
    auto alive = self.lock();
    if (!alive) return;  // the exchange was destroyed
    ProxyExchange* exchange = *alive;
    if (exchange->generation_ != generation || exchange->phase_ != Phase::kWaitingForCache) return;
    exchange->on_coalesced(outcome);
  };
}

void ProxyExchange::on_coalesced(const cache::CoalescedOutcome& outcome) {
  cancel_timer();
  phase_ = Phase::kIdle;
  if (outcome.response &&
      cache::vary_matches(*outcome.response, cache_headers(request_->head.headers, worker_.request_headers))) {
    answer_from_entry(outcome.response, "HIT");
    return;
  }
  attempt();  // the lead's response cannot be shared (not cacheable, failed, other variant)
}

void ProxyExchange::answer_from_entry(std::shared_ptr<const cache::CachedResponse> entry,
                                      const char* label) {
  int64_t age = cache::current_age_s(entry->freshness, entry->stored_at_ms, unix_ms());
  const http::Request& request = *request_;  // owned by the connection until finish_response
  record_cache_answer(*service_, *client_, request, entry->status,
                      static_cast<double>(now_ns() - start_ns_) / 1e9, request_id_);
  release_upstream(false);
  http::ServerConnection* client = reset();
  detach_(*client);  // `this` may be gone from here on
  send_cached(*client, request, *entry, age, label);
}

bool ProxyExchange::serve_stale(bool upstream_failed) {
  if (!cache_.stale) return false;
  if (upstream_failed) {
    bool candidate = !tried_.empty() && tried_.back()->role == EndpointRole::kCandidate;
    service_->stats->record_masked_failure(candidate);
  }
  worker_.cache->record_stale_served();
  answer_from_entry(std::move(cache_.stale), "STALE");
  return true;
}

// At the response head: decide whether the response may be stored and keep its replay head.
void ProxyExchange::begin_capture() {
  capturing_ = false;
  if (!cache_.may_store) return;
  cache::Headers request_headers = cache_headers(request_->head.headers, worker_.request_headers);
  cache_headers(response_.headers, worker_.response_headers);
  response_unix_ms_ = unix_ms();
  decision_ = cache::decide_storable({request_->head.method_text, request_headers, start_unix_ms_},
                                     {response_.status, worker_.response_headers, response_unix_ms_},
                                     service_->cache_rules);
  bool too_large = response_.body_kind == http::BodyKind::kContentLength &&
                   response_.content_length > worker_.cache->max_entry_bytes();
  if (!decision_.store || too_large) {
    worker_.coalescer.mark_uncacheable(cache_.key, worker_.loop.now_ms());
    end_flight();  // the waiters cannot share this response: let them fetch now, not at its end
    return;
  }
  // The request id names the request that filled the entry, not the ones it will answer.
  std::erase_if(worker_.response_headers,
                [](const cache::Header& h) { return http::iequals(h.name, "X-Request-Id"); });
  capture_head_ = cache::make_replay_head(response_.status, response_.reason, worker_.response_headers,
                                          cache::kUnknownBodySize,
                                          request_->head.method == http::Method::kHead);
  capture_body_.clear();
  capturing_ = true;
}

void ProxyExchange::capture(std::string_view bytes) {
  if (capture_body_.size() + bytes.size() > worker_.cache->max_entry_bytes()) {
    stop_capture();  // too large for the store
    worker_.coalescer.mark_uncacheable(cache_.key, worker_.loop.now_ms());
    return;
  }
  if (worker_.capture_bytes + bytes.size() > worker_.capture_budget) {
    stop_capture();  // this worker already holds its share of bodies being copied: not this one
    return;
  }
  worker_.capture_bytes += bytes.size();
  capture_body_.append(bytes);
}

void ProxyExchange::stop_capture() {
  if (!capturing_) return;
  capturing_ = false;
  worker_.capture_bytes -= capture_body_.size();
  std::string().swap(capture_body_);
}

std::shared_ptr<const cache::CachedResponse> ProxyExchange::store_capture() {
  capturing_ = false;
  worker_.capture_bytes -= capture_body_.size();
  auto entry = cache::seal_streamed_response(
      {&cache_.key, &decision_, response_.status, std::move(capture_head_), std::move(capture_body_),
       cache_headers(request_->head.headers, worker_.request_headers), response_unix_ms_});
  capture_body_ = std::string();
  if (worker_.cache->insert(entry) == cache::InsertStatus::kTooLarge) return nullptr;
  return entry;
}

void ProxyExchange::end_flight() {
  if (!flight_leader_) return;
  flight_leader_ = false;
  // Runs the waiters now: they answer from the entry or start their own fetch. They belong to
  // other connections, so nothing here touches this exchange.
  worker_.coalescer.complete(cache_.key, std::move(flight_result_));
  flight_result_.reset();
}

}  // namespace x0::gateway
