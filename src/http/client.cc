// Non-blocking HTTP/1.1 client exchange (see client.h).
#include "http/client.h"

#include <strings.h>
#include <sys/epoll.h>

#include <cstring>

namespace x0::http {

std::string_view ClientResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (n.size() == name.size() && ::strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
  return {};
}

Client::Client(net::EventLoop& loop)
    : loop_(loop), deadline_(loop, net::Timer::call<&Client::on_deadline>(this)) {}

Client::~Client() { close_socket(); }

void Client::close_socket() {
  if (!transport_) return;
  if (registered_) loop_.remove(transport_->fd(), this);  // may be destroyed within this batch
  registered_ = false;
  reusable_ = false;
  transport_.reset();
}

bool Client::connected_to(const net::SocketAddress& address) const {
  return transport_ && reusable_ && !done_ && peer_ == address.to_string() &&
         net::EventLoop::monotonic_ms() - kept_at_ms_ < kMaxKeptIdleMs &&
         transport_->idle_and_open();
}

void Client::start(const net::SocketAddress& address, const ClientRequest& request,
                   const ClientOptions& options, Done done) {
  loop_.assert_owner("http::Client::start");
  bool reuse = options.keep_alive && connected_to(address);
  if (!reuse) close_socket();
  done_ = std::move(done);
  options_ = options;
  method_ = request.method;
  peer_ = address.to_string();
  connected_ = reuse;
  reusable_ = false;
  head_done_ = false;
  interim_seen_ = 0;
  response_ = ClientResponse{};
  in_.clear();
  out_sent_ = 0;
  out_ = request.method_text + " " + request.target + " HTTP/1.1\r\nHost: " + request.host +
         (options_.keep_alive ? "\r\n" : "\r\nConnection: close\r\n");
  for (const auto& [name, value] : request.headers) out_ += name + ": " + value + "\r\n";
  if (!request.body.empty())
    out_ += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  out_ += "\r\n";
  out_ += request.body;

  deadline_.arm(options_.timeout_ms);
  if (reuse) {
    interest_ = EPOLLOUT;
    registered_ = loop_.add(transport_->fd(), interest_, this);
    if (!registered_)
      return finish(fail(Errc::kIoError, "cannot register the socket for " + peer_));
    return;
  }
  auto fd = net::connect_tcp(address, options_.source ? &*options_.source : nullptr);
  if (!fd) return finish(fail(Errc::kConnectFailed, fd.error().detail));
  if (options_.tls) {
    auto wrapped = options_.tls->connect(std::move(*fd));
    if (!wrapped) return finish(std::unexpected(wrapped.error()));
    transport_ = *std::move(wrapped);
  } else {
    transport_ = std::make_unique<net::PlainTransport>(std::move(*fd));
  }
  interest_ = EPOLLOUT;
  registered_ = loop_.add(transport_->fd(), interest_, this);
  if (!registered_) return finish(fail(Errc::kIoError, "cannot register the socket for " + peer_));
}

void Client::watch(uint32_t events) {
  if (events == interest_) return;
  interest_ = events;
  if (!loop_.modify(transport_->fd(), events, this))
    finish(fail(Errc::kIoError, "cannot watch the socket of " + peer_));
}

void Client::on_io(uint32_t events) {
  if (!transport_ || !done_) return;
  if (!connected_) {
    if (int error = net::connect_result(transport_->fd()); error != 0)
      return finish(fail(Errc::kConnectFailed, "connect " + peer_ + ": " + std::strerror(error)));
    if ((events & (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
    net::IoResult handshake = transport_->handshake();  // TLS; done at once for plain TCP
    if (handshake.status == net::IoStatus::kWouldBlock) return watch(transport_->extra_events());
    if (handshake.status != net::IoStatus::kDone)
      return finish(
          fail(Errc::kConnectFailed, "TLS handshake with " + peer_ + ": " + transport_->failure()));
    return on_connected();
  }
  if (out_sent_ < out_.size() && (events & (EPOLLOUT | EPOLLERR))) return write_some();
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP | EPOLLOUT)) return read_some();
}

void Client::on_connected() {
  connected_ = true;
  write_some();
}

void Client::write_some() {
  while (out_sent_ < out_.size()) {
    net::IoResult r = transport_->write(std::string_view(out_).substr(out_sent_));
    if (r.status == net::IoStatus::kWouldBlock) return watch(EPOLLOUT | transport_->extra_events());
    if (r.status != net::IoStatus::kDone)
      return finish(
          fail(Errc::kIoError, "sending the request to " + peer_ + ": " + std::strerror(r.error)));
    out_sent_ += r.bytes;
  }
  out_.clear();
  out_.shrink_to_fit();
  out_sent_ = 0;
  watch(EPOLLIN | EPOLLRDHUP);
}

void Client::read_some() {
  char buf[16 * 1024];
  // Bounded per wake-up so one fast peer does not monopolize the loop.
  for (int i = 0; i < 16; ++i) {
    net::IoResult r = transport_->read(buf, sizeof buf);
    // TLS may need the socket writable to go on reading: EPOLLOUT while it does, then not.
    if (r.status == net::IoStatus::kWouldBlock)
      return watch(EPOLLIN | EPOLLRDHUP | transport_->extra_events());
    if (r.status == net::IoStatus::kError)
      return finish(
          fail(Errc::kIoError, "reading the response of " + peer_ + ": " + std::strerror(r.error)));
    bool eof = r.status == net::IoStatus::kEof;
    if (!eof) in_.append(buf, r.bytes);
    if (auto result = advance(eof)) return finish(std::move(*result));
    if (eof) return;  // advance() always decides at EOF; kept for clarity
  }
  // Input TLS already took off the socket raises no EPOLLIN: go on from the loop.
  if (transport_->has_buffered_input()) {
    loop_.defer([alive = std::weak_ptr<char>(alive_), this] {
      if (!alive.expired() && transport_ && done_) read_some();
    });
  }
}

std::optional<Result<ClientResponse>> Client::advance(bool eof) {
  if (!head_done_) {
    Limits limits;
    limits.max_header_bytes = options_.max_header_bytes;
    ResponseHead head;
    ParseError err{};
    size_t interim = 0, interim_count = 0;  // 1xx answers before the real one
    ParseStatus st =
        parse_final_response_head(in_, limits, method_, &head, &err, &interim, &interim_count);
    interim_seen_ += interim_count;
    if (interim_seen_ > kMaxInterimResponses)
      return fail(Errc::kBadResponse, peer_ + " sent more than 16 interim (1xx) responses");
    if (st != ParseStatus::kComplete) {
      in_.erase(0, interim);  // dropped at once: a peer sending 1xx after 1xx holds one head
      interim = 0;
    }
    if (st == ParseStatus::kError)
      return fail(Errc::kBadResponse, peer_ + " sent an invalid response head: " + err.reason);
    if (st == ParseStatus::kIncomplete) {
      if (eof)
        return fail(Errc::kBadResponse, in_.empty()
                                            ? peer_ + " closed the connection without answering"
                                            : peer_ + " closed the connection mid-head");
      return std::nullopt;
    }
    response_.status = head.status;
    head_keep_alive_ = head.keep_alive && head.body_kind != BodyKind::kUntilClose;
    for (const Header& h : head.headers)
      response_.headers.emplace_back(std::string(h.name), std::string(h.value));
    head_done_ = true;
    if (options_.body == ClientBody::kHeadOnly) return Result<ClientResponse>(std::move(response_));
    if (head.body_kind == BodyKind::kContentLength && head.content_length > options_.max_body_bytes)
      return fail(Errc::kBodyTooLarge, peer_ + " announced a body of " +
                                           std::to_string(head.content_length) +
                                           " bytes, over the limit");
    framer_.start(head, options_.max_body_bytes);
    in_.erase(0, interim + head.head_bytes);  // after the last use of the head's views
  }
  ParseError err{};
  // Decoded either way: a chunked body's payload size is what kCount reports.
  BodyFramer::Piece piece = framer_.feed(in_, /*decode=*/true, &err);
  if (piece.status == ParseStatus::kError)
    return err.status == 413
               ? fail(Errc::kBodyTooLarge, peer_ + " sent a chunked body over the limit")
               : fail(Errc::kBadResponse, peer_ + " sent bad chunked framing: " + err.reason);
  if (options_.body == ClientBody::kKeep) response_.body.append(piece.payload);
  response_.body_bytes += piece.payload.size();
  in_.erase(0, piece.consumed);  // after the last use of piece.payload (a view of in_)
  if (response_.body_bytes > options_.max_body_bytes)
    return fail(Errc::kBodyTooLarge, peer_ + " sent a body over the limit");
  if (piece.status == ParseStatus::kIncomplete) {
    if (!eof) return std::nullopt;
    if (!framer_.ends_at_close())
      return fail(Errc::kBadResponse, peer_ + " closed the connection mid-body");
  }
  // Kept only when nothing of another response came with this one.
  reusable_ = options_.keep_alive && !eof && head_keep_alive_ && in_.empty();
  return Result<ClientResponse>(std::move(response_));
}

void Client::on_deadline() {
  if (!done_) return;
  finish(fail(Errc::kTimedOut, (connected_ ? "no complete response from " : "cannot connect to ") +
                                   peer_ + " within " + std::to_string(options_.timeout_ms) +
                                   " ms"));
}

void Client::finish(Result<ClientResponse> result) {
  deadline_.cancel();
  if (result && reusable_) {
    // Kept off the loop while idle: its events (the peer closing) matter only at the next
    // start(), which checks idle_and_open() first.
    loop_.remove(transport_->fd(), this);
    registered_ = false;
    kept_at_ms_ = net::EventLoop::monotonic_ms();
  } else {
    close_socket();
  }
  in_.clear();
  // Deferred: never inside start() or this object's own handler frame, and the callback may
  // destroy the Client. A Client destroyed before the deferred call runs drops the result.
  loop_.defer([alive = std::weak_ptr<char>(alive_), done = std::move(done_),
               result = std::move(result)]() mutable {
    if (alive.expired()) return;
    done(std::move(result));
  });
  done_ = nullptr;
}

}  // namespace x0::http
