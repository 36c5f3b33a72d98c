// A mesh peer for the integration tests to play a hostile (or just curious) node with: it opens
// one mesh link as the node whose identity is in --cert-dir (the same TLS and composite identity
// exchange a node runs, mesh::LinkConnector), writes what it reads on stdin over the link as it
// is, and prints whatever comes back until the other side closes or stays silent for
// --idle-ms. So a test can send any bytes a node of the mesh could: malformed hop fields,
// smuggling attempts, forged senders.
//   x0_mesh_peer --cert-dir DIR --connect IP:PORT [--mode required|preferred|disabled]
//                [--idle-ms N] < request-bytes
// Exit 0 once the link came up and the answer was read, 3 when the link was refused (the reason
// on stderr), 2 on usage or set-up errors.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>

#include "mesh/link_tls.h"
#include "mesh/link_transport.h"

namespace {

using namespace x0;

struct Seen final : mesh::LinkObserver {
  std::string refusal;
  void on_link(const mesh::LinkOutcome& o) override {
    if (!o.ok) refusal = std::string(mesh::reason_name(o.reason)) + ": " + o.detail;
  }
  void on_link_closed(const std::string&) override {}
};

int usage(const char* why) {
  std::fprintf(stderr, "x0_mesh_peer: %s\n", why);
  return 2;
}

// Waits for `events` on fd up to ms; false on timeout.
bool wait_for(int fd, short events, int ms) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, ms) > 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cert_dir, connect_to, mode_text = "required";
  int idle_ms = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i], value = argv[i + 1];
    if (key == "--cert-dir")
      cert_dir = value;
    else if (key == "--connect")
      connect_to = value;
    else if (key == "--mode")
      mode_text = value;
    else if (key == "--idle-ms")
      idle_ms = std::stoi(value);
    else
      return usage(("unknown option " + key).c_str());
  }
  auto mode = mesh::parse_pqc_mode(mode_text);
  size_t colon = connect_to.rfind(':');
  if (cert_dir.empty() || colon == std::string::npos || !mode)
    return usage("--cert-dir DIR --connect IP:PORT [--mode M] [--idle-ms N]");
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  auto identity = mesh::load_local_identity(cert_dir, now);
  if (!identity) return usage(identity.error().detail.c_str());
  auto contexts = mesh::LinkContexts::build(**identity, *mode);
  if (!contexts) return usage(contexts.error().detail.c_str());

  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(std::stoi(connect_to.substr(colon + 1))));
  if (inet_pton(AF_INET, connect_to.substr(0, colon).c_str(), &address.sin_addr) != 1)
    return usage("--connect needs an IPv4 address");
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    return usage((std::string("connect: ") + std::strerror(errno)).c_str());
  ::fcntl(fd, F_SETFL, O_NONBLOCK);

  Seen seen;
  mesh::LinkConnector connector(*contexts, *identity, &seen);
  auto made = connector.connect(net::Fd(fd));
  if (!made) return usage(made.error().detail.c_str());
  net::Transport& link = **made;
  for (;;) {
    net::IoResult r = link.handshake();
    if (r.status == net::IoStatus::kDone) break;
    if (r.status != net::IoStatus::kWouldBlock) {
      std::fprintf(stderr, "x0_mesh_peer: link refused: %s\n",
                   seen.refusal.empty() ? link.failure().c_str() : seen.refusal.c_str());
      return 3;
    }
    if (!wait_for(fd, POLLIN | POLLOUT, 5000)) return usage("link set-up timed out");
  }

  std::string request((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  for (size_t sent = 0; sent < request.size();) {
    net::IoResult w = link.write(std::string_view(request).substr(sent));
    if (w.status == net::IoStatus::kDone) {
      sent += w.bytes;
    } else if (w.status == net::IoStatus::kWouldBlock) {
      wait_for(fd, POLLOUT, 1000);
    } else {
      break;  // the node closed on us: print what it said
    }
  }
  char buf[16384];
  for (;;) {
    net::IoResult r = link.read(buf, sizeof buf);
    if (r.status == net::IoStatus::kDone) {
      std::fwrite(buf, 1, r.bytes, stdout);
      continue;
    }
    if (r.status != net::IoStatus::kWouldBlock) break;  // closed
    if (!link.has_buffered_input() && !wait_for(fd, POLLIN, idle_ms)) break;
  }
  std::fflush(stdout);
  return 0;
}
