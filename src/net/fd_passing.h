// Passing file descriptors between two processes of the same user: a Unix SOCK_SEQPACKET socket
// (one record per send, so a short text message and the fds attached to it arrive together) and
// SCM_RIGHTS. The restart hand-over (app/takeover.h) moves the listening sockets with it, as
// HAProxy's seamless reload and Envoy's hot restart do. Every wait has a deadline (monotonic ms,
// EventLoop::monotonic_ms()); received fds are owned (Fd) at once, so an error path leaks none.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "net/socket.h"

namespace x0::net {

// Per message, well below the kernel's SCM_MAX_FD (253); a sender splits longer lists.
inline constexpr size_t kMaxFdsPerMessage = 64;
// The text of one message; longer records are refused (a peer sending more is not ours).
inline constexpr size_t kMaxMessageBytes = 1024;

struct FdMessage {
  std::string text;
  std::vector<Fd> fds;
};

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
};

// Binds and listens on `path` (mode 0600, set before listen() so no other user can ever
// connect). An existing socket file at `path` is replaced: the caller owns the node's data dir
// (app/data_dir_lock.h), so whoever bound it before no longer does. A non-socket file there is
// an error (kBindFailed), never deleted.
Result<Fd> listen_unix_seqpacket(const std::string& path);
// Connects to `path` (kConnectFailed when nobody listens there, kTimedOut past the deadline).
Result<Fd> connect_unix_seqpacket(const std::string& path, int64_t deadline_ms);
// Accepts one pending connection (non-blocking; kIoError when none is pending).
Result<Fd> accept_unix(int listener);

// The peer's process and user as the kernel saw them at connect (SO_PEERCRED): not forgeable.
Result<PeerCredentials> peer_credentials(int fd);

// One record: `text` (at most kMaxMessageBytes) with `fds` (at most kMaxFdsPerMessage).
Result<void> send_message(int fd, std::string_view text, std::span<const int> fds,
                          int64_t deadline_ms);
// One record. kIoError with "closed" in the detail when the peer has gone; kBadResponse for a
// record that is too long or carries more fds than kMaxFdsPerMessage (those are closed).
Result<FdMessage> receive_message(int fd, int64_t deadline_ms);

}  // namespace x0::net
