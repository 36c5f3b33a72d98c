// The node's parts of the restart hand-over (app/takeover.h): as the new process, around
// start(); as the running node, on the hand-over socket's thread. Why the old node gives up
// its data dir before it passes its sockets is said in Node::start().
#include <unistd.h>

#include <thread>

#include "app/node.h"
#include "common/log.h"

namespace x0::app {

// --- The new process ---------------------------------------------------------------------

void Node::request_takeover(const config::Config& config) {
  const std::string& path = config.node.takeover_socket;
  auto takeover = Takeover::request(path, kTakeoverRequestMs);
  if (!takeover) {
    log::warn("NODE",
              "takeover: no running node handed its listeners over; starting with fresh ones",
              {{"socket", path}, {"detail", takeover.error().detail}});
    return;
  }
  log::info("NODE", "takeover: listening sockets received",
            {{"old_pid", takeover->old_pid()}, {"sockets", takeover->listeners().size()}});
  takeover_ = std::move(*takeover);
}

// Right after a hand-over the old node has released the lock already; otherwise a node that is
// still draining may hold it for up to its drain timeout (a restart that did not wait).
bool Node::lock_data_dir(const config::Config& config) {
  int64_t wait_ms = takeover_ ? kTakeoverFinishMs : config.api_gateway.drain_timeout_ms + 5000;
  auto lock = DataDirLock::acquire(config.node.data_dir, net::EventLoop::monotonic_ms() + wait_ms);
  if (lock) {
    data_dir_lock_ = std::move(*lock);
    return true;
  }
  if (lock.error().code == Errc::kConflict) {
    log::error("NODE", "cannot start", {{"detail", lock.error().detail}});
    return false;
  }
  // An unwritable data dir: the node runs without its store (as before this lock existed), and
  // /health says so; nothing there can be written twice.
  log::error("NODE", "data dir not locked", {{"detail", lock.error().detail}});
  return true;
}

// After the workers run (they accept on the inherited sockets already).
void Node::finish_takeover() {
  if (!takeover_) return;
  for (const std::string& unclaimed : takeover_->listeners().close_unclaimed())
    log::info("NODE", "takeover: an old listening socket is not configured here: closed",
              {{"socket", unclaimed}});
  pid_t old_pid = takeover_->old_pid();
  size_t taken = takeover_->listeners().taken();
  auto done = takeover_->finish(kTakeoverFinishMs);
  if (done)
    log::info("NODE", "takeover complete: serving on the old node's sockets; it drains",
              {{"old_pid", old_pid}, {"inherited_sockets", taken}});
  else
    log::warn("NODE", "takeover: the old node did not confirm its drain (it may serve on)",
              {{"old_pid", old_pid}, {"detail", done.error().detail}});
  takeover_.reset();
}

// --- The running node --------------------------------------------------------------------

void Node::start_takeover_socket(net::EventLoop& main_loop) {
  const std::string& path = state_.config.load()->node.takeover_socket;
  TakeoverSocket::Hooks hooks;
  hooks.prepare = [this] { return prepare_handover(); };
  hooks.resume = [this] { resume_after_handover(); };
  hooks.drain = [this, &main_loop](pid_t new_pid) {
    main_loop.post([this, &main_loop, new_pid] {
      if (state_.draining.load()) return;  // a SIGTERM came first: that drain is under way
      log::info("NODE", "handed over to the new process: draining", {{"new_pid", new_pid}});
      drain();
      main_loop.stop();
    });
  };
  auto socket = TakeoverSocket::start(path, std::move(hooks));
  if (!socket) {
    // The node serves; only a restart with --takeover cannot hand over (it then starts fresh).
    log::warn("NODE", "no hand-over socket: a restart will not take the listeners over",
              {{"socket", path}, {"detail", socket.error().detail}});
    return;
  }
  takeover_socket_ = std::move(*socket);
}

// Hand-over thread. Either everything is done (control and disk threads held, lock released)
// or nothing is.
Result<std::vector<ListeningSocket>> Node::prepare_handover() {
  if (state_.draining.load()) return fail(Errc::kInvalidState, "the node is draining");
  int64_t now = net::EventLoop::monotonic_ms();
  admin::ControlThread* control = state_.control;
  if (!control_pause_.hold([control](std::function<void()> fn) { control->post(std::move(fn)); },
                           now + kHoldControlMs))
    return fail(Errc::kTimedOut, "the control thread did not stop in time");
  if (!cache_.hold_disk(now + kHoldDiskMs)) {
    control_pause_.resume();
    return fail(Errc::kTimedOut, "the last cache snapshot did not finish in time");
  }
  data_dir_lock_.release();
  return workers_->listening_sockets();
}

// Hand-over thread: the new process went away (or hung) before taking over. It may still be
// exiting, with the lock: give it a moment.
void Node::resume_after_handover() {
  int64_t deadline = net::EventLoop::monotonic_ms() + 2000;
  while (!data_dir_lock_.reacquire()) {
    if (net::EventLoop::monotonic_ms() >= deadline) {
      log::error("NODE",
                 "another process holds the data dir: this node serves on with its control plane "
                 "stopped; stop one of the two",
                 {{"lock", data_dir_lock_.path()}});
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  cache_.resume_disk();
  control_pause_.resume();
  log::info("NODE", "takeover abandoned: the control plane runs again");
}

}  // namespace x0::app
