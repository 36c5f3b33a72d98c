// Mesh links over real sockets: both sides of a LinkTransport with identities `pki` made at
// test time. A link comes up only when TLS and both composite identity checks pass; every
// forgery a peer could present (another CA, an expired certificate, a tampered composite
// certificate, a signature by the wrong key, another node's composite certificate, a classical
// group where post-quantum is required) is refused with its reason, and the server never
// answers an unauthenticated peer.
#include "mesh/link_transport.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <vector>

#include "scratch_dir.h"
#include "tls/pki/mesh_ca.h"

namespace x0::mesh {
namespace {

using std::chrono::days;

std::chrono::sys_seconds now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

struct Recorder final : LinkObserver {
  std::vector<LinkOutcome> outcomes;
  std::vector<std::string> closed;
  void on_link(const LinkOutcome& outcome) override { outcomes.push_back(outcome); }
  void on_link_closed(const std::string& peer_id) override { closed.push_back(peer_id); }
};

class MeshLink : public ::testing::Test {
 protected:
  // A CA in `ca` and node `id` issued into `dir`, valid from `at` for `valid_days`.
  void make_ca(const std::string& ca, std::chrono::sys_seconds at = now()) {
    ASSERT_TRUE(tls::pki::init_mesh_ca({path(ca), 3650, false}, at));
  }
  void issue(const std::string& ca, const std::string& dir, const std::string& id,
             std::chrono::sys_seconds at = now(), int valid_days = 30) {
    tls::pki::NodeOptions o;
    o.ca_dir = path(ca);
    o.out_dir = path(dir);
    o.node_id = id;
    o.days = valid_days;
    auto issued = tls::pki::issue_node(o, at);
    ASSERT_TRUE(issued) << issued.error().detail;
  }
  std::shared_ptr<const LocalIdentity> load(const std::string& dir,
                                            std::chrono::sys_seconds at = now()) {
    auto id = load_local_identity(path(dir), at);
    EXPECT_TRUE(id) << id.error().detail;
    return id ? *id : nullptr;
  }
  std::shared_ptr<const LinkContexts> contexts(const LocalIdentity& id, PqcMode mode) {
    auto built = LinkContexts::build(id, mode);
    EXPECT_TRUE(built) << built.error().detail;
    return built ? *built : nullptr;
  }
  std::string path(const std::string& rel) const { return scratch_.file(rel); }

  // Connects a client and a server transport over a socket pair and drives both until each is
  // up or refused.
  void link(std::shared_ptr<const LocalIdentity> client_id, PqcMode client_mode,
            std::shared_ptr<const LocalIdentity> server_id, PqcMode server_mode) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    LinkConnector connector(contexts(*client_id, client_mode), client_id, &client_seen_);
    LinkAcceptor acceptor(contexts(*server_id, server_mode), server_id, &server_seen_);
    auto c = connector.connect(net::Fd(fds[0]));
    ASSERT_TRUE(c);
    client_ = std::move(*c);
    server_ = acceptor.accept(net::Fd(fds[1]));
    ASSERT_NE(server_, nullptr);
    char buf[256];
    for (int i = 0; i < 100; ++i) {
      client_result_ = client_->handshake().status;
      server_result_ = server_->read(buf, sizeof buf).status;
      bool client_over = client_result_ != net::IoStatus::kWouldBlock;
      bool server_over = server_result_ != net::IoStatus::kWouldBlock || server_up();
      if (client_over && server_over) break;
    }
  }
  bool client_up() const { return static_cast<LinkTransport&>(*client_).ready(); }
  bool server_up() const { return static_cast<LinkTransport&>(*server_).ready(); }
  // The server's one outcome: it saw the handshake.
  const LinkOutcome& server_outcome() {
    EXPECT_EQ(server_seen_.outcomes.size(), 1u);
    return server_seen_.outcomes.back();
  }

  x0::testing::ScratchDir scratch_{"x0-mesh-link"};
  Recorder client_seen_, server_seen_;
  std::unique_ptr<net::Transport> client_, server_;
  net::IoStatus client_result_{}, server_result_{};
};

TEST_F(MeshLink, TwoNodesOfOneCaLinkPostQuantumAndEachKnowsTheOther) {
  make_ca("ca");
  issue("ca", "a", "node-a");
  issue("ca", "b", "node-b");
  link(load("a"), PqcMode::kRequired, load("b"), PqcMode::kRequired);
  ASSERT_TRUE(client_up()) << client_->failure();
  ASSERT_TRUE(server_up()) << server_->failure();
  ASSERT_EQ(client_seen_.outcomes.size(), 1u);
  const LinkOutcome& c = client_seen_.outcomes[0];
  EXPECT_TRUE(c.ok);
  EXPECT_TRUE(c.pq);
  EXPECT_EQ(c.group, "X25519MLKEM768");
  EXPECT_EQ(c.peer.node_id, "node-b");
  EXPECT_EQ(server_outcome().peer.node_id, "node-a");
  EXPECT_EQ(client_->peer_identity(), "node-b");
  EXPECT_EQ(server_->peer_identity(), "node-a");

  // HTTP flows once both are up, and only then.
  ASSERT_EQ(client_->write("GET /mesh/v1/ping").status, net::IoStatus::kDone);
  std::array<char, 64> buf{};
  net::IoResult r{net::IoStatus::kWouldBlock, 0, 0};
  for (int i = 0; i < 10 && r.status == net::IoStatus::kWouldBlock; ++i)
    r = server_->read(buf.data(), buf.size());
  ASSERT_EQ(r.status, net::IoStatus::kDone);
  EXPECT_EQ(std::string(buf.data(), r.bytes), "GET /mesh/v1/ping");
  EXPECT_TRUE(server_seen_.closed.empty());

  // The client's process dies: the server's next read reports the peer's link closed, once.
  client_.reset();
  for (int i = 0; i < 3; ++i) r = server_->read(buf.data(), buf.size());
  EXPECT_NE(r.status, net::IoStatus::kDone);
  EXPECT_EQ(server_seen_.closed, std::vector<std::string>{"node-a"});
}

TEST_F(MeshLink, APeerFromAnotherCaIsRefusedByTlsEitherWay) {
  make_ca("ca");
  make_ca("other");
  issue("ca", "b", "node-b");
  issue("other", "x", "node-x");
  // A node of another mesh does not accept ours, nor we it.
  link(load("x"), PqcMode::kRequired, load("b"), PqcMode::kRequired);
  EXPECT_FALSE(server_up());
  EXPECT_FALSE(client_up());
  ASSERT_EQ(client_seen_.outcomes.size(), 1u);
  EXPECT_EQ(client_seen_.outcomes[0].reason, RefusalReason::kTls);
  EXPECT_NE(client_seen_.outcomes[0].detail.find("certificate verify failed"), std::string::npos)
      << client_seen_.outcomes[0].detail;
  EXPECT_EQ(server_outcome().reason, RefusalReason::kTls);

  // An attacker whose client trusts our CA but holds a certificate of its own CA: our side's
  // check of its certificate refuses it.
  server_seen_.outcomes.clear();
  client_seen_.outcomes.clear();
  auto x = load("x");
  auto trusting = std::make_shared<LocalIdentity>(LocalIdentity{
      x->node_id, x->dir, x->tls_certificate_file, x->tls_key_file, path("b/ca.ed25519.crt"),
      x->composite_certificate, x->ca_composite_certificate,
      std::make_unique<pqc::CompositeSignature::SecretKey>(*x->composite_key), x->not_after});
  link(trusting, PqcMode::kRequired, load("b"), PqcMode::kRequired);
  EXPECT_FALSE(server_up());
  EXPECT_EQ(server_outcome().reason, RefusalReason::kTls);
  EXPECT_NE(server_outcome().detail.find("certificate verify failed"), std::string::npos)
      << server_outcome().detail;
  EXPECT_TRUE(is_suspicious(server_outcome().reason));
}

TEST_F(MeshLink, AnExpiredCertificateIsRefused) {
  auto long_ago = now() - days(400);
  make_ca("ca", long_ago);
  issue("ca", "b", "node-b");  // current
  issue("ca", "old", "node-old", long_ago, 30);
  link(load("old", long_ago + days(1)), PqcMode::kRequired, load("b"), PqcMode::kRequired);
  EXPECT_FALSE(server_up());
  EXPECT_EQ(server_outcome().reason, RefusalReason::kTls);
  EXPECT_NE(server_outcome().detail.find("expired"), std::string::npos) << server_outcome().detail;
}

TEST_F(MeshLink, ATamperedCompositeCertificateIsRefused) {
  make_ca("ca");
  issue("ca", "a", "node-a");
  issue("ca", "b", "node-b");
  auto a = std::make_shared<LocalIdentity>();
  auto loaded = load("a");
  *a = LocalIdentity{loaded->node_id,
                     loaded->dir,
                     loaded->tls_certificate_file,
                     loaded->tls_key_file,
                     loaded->ca_file,
                     loaded->composite_certificate,
                     loaded->ca_composite_certificate,
                     std::make_unique<pqc::CompositeSignature::SecretKey>(*loaded->composite_key),
                     loaded->not_after};
  a->composite_certificate[a->composite_certificate.size() - 10] ^= 0x01;  // in the signature
  link(a, PqcMode::kRequired, load("b"), PqcMode::kRequired);
  EXPECT_FALSE(server_up());
  EXPECT_FALSE(client_up());  // the server never sent its own identity: refused, not up
  EXPECT_EQ(server_outcome().reason, RefusalReason::kUntrustedComposite);
}

TEST_F(MeshLink, AnExporterSignatureByAnotherKeyIsRefused) {
  make_ca("ca");
  issue("ca", "a", "node-a");
  issue("ca", "b", "node-b");
  auto loaded = load("a");
  auto forged = pqc::CompositeSignature::generate();
  ASSERT_TRUE(forged);
  auto a = std::make_shared<LocalIdentity>(LocalIdentity{
      loaded->node_id, loaded->dir, loaded->tls_certificate_file, loaded->tls_key_file,
      loaded->ca_file, loaded->composite_certificate, loaded->ca_composite_certificate,
      std::make_unique<pqc::CompositeSignature::SecretKey>(forged->secret_key), loaded->not_after});
  link(a, PqcMode::kRequired, load("b"), PqcMode::kRequired);
  EXPECT_FALSE(server_up());
  EXPECT_EQ(server_outcome().reason, RefusalReason::kBadExporterSignature);
}

TEST_F(MeshLink, AnotherNodesCompositeCertificateIsRefused) {
  make_ca("ca");
  issue("ca", "a", "node-a");
  issue("ca", "b", "node-b");
  issue("ca", "c", "node-c");
  auto a = load("a");
  auto c = load("c");
  // node-a's TLS identity presenting node-c's composite certificate (and key).
  auto mixed = std::make_shared<LocalIdentity>(LocalIdentity{
      a->node_id, a->dir, a->tls_certificate_file, a->tls_key_file, a->ca_file,
      c->composite_certificate, c->ca_composite_certificate,
      std::make_unique<pqc::CompositeSignature::SecretKey>(*c->composite_key), a->not_after});
  link(mixed, PqcMode::kRequired, load("b"), PqcMode::kRequired);
  EXPECT_FALSE(server_up());
  EXPECT_EQ(server_outcome().reason, RefusalReason::kIdentityMismatch);
}

TEST_F(MeshLink, RequiredRefusesAClassicalPeerAndPreferredLinksItAsFallback) {
  make_ca("ca");
  issue("ca", "a", "node-a");
  issue("ca", "b", "node-b");
  link(load("a"), PqcMode::kDisabled, load("b"), PqcMode::kRequired);
  EXPECT_FALSE(server_up());
  EXPECT_EQ(server_outcome().reason, RefusalReason::kTls);  // no group in common

  server_seen_.outcomes.clear();
  client_seen_.outcomes.clear();
  link(load("a"), PqcMode::kDisabled, load("b"), PqcMode::kPreferred);
  ASSERT_TRUE(server_up()) << server_->failure();
  EXPECT_TRUE(server_outcome().ok);
  EXPECT_FALSE(server_outcome().pq);
  EXPECT_EQ(server_outcome().group, "X25519");
}

TEST_F(MeshLink, TheServerAnswersNothingToAPeerThatHasNotProvedItself) {
  make_ca("ca");
  issue("ca", "b", "node-b");
  auto b = load("b");
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  LinkAcceptor acceptor(contexts(*b, PqcMode::kRequired), b, &server_seen_);
  auto server = acceptor.accept(net::Fd(fds[1]));
  net::Fd attacker(fds[0]);
  std::string_view request = "GET /mesh/v1/join HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(attacker.get(), request.data(), request.size(), 0),
            static_cast<ssize_t>(request.size()));
  char buf[256];
  EXPECT_EQ(server->read(buf, sizeof buf).status, net::IoStatus::kError);
  EXPECT_EQ(server->write("HTTP/1.1 400 Bad Request\r\n\r\n").status, net::IoStatus::kError);
  char reply[64];
  EXPECT_LT(::recv(attacker.get(), reply, sizeof reply, MSG_DONTWAIT), 0);  // nothing came back
  EXPECT_EQ(server_outcome().reason, RefusalReason::kTls);
}

TEST_F(MeshLink, OneAddressCannotHoldMoreThanTheCapOfLinksInSetUp) {
  make_ca("ca");
  issue("ca", "b", "node-b");
  auto b = load("b");
  telemetry::Counter over_cap;
  LinkAcceptor acceptor(contexts(*b, PqcMode::kRequired), b, &server_seen_, &over_cap);
  std::vector<std::unique_ptr<net::Transport>> setting_up;
  std::vector<net::Fd> clients;
  auto open = [&] {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    clients.emplace_back(fds[0]);
    return acceptor.accept(net::Fd(fds[1]));
  };
  for (int i = 0; i < UnprovenLinks::kMaxPerAddress; ++i) {
    setting_up.push_back(open());
    ASSERT_NE(setting_up.back(), nullptr) << i;
  }
  EXPECT_EQ(open(), nullptr);  // closed at once, counted
  EXPECT_EQ(over_cap.value(), 1u);
  // One that is refused gives its place back, and so does one that goes away.
  ASSERT_EQ(::send(clients[0].get(), "garbage\r\n\r\n", 11, 0), 11);
  char buf[64];
  EXPECT_EQ(setting_up[0]->read(buf, sizeof buf).status, net::IoStatus::kError);
  auto next = open();
  EXPECT_NE(next, nullptr);
  EXPECT_EQ(open(), nullptr);
  setting_up[1].reset();
  EXPECT_NE(open(), nullptr);
  EXPECT_EQ(over_cap.value(), 2u);
}

}  // namespace
}  // namespace x0::mesh
