// `pki init` and `pki issue` on real directories: the files, their modes, the refusal to
// overwrite, and a CA directory whose key does not belong to its certificate.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tls/pki/composite_verify.h"
#include "scratch_dir.h"
#include "tls/pki/mesh_ca.h"
#include "tls/pki/pem.h"
#include "tls/pki/pki_files.h"

namespace x0::tls::pki {
namespace {

namespace fs = std::filesystem;

const std::chrono::sys_seconds kNow{std::chrono::seconds(1'800'000'000)};

class PkiMeshCa : public ::testing::Test {
 protected:
  std::string path(const std::string& rel) const { return scratch_.file(rel); }
  x0::testing::ScratchDir scratch_{"x0-pki"};
};

mode_t mode_of(const std::string& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

Bytes certificate(const std::string& p) {
  return *pem_decode(kPemCertificate, *read_small_file(p));
}

TEST_F(PkiMeshCa, InitAndIssueWriteVerifiableFilesWithPrivateModes) {
  auto ca = init_mesh_ca({path("etc/ca"), 3650, false}, kNow);
  ASSERT_TRUE(ca) << ca.error().detail;
  EXPECT_EQ(ca->files.size(), 4u);
  EXPECT_EQ(mode_of(path("etc/ca")), 0700u);
  EXPECT_EQ(mode_of(path("etc")), 0700u);
  EXPECT_EQ(mode_of(path("etc/ca/ca.composite.key")), 0600u);
  EXPECT_EQ(mode_of(path("etc/ca/ca.ed25519.key")), 0600u);
  EXPECT_EQ(mode_of(path("etc/ca/ca.composite.crt")), 0644u);

  NodeOptions node{path("etc/ca"), path("node"), "node-1", {"10.0.0.7", "fd00::7"}, 30, false};
  auto issued = issue_node(node, kNow);
  ASSERT_TRUE(issued) << issued.error().detail;
  EXPECT_EQ(issued->files.size(), 6u);  // four node files and the two CA certificates
  EXPECT_EQ(mode_of(path("node/node.composite.key")), 0600u);
  EXPECT_EQ(mode_of(path("node/node.ed25519.key")), 0600u);
  auto info = verify_composite_certificate(certificate(path("node/node.composite.crt")),
                                           certificate(path("node/ca.composite.crt")), kNow);
  ASSERT_TRUE(info) << info.error().detail;
  EXPECT_EQ(info->subject_alt_names,
            (std::vector<std::string>{"DNS:node-1", "IP:10.0.0.7", "IP:fd00::7"}));
  EXPECT_EQ(info->not_after, kNow + std::chrono::days(30));
  EXPECT_EQ(info->not_before, kNow - kBackdate);
}

TEST_F(PkiMeshCa, NeverOverwritesWithoutForce) {
  ASSERT_TRUE(init_mesh_ca({path("ca"), 3650, false}, kNow));
  const std::string before = *read_small_file(path("ca/ca.composite.key"));
  auto again = init_mesh_ca({path("ca"), 3650, false}, kNow);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kConflict);
  EXPECT_NE(again.error().detail.find("ca.ed25519.key"), std::string::npos) << again.error().detail;
  EXPECT_EQ(*read_small_file(path("ca/ca.composite.key")), before);
  ASSERT_TRUE(init_mesh_ca({path("ca"), 3650, true}, kNow));
  EXPECT_NE(*read_small_file(path("ca/ca.composite.key")), before);
  EXPECT_EQ(mode_of(path("ca/ca.composite.key")), 0600u);

  NodeOptions node{path("ca"), path("n"), "node-1", {}, 30, false};
  ASSERT_TRUE(issue_node(node, kNow));
  auto twice = issue_node(node, kNow);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, Errc::kConflict);
  node.force = true;
  EXPECT_TRUE(issue_node(node, kNow));
}

TEST_F(PkiMeshCa, RefusesBadNodeIdsAddressesAndAMismatchedCaKey) {
  ASSERT_TRUE(init_mesh_ca({path("ca"), 3650, false}, kNow));
  ASSERT_TRUE(init_mesh_ca({path("other"), 3650, false}, kNow));
  for (const char* id : {"", "-x", "a,b", "a b", "node/1"}) {
    auto r = issue_node({path("ca"), path("n"), id, {}, 30, false}, kNow);
    ASSERT_FALSE(r) << id;
    EXPECT_EQ(r.error().code, Errc::kBadRequest) << id;
  }
  auto too_long = issue_node({path("ca"), path("n"), "node-1", {}, 3651, false}, kNow);
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, Errc::kBadRequest);
  EXPECT_NE(too_long.error().detail.find("--days 3650 at most"), std::string::npos)
      << too_long.error().detail;
  auto bad_ip = issue_node({path("ca"), path("n"), "node-1", {"10.0.0.300"}, 30, false}, kNow);
  ASSERT_FALSE(bad_ip);
  EXPECT_EQ(bad_ip.error().code, Errc::kBadRequest);
  fs::copy_file(path("other/ca.composite.key"), path("ca/ca.composite.key"),
                fs::copy_options::overwrite_existing);
  auto mismatched = issue_node({path("ca"), path("n"), "node-1", {}, 30, false}, kNow);
  ASSERT_FALSE(mismatched);
  EXPECT_EQ(mismatched.error().code, Errc::kInvalidKey) << mismatched.error().detail;
  EXPECT_FALSE(fs::exists(path("n/node.composite.crt")));
  auto missing = issue_node({path("nowhere"), path("n"), "node-1", {}, 30, false}, kNow);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kIoError);
}

}  // namespace
}  // namespace x0::tls::pki
