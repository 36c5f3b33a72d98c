// The node certificate's expiry policy on a real identity (`pki init` + `pki issue`, 90 days),
// checked at moments before its notAfter: nothing, a WARN, a SEV-3 incident, a SEV-1 once
// expired; each incident keyed for the store's deduplication.
#include "app/identity_watch.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "scratch_dir.h"
#include "tls/pki/mesh_ca.h"

namespace x0::app {
namespace {

namespace fs = std::filesystem;
using std::chrono::days;

const std::chrono::sys_seconds kNow{std::chrono::seconds(1'800'000'000)};

TEST(ExpiryAlarm, ThirtyAndSevenDaysAndExpired) {
  EXPECT_EQ(expiry_alarm(365), ExpiryAlarm::kNone);
  EXPECT_EQ(expiry_alarm(30), ExpiryAlarm::kNone);
  EXPECT_EQ(expiry_alarm(29), ExpiryAlarm::kWarn);
  EXPECT_EQ(expiry_alarm(7), ExpiryAlarm::kWarn);
  EXPECT_EQ(expiry_alarm(6), ExpiryAlarm::kSev3);
  EXPECT_EQ(expiry_alarm(0), ExpiryAlarm::kSev3);
  EXPECT_EQ(expiry_alarm(-1), ExpiryAlarm::kSev1);
}

class IdentityWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tls::pki::init_mesh_ca({scratch_.file("ca"), 3650, false}, kNow));
    tls::pki::NodeOptions node;
    node.ca_dir = scratch_.file("ca");
    node.out_dir = dir();
    node.node_id = "node-7";
    node.days = 90;
    ASSERT_TRUE(tls::pki::issue_node(node, kNow));
  }
  std::string dir() const { return scratch_.file("node"); }
  x0::testing::ScratchDir scratch_{"x0-watch"};
  std::vector<incident::OpenRequest> opened;
  IdentityWatch watch{[this](incident::OpenRequest r) { opened.push_back(std::move(r)); }};
};

TEST_F(IdentityWatchTest, AFreshCertificateOpensNothing) {
  auto id = watch.check(dir(), kNow);
  EXPECT_TRUE(id->ok()) << id->problem;
  EXPECT_TRUE(opened.empty());
}

TEST_F(IdentityWatchTest, AWeekBeforeItIsASev3AndOnceExpiredASev1) {
  watch.check(dir(), kNow + days(70));  // 20 days left: a WARN line only
  EXPECT_TRUE(opened.empty());
  watch.check(dir(), kNow + days(85));  // 5 days left
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0].severity, incident::Severity::kSev3);
  EXPECT_EQ(opened[0].rule, "node_certificate_expiring");
  EXPECT_EQ(opened[0].target, "CN=node-7");
  EXPECT_NE(opened[0].title.find("5 days"), std::string::npos) << opened[0].title;
  watch.check(dir(), kNow + days(95));  // expired
  ASSERT_EQ(opened.size(), 2u);
  EXPECT_EQ(opened[1].severity, incident::Severity::kSev1);
  EXPECT_EQ(opened[1].rule, "node_certificate_expired");
  EXPECT_NE(opened[1].impact.find("pki issue"), std::string::npos);
}

TEST_F(IdentityWatchTest, ANodeWithoutCertificatesHasNothingToExpire) {
  auto id = watch.check(scratch_.file("nowhere"), kNow + days(1000));
  EXPECT_FALSE(id->present);
  EXPECT_TRUE(opened.empty());
}

}  // namespace
}  // namespace x0::app
