// A blocking TCP listener on 127.0.0.1 and a free port, for unit tests whose scripted servers
// accept on a thread of their own (net::listen_tcp makes non-blocking sockets for event loops).
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace x0::testing {

struct LoopbackListener {
  int fd = -1;
  uint16_t port = 0;
};

inline LoopbackListener listen_on_loopback(int backlog) {
  LoopbackListener listener;
  listener.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(listener.fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(::listen(listener.fd, backlog), 0);
  socklen_t len = sizeof a;
  ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&a), &len);
  listener.port = ntohs(a.sin_port);
  return listener;
}

// Reads from a blocking socket until a request head is complete (or the peer stops sending).
inline std::string read_request_head(int fd) {
  std::string head;
  char buf[1024];
  while (head.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    head.append(buf, static_cast<size_t>(n));
  }
  return head;
}

}  // namespace x0::testing
