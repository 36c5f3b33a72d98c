// The restart hand-over in one process: a TakeoverSocket with fake hooks on one side and
// Takeover::request on the other (the integration test, test_takeover.py, runs real nodes).
// Sockets are shared out by address among the workers; a refusal, a peer that never says
// drain and a peer that passes something other than a listening socket are all told apart.
#include "app/takeover.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "app/data_dir_lock.h"
#include "app/loop_pause.h"
#include "net/event_loop.h"
#include "net/fd_passing.h"

namespace x0::app {
namespace {

int64_t in_ms(int64_t ms) { return net::EventLoop::monotonic_ms() + ms; }

std::string temp_dir() {
  char dir[] = "/tmp/x0-takeover-XXXXXX";
  EXPECT_NE(::mkdtemp(dir), nullptr);
  return dir;
}

net::Fd loopback_listener() {
  auto address = net::resolve("127.0.0.1", 0);
  EXPECT_TRUE(address);
  auto fd = net::listen_tcp(*address, true);
  EXPECT_TRUE(fd);
  return std::move(*fd);
}

std::string bound_address(int fd) {
  net::SocketAddress a;
  a.length = sizeof a.storage;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a.storage), &a.length);
  return a.to_string();
}

TEST(InheritedListeners, SharesEverySocketOfAnAddressAmongTheWorkers) {
  std::vector<InheritedListeners::Socket> sockets;
  for (int i = 0; i < 3; ++i) sockets.push_back({"data", "127.0.0.1:80", net::Fd(::dup(0))});
  sockets.push_back({"metrics", "127.0.0.1:90", net::Fd(::dup(0))});
  InheritedListeners inherited(std::move(sockets));
  // Two workers where the old node had three: worker 0 serves two sockets, worker 1 one.
  EXPECT_EQ(inherited.share("127.0.0.1:80", 0, 2).size(), 2u);
  EXPECT_EQ(inherited.share("127.0.0.1:80", 1, 2).size(), 1u);
  EXPECT_TRUE(inherited.share("127.0.0.1:81", 0, 2).empty()) << "a new address binds fresh";
  EXPECT_EQ(inherited.taken(), 3u);
  auto unclaimed = inherited.close_unclaimed();
  ASSERT_EQ(unclaimed.size(), 1u);
  EXPECT_EQ(unclaimed[0], "metrics 127.0.0.1:90");
}

struct FakeNode {
  std::vector<net::Fd> listeners;
  std::atomic<int> prepared{0}, resumed{0}, drained{0};
  std::atomic<pid_t> drained_by{0};
  bool refuse = false;
  TakeoverSocket::Hooks hooks() {
    TakeoverSocket::Hooks h;
    h.prepare = [this]() -> Result<std::vector<ListeningSocket>> {
      ++prepared;
      if (refuse) return fail(Errc::kInvalidState, "the node is draining");
      std::vector<ListeningSocket> out;
      for (const net::Fd& fd : listeners) out.push_back({"data", fd.get()});
      return out;
    };
    h.resume = [this] { ++resumed; };
    h.drain = [this](pid_t pid) {
      drained_by = pid;
      ++drained;
    };
    return h;
  }
};

TEST(Takeover, ReceivesTheListeningSocketsAndAsksForTheDrain) {
  std::string path = temp_dir() + "/takeover.sock";
  FakeNode node;
  node.listeners.push_back(loopback_listener());
  node.listeners.push_back(loopback_listener());
  auto socket = TakeoverSocket::start(path, node.hooks());
  ASSERT_TRUE(socket) << socket.error().detail;
  auto takeover = Takeover::request(path, 3000);
  ASSERT_TRUE(takeover) << takeover.error().detail;
  EXPECT_EQ(takeover->old_pid(), ::getpid());
  ASSERT_EQ(takeover->listeners().size(), 2u);
  std::string first = bound_address(node.listeners[0].get());
  auto mine = takeover->listeners().share(first, 0, 1);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(bound_address(mine[0].get()), first) << "the same socket, not a new one";
  ASSERT_TRUE(takeover->finish(3000));
  for (int i = 0; i < 100 && node.drained == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(node.drained, 1);
  EXPECT_EQ(node.drained_by, ::getpid());
  EXPECT_EQ(node.resumed, 0);
}

TEST(Takeover, ARefusalIsAConflictWithItsReason) {
  std::string path = temp_dir() + "/takeover.sock";
  FakeNode node;
  node.refuse = true;
  auto socket = TakeoverSocket::start(path, node.hooks());
  ASSERT_TRUE(socket);
  auto takeover = Takeover::request(path, 3000);
  ASSERT_FALSE(takeover);
  EXPECT_EQ(takeover.error().code, Errc::kConflict);
  EXPECT_NE(takeover.error().detail.find("draining"), std::string::npos);
}

TEST(Takeover, NoNodeThereIsConnectFailed) {
  auto takeover = Takeover::request(temp_dir() + "/takeover.sock", 500);
  ASSERT_FALSE(takeover);
  EXPECT_EQ(takeover.error().code, Errc::kConnectFailed);
}

TEST(Takeover, ANewProcessThatGoesAwayMakesTheOldOneResume) {
  std::string path = temp_dir() + "/takeover.sock";
  FakeNode node;
  node.listeners.push_back(loopback_listener());
  auto socket = TakeoverSocket::start(path, node.hooks());
  ASSERT_TRUE(socket);
  {
    auto takeover = Takeover::request(path, 3000);
    ASSERT_TRUE(takeover);
  }  // gone without "drain"
  for (int i = 0; i < 200 && node.resumed == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(node.resumed, 1);
  EXPECT_EQ(node.drained, 0);
}

TEST(Takeover, SomethingOtherThanAListeningSocketIsRefused) {
  std::string path = temp_dir() + "/takeover.sock";
  auto listener = net::listen_unix_seqpacket(path);
  ASSERT_TRUE(listener);
  std::thread old_node([&] {
    ASSERT_TRUE(net::poll_until(listener->get(), POLLIN, in_ms(3000)));
    auto peer = net::accept_unix(listener->get());
    ASSERT_TRUE(peer);
    auto hello = net::receive_message(peer->get(), in_ms(3000));
    ASSERT_TRUE(hello);
    int not_listening[] = {0};  // stdin
    (void)net::send_message(peer->get(), "listener data", not_listening, in_ms(1000));
    (void)net::receive_message(peer->get(), in_ms(3000));  // until the client gives up
  });
  auto takeover = Takeover::request(path, 3000);
  ASSERT_FALSE(takeover);
  EXPECT_EQ(takeover.error().code, Errc::kBadResponse);
  old_node.join();
}

TEST(LoopPause, HoldsTheLoopUntilResumed) {
  net::EventLoop loop;
  std::thread runner([&] { loop.run(); });
  LoopPause pause;
  std::atomic<int> ran{0};
  ASSERT_TRUE(pause.hold([&](std::function<void()> fn) { loop.post(std::move(fn)); }, in_ms(2000),
                         [&] { ran = 1; }));
  EXPECT_EQ(ran, 1) << "`first` ran on the loop before it held";
  EXPECT_TRUE(pause.held());
  loop.post([&] { ran = 2; });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(ran, 1) << "nothing else runs while held";
  pause.resume();
  for (int i = 0; i < 100 && ran != 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(ran, 2);
  loop.stop();
  runner.join();
}

TEST(LoopPause, ABusyLoopIsCalledOffAtTheDeadline) {
  net::EventLoop loop;  // never run: the hold is never picked up
  LoopPause pause;
  EXPECT_FALSE(pause.hold([&](std::function<void()> fn) { loop.post(std::move(fn)); }, in_ms(50)));
  EXPECT_FALSE(pause.held());
}

TEST(DataDirLock, OneHolderAtATime) {
  std::string dir = temp_dir();
  auto first = DataDirLock::acquire(dir, in_ms(100));
  ASSERT_TRUE(first) << first.error().detail;
  auto second = DataDirLock::acquire(dir, in_ms(100));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::kConflict);
  EXPECT_NE(second.error().detail.find(std::to_string(::getpid())), std::string::npos)
      << "the holder's pid is named: " << second.error().detail;
  first->release();
  auto third = DataDirLock::acquire(dir, in_ms(100));
  ASSERT_TRUE(third);
  EXPECT_FALSE(first->reacquire()) << "taken by another holder meanwhile";
}

}  // namespace
}  // namespace x0::app
