// CacheAdmin against a real ResponseStore and a temporary snapshot directory: snapshot, clear,
// restore, verify (memory and files), the fall-back from a damaged newer snapshot, and the
// degraded reasons /health shows.
#include "admin/cache_admin.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "cache/cache_metrics.h"
#include "cache/cache_test_util.h"
#include "cache/response_store.h"
#include "cache/snapshot.h"

namespace x0::admin {
namespace {

using cache::testing::entry;
using cache::testing::kNow;
namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

class CacheAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/x0_cache_admin_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.snapshot_dir = dir_ + "/snaps";  // created by snapshot()
    admin_ = std::make_unique<CacheAdmin>(store_, options_, &metrics_);
  }
  void TearDown() override {
    admin_.reset();
    fs::remove_all(dir_);
  }
  bool has(const std::string& target, int64_t now = kNow + 1000) {
    return store_.lookup(cache::testing::key(target), {}, now).status == cache::LookupStatus::kHit;
  }

  std::string dir_;
  telemetry::Registry registry_;
  cache::CacheMetrics metrics_{registry_};
  cache::ResponseStore store_{cache::StoreConfig{}, &metrics_};
  CacheAdminOptions options_;
  std::unique_ptr<CacheAdmin> admin_;
};

TEST_F(CacheAdminTest, SnapshotClearRestoreRoundTrip) {
  for (auto t : {"/a", "/b", "/c"}) store_.insert(entry(t));
  auto snap = admin_->snapshot(kNow);
  ASSERT_TRUE(snap) << snap.error().detail;
  EXPECT_EQ((*snap)["entries"], 3);
  std::string path = (*snap)["path"];
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(admin_->status()["last_snapshot"]["path"], path);

  EXPECT_EQ(admin_->clear("")["cleared"], 3);
  EXPECT_FALSE(has("/a"));

  auto restored = admin_->restore(kNow + 1000);
  EXPECT_EQ(restored["restored"], true) << restored.dump();
  EXPECT_EQ(restored["file"], path);
  EXPECT_EQ(restored["inserted"], 3);
  EXPECT_EQ(restored["corrupt"], 0);
  EXPECT_TRUE(restored["skipped"].empty());
  for (auto t : {"/a", "/b", "/c"}) EXPECT_TRUE(has(t)) << t;
  auto status = admin_->status();
  EXPECT_EQ(status["entries"], 3);
  EXPECT_EQ(status["last_restore"]["inserted"], 3);
  EXPECT_TRUE(status["degraded"].empty()) << status.dump();
}

TEST_F(CacheAdminTest, ClearWithPrefixKeepsTheRest) {
  for (auto t : {"/p/a", "/p/b?x=1", "/q/c"}) store_.insert(entry(t));
  auto out = admin_->clear("/p");
  EXPECT_EQ(out["cleared"], 2);
  EXPECT_EQ(out["prefix"], "/p");
  EXPECT_FALSE(has("/p/a"));
  EXPECT_FALSE(has("/p/b?x=1"));
  EXPECT_TRUE(has("/q/c"));
}

TEST_F(CacheAdminTest, VerifyDropsACorruptEntryAndDegrades) {
  store_.insert(entry("/good"));
  auto bad = entry("/bad");
  bad->checksum ^= 1;  // a sealed entry whose bytes no longer match
  store_.insert(bad);
  auto out = admin_->verify();
  EXPECT_EQ(out["checked"], 2);
  EXPECT_EQ(out["corrupt"], 1);
  EXPECT_EQ(out["dropped"], 1);
  EXPECT_EQ(out["entries"], 1);
  EXPECT_TRUE(has("/good"));
  EXPECT_EQ(store_.entries().size(), 1u);
  ASSERT_EQ(admin_->degraded_reasons().size(), 1u);
  EXPECT_NE(admin_->degraded_reasons()[0].find("corrupt"), std::string::npos);
  EXPECT_EQ(admin_->status()["corrupt"], 1);
  // A clean pass clears the flag.
  admin_->verify();
  EXPECT_TRUE(admin_->degraded_reasons().empty());
}

TEST_F(CacheAdminTest, RestoreFallsBackFromADamagedNewerFile) {
  store_.insert(entry("/old"));
  auto older = admin_->snapshot(kNow);
  ASSERT_TRUE(older);
  store_.insert(entry("/new"));
  auto newer = admin_->snapshot(kNow + 10);
  ASSERT_TRUE(newer);
  std::string newer_path = (*newer)["path"];
  std::string bytes = read_file(newer_path);
  write_file(newer_path, bytes.substr(0, bytes.size() - 10));

  admin_->clear("");
  auto restored = admin_->restore(kNow + 1000);
  EXPECT_EQ(restored["restored"], true);
  EXPECT_EQ(restored["file"], (*older)["path"]);
  EXPECT_EQ(restored["inserted"], 1);
  ASSERT_EQ(restored["skipped"].size(), 1u) << restored.dump();
  EXPECT_EQ(restored["skipped"][0]["path"], newer_path);
  EXPECT_NE(restored["skipped"][0]["error"].get<std::string>().find("truncated"), std::string::npos);
  EXPECT_TRUE(has("/old"));
  EXPECT_FALSE(has("/new"));
  auto reasons = admin_->degraded_reasons();
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_NE(reasons[0].find("unusable"), std::string::npos) << reasons[0];
}

TEST_F(CacheAdminTest, RestoreWithNoSnapshotIsNotAnError) {
  auto restored = admin_->restore(kNow);
  EXPECT_EQ(restored["restored"], false);
  EXPECT_NE(restored["reason"].get<std::string>().find("no snapshot files"), std::string::npos);
  EXPECT_TRUE(admin_->degraded_reasons().empty());
  EXPECT_EQ(admin_->status()["last_restore"]["restored"], false);
}

TEST_F(CacheAdminTest, VerifySnapshotsNamesTheFlippedEntry) {
  for (int i = 0; i < 3; ++i) store_.insert(entry("/e/" + std::to_string(i), std::string(2000, 'x')));
  auto snap = admin_->snapshot(kNow);
  ASSERT_TRUE(snap);
  std::string path = (*snap)["path"];
  std::string bytes = read_file(path);
  // Walk the frames (docs/CACHE.md: 40-byte header, 16-byte frames) to find /e/1's payload.
  size_t off = cache::kSnapshotHeaderBytes, victim = 0, victim_off = 0;
  for (size_t i = 0; off + cache::kSnapshotFrameBytes <= bytes.size(); ++i) {
    uint32_t len = 0;
    std::memcpy(&len, bytes.data() + off + 4, 4);
    if (bytes.substr(off + cache::kSnapshotFrameBytes, len).find("/e/1") != std::string::npos) {
      victim = i;
      victim_off = off;
      bytes[off + cache::kSnapshotFrameBytes + len / 2] ^= 0x5a;
    }
    off += cache::kSnapshotFrameBytes + len;
  }
  ASSERT_NE(victim_off, 0u);
  write_file(path, bytes);

  auto out = admin_->verify_snapshots(kNow + 1000);
  EXPECT_EQ(out["ok"], false);
  ASSERT_EQ(out["files"].size(), 1u);
  const auto& f = out["files"][0];
  EXPECT_EQ(f["path"], path);
  EXPECT_EQ(f["ok"], 2);
  EXPECT_EQ(f["corrupt"], 1);
  EXPECT_EQ(f["usable"], true);
  ASSERT_EQ(f["corrupt_entries"].size(), 1u);
  EXPECT_EQ(f["corrupt_entries"][0]["index"], victim);
  EXPECT_EQ(f["corrupt_entries"][0]["offset"], victim_off);
  EXPECT_NE(f["corrupt_entries"][0]["key"].get<std::string>().find("/e/1"), std::string::npos);
  EXPECT_FALSE(admin_->degraded_reasons().empty());

  fs::remove(path);  // the damaged file is gone: a clean check clears the flag
  EXPECT_EQ(admin_->verify_snapshots(kNow + 1000)["ok"], true);
  EXPECT_TRUE(admin_->degraded_reasons().empty());
}

TEST_F(CacheAdminTest, SnapshotIntoAnUnusableDirectoryFails) {
  write_file(dir_ + "/file", "x");
  CacheAdminOptions options;
  options.snapshot_dir = dir_ + "/file/sub";  // a directory under a regular file
  CacheAdmin admin(store_, options, &metrics_);
  store_.insert(entry("/a"));
  auto snap = admin.snapshot(kNow);
  ASSERT_FALSE(snap);
  EXPECT_EQ(snap.error().code, Errc::kSnapshotWrite);
  EXPECT_NE(snap.error().detail.find("Not a directory"), std::string::npos) << snap.error().detail;
  auto status = admin.status();
  EXPECT_FALSE(status["last_snapshot"]["error"].is_null());
  ASSERT_EQ(status["degraded"].size(), 1u);
}

}  // namespace
}  // namespace x0::admin
