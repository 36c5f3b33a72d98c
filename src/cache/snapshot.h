// Cache snapshot files in the data directory: `cache-<unix_ms>.snap`, written atomically
// (temp file, fsync, rename, fsync of the directory) and read back defensively: a versioned,
// checksummed header, then framed entries each with its own length and CRC32C. Damaged entries
// are skipped and named, truncated files are reported, hostile bytes never crash the reader or
// make it allocate more than the file holds. Does disk I/O: call from a background thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cache/cached_response.h"
#include "common/result.h"

namespace x0::cache {

class ResponseStore;

inline constexpr uint32_t kSnapshotVersion = 1;
inline constexpr size_t kSnapshotHeaderBytes = 40;
inline constexpr size_t kSnapshotFrameBytes = 16;
inline constexpr size_t kMaxReportedCorruptEntries = 1000;

// One damaged entry: its ordinal in the file, the byte offset of its frame, why, and the key
// read from the damaged bytes when it could be (not trustworthy: for the operator's eyes only).
struct CorruptEntry {
  uint64_t index = 0;
  uint64_t offset = 0;
  std::string reason;  // "frame", "checksum", "malformed"
  std::string key_unverified;
};

struct SnapshotFileReport {
  std::string path;
  bool header_valid = false;
  std::string error;  // set when the file is not usable: bad header, truncated, unreadable
  int64_t created_ms = 0;
  uint64_t header_entries = 0;
  uint64_t ok = 0, corrupt = 0, expired = 0;
  bool truncated = false;       // ended inside an entry, or fewer entries than the header says
  uint64_t trailing_bytes = 0;  // bytes after the last announced entry (ignored)
  std::vector<CorruptEntry> corrupt_entries;  // at most kMaxReportedCorruptEntries
  // Restore uses a file whose header is valid and which is not truncated.
  bool usable() const { return header_valid && !truncated; }
};

using SnapshotSink = std::function<void(std::shared_ptr<const CachedResponse>)>;

// Parses a whole snapshot image. Entries that are intact and not expired (age below
// lifetime + stale-if-error at now_ms) go to sink (may be empty) in file order.
SnapshotFileReport parse_snapshot(std::span<const uint8_t> bytes, int64_t now_ms,
                                  const SnapshotSink& sink);
// Same for a file (memory-mapped read-only; files are never trusted, sizes come from fstat).
SnapshotFileReport read_snapshot_file(const std::string& path, int64_t now_ms,
                                      const SnapshotSink& sink);

// Serialises entries (in order) into a snapshot image; used by write_snapshot and tests.
std::string encode_snapshot(const std::vector<std::shared_ptr<const CachedResponse>>& entries,
                            int64_t created_ms);

struct SnapshotWritten {
  std::string path;
  uint64_t entries = 0, bytes = 0;
  uint64_t skipped_corrupt = 0, skipped_stale = 0;  // not written
  uint64_t removed_files = 0;                       // old snapshots and stale temp files pruned
};
// Writes the fresh, intact entries to dir/cache-<now_ms>.snap atomically, then keeps only the
// newest keep_files snapshots and deletes temp files left by killed writers. dir must exist.
// Calls are serialised within the process; run one daemon per data directory.
Result<SnapshotWritten> write_snapshot(
    const std::string& dir, const std::vector<std::shared_ptr<const CachedResponse>>& entries,
    int64_t now_ms, size_t keep_files = 3);

struct SnapshotFile {
  std::string path;
  int64_t created_ms = 0;  // from the name
};
// `cache-<digits>.snap` files in dir, newest first. Temp and other files are ignored.
std::vector<SnapshotFile> list_snapshots(const std::string& dir);

// Every snapshot file in dir, newest first, fully checked (for /admin/data/verify).
std::vector<SnapshotFileReport> verify_dir(const std::string& dir, int64_t now_ms);

struct RestoreReport {
  std::optional<SnapshotFileReport> chosen;  // empty: no usable snapshot
  std::vector<SnapshotFileReport> skipped;   // newer files that were not usable, newest first
  uint64_t inserted = 0;
};
// The newest usable snapshot (its entries to sink); unusable newer ones are reported in skipped.
RestoreReport newest_valid(const std::string& dir, int64_t now_ms, const SnapshotSink& sink = {});
// newest_valid() straight into a store (/admin/cache/restore, enable_preloading).
RestoreReport restore_newest(const std::string& dir, int64_t now_ms, ResponseStore& store);

}  // namespace x0::cache
