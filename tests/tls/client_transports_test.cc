// Upstream TLS: ClientTransports' connections against a TlsTransport server over a socket pair,
// the handshake driven as the router drives it (handshake() until done, then bytes), and the
// certificate checks: the CA file, the system store, the server name, an IP literal, none.
#include "tls/client_transports.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "handshake.h"
#include "tls/provider/pq_provider.h"

namespace x0::tls {
namespace {

// The test identity's self-signed certificate as a CA file: it verifies as "localhost". One file
// per process: ctest runs each test case as a process of its own, in parallel, and one
// truncating the file while another reads it made a context fail to build.
std::string ca_file() {
  static const std::string path = [] {
    std::string p =
        ::testing::TempDir() + "x0_client_transports_ca." + std::to_string(::getpid()) + ".pem";
    FILE* f = std::fopen(p.c_str(), "w");
    PEM_write_X509(f, testing::test_identity().cert);
    std::fclose(f);
    return p;
  }();
  return path;
}

struct Link {
  testing::SslCtx server_ctx;
  testing::HandshakeRecorder server_seen, client_seen;
  std::unique_ptr<TlsTransport> server;
  std::unique_ptr<net::Transport> client;
};

Link connect(const std::shared_ptr<const ClientContext>& context, const std::string& name) {
  ::signal(SIGPIPE, SIG_IGN);
  Link link;
  link.server_ctx = testing::make_ctx(true, "X25519MLKEM768:X25519");
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  SSL* s = SSL_new(link.server_ctx.get());
  SSL_set_accept_state(s);
  link.server = std::make_unique<TlsTransport>(net::Fd(fds[0]), s, &link.server_seen);
  ClientTransports transports(context, name, &link.client_seen);
  auto client = transports.connect(net::Fd(fds[1]));
  EXPECT_TRUE(client.has_value());
  if (client) link.client = *std::move(client);
  return link;
}

// Steps both sides until the client's handshake() ends; its last status.
net::IoStatus shake(Link& link) {
  char buf[64];
  for (int round = 0; round < 1000; ++round) {
    net::IoResult r = link.client->handshake();
    if (r.status != net::IoStatus::kWouldBlock) return r.status;
    EXPECT_NE(link.client->extra_events(), 0u);  // what the router waits for
    link.server->read(buf, sizeof buf);
  }
  return net::IoStatus::kWouldBlock;
}

std::shared_ptr<const ClientContext> context(const std::string& ca, bool verify = true) {
  EXPECT_TRUE(load_pq_provider().has_value());
  auto built = ClientContext::build(ca, verify);
  EXPECT_TRUE(built.has_value()) << built.error().detail;
  return built ? *built : nullptr;
}

TEST(ClientTransports, AVerifiedHandshakeOffersTheHybridFirstAndThenCarriesBytes) {
  Link link = connect(context(ca_file()), "localhost");
  ASSERT_EQ(shake(link), net::IoStatus::kDone);
  ASSERT_EQ(link.client_seen.outcomes.size(), 1u);
  EXPECT_TRUE(link.client_seen.outcomes[0].ok);
  EXPECT_EQ(link.client_seen.outcomes[0].group, "X25519MLKEM768");
  EXPECT_EQ(link.client->handshake().status, net::IoStatus::kDone);  // done stays done
  ASSERT_EQ(link.client->write("GET / HTTP/1.1\r\n\r\n").status, net::IoStatus::kDone);
  char buf[64];
  net::IoResult r = link.server->read(buf, sizeof buf);
  ASSERT_EQ(r.status, net::IoStatus::kDone);
  EXPECT_EQ(std::string(buf, r.bytes), "GET / HTTP/1.1\r\n\r\n");
}

TEST(ClientTransports, ASessionTicketAloneIsNoDataFromThePeer) {
  Link link = connect(context(ca_file()), "localhost");
  ASSERT_EQ(shake(link), net::IoStatus::kDone);
  ASSERT_EQ(link.client->write("x").status, net::IoStatus::kDone);
  char buf[8];
  ASSERT_EQ(link.server->read(buf, sizeof buf).status, net::IoStatus::kDone);  // sends the ticket
  EXPECT_GT(::recv(link.client->fd(), buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT), 0);  // it came
  EXPECT_FALSE(link.client->peer_sent_data());
  EXPECT_LT(::recv(link.client->fd(), buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT), 0);  // taken
  ASSERT_EQ(link.server->write("y").status, net::IoStatus::kDone);
  EXPECT_TRUE(link.client->peer_sent_data());
}

TEST(ClientTransports, ACertificateForAnotherNameFailsWithTheReasonAndLooksHostile) {
  Link link = connect(context(ca_file()), "origin.example");
  EXPECT_EQ(shake(link), net::IoStatus::kError);
  EXPECT_NE(link.client->failure().find("hostname mismatch"), std::string::npos)
      << link.client->failure();
  ASSERT_EQ(link.client_seen.outcomes.size(), 1u);
  EXPECT_FALSE(link.client_seen.outcomes[0].ok);
  EXPECT_TRUE(link.client_seen.outcomes[0].suspicious);
}

TEST(ClientTransports, AnIpLiteralIsCheckedAgainstTheCertificatesAddresses) {
  Link link = connect(context(ca_file()), "127.0.0.1");  // the certificate names no address
  EXPECT_EQ(shake(link), net::IoStatus::kError);
  EXPECT_NE(link.client->failure().find("IP address mismatch"), std::string::npos)
      << link.client->failure();
}

TEST(ClientTransports, TheSystemStoreDoesNotTrustASelfSignedCertificate) {
  Link link = connect(context(""), "localhost");
  EXPECT_EQ(shake(link), net::IoStatus::kError);
  EXPECT_NE(link.client->failure().find("certificate verify failed"), std::string::npos)
      << link.client->failure();
}

TEST(ClientTransports, WithoutVerificationAnyCertificateIsAccepted) {
  Link link = connect(context("", false), "whatever.example");
  EXPECT_EQ(shake(link), net::IoStatus::kDone);
}

TEST(ClientTransports, AServerThatClosesAtOnceIsAFailedHandshake) {
  Link link = connect(context(ca_file()), "localhost");
  EXPECT_EQ(link.client->handshake().status, net::IoStatus::kWouldBlock);  // ClientHello sent
  link.server.reset();
  EXPECT_NE(shake(link), net::IoStatus::kDone);
  ASSERT_EQ(link.client_seen.outcomes.size(), 1u);  // counted: not a browser's spare connection
  EXPECT_FALSE(link.client_seen.outcomes[0].ok);
}

TEST(ClientContext, AMissingCaFileIsAConfigErrorNamingIt) {
  ASSERT_TRUE(load_pq_provider().has_value());
  auto built = ClientContext::build("/nonexistent/ca.pem", true);
  ASSERT_FALSE(built.has_value());
  EXPECT_EQ(built.error().code, Errc::kConfigInvalid);
  EXPECT_NE(built.error().detail.find("/nonexistent/ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace x0::tls
