// The server side of one HTTP/1.1 client connection: reads and frames requests (keep-alive,
// pipelining, chunked, Expect: 100-continue, limits, smuggling refusal), hands each complete
// request to a RequestHandler, and writes the response, buffered or streamed. One request is
// handled at a time; pipelined requests wait in the read buffer. Owned by one worker thread.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/quota.h"
#include "http/chunked.h"
#include "http/message.h"
#include "net/buffer.h"
#include "net/event_loop.h"
#include "net/socket.h"
#include "net/transport.h"

namespace x0::http {

class ServerConnection;

struct Request {
  RequestHead head;
  std::string_view body;  // raw body bytes as received (chunk framing kept when chunked)
  std::string_view raw_head;
  int64_t started_ms = 0;  // loop clock when the first byte of the request arrived
};

// A request in progress that outlives the handle() call (e.g. an upstream exchange). The
// connection tells it when the client goes away or when a paused writer may write again.
class PendingResponse {
 public:
  virtual ~PendingResponse() = default;
  virtual void on_client_gone() = 0;    // stop everything; the connection is being destroyed
  virtual void on_client_writable() {}  // output buffer drained below the low-water mark
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Must eventually finish the response (respond() or send_raw()+finish_response()), now or
  // later. Request views stay valid until then.
  virtual void handle(ServerConnection& conn, const Request& request) = 0;
  // A request that could not be parsed: the connection answers it and closes; this hook counts it.
  virtual void on_bad_request(ServerConnection& /*conn*/, int /*status*/, const char* /*reason*/) {}
};

struct ServerLimits {
  Limits parse;
  int64_t header_timeout_ms = 10000;  // first byte of a request -> complete head (slowloris)
  int64_t idle_timeout_ms = 60000;    // between requests, and between body reads
  // A client that takes none of its pending response bytes for this long is cut off (nginx's
  // send_timeout): a reader that stopped must not hold its exchange and buffers forever.
  int64_t send_timeout_ms = 60000;
  // Node-wide bytes of buffered request bodies ([api_gateway] memory_pool_size; may be null):
  // bodies are buffered whole before they are proxied, and without a bound a few hundred
  // concurrent uploads take the node's memory. Taken as bytes arrive, given back at the end.
  Quota* body_budget = nullptr;
};

class ServerConnection final : public net::IoHandler {
 public:
  // on_closed runs (deferred) after the connection is closed, so the owner can destroy it.
  ServerConnection(net::EventLoop& loop, std::unique_ptr<net::Transport> transport,
                   const sockaddr_storage& peer, RequestHandler& handler,
                   const ServerLimits& limits, std::function<void(ServerConnection*)> on_closed);
  ~ServerConnection() override;

  void start();
  void on_io(uint32_t events) override;

  // Complete response with a body; adds Content-Length and Connection framing.
  void respond(int status, std::string_view content_type, std::string_view body,
               std::string_view extra_headers = {});
  // Streaming: the caller writes a complete head and body bytes, then finishes.
  void send_raw(std::string_view bytes);
  // Queues bytes without writing them yet: a response assembled from parts (e.g. a cached head,
  // its Age line and body) leaves in one send() at finish_response().
  void append_output(std::string_view bytes) {
    if (state_ != State::kClosed) out_.append(bytes);
  }
  void finish_response(bool keep_alive);
  // The next response (respond()) carries Connection: close and the connection closes after it.
  void close_after_response() { keep_alive_ = false; }
  void set_pending(PendingResponse* pending) { pending_ = pending; }
  // A handler-owned object kept for the connection's lifetime (e.g. a reusable proxy exchange).
  PendingResponse* attachment() const { return attachment_.get(); }
  void set_attachment(std::unique_ptr<PendingResponse> attachment) {
    attachment_ = std::move(attachment);
  }
  std::unique_ptr<PendingResponse> take_attachment() { return std::move(attachment_); }

  // The client asked for keep-alive and the connection will honour it (false once draining).
  bool keep_alive_requested() const { return keep_alive_ && !closing_when_idle_; }
  size_t output_pending() const { return out_.size(); }
  static constexpr size_t kOutputHighWater = 256 * 1024;

  const sockaddr_storage& peer() const { return peer_; }
  const std::string& peer_ip() const { return peer_ip_; }
  bool secure() const { return transport_ && transport_->secure(); }
  // The mesh peer this connection authenticated as ("" on other listeners).
  std::string peer_identity() const { return transport_ ? transport_->peer_identity() : ""; }
  bool peer_is_loopback() const { return peer_loopback_; }
  net::EventLoop& loop() { return loop_; }
  bool in_request() const { return state_ == State::kHandling; }

  // Closes after the current response (drain), or once idle for kDrainIdleGraceMs (see .cc).
  void close_when_idle();
  static constexpr int64_t kDrainIdleGraceMs = 500;
  // Waiting for a request with nothing read and nothing left to send.
  bool idle() const { return state_ == State::kReadingHead && in_.empty() && out_.empty(); }
  // Closes at once (timeouts, errors); in-flight work is told via PendingResponse.
  void close();
  // Called by the owner's periodic sweep: closes the connection if its deadline passed.
  void check_deadline(int64_t now_ms);

 private:
  enum class State { kReadingHead, kReadingBody, kHandling, kClosed };
  void on_readable();
  void on_writable();
  void process_input();
  bool parse_next_head();
  bool body_complete();
  void dispatch();
  void reject(int status, const char* reason, std::string_view extra_headers = {});
  bool take_body_budget();  // false: refused with 503
  void give_back_body_budget();
  void flush();
  void release_request_bytes();
  Request& current_request();
  void update_interest();

  net::EventLoop& loop_;
  std::unique_ptr<net::Transport> transport_;  // null once closed
  sockaddr_storage peer_;
  std::string peer_ip_;
  bool peer_loopback_ = false;
  RequestHandler& handler_;
  const ServerLimits& limits_;
  std::function<void(ServerConnection*)> on_closed_;
  PendingResponse* pending_ = nullptr;
  std::unique_ptr<PendingResponse> attachment_;

  State state_ = State::kReadingHead;
  net::Buffer in_;
  net::Buffer out_;
  std::unique_ptr<Request> request_;   // only while a request is in progress (idle costs nothing)
  const char* parsed_base_ = nullptr;  // in_.data() when the head was parsed (views point there)
  size_t body_length_ = 0;
  size_t budget_held_ = 0;  // bytes of limits_.body_budget this connection holds
  ChunkedDecoder chunked_{0};
  size_t chunked_scanned_ = 0;
  bool keep_alive_ = true;
  bool close_after_write_ = false;
  bool peer_closed_ = false;
  bool resume_deferred_ = false;        // an on_readable for input the transport holds is queued
  bool paused_while_handling_ = false;  // read returned EOF: answer what is buffered, then close
  bool closing_when_idle_ = false;
  bool sent_continue_ = false;
  bool want_write_ = false;
  bool in_process_input_ = false;
  bool rejected_ = false;
  uint32_t interest_ = 0;
  int64_t deadline_ms_ = 0;    // reading: the head's or the next body bytes' deadline
  int64_t last_write_ms_ = 0;  // loop time output last moved (or was first queued)
  int64_t idle_since_ms_ = 0;  // loop time the connection last started waiting for a request
};

}  // namespace x0::http
