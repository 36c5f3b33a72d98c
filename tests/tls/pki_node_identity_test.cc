// The node identity check on directories `pki init` and `pki issue` wrote: a good identity, an
// expired one, a tampered composite certificate, two certificates of different issues, files
// missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "scratch_dir.h"
#include "tls/pki/mesh_ca.h"
#include "tls/pki/node_identity.h"
#include "tls/pki/pem.h"
#include "tls/pki/pki_files.h"

namespace x0::tls::pki {
namespace {

namespace fs = std::filesystem;
using std::chrono::days;

const std::chrono::sys_seconds kNow{std::chrono::seconds(1'800'000'000)};

class PkiNodeIdentity : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(init_mesh_ca({path("ca"), 3650, false}, kNow));
    ASSERT_TRUE(issue(path("node"), false));
  }
  std::string path(const std::string& rel) const { return scratch_.file(rel); }
  Result<Issued> issue(const std::string& out, bool force) {
    NodeOptions node;
    node.ca_dir = path("ca");
    node.out_dir = out;
    node.node_id = "node-1";
    node.days = 90;
    node.force = force;
    return issue_node(node, kNow);
  }
  x0::testing::ScratchDir scratch_{"x0-identity"};
};

TEST_F(PkiNodeIdentity, AnIssuedIdentityVerifiesBothWaysAndIsOneIdentity) {
  NodeIdentity id = check_node_identity(path("node"), kNow);
  EXPECT_TRUE(id.present);
  EXPECT_TRUE(id.ok()) << id.problem;
  EXPECT_TRUE(id.tls_verified);
  EXPECT_TRUE(id.pq_verified);
  EXPECT_EQ(id.pq.subject, "CN=node-1");
  EXPECT_EQ(id.tls.algorithm, "Ed25519");
  EXPECT_EQ(id.pq.algorithm, "id-MLDSA65-Ed25519-SHA512");
  EXPECT_EQ(days_left(id.not_after, kNow), 90);  // --days counts from now (notBefore is backdated)
}

TEST_F(PkiNodeIdentity, AfterNotAfterItIsExpiredAndSaysSoButStillShowsItsDates) {
  const auto later = kNow + days(91);
  NodeIdentity id = check_node_identity(path("node"), later);
  EXPECT_FALSE(id.ok());
  EXPECT_FALSE(id.tls_verified);
  EXPECT_FALSE(id.pq_verified);
  EXPECT_LT(days_left(id.not_after, later), 0);
  EXPECT_EQ(id.pq.subject, "CN=node-1");  // described even though it does not verify
  EXPECT_FALSE(id.problem.empty());
}

TEST_F(PkiNodeIdentity, ATamperedCompositeCertificateFailsItsHalfOnly) {
  const std::string file = path("node/node.composite.crt");
  auto der = *read_pem_file(file, kPemCertificate);
  der[der.size() - 10] ^= 0x01;  // in the signature
  fs::remove(file);
  ASSERT_TRUE(write_new_file(file, pem_encode(kPemCertificate, der), kCertificateMode, false));
  NodeIdentity id = check_node_identity(path("node"), kNow);
  EXPECT_TRUE(id.tls_verified);
  EXPECT_FALSE(id.pq_verified);
  EXPECT_NE(id.problem.find("node.composite.crt"), std::string::npos) << id.problem;
}

TEST_F(PkiNodeIdentity, CertificatesOfTwoIssuesAreNotOneIdentity) {
  ASSERT_TRUE(issue(path("other"), false));
  fs::copy_file(path("other/node.composite.crt"), path("node/node.composite.crt"),
                fs::copy_options::overwrite_existing);
  NodeIdentity id = check_node_identity(path("node"), kNow);
  EXPECT_TRUE(id.tls_verified);
  EXPECT_TRUE(id.pq_verified);  // each verifies on its own...
  EXPECT_FALSE(id.ok());        // ...but their serials differ
  EXPECT_NE(id.problem.find("not one identity"), std::string::npos) << id.problem;
}

TEST_F(PkiNodeIdentity, NoCertificatesIsNotPresentAndAMissingCaIsAProblem) {
  NodeIdentity none = check_node_identity(path("empty"), kNow);
  EXPECT_FALSE(none.present);
  EXPECT_NE(none.problem.find("pki issue"), std::string::npos);
  fs::remove(path("node/ca.composite.crt"));
  NodeIdentity id = check_node_identity(path("node"), kNow);
  EXPECT_TRUE(id.present);
  EXPECT_FALSE(id.pq_verified);
  EXPECT_NE(id.problem.find("ca.composite.crt"), std::string::npos) << id.problem;
}

}  // namespace
}  // namespace x0::tls::pki
