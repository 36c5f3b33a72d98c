// Snapshot files: round trip, flipped bytes (exactly the damaged entries skipped and named),
// truncation (older snapshot chosen), leftover temp files, retention, hostile headers.
#include "cache/snapshot.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "cache/crc32c.h"
#include "cache/response_store.h"
#include "cache_test_util.h"

namespace x0::cache {
namespace {

namespace fs = std::filesystem;
using testing::entry;
using testing::key;
using testing::kNow;

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/x0_cache_snap_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::vector<std::shared_ptr<const CachedResponse>> make(int n) {
    std::vector<std::shared_ptr<const CachedResponse>> v;
    for (int i = 0; i < n; ++i)
      v.push_back(entry("/e" + std::to_string(i),
                        "body-" + std::to_string(i) + std::string(50, 'z'), 600, kNow,
                        {"accept-encoding"}, {i % 2 ? "gzip" : ""}));
    return v;
  }
  static std::string read(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
  }
  static void write(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }
  // Byte offset of each entry's frame in a clean image.
  static std::vector<size_t> frame_offsets(const std::string& img) {
    std::vector<size_t> out;
    for (size_t pos = kSnapshotHeaderBytes; pos + kSnapshotFrameBytes <= img.size();) {
      out.push_back(pos);
      uint32_t len = 0;
      for (int i = 0; i < 4; ++i) len |= uint32_t(uint8_t(img[pos + 4 + size_t(i)])) << (8 * i);
      pos += kSnapshotFrameBytes + len;
    }
    return out;
  }
  static SnapshotFileReport parse(const std::string& img, int64_t now = kNow) {
    return parse_snapshot({reinterpret_cast<const uint8_t*>(img.data()), img.size()}, now, {});
  }
  std::string dir_;
};

TEST_F(SnapshotTest, RoundTripIntoAStore) {
  auto entries = make(10);
  entries.push_back(entry("/stale", "s", 1, kNow - 5'000));  // not fresh: not written
  auto corrupt = entry("/corrupt");
  corrupt->body[0] ^= 1;
  entries.push_back(corrupt);  // never persisted
  auto w = write_snapshot(dir_, entries, kNow);
  ASSERT_TRUE(w) << w.error().detail;
  EXPECT_EQ(w->entries, 10u);
  EXPECT_EQ(w->skipped_stale, 1u);
  EXPECT_EQ(w->skipped_corrupt, 1u);
  EXPECT_EQ(w->path, dir_ + "/cache-" + std::to_string(kNow) + ".snap");
  EXPECT_FALSE(fs::exists(w->path + ".tmp." + std::to_string(::getpid())));

  ResponseStore store({.shard_count = 4});
  RestoreReport rep = restore_newest(dir_, kNow + 3'000, store);
  ASSERT_TRUE(rep.chosen);
  EXPECT_EQ(rep.chosen->ok, 10u);
  EXPECT_EQ(rep.chosen->corrupt, 0u);
  EXPECT_EQ(rep.inserted, 10u);
  std::vector<Header> gz = {{"Accept-Encoding", "gzip"}};
  LookupResult r = store.lookup(key("/e3"), gz, kNow + 3'000);
  ASSERT_EQ(r.status, LookupStatus::kHit);
  EXPECT_EQ(r.response->body, entries[3]->body);
  EXPECT_EQ(r.response->head, entries[3]->head);
  EXPECT_EQ(r.response->checksum, entries[3]->checksum);
  EXPECT_EQ(r.age_s, 3);  // age survives the restart
  EXPECT_EQ(store.lookup(key("/e3"), {}, kNow + 3'000).status, LookupStatus::kMiss);  // Vary
}

TEST_F(SnapshotTest, FlippedBytesSkipExactlyTheDamagedEntries) {
  const std::string clean = encode_snapshot(make(10), kNow);
  const auto off = frame_offsets(clean);
  ASSERT_EQ(off.size(), 10u);
  std::string img = clean;
  img[off[2] + kSnapshotFrameBytes + 30] ^= 0x10;  // inside entry 2's payload
  img[off[5] + 5] ^= 0x01;                         // entry 5's length field
  img[off[8] + kSnapshotFrameBytes + 6] ^= 0x20;   // entry 8's key
  const std::string path = dir_ + "/cache-" + std::to_string(kNow) + ".snap";
  write(path, img);

  std::vector<std::string> restored;
  RestoreReport rep = newest_valid(dir_, kNow, [&](std::shared_ptr<const CachedResponse> e) {
    restored.emplace_back(e->target());
  });
  ASSERT_TRUE(rep.chosen);
  EXPECT_EQ(rep.chosen->ok, 7u);
  EXPECT_EQ(rep.chosen->corrupt, 3u);
  EXPECT_FALSE(rep.chosen->truncated);
  EXPECT_EQ(restored, (std::vector<std::string>{"/e0", "/e1", "/e3", "/e4", "/e6", "/e7", "/e9"}));

  auto reports = verify_dir(dir_, kNow);
  ASSERT_EQ(reports.size(), 1u);
  ASSERT_EQ(reports[0].corrupt_entries.size(), 3u);
  std::vector<uint64_t> idx;
  for (const auto& c : reports[0].corrupt_entries) idx.push_back(c.index);
  EXPECT_EQ(idx, (std::vector<uint64_t>{2, 5, 8}));
  EXPECT_EQ(reports[0].corrupt_entries[0].offset, off[2]);
  EXPECT_EQ(reports[0].corrupt_entries[0].reason, "checksum");
  EXPECT_EQ(reports[0].corrupt_entries[0].key_unverified, "GET example.com /e2");
  EXPECT_EQ(reports[0].corrupt_entries[1].reason, "frame");
}

TEST_F(SnapshotTest, TruncatedNewestFallsBackToOlder) {
  ASSERT_TRUE(write_snapshot(dir_, make(4), kNow - 60'000));
  auto newer = write_snapshot(dir_, make(6), kNow);
  ASSERT_TRUE(newer);
  std::string img = read(newer->path);
  write(newer->path, img.substr(0, img.size() - 20));

  RestoreReport rep = newest_valid(dir_, kNow);
  ASSERT_TRUE(rep.chosen);
  EXPECT_EQ(rep.chosen->path, dir_ + "/cache-" + std::to_string(kNow - 60'000) + ".snap");
  EXPECT_EQ(rep.chosen->ok, 4u);
  ASSERT_EQ(rep.skipped.size(), 1u);
  EXPECT_EQ(rep.skipped[0].path, newer->path);
  EXPECT_TRUE(rep.skipped[0].truncated);
  EXPECT_EQ(rep.skipped[0].ok, 5u);
  EXPECT_NE(rep.skipped[0].error.find("truncated: 5 of 6"), std::string::npos)
      << rep.skipped[0].error;
}

TEST_F(SnapshotTest, DamagedHeaderNewestFallsBackToOlder) {
  ASSERT_TRUE(write_snapshot(dir_, make(2), kNow - 1));
  auto newer = write_snapshot(dir_, make(3), kNow);
  std::string img = read(newer->path);
  img[20] ^= 1;  // entry count
  write(newer->path, img);
  RestoreReport rep = newest_valid(dir_, kNow);
  ASSERT_TRUE(rep.chosen);
  EXPECT_EQ(rep.chosen->ok, 2u);
  ASSERT_EQ(rep.skipped.size(), 1u);
  EXPECT_FALSE(rep.skipped[0].header_valid);
  EXPECT_EQ(rep.skipped[0].error, "header checksum mismatch");
}

TEST_F(SnapshotTest, TempFileOfAKilledWriterIsIgnoredThenRemoved) {
  ASSERT_TRUE(write_snapshot(dir_, make(3), kNow - 10));
  const std::string tmp = dir_ + "/cache-" + std::to_string(kNow + 99) + ".snap.tmp.4242";
  write(tmp, encode_snapshot(make(5), kNow + 99).substr(0, 100));  // half-written
  EXPECT_EQ(list_snapshots(dir_).size(), 1u);
  RestoreReport rep = newest_valid(dir_, kNow);
  ASSERT_TRUE(rep.chosen);
  EXPECT_EQ(rep.chosen->ok, 3u);
  EXPECT_TRUE(rep.skipped.empty());
  auto w = write_snapshot(dir_, make(1), kNow);
  ASSERT_TRUE(w);
  EXPECT_FALSE(fs::exists(tmp));
}

TEST_F(SnapshotTest, KeepsTheNewestNFiles) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(write_snapshot(dir_, make(1), kNow + i, 3));
  auto files = list_snapshots(dir_);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].created_ms, kNow + 4);
  EXPECT_EQ(files[2].created_ms, kNow + 2);
}

TEST_F(SnapshotTest, ExpiredEntriesAreCountedNotLoaded) {
  std::vector<std::shared_ptr<const CachedResponse>> v = {entry("/short", "x", 10),
                                                          entry("/long", "y", 1000)};
  const std::string img = encode_snapshot(v, kNow);
  // At +20 s /short is stale but within stale-if-error (30 s): still loaded.
  EXPECT_EQ(parse(img, kNow + 20'000).ok, 2u);
  SnapshotFileReport r = parse(img, kNow + 50'000);
  EXPECT_EQ(r.ok, 1u);
  EXPECT_EQ(r.expired, 1u);
  EXPECT_TRUE(r.usable());
}

TEST_F(SnapshotTest, HostileImagesDoNotCrash) {
  std::string img = encode_snapshot(make(2), kNow);
  // A header claiming 2^60 entries (checksum fixed up so it passes).
  std::string huge = img;
  huge[23] = 0x10;
  const uint32_t crc = crc32c(std::string_view(huge).substr(0, 36));
  for (int i = 0; i < 4; ++i) huge[36 + size_t(i)] = static_cast<char>(crc >> (8 * i));
  SnapshotFileReport claimed = parse(huge);
  EXPECT_TRUE(claimed.header_valid);
  EXPECT_EQ(claimed.header_entries, (uint64_t{1} << 60) + 2);
  EXPECT_EQ(claimed.ok, 2u);
  EXPECT_TRUE(claimed.truncated);
  EXPECT_FALSE(claimed.usable());
  EXPECT_FALSE(parse("").header_valid);
  EXPECT_FALSE(parse(std::string(1000, '\xff')).header_valid);
  // Valid header then garbage: every byte position tried as a frame, nothing allocated from it.
  std::string junk = img.substr(0, kSnapshotHeaderBytes) + std::string(5000, '\x7f');
  SnapshotFileReport r = parse(junk);
  EXPECT_TRUE(r.header_valid);
  EXPECT_EQ(r.ok, 0u);
  EXPECT_EQ(r.corrupt, 2u);  // both announced entries lost in the damage
}

}  // namespace
}  // namespace x0::cache
