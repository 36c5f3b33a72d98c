// fd passing over Unix seqpacket sockets: records with fds arrive whole, the socket file is
// 0600, deadlines hold, oversized records are refused with their fds closed, and a stale
// socket file is replaced while any other file is left alone.
#include "net/fd_passing.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "net/event_loop.h"

namespace x0::net {
namespace {

int64_t in_ms(int64_t ms) { return EventLoop::monotonic_ms() + ms; }

std::string temp_path(const char* name) {
  char dir[] = "/tmp/x0-fd-passing-XXXXXX";
  EXPECT_NE(::mkdtemp(dir), nullptr);
  return std::string(dir) + "/" + name;
}

struct Pair {
  Fd a, b;
};
Pair seqpacket_pair() {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  return {Fd(fds[0]), Fd(fds[1])};
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(FdPassing, RecordWithFdsArrivesWhole) {
  Pair p = seqpacket_pair();
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  Fd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  int to_send[] = {read_end.get(), write_end.get()};
  ASSERT_TRUE(send_message(p.a.get(), "listener data", to_send, in_ms(1000)));
  ASSERT_TRUE(send_message(p.a.get(), "ready 42", {}, in_ms(1000)));
  auto first = receive_message(p.b.get(), in_ms(1000));
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_EQ(first->text, "listener data");
  ASSERT_EQ(first->fds.size(), 2u);
  // The received write end is the same pipe: what goes in comes out of the original read end.
  ASSERT_EQ(::write(first->fds[1].get(), "x", 1), 1);
  char c = 0;
  EXPECT_EQ(::read(read_end.get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
  EXPECT_NE(::fcntl(first->fds[0].get(), F_GETFD) & FD_CLOEXEC, 0) << "received fds are CLOEXEC";
  auto second = receive_message(p.b.get(), in_ms(1000));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->text, "ready 42");
  EXPECT_TRUE(second->fds.empty());
}

TEST(FdPassing, ReceiveHasADeadline) {
  Pair p = seqpacket_pair();
  int64_t start = EventLoop::monotonic_ms();
  auto got = receive_message(p.b.get(), in_ms(100));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::kTimedOut);
  EXPECT_LT(EventLoop::monotonic_ms() - start, 1000);
}

TEST(FdPassing, PeerGoneIsAnError) {
  Pair p = seqpacket_pair();
  p.a.reset();
  auto got = receive_message(p.b.get(), in_ms(1000));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::kIoError);
}

TEST(FdPassing, OversizedRecordIsRefusedAndItsFdsClosed) {
  Pair p = seqpacket_pair();
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  Fd keep(pipe_fds[0]), other(pipe_fds[1]);
  std::string big(kMaxMessageBytes + 100, 'x');
  int fd = keep.get();
  msghdr msg{};
  iovec iov{big.data(), big.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ASSERT_EQ(::sendmsg(p.a.get(), &msg, 0), static_cast<ssize_t>(big.size()));
  int highest_before = ::fcntl(0, F_DUPFD, 0);
  ::close(highest_before);
  auto got = receive_message(p.b.get(), in_ms(1000));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::kBadResponse);
  EXPECT_FALSE(is_open(highest_before)) << "the fd that came with the refused record is closed";
}

TEST(FdPassing, SendRefusesTooManyFds) {
  Pair p = seqpacket_pair();
  std::vector<int> fds(kMaxFdsPerMessage + 1, 0);
  auto sent = send_message(p.a.get(), "listener data", fds, in_ms(100));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, Errc::kBadRequest);
}

TEST(FdPassing, ListenerIs0600AndAcceptsItsPeer) {
  std::string path = temp_path("hand.sock");
  auto listener = listen_unix_seqpacket(path);
  ASSERT_TRUE(listener) << listener.error().detail;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto client = connect_unix_seqpacket(path, in_ms(1000));
  ASSERT_TRUE(client) << client.error().detail;
  ASSERT_TRUE(poll_until(listener->get(), POLLIN, in_ms(1000)));
  auto server = accept_unix(listener->get());
  ASSERT_TRUE(server);
  auto cred = peer_credentials(server->get());
  ASSERT_TRUE(cred);
  EXPECT_EQ(cred->uid, ::geteuid());
  EXPECT_EQ(cred->pid, ::getpid());
}

TEST(FdPassing, StaleSocketIsReplacedOtherFilesAreNot) {
  std::string path = temp_path("hand.sock");
  {
    auto first = listen_unix_seqpacket(path);
    ASSERT_TRUE(first);
  }  // closed: the file stays
  auto second = listen_unix_seqpacket(path);
  ASSERT_TRUE(second) << second.error().detail;
  std::string file = temp_path("not-a-socket");
  std::ofstream(file) << "keep me";
  auto refused = listen_unix_seqpacket(file);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kBindFailed);
  struct stat st {};
  EXPECT_EQ(::stat(file.c_str(), &st), 0) << "a regular file is never deleted";
}

TEST(FdPassing, NobodyListeningIsConnectFailed) {
  std::string path = temp_path("nobody.sock");
  auto client = connect_unix_seqpacket(path, in_ms(200));
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, Errc::kConnectFailed);
  auto too_long = connect_unix_seqpacket(std::string(200, 'a'), in_ms(200));
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, Errc::kBadRequest);
}

}  // namespace
}  // namespace x0::net
