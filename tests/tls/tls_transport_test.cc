// TlsTransport over a real non-blocking socket pair: both ends are TlsTransports driven by hand
// as a connection would (read/write until kWouldBlock), with the hybrid group negotiated.
#include "tls/tls_transport.h"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "handshake.h"
#include "tls/provider/pq_provider.h"

namespace x0::tls {
namespace {

struct Pair {
  testing::SslCtx server_ctx, client_ctx;
  testing::HandshakeRecorder server_seen, client_seen;
  std::unique_ptr<TlsTransport> server, client;
};

Pair make_pair(const char* groups = "X25519MLKEM768", testing::SslCtx server_ctx = nullptr) {
  EXPECT_TRUE(load_pq_provider().has_value());
  ::signal(SIGPIPE, SIG_IGN);  // as the node does: OpenSSL writes alerts to closed sockets
  Pair p;
  p.server_ctx = server_ctx ? std::move(server_ctx) : testing::make_ctx(true, groups);
  p.client_ctx = testing::make_ctx(false, groups);
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  SSL* s = SSL_new(p.server_ctx.get());
  SSL* c = SSL_new(p.client_ctx.get());
  SSL_set_accept_state(s);
  SSL_set_connect_state(c);
  p.server = std::make_unique<TlsTransport>(net::Fd(fds[0]), s, &p.server_seen);
  p.client = std::make_unique<TlsTransport>(net::Fd(fds[1]), c, &p.client_seen);
  return p;
}

// Reads what `t` has until it would block; appends to `into`.
net::IoStatus read_all(TlsTransport& t, std::string& into, size_t chunk = 16384) {
  std::vector<char> buf(chunk);
  for (;;) {
    net::IoResult r = t.read(buf.data(), buf.size());
    if (r.status != net::IoStatus::kDone) return r.status;
    into.append(buf.data(), r.bytes);
  }
}

// Sends `data` from `from` to `to`, stepping both until all of it arrived.
std::string transfer(TlsTransport& from, TlsTransport& to, const std::string& data) {
  std::string got;
  size_t sent = 0;
  for (int round = 0; round < 100000 && got.size() < data.size(); ++round) {
    if (sent < data.size()) {
      net::IoResult r = from.write(std::string_view(data).substr(sent));
      if (r.status == net::IoStatus::kDone) sent += r.bytes;
      EXPECT_NE(r.status, net::IoStatus::kError);
    }
    EXPECT_NE(read_all(to, got), net::IoStatus::kError);
    std::string ignored;  // the other way: the peer's handshake flight, tickets
    read_all(from, ignored);
  }
  return got;
}

TEST(TlsTransport, HandshakesInsideTheFirstWritesAndReadsAndCarriesBytesBothWays) {
  Pair p = make_pair();
  EXPECT_EQ(transfer(*p.client, *p.server, "GET / HTTP/1.1\r\n\r\n"), "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(transfer(*p.server, *p.client, "HTTP/1.1 200 OK\r\n\r\n"), "HTTP/1.1 200 OK\r\n\r\n");
  ASSERT_EQ(p.server_seen.outcomes.size(), 1u);  // once, when the handshake ended
  EXPECT_TRUE(p.server_seen.outcomes[0].ok);
  EXPECT_EQ(p.server_seen.outcomes[0].group, "X25519MLKEM768");
  EXPECT_GT(p.server_seen.outcomes[0].duration_us, 0);
  ASSERT_EQ(p.client_seen.outcomes.size(), 1u);
  EXPECT_EQ(p.client_seen.outcomes[0].group, "X25519MLKEM768");
  EXPECT_TRUE(p.server->handshake_done());
}

TEST(TlsTransport, ALargeWriteMovesAsFarAsTheSocketTakesAndArrivesWhole) {
  Pair p = make_pair();
  transfer(*p.client, *p.server, "x");
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 + 7);
  net::IoResult first = p.server->write(big);
  ASSERT_EQ(first.status, net::IoStatus::kDone);
  EXPECT_LT(first.bytes, big.size());  // a partial write, not a blocking one
  std::string got;
  size_t sent = first.bytes;
  for (int round = 0; round < 100000 && got.size() < big.size(); ++round) {
    if (sent < big.size()) {
      net::IoResult r = p.server->write(std::string_view(big).substr(sent));
      ASSERT_NE(r.status, net::IoStatus::kError);
      if (r.status == net::IoStatus::kDone) sent += r.bytes;
    }
    ASSERT_NE(read_all(*p.client, got), net::IoStatus::kError);
  }
  EXPECT_EQ(got.size(), big.size());
  EXPECT_TRUE(got == big);
}

TEST(TlsTransport, BytesDecryptedButNotYetReadAreReportedAsBuffered) {
  Pair p = make_pair();
  transfer(*p.client, *p.server, "x");
  std::string record(1000, 'r');
  ASSERT_EQ(p.client->write(record).status, net::IoStatus::kDone);
  char small[10];
  net::IoResult r = p.server->read(small, sizeof small);
  ASSERT_EQ(r.status, net::IoStatus::kDone);
  EXPECT_EQ(r.bytes, 10u);
  EXPECT_TRUE(p.server->has_buffered_input());  // epoll cannot see these 990 bytes
  std::string rest;
  read_all(*p.server, rest);
  EXPECT_EQ(rest.size(), 990u);
  EXPECT_FALSE(p.server->has_buffered_input());
}

TEST(TlsTransport, ShutdownWriteSendsCloseNotifyThePeerReadsAsEndOfStream) {
  Pair p = make_pair();
  transfer(*p.client, *p.server, "x");
  p.client->shutdown_write();
  std::string got;
  EXPECT_EQ(read_all(*p.server, got), net::IoStatus::kEof);
}

// A certificate too large for the socket to take in one go: the server's handshake flight
// blocks inside a read, which then waits for the socket to be writable (extra_events).
testing::SslCtx server_with_a_large_certificate() {
  // Before any SSL_CTX names the group (this runs before make_pair, as its argument).
  EXPECT_TRUE(load_pq_provider().has_value());
  testing::SslCtx ctx(SSL_CTX_new(TLS_server_method()));
  EXPECT_EQ(SSL_CTX_set1_groups_list(ctx.get(), "X25519MLKEM768"), 1);
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 2);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("big"), -1, -1, 0);
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  X509_set_pubkey(cert, key);
  std::string comment(60000, 'c');  // under the client's 100 kB certificate limit
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, NID_netscape_comment, comment.c_str());
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(cert, key, nullptr);
  SSL_CTX_use_certificate(ctx.get(), cert);
  SSL_CTX_use_PrivateKey(ctx.get(), key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

TEST(TlsTransport, AReadWhoseHandshakeFlightCannotBeSentWaitsForTheSocketToBeWritable) {
  Pair p = make_pair("X25519MLKEM768", server_with_a_large_certificate());
  int small = 8192;  // the server's socket takes 8 kB at a time
  ASSERT_EQ(::setsockopt(p.server->fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  char buf[256];
  EXPECT_EQ(p.client->write("hello").status, net::IoStatus::kWouldBlock);  // ClientHello sent
  EXPECT_EQ(p.client->extra_events(), uint32_t{EPOLLIN});  // its write waits for the server
  net::IoResult r = p.server->read(buf, sizeof buf);
  EXPECT_EQ(r.status, net::IoStatus::kWouldBlock);
  EXPECT_EQ(p.server->extra_events(), uint32_t{EPOLLOUT});  // 60 kB of certificate to send
  // The client takes the flight, the server's read goes on, and "hello" arrives.
  EXPECT_EQ(transfer(*p.client, *p.server, "hello"), "hello");
  EXPECT_EQ(p.server->extra_events(), 0u);
}

TEST(TlsTransport, GarbageFailsTheHandshakeOnceWithAReason) {
  Pair p = make_pair();
  int client_fd = p.client->fd();
  const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_GT(::send(client_fd, junk, sizeof junk - 1, 0), 0);
  char buf[64];
  EXPECT_EQ(p.server->read(buf, sizeof buf).status, net::IoStatus::kError);
  p.server.reset();
  ASSERT_EQ(p.server_seen.outcomes.size(), 1u);  // not again when the transport goes
  EXPECT_FALSE(p.server_seen.outcomes[0].ok);
  EXPECT_EQ(p.server_seen.outcomes[0].reason, "http request");
}

TEST(TlsTransport, AConnectionClosedBeforeItsFirstByteIsNoHandshake) {
  Pair p = make_pair();
  char buf[64];
  EXPECT_EQ(p.server->read(buf, sizeof buf).status, net::IoStatus::kWouldBlock);
  p.client.reset();
  EXPECT_EQ(p.server->read(buf, sizeof buf).status, net::IoStatus::kEof);
  p.server.reset();
  EXPECT_TRUE(p.server_seen.outcomes.empty());
}

}  // namespace
}  // namespace x0::tls
