// PlainTransport over a real socket pair: reads, partial and vectored writes, would-block, EOF,
// errors, and the idle check the upstream pool relies on.
#include "net/transport.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace x0::net {
namespace {

struct Pair {
  PlainTransport ours;
  Fd theirs;
};

Pair socket_pair() {
  int fds[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  return {PlainTransport(Fd(fds[0])), Fd(fds[1])};
}

TEST(PlainTransportTest, ReadsWhatThePeerWroteThenWouldBlock) {
  Pair p = socket_pair();
  ASSERT_EQ(::write(p.theirs.get(), "hello", 5), 5);
  char buf[16];
  IoResult r = p.ours.read(buf, sizeof buf);
  ASSERT_EQ(r.status, IoStatus::kDone);
  EXPECT_EQ(std::string(buf, r.bytes), "hello");
  EXPECT_EQ(p.ours.read(buf, sizeof buf).status, IoStatus::kWouldBlock);
}

TEST(PlainTransportTest, ReadsEofAfterThePeerShutsDown) {
  Pair p = socket_pair();
  ::shutdown(p.theirs.get(), SHUT_WR);
  char buf[4];
  EXPECT_EQ(p.ours.read(buf, sizeof buf).status, IoStatus::kEof);
}

TEST(PlainTransportTest, WritevSendsAllPartsInOrder) {
  Pair p = socket_pair();
  char head[] = "GET / ", tail[] = "HTTP/1.1";
  iovec parts[2] = {{head, 6}, {tail, 8}};
  IoResult r = p.ours.writev(parts, 2);
  ASSERT_EQ(r.status, IoStatus::kDone);
  EXPECT_EQ(r.bytes, 14u);
  char buf[32];
  ssize_t n = ::read(p.theirs.get(), buf, sizeof buf);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "GET / HTTP/1.1");
}

TEST(PlainTransportTest, WriteWouldBlockWhenThePeerStopsReading) {
  Pair p = socket_pair();
  std::string chunk(64 * 1024, 'x');
  size_t total = 0;
  IoResult r;
  for (int i = 0; i < 1000; ++i) {
    r = p.ours.write(chunk);
    if (r.status != IoStatus::kDone) break;
    total += r.bytes;
  }
  EXPECT_EQ(r.status, IoStatus::kWouldBlock);
  EXPECT_GT(total, 0u);
}

TEST(PlainTransportTest, WriteToAClosedPeerIsAnErrorNotASignal) {
  Pair p = socket_pair();
  p.theirs.reset();
  IoResult r = p.ours.write("x");
  EXPECT_EQ(r.status, IoStatus::kError);
  EXPECT_EQ(r.error, EPIPE);
}

TEST(PlainTransportTest, IdleAndOpenOnlyWhileQuiet) {
  Pair p = socket_pair();
  EXPECT_TRUE(p.ours.idle_and_open());
  ASSERT_EQ(::write(p.theirs.get(), "!", 1), 1);  // unsolicited bytes
  EXPECT_FALSE(p.ours.idle_and_open());
  char buf[4];
  ASSERT_EQ(p.ours.read(buf, sizeof buf).status, IoStatus::kDone);  // the peek consumed nothing
  EXPECT_TRUE(p.ours.idle_and_open());
  p.theirs.reset();  // EOF
  EXPECT_FALSE(p.ours.idle_and_open());
}

}  // namespace
}  // namespace x0::net
