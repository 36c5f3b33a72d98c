// HTTP/1.1 server connection state machine (see server_connection.h).
#include "http/server_connection.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>
#include <vector>

#include "common/log.h"
#include "http/serialize.h"

namespace x0::http {
namespace {

// Requests are big (a fixed header array); a worker recycles them instead of giving every
// idle keep-alive connection one of its own.
thread_local std::vector<std::unique_ptr<Request>> spare_requests;
constexpr size_t kMaxSpareRequests = 1024;

std::unique_ptr<Request> take_request() {
  if (spare_requests.empty()) return std::make_unique<Request>();
  std::unique_ptr<Request> request = std::move(spare_requests.back());
  spare_requests.pop_back();
  return request;
}

void recycle_request(std::unique_ptr<Request> request) {
  if (request && spare_requests.size() < kMaxSpareRequests) spare_requests.push_back(std::move(request));
}

}  // namespace

ServerConnection::ServerConnection(net::EventLoop& loop, std::unique_ptr<net::Transport> transport,
                                   const sockaddr_storage& peer, RequestHandler& handler,
                                   const ServerLimits& limits,
                                   std::function<void(ServerConnection*)> on_closed)
    : loop_(loop),
      transport_(std::move(transport)),
      peer_(peer),
      peer_ip_(net::peer_ip(peer)),
      peer_loopback_(net::is_loopback(peer)),
      handler_(handler),
      limits_(limits),
      on_closed_(std::move(on_closed)),
      chunked_(limits.parse.max_body_bytes) {}

ServerConnection::~ServerConnection() {
  if (pending_ != nullptr) pending_->on_client_gone();
  give_back_body_budget();
}

void ServerConnection::start() {
  net::set_nodelay(transport_->fd());
  interest_ = EPOLLIN;
  loop_.add(transport_->fd(), interest_, this);
  int64_t first_wait = limits_.idle_timeout_ms;
  if (int64_t setup = transport_->setup_timeout_ms(); setup > 0) first_wait = std::min(first_wait, setup);
  deadline_ms_ = loop_.now_ms() + first_wait;
  idle_since_ms_ = loop_.now_ms();
}

void ServerConnection::on_io(uint32_t events) {
  if (state_ == State::kClosed) return;
  if (events & EPOLLERR) {
    close();
    return;
  }
  // A TLS transport may wait for the other readiness: a read for the socket to take its
  // handshake flight, a write for the peer's records.
  const uint32_t extra = transport_->extra_events();
  if ((events & EPOLLOUT) || ((extra & EPOLLIN) && (events & EPOLLIN))) on_writable();
  if (state_ == State::kClosed) return;
  if ((extra & EPOLLOUT) && (events & EPOLLOUT)) events |= EPOLLIN;
  if (state_ == State::kHandling) {
    // The client sent more while its request is handled: stop reading until the response is
    // done (the request's views must not move), instead of spinning on level-triggered EPOLLIN.
    paused_while_handling_ = true;
    update_interest();
    return;
  }
  if (state_ != State::kClosed && (events & (EPOLLIN | EPOLLHUP))) on_readable();
}

void ServerConnection::on_readable() {
  for (int round = 0; round < 4; ++round) {
    char* tail = in_.prepare(4096);
    size_t room = in_.free_space();
    net::IoResult r = transport_->read(tail, room);
    if (r.status == net::IoStatus::kDone) {
      in_.commit(r.bytes);
      // Body bytes are progress: the body's deadline is an inactivity one.
      if (state_ == State::kReadingBody) deadline_ms_ = loop_.now_ms() + limits_.idle_timeout_ms;
      if (r.bytes < room && !transport_->has_buffered_input()) break;
      continue;
    }
    if (r.status == net::IoStatus::kEof) {
      // The client closed its sending side. A complete request already buffered (e.g. from a
      // client that half-closes after sending) is still answered; then the connection closes.
      if (in_.empty() && state_ == State::kReadingHead) {
        close();
        return;
      }
      peer_closed_ = true;
      close_after_write_ = true;
      break;
    }
    if (r.status == net::IoStatus::kWouldBlock) break;
    close();
    return;
  }
  process_input();
  if (peer_closed_ && state_ != State::kClosed && state_ != State::kHandling) close();
}

void ServerConnection::process_input() {
  if (in_process_input_) return;  // a synchronous respond() inside handle(): the loop below goes on
  in_process_input_ = true;
  while (state_ == State::kReadingHead || state_ == State::kReadingBody) {
    if (state_ == State::kReadingHead) {
      if (in_.empty()) break;
      if (!parse_next_head()) break;
    }
    if (state_ == State::kReadingBody) {
      if (!body_complete()) break;
      dispatch();
    }
  }
  in_process_input_ = false;
  if (state_ != State::kClosed) update_interest();
}

// Returns true when a head was parsed and the connection moved to kReadingBody.
Request& ServerConnection::current_request() {
  if (!request_) request_ = take_request();
  return *request_;
}

bool ServerConnection::parse_next_head() {
  current_request();
  if (request_->started_ms == 0) {
    request_->started_ms = loop_.now_ms();
    deadline_ms_ = request_->started_ms + limits_.header_timeout_ms;
  }
  ParseError error{};
  ParseStatus status = parse_request_head(in_.view(), limits_.parse, &request_->head, &error);
  if (status == ParseStatus::kIncomplete) return false;
  if (status == ParseStatus::kError) {
    reject(error.status, error.reason);
    return false;
  }
  parsed_base_ = in_.data();
  keep_alive_ = request_->head.keep_alive;
  body_length_ = 0;
  if (request_->head.body_kind == BodyKind::kChunked) {
    chunked_ = ChunkedDecoder(limits_.parse.max_body_bytes);
  }
  state_ = State::kReadingBody;
  sent_continue_ = false;
  deadline_ms_ = loop_.now_ms() + limits_.idle_timeout_ms;
  return true;
}

// Returns true when the whole body is buffered.
bool ServerConnection::body_complete() {
  const RequestHead& head = request_->head;
  size_t available = in_.size() - head.head_bytes;
  if (head.body_kind != BodyKind::kNone && !take_body_budget()) return false;
  bool complete = false;
  switch (head.body_kind) {
    case BodyKind::kNone:
    case BodyKind::kUntilClose:
      complete = true;
      break;
    case BodyKind::kContentLength:
      body_length_ = static_cast<size_t>(head.content_length);
      complete = available >= body_length_;
      break;
    case BodyKind::kChunked: {
      std::string_view rest = in_.view().substr(head.head_bytes + body_length_);
      size_t consumed = 0;
      ParseError error{};
      ParseStatus status = chunked_.feed(rest, &consumed, nullptr, &error);
      body_length_ += consumed;
      if (status == ParseStatus::kError) {
        reject(error.status, error.reason);
        return false;
      }
      // max_body_bytes counts payload; chunk framing (sizes, up to 4 KiB of extensions per
      // chunk) could otherwise make one small body hold megabytes of buffer.
      if (body_length_ > 2 * limits_.parse.max_body_bytes + 65536) {
        reject(413, "chunked body framing too large");
        return false;
      }
      complete = status == ParseStatus::kComplete;
      break;
    }
  }
  if (!complete && head.expect_continue && !sent_continue_) {
    sent_continue_ = true;
    out_.append("HTTP/1.1 100 Continue\r\n\r\n");
    flush();
  }
  return complete;
}

void ServerConnection::dispatch() {
  if (in_.data() != parsed_base_) {
    // The buffer moved while the body arrived: re-parse so the head's views point at it again.
    ParseError error{};
    parse_request_head(in_.view(), limits_.parse, &request_->head, &error);
    parsed_base_ = in_.data();
  }
  request_->raw_head = in_.view().substr(0, request_->head.head_bytes);
  request_->body = in_.view().substr(request_->head.head_bytes, body_length_);
  // No reading while a request is handled (the request's views must not move); EPOLLIN is
  // dropped lazily in on_io if the client sends more, saving two epoll_ctl calls per request.
  state_ = State::kHandling;
  handler_.handle(*this, *request_);
}

// Takes budget for the memory this connection holds for its request: body bytes as they arrive
// (a head alone holds nothing), and bytes pipelined behind the body too. A Content-Length body
// that waits for 100 Continue is reserved whole first, so a refusal comes before the client
// sends it.
bool ServerConnection::take_body_budget() {
  if (limits_.body_budget == nullptr) return true;
  const RequestHead& head = request_->head;
  size_t wanted = in_.size() - head.head_bytes;
  if (head.body_kind == BodyKind::kContentLength && head.expect_continue && !sent_continue_ &&
      head.content_length > wanted) {
    wanted = static_cast<size_t>(head.content_length);
  }
  if (wanted <= budget_held_) return true;
  if (!limits_.body_budget->try_take(wanted - budget_held_)) {
    reject(503, "request body memory budget exhausted ([api_gateway] memory_pool_size)",
           "Retry-After: 1\r\n");
    return false;
  }
  budget_held_ = wanted;
  return true;
}

void ServerConnection::give_back_body_budget() {
  if (budget_held_ == 0) return;
  limits_.body_budget->give_back(budget_held_);
  budget_held_ = 0;
}

void ServerConnection::reject(int status, const char* reason, std::string_view extra_headers) {
  current_request();
  handler_.on_bad_request(*this, status, reason);
  rejected_ = true;
  keep_alive_ = false;
  request_->head.method = Method::kGet;  // so the error body is written
  state_ = State::kHandling;
  std::string body = R"({"error":")";
  body += reason_phrase(status);
  body += R"(","detail":")";
  body += reason;
  body += "\"}";
  respond(status, "application/json", body, extra_headers);
}

void ServerConnection::respond(int status, std::string_view content_type, std::string_view body,
                               std::string_view extra_headers) {
  bool will_close = !keep_alive_ || closing_when_idle_ || peer_closed_;
  std::string head;
  head.reserve(160 + extra_headers.size());
  append_status_line(head, status);
  if (!content_type.empty()) append_header(head, "Content-Type", content_type);
  head += "Content-Length: ";
  head += std::to_string(body.size());
  head += "\r\n";
  if (will_close) {
    head += "Connection: close\r\n";
  } else if (request_->head.version_minor == 0) {
    head += "Connection: keep-alive\r\n";
  }
  head += extra_headers;
  head += "\r\n";
  out_.append(head);
  if (request_->head.method != Method::kHead) out_.append(body);
  finish_response(!will_close);
}

void ServerConnection::send_raw(std::string_view bytes) {
  if (state_ == State::kClosed) return;
  out_.append(bytes);
  flush();
}

void ServerConnection::release_request_bytes() {
  give_back_body_budget();
  if (rejected_) {
    in_.consume(in_.size());
  } else {
    in_.consume(request_->head.head_bytes + body_length_);
  }
  body_length_ = 0;
  request_->started_ms = 0;
  if (in_.empty()) recycle_request(std::move(request_));
}

void ServerConnection::finish_response(bool keep_alive) {
  if (state_ == State::kClosed) return;
  pending_ = nullptr;
  paused_while_handling_ = false;
  release_request_bytes();
  if (!keep_alive || !keep_alive_ || closing_when_idle_ || rejected_) close_after_write_ = true;
  state_ = State::kReadingHead;
  deadline_ms_ = loop_.now_ms() + limits_.idle_timeout_ms;
  idle_since_ms_ = loop_.now_ms();
  flush();
  if (state_ == State::kClosed) return;
  if (close_after_write_) {
    update_interest();
    return;
  }
  in_.release_if_empty();
  if (in_.empty() || in_process_input_) {
    process_input();  // nothing pipelined (interest only), or the running loop takes it next
    return;
  }
  // A pipelined request waits: it starts from the loop, never inside the call that finished
  // this one (whose stream is still on the stack). The connection is destroyed only from the
  // deferred queue after close(), so it outlives this callback.
  loop_.defer([this] { process_input(); });
}

void ServerConnection::flush() {
  while (!out_.empty()) {
    net::IoResult r = transport_->write(out_.view());
    if (r.status == net::IoStatus::kDone) {
      out_.consume(r.bytes);
      last_write_ms_ = loop_.now_ms();
      continue;
    }
    if (r.status == net::IoStatus::kWouldBlock) {
      if (!want_write_) {
        want_write_ = true;
        last_write_ms_ = loop_.now_ms();  // the send timeout counts from the first stall
        update_interest();
      }
      return;
    }
    close();
    return;
  }
  out_.release_if_empty();
  if (want_write_) {
    want_write_ = false;
    update_interest();
  }
  if (close_after_write_ && state_ != State::kHandling) {
    transport_->shutdown_write();
    close();
  }
}

void ServerConnection::on_writable() {
  flush();
  if (state_ != State::kClosed && pending_ != nullptr && output_pending() < kOutputHighWater / 2) {
    pending_->on_client_writable();
  }
}

void ServerConnection::update_interest() {
  if (state_ == State::kClosed) return;
  uint32_t wanted = 0;
  // While a request is handled EPOLLIN stays registered unless the client actually sent more:
  // dropping and re-adding it around every request would cost two epoll_ctl calls each.
  bool reading = (state_ == State::kReadingHead || state_ == State::kReadingBody ||
                  (state_ == State::kHandling && !paused_while_handling_)) &&
                 !close_after_write_ && !peer_closed_;
  if (reading) wanted |= EPOLLIN;
  // Input TLS already took off the socket (read ahead, or the rest of a record) raises no
  // EPOLLIN: read it from the loop, as if it had.
  if (reading && state_ != State::kHandling && !resume_deferred_ &&
      transport_->has_buffered_input()) {
    resume_deferred_ = true;
    loop_.defer([this] {
      resume_deferred_ = false;
      if (state_ == State::kReadingHead || state_ == State::kReadingBody) on_readable();
    });
  }
  // A write that TLS holds until the peer's records come waits on EPOLLIN (extra), not EPOLLOUT:
  // the socket is writable then, and level-triggered EPOLLOUT would spin.
  const uint32_t extra = transport_->extra_events();
  if (want_write_ && (extra & EPOLLIN) == 0) wanted |= EPOLLOUT;
  wanted |= extra;
  if (wanted != interest_) {
    interest_ = wanted;
    loop_.modify(transport_->fd(), wanted, this);
  }
}

// A drain closes an idle connection once it has been idle for kDrainIdleGraceMs, not at once: a
// client whose request is already on its way (on a connection just accepted, or on a keep-alive
// one whose last answer it has just read) would get a reset instead of an answer. Until then
// the sweep looks again (check_deadline); a request that comes is answered with
// Connection: close. The race that is left is a client idle for the whole grace that sends
// just as the connection closes, which no HTTP/1.1 server can tell apart (RFC 9112 9.3.1).
void ServerConnection::close_when_idle() {
  closing_when_idle_ = true;
  if (idle() && loop_.now_ms() - idle_since_ms_ >= kDrainIdleGraceMs) close();
}

void ServerConnection::close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  loop_.remove(transport_->fd(), this);
  transport_.reset();
  give_back_body_budget();
  if (pending_ != nullptr) {
    PendingResponse* pending = pending_;
    pending_ = nullptr;
    pending->on_client_gone();
  }
  loop_.defer([this] {
    // The callback destroys this connection, and with it on_closed_: run it from the stack.
    auto on_closed = std::move(on_closed_);
    on_closed(this);
  });
}

void ServerConnection::check_deadline(int64_t now_ms) {
  if (state_ == State::kClosed) return;
  if (want_write_ && now_ms - last_write_ms_ >= limits_.send_timeout_ms) {
    // The client takes none of its response: cut it off; the stream feeding it is told
    // (on_client_gone) and every buffer goes with the connection. One line a second per worker
    // at most: many stalled readers at once are an attack, not news each.
    thread_local int64_t last_logged_ms = -1000000;
    thread_local uint64_t not_logged = 0;
    if (now_ms - last_logged_ms >= 1000) {
      log::warn("HTTP", "client took none of its response within send_timeout_ms: closed",
                {{"peer", peer_ip_}, {"pending_bytes", out_.size()},
                 {"send_timeout_ms", limits_.send_timeout_ms}, {"not_logged_since_last", not_logged}});
      last_logged_ms = now_ms;
      not_logged = 0;
    } else {
      ++not_logged;
    }
    close();
    return;
  }
  if (state_ == State::kHandling) return;
  if (closing_when_idle_ && idle() && now_ms - idle_since_ms_ >= kDrainIdleGraceMs) {
    close();
    return;
  }
  if (deadline_ms_ == 0 || now_ms < deadline_ms_) return;
  if (state_ == State::kReadingHead && in_.empty()) {
    close();  // idle keep-alive connection timed out: close silently, as nginx and HAProxy do
    return;
  }
  reject(408, "request not received in time");
}

}  // namespace x0::http
