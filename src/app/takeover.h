// The restart hand-over (`x0tta6bl4 run --takeover`): the running node gives its listening
// sockets to the new process over a Unix socket (net/fd_passing.h), as HAProxy's seamless reload
// and Envoy's hot restart do, so no connection is refused while the process changes.
//
//   new                                     old (serves all along)
//   connect <data_dir>/takeover.sock  --->  SO_PEERCRED: same user, or refused
//   "x0tta6bl4 takeover 1"            --->
//                                     <---  "accepted" (within kAnswerMs, or the new one goes on
//                                           alone); parks its control and disk threads, releases
//                                           the data dir lock (app/data_dir_lock.h)
//                                     <---  "listener NAME" + its fds, ..., "ready PID"
//   takes the data dir lock, starts, accepts on the fds (and on fresh ones for new addresses)
//   "drain"                           --->  stops accepting (closes its copies only), finishes
//                                     <---  "draining"   in-flight requests, exits
//
// Every wait has a deadline. A new process that gets no answer starts with fresh sockets; an
// old one whose new process does not say "drain" in time takes its data dir back and serves on.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "net/socket.h"

namespace x0::app {

// A listening socket of the running node: the listener it serves ("data", "health", ...) and
// its fd (owned by a worker's Server; only borrowed for the hand-over).
struct ListeningSocket {
  std::string listener;
  int fd = -1;
};

// The sockets a new process received, taken by address as its workers bind their listeners.
class InheritedListeners {
 public:
  struct Socket {
    std::string listener;  // what the old node used it for (logs)
    std::string address;   // where it is bound (getsockname), as SocketAddress::to_string()
    net::Fd fd;
  };
  InheritedListeners() = default;
  explicit InheritedListeners(std::vector<Socket> sockets) : sockets_(std::move(sockets)) {}
  // Worker `index` of `count`: its share of the sockets bound to `address` (the old node may
  // have run another number of workers; every socket is served by someone). Empty: none.
  std::vector<net::Fd> share(const std::string& address, int index, int count);
  // Sockets nobody took (an address no longer configured), closed; their listeners, for a log.
  std::vector<std::string> close_unclaimed();
  size_t size() const { return sockets_.size(); }
  size_t taken() const { return taken_; }

 private:
  std::vector<Socket> sockets_;
  size_t taken_ = 0;
};

// The new process's side.
class Takeover {
 public:
  // Connects to the running node's hand-over socket and receives its listeners (the old node
  // keeps accepting meanwhile). kConnectFailed: no node listens there (start normally);
  // kConflict: the node refused (its reason in the detail); kTimedOut, kBadResponse.
  static Result<Takeover> request(const std::string& socket_path, int64_t timeout_ms);
  // How long a running node may take to answer the request at all (kTimedOut after).
  static constexpr int64_t kAnswerMs = 2000;
  // Once this process accepts on the sockets: asks the old node to drain, waits for its ack.
  Result<void> finish(int64_t timeout_ms);
  InheritedListeners& listeners() { return listeners_; }
  pid_t old_pid() const { return old_pid_; }

 private:
  net::Fd peer_;
  InheritedListeners listeners_;
  pid_t old_pid_ = 0;
};

// The running node's side: the hand-over socket, served on a thread of its own, one peer at a
// time. Hooks run on that thread.
class TakeoverSocket {
 public:
  struct Hooks {
    // Stop writing the data dir, give up its lock, name the sockets to pass. An error refuses
    // the hand-over (its detail is sent to the peer) and must leave the node as it was.
    std::function<Result<std::vector<ListeningSocket>>()> prepare;
    // The new process did not take over: run as before.
    std::function<void()> resume;
    // The new process (pid) accepts: drain and exit.
    std::function<void(pid_t)> drain;
  };
  // Binds `path` (mode 0600) and starts the thread.
  static Result<std::unique_ptr<TakeoverSocket>> start(const std::string& path, Hooks hooks);
  // Stops the thread (a hand-over in progress is left as it is: the caller drains) and removes
  // the socket file unless another process has bound the path since.
  ~TakeoverSocket();
  TakeoverSocket(const TakeoverSocket&) = delete;
  TakeoverSocket& operator=(const TakeoverSocket&) = delete;

  // A hello, and a new process's whole start-up (routes, DNS, TLS), within these.
  static constexpr int64_t kHelloTimeoutMs = 2000;
  static constexpr int64_t kStartTimeoutMs = 20000;

 private:
  TakeoverSocket(std::string path, net::Fd listener, Hooks hooks);
  void serve();
  // True when the node drains (a hand-over happened): the thread then ends.
  bool handle(net::Fd peer);
  // Waits for a record in short slices, so stop() never waits for a slow peer.
  Result<std::string> receive_text(int fd, int64_t deadline_ms);

  std::string path_;
  net::Fd listener_;
  Hooks hooks_;
  ino_t inode_ = 0;  // of the socket file we bound (the path is ours while it still has it)
  bool handing_over_ = false;  // the hand-over thread's; read by the destructor after the join
  std::atomic_bool stop_{false};
  std::thread thread_;
};

}  // namespace x0::app
