// One non-blocking HTTP/1.1 request/response exchange on an event loop, on the upstream codec
// the router uses too (response heads and body framing: http/body_framer.h): the client the control
// plane uses for work that waits on the network (smoke checks, webhooks, active health checks,
// the cache warmer). The caller resolves the address (DNS blocks; it is not done here), so an
// exchange never blocks its loop. Each exchange has one overall deadline, owned as a net::Timer,
// covering connect, request, response head and body: a peer that accepts and never answers
// costs a timer, not a thread.
//
// Completion: `done` is called exactly once per start(), on the loop thread, and never from
// inside start() or another handler's frame (it runs through EventLoop::defer), so it may
// destroy the Client. Destroying the Client before completion cancels the exchange and `done`
// is not called. One exchange per Client at a time; a completed Client may start another.
// Error codes: "connect_failed" (TLS handshakes included), "timed_out", "bad_response",
// "body_too_large", "io_error".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "http/body_framer.h"
#include "http/message.h"
#include "net/event_loop.h"
#include "net/socket.h"
#include "net/timer.h"
#include "net/transport.h"

namespace x0::http {

struct ClientRequest {
  Method method = Method::kGet;
  std::string method_text = "GET";
  std::string target = "/";
  std::string host;  // Host header value (e.g. "10.0.0.5:8080")
  std::vector<std::pair<std::string, std::string>> headers;  // extra fields, sent as given
  std::string body;  // sent with Content-Length when not empty
};

// What the client does with the response body.
enum class ClientBody {
  kKeep,      // read it to its end and keep it in ClientResponse::body
  kCount,     // read it to its end (so the peer finishes its work, e.g. storing it in the
              // cache), keep none of it: ClientResponse::body_bytes says how much came
  kHeadOnly,  // the exchange is over with the response head; the body is not read (a status
              // is the whole verdict, as for a health check)
};

struct ClientOptions {
  int64_t timeout_ms = 2000;          // the whole exchange
  uint64_t max_body_bytes = 1 << 20;  // a larger response body is "body_too_large"
  size_t max_header_bytes = 16 * 1024;
  ClientBody body = ClientBody::kKeep;
  // TLS (an https:// endpoint or URL): wraps the socket, which then shakes hands before the
  // request, under the same deadline. Null: plain TCP.
  std::shared_ptr<net::ClientTransportFactory> tls;
  // Keep the connection for the next start() to the same address (a mesh link, whose every
  // connection costs a post-quantum handshake and two composite signatures): no
  // "Connection: close", and the connection is reused while the peer keeps it open and idle.
  bool keep_alive = false;
  // The local address to connect from (port 0); unset: the kernel's choice.
  std::optional<net::SocketAddress> source;
};

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // as received, owned
  std::string body;         // decoded (chunked framing removed); empty unless ClientBody::kKeep
  uint64_t body_bytes = 0;  // payload bytes received (kKeep and kCount; 0 for kHeadOnly)
  // First field with this name (case-insensitive); "" if none.
  std::string_view header(std::string_view name) const;
};

class Client final : public net::IoHandler {
 public:
  using Done = std::function<void(Result<ClientResponse>)>;

  explicit Client(net::EventLoop& loop);
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts the exchange; must be called on the loop's thread. The request carries
  // "Connection: close" (one exchange per connection) unless options.keep_alive.
  void start(const net::SocketAddress& address, const ClientRequest& request,
             const ClientOptions& options, Done done);
  bool busy() const { return static_cast<bool>(done_); }
  // A kept connection (keep_alive) is open to `address` and may carry the next exchange.
  bool connected_to(const net::SocketAddress& address) const;
  // The connection of the current or kept exchange (null when there is none): a mesh link's
  // transport tells who the peer proved to be.
  const net::Transport* transport() const { return transport_.get(); }

  void on_io(uint32_t epoll_events) override;

 private:
  void on_deadline();
  void on_connected();
  void watch(uint32_t events);
  void write_some();
  void read_some();
  // Parses what has arrived; returns a result once the exchange is over.
  std::optional<Result<ClientResponse>> advance(bool eof);
  void finish(Result<ClientResponse> result);
  void close_socket();

  net::EventLoop& loop_;
  net::Timer deadline_;
  std::unique_ptr<net::Transport> transport_;
  uint32_t interest_ = 0;  // what the socket is registered for
  std::string peer_;       // "ip:port", for error details
  Method method_ = Method::kGet;
  ClientOptions options_;
  Done done_;
  bool connected_ = false;   // TCP and, for TLS, the handshake
  bool reusable_ = false;    // the last response ended by its framing on a keep-alive connection
  bool registered_ = false;  // transport_'s fd is on the loop (a kept connection is not)
  int64_t kept_at_ms_ = 0;   // when the kept connection went idle
  // A connection idle this long is not reused: servers close idle keep-alive connections (the
  // mesh listener after 30 s, nginx after 75 s), and a request written as the FIN arrives
  // would fail for nothing.
  static constexpr int64_t kMaxKeptIdleMs = 10000;
  std::string out_;          // request bytes not yet written
  size_t out_sent_ = 0;
  std::string in_;  // received bytes not yet consumed (head, then body)
  bool head_done_ = false;
  bool head_keep_alive_ = false;
  size_t interim_seen_ = 0;  // 1xx answers so far (bounded)
  BodyFramer framer_;        // the upstream codec's body framing, shared with the router
  ClientResponse response_;
  // Lets a deferred completion notice that the Client was destroyed meanwhile.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace x0::http
