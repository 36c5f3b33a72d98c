// The node's control thread: one event loop for everything that may block or must be
// serialized — release and incident state (disk writes with fsync), the autopilot's ticks, exec
// hooks. Operator requests that need it are answered asynchronously: the worker hands the work
// over, stays free, and writes the reply when it comes back (or drops it if the client left).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "http/server_connection.h"
#include "net/event_loop.h"

namespace x0::admin {

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string extra_headers = {};  // complete lines, each ending in \r\n
};

class ControlThread {
 public:
  ControlThread() = default;
  ~ControlThread() { stop(); }
  void start() {
    thread_ = std::thread([this] { loop_.run(); });
  }
  void stop() {
    if (!thread_.joinable()) return;
    loop_.stop();
    thread_.join();
  }
  net::EventLoop& loop() { return loop_; }
  void post(std::function<void()> fn) { loop_.post(std::move(fn)); }

 private:
  net::EventLoop loop_;
  std::thread thread_;
};

// Runs `work` on the control thread and answers `conn`'s current request with its result, on
// the connection's own worker thread. Must be called from that worker (inside handle()).
void answer_async(http::ServerConnection& conn, ControlThread& control,
                  std::function<Reply()> work);

// The same for work that finishes later on the control thread (an asynchronous task such as a
// smoke check): `work` runs there and is handed `reply`, which it, or a task it starts, calls
// exactly once on the control thread when the answer is known. The control thread stays free
// meanwhile; the client's connection simply waits for its reply.
using ReplyFn = std::function<void(Reply)>;
void answer_async_later(http::ServerConnection& conn, ControlThread& control,
                        std::function<void(ReplyFn reply)> work);

// The same on another thread: `post` hands `work`'s start to it (the mesh thread, for a ping
// of every peer), and `reply` may be called on any one thread, once (later calls are ignored).
using PostFn = std::function<void(std::function<void()>)>;
void answer_async_via(http::ServerConnection& conn, const PostFn& post,
                      std::function<void(ReplyFn reply)> work);

}  // namespace x0::admin
