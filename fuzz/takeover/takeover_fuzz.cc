// Fuzzes Takeover::request (app/takeover.h) against a fake running node that sends the input as
// records: lines split at '\n', a line starting with '+' carries an fd that is no listening
// socket. Whatever comes, the request ends (the fake closes its side), every fd received is
// closed, and it only succeeds on "accepted" ... "ready PID" with no socket in between (the fake
// has no listening socket to give, and anything else must be refused).
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/takeover.h"
#include "common/log.h"
#include "net/event_loop.h"
#include "net/fd_passing.h"

namespace {

const std::string& socket_path() {
  static const std::string path = [] {
    char dir[] = "/tmp/x0-takeover-fuzz-XXXXXX";
    if (::mkdtemp(dir) == nullptr) std::abort();
    return std::string(dir) + "/takeover.sock";
  }();
  return path;
}

int open_fds() {
  int n = 0;
  for (int fd = 0; fd < 1024; ++fd) n += ::fcntl(fd, F_GETFD) != -1 ? 1 : 0;
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static x0::net::Fd listener = [] {
    x0::log::set_level(x0::log::Level::kError);
    auto l = x0::net::listen_unix_seqpacket(socket_path());
    if (!l) std::abort();
    return std::move(*l);
  }();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> records;
  while (!input.empty() && records.size() < 32) {
    size_t end = input.find('\n');
    records.emplace_back(input.substr(0, end));
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
  }
  int before = open_fds();
  std::thread old_node([&] {
    int64_t deadline = x0::net::EventLoop::monotonic_ms() + 2000;
    if (!x0::net::poll_until(listener.get(), POLLIN, deadline)) std::abort();
    auto peer = x0::net::accept_unix(listener.get());
    if (!peer) std::abort();
    (void)x0::net::receive_message(peer->get(), deadline);  // the hello
    x0::net::Fd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    for (const std::string& r : records) {
      bool with_fd = !r.empty() && r[0] == '+';
      std::string text = with_fd ? r.substr(1) : r;
      if (text.empty()) text = " ";
      int fds[] = {devnull.get()};
      if (!x0::net::send_message(peer->get(), text.substr(0, x0::net::kMaxMessageBytes),
                                 with_fd ? std::span<const int>(fds) : std::span<const int>(),
                                 deadline))
        break;
    }
  });  // the peer closes when the thread ends: the request sees the end
  {
    auto takeover = x0::app::Takeover::request(socket_path(), 3000);
    old_node.join();
    if (takeover) {
      if (takeover->listeners().size() != 0) std::abort();
      if (records.empty() || records[0] != "accepted") std::abort();
    }
  }
  if (open_fds() != before) std::abort();  // every fd received was closed
  return 0;
}
