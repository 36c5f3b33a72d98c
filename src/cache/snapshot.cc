// Snapshot encoding, defensive parsing, atomic writing and directory management (snapshot.h).
// Layout, all integers little-endian:
//   header (40): "X0CACHE\0" | u32 version | u32 header size | u64 entry count | i64 created ms |
//                u32 flags | u32 CRC32C of the preceding 36 bytes
//   frame (16):  u32 "X0CE" | u32 payload length | u32 payload CRC32C | u32 CRC32C of these 12
//   payload:     str key | u32 status | i64 stored_at_ms, lifetime_s, initial_age_s,
//                stale_if_error_s | u32 vary count, (str name, str value)* | str head |
//                u64-length body | u32 entry checksum            (str = u32 length + bytes)
// The frame CRC makes a damaged length detectable, so the reader can resynchronise on the next
// intact frame and skip exactly the damaged entry.
#include "cache/snapshot.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "cache/crc32c.h"
#include "cache/response_store.h"

namespace x0::cache {
namespace {

constexpr char kMagic[8] = {'X', '0', 'C', 'A', 'C', 'H', 'E', '\0'};
constexpr uint32_t kFrameMagic = 0x45433058u;  // "X0CE"

void put32(std::string& o, uint32_t v) {
  for (int i = 0; i < 4; ++i) o.push_back(static_cast<char>(v >> (8 * i)));
}
void put64(std::string& o, uint64_t v) {
  for (int i = 0; i < 8; ++i) o.push_back(static_cast<char>(v >> (8 * i)));
}
void put_str(std::string& o, std::string_view s) {
  put32(o, static_cast<uint32_t>(s.size()));
  o.append(s);
}
uint32_t get32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
uint64_t get64(const uint8_t* p) {
  return static_cast<uint64_t>(get32(p)) | static_cast<uint64_t>(get32(p + 4)) << 32;
}

// Bounds-checked reader over one payload; any overrun sets ok = false and yields zeros.
struct Cursor {
  std::span<const uint8_t> b;
  size_t pos = 0;
  bool ok = true;
  bool need(size_t n) {
    if (!ok || b.size() - pos < n) ok = false;
    return ok;
  }
  uint32_t u32() {
    if (!need(4)) return 0;
    pos += 4;
    return get32(b.data() + pos - 4);
  }
  uint64_t u64() {
    if (!need(8)) return 0;
    pos += 8;
    return get64(b.data() + pos - 8);
  }
  std::string bytes(uint64_t n) {
    if (n > b.size() || !need(static_cast<size_t>(n))) return {};
    std::string s(reinterpret_cast<const char*>(b.data() + pos), static_cast<size_t>(n));
    pos += static_cast<size_t>(n);
    return s;
  }
  std::string str() { return bytes(u32()); }
};

std::string encode_payload(const CachedResponse& r) {
  std::string p;
  p.reserve(r.key.size() + r.head.size() + r.body.size() + 96);
  put_str(p, r.key);
  put32(p, static_cast<uint32_t>(r.status));
  put64(p, static_cast<uint64_t>(r.stored_at_ms));
  put64(p, static_cast<uint64_t>(r.freshness.lifetime_s));
  put64(p, static_cast<uint64_t>(r.freshness.initial_age_s));
  put64(p, static_cast<uint64_t>(r.freshness.stale_if_error_s));
  put32(p, static_cast<uint32_t>(r.vary_names.size()));
  for (size_t i = 0; i < r.vary_names.size(); ++i) {
    put_str(p, r.vary_names[i]);
    put_str(p, i < r.vary_values.size() ? r.vary_values[i] : std::string());
  }
  put_str(p, r.head);
  put64(p, r.body.size());
  p.append(r.body);
  put32(p, r.checksum);
  return p;
}

std::string encode_frame(std::string_view payload) {
  std::string f;
  put32(f, kFrameMagic);
  put32(f, static_cast<uint32_t>(payload.size()));
  put32(f, crc32c(payload));
  put32(f, crc32c(f));
  return f;
}

std::string encode_header(uint64_t count, int64_t created_ms) {
  std::string h(kMagic, sizeof kMagic);
  put32(h, kSnapshotVersion);
  put32(h, static_cast<uint32_t>(kSnapshotHeaderBytes));
  put64(h, count);
  put64(h, static_cast<uint64_t>(created_ms));
  put32(h, 0);  // flags
  put32(h, crc32c(h));
  return h;
}

// A CachedResponse from an intact payload, or nullptr with why.
std::shared_ptr<CachedResponse> decode_payload(std::span<const uint8_t> payload, const char** why) {
  Cursor c{payload};
  auto r = std::make_shared<CachedResponse>();
  r->key = c.str();
  r->status = static_cast<int>(c.u32());
  r->stored_at_ms = static_cast<int64_t>(c.u64());
  r->freshness.lifetime_s = static_cast<int64_t>(c.u64());
  r->freshness.initial_age_s = static_cast<int64_t>(c.u64());
  r->freshness.stale_if_error_s = static_cast<int64_t>(c.u64());
  const uint32_t vary = c.u32();
  if (vary > 64) c.ok = false;
  for (uint32_t i = 0; c.ok && i < vary; ++i) {
    r->vary_names.push_back(c.str());
    r->vary_values.push_back(c.str());
  }
  r->head = c.str();
  r->body = c.bytes(c.u64());
  r->checksum = c.u32();
  *why = "malformed";
  if (!c.ok || c.pos != payload.size() || r->status < 100 || r->status > 599 ||
      CacheKey::from_text(r->key).empty() || r->freshness.lifetime_s < 0 ||
      r->freshness.initial_age_s < 0 || r->freshness.stale_if_error_s < 0)
    return nullptr;
  *why = "checksum";
  if (!intact(*r)) return nullptr;
  return r;
}

// Best-effort key of a damaged payload, for the report (bounded).
std::string key_hint(std::span<const uint8_t> payload) {
  if (payload.size() < 4) return {};
  uint32_t n = get32(payload.data());
  if (n == 0 || n > 1024 || n > payload.size() - 4) return {};
  std::string k(reinterpret_cast<const char*>(payload.data() + 4), n);
  for (char& ch : k)
    if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f) ch = '?';
  return k;
}

bool frame_intact(std::span<const uint8_t> b, size_t pos) {
  if (b.size() - pos < kSnapshotFrameBytes) return false;
  const uint8_t* p = b.data() + pos;
  return get32(p) == kFrameMagic && get32(p + 12) == crc32c_extend(0, p, 12);
}

void note_corrupt(SnapshotFileReport& r, uint64_t index, uint64_t offset, const char* why,
                  std::string key) {
  ++r.corrupt;
  if (r.corrupt_entries.size() < kMaxReportedCorruptEntries)
    r.corrupt_entries.push_back(CorruptEntry{index, offset, why, std::move(key)});
}

}  // namespace

std::string encode_snapshot(const std::vector<std::shared_ptr<const CachedResponse>>& entries,
                            int64_t created_ms) {
  std::string out = encode_header(entries.size(), created_ms);
  for (const auto& e : entries) {
    std::string payload = encode_payload(*e);
    out += encode_frame(payload);
    out += payload;
  }
  return out;
}

SnapshotFileReport parse_snapshot(std::span<const uint8_t> b, int64_t now_ms,
                                  const SnapshotSink& sink) {
  SnapshotFileReport r;
  if (b.size() < kSnapshotHeaderBytes) {
    r.error = "file shorter than the snapshot header";
    return r;
  }
  if (std::memcmp(b.data(), kMagic, sizeof kMagic) != 0) {
    r.error = "not a cache snapshot (bad magic)";
    return r;
  }
  if (get32(b.data() + 36) != crc32c_extend(0, b.data(), 36)) {
    r.error = "header checksum mismatch";
    return r;
  }
  if (get32(b.data() + 8) != kSnapshotVersion || get32(b.data() + 12) != kSnapshotHeaderBytes) {
    r.error = "unsupported snapshot version " + std::to_string(get32(b.data() + 8));
    return r;
  }
  r.header_valid = true;
  r.header_entries = get64(b.data() + 16);
  r.created_ms = static_cast<int64_t>(get64(b.data() + 24));

  size_t pos = kSnapshotHeaderBytes;
  uint64_t seen = 0;
  bool resynced = false;
  while (seen < r.header_entries && pos < b.size()) {
    if (!frame_intact(b, pos)) {
      if (b.size() - pos < kSnapshotFrameBytes) break;  // ends inside a frame: truncated
      // Damaged frame header: its length cannot be trusted; find the next intact frame.
      size_t next = pos + 1;
      while (next < b.size() && !frame_intact(b, next)) ++next;
      note_corrupt(r, seen, pos, "frame", {});
      ++seen;
      resynced = true;
      pos = next;
      continue;
    }
    const uint8_t* f = b.data() + pos;
    const uint32_t len = get32(f + 4);
    if (len > b.size() - pos - kSnapshotFrameBytes) break;  // payload cut off: truncated
    std::span<const uint8_t> payload = b.subspan(pos + kSnapshotFrameBytes, len);
    const char* why = "checksum";
    std::shared_ptr<CachedResponse> e;
    if (crc32c_extend(0, payload.data(), payload.size()) == get32(f + 8))
      e = decode_payload(payload, &why);
    if (!e) {
      note_corrupt(r, seen, pos, why, key_hint(payload));
    } else if (current_age_s(e->freshness, e->stored_at_ms, now_ms) >=
               e->freshness.lifetime_s + e->freshness.stale_if_error_s) {
      ++r.expired;
    } else {
      ++r.ok;
      if (sink) sink(std::move(e));
    }
    ++seen;
    pos += kSnapshotFrameBytes + len;
  }
  if (seen < r.header_entries) {
    if (resynced && pos >= b.size()) {
      // The damage swallowed several frames; they are lost, not the file's tail.
      r.corrupt += r.header_entries - seen;
    } else {
      r.truncated = true;
      r.error = "truncated: " + std::to_string(seen) + " of " + std::to_string(r.header_entries) +
                " entries present";
    }
  }
  if (pos < b.size()) r.trailing_bytes = b.size() - pos;
  return r;
}

SnapshotFileReport read_snapshot_file(const std::string& path, int64_t now_ms,
                                      const SnapshotSink& sink) {
  SnapshotFileReport r;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    r.error = std::string("cannot open: ") + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    r.path = path;
    return r;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* map = size ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : nullptr;
  ::close(fd);
  if (size && map == MAP_FAILED) {
    r.error = std::string("cannot map: ") + std::strerror(errno);
    r.path = path;
    return r;
  }
  r = parse_snapshot({static_cast<const uint8_t*>(map), size}, now_ms, sink);
  if (map) ::munmap(map, size);
  r.path = path;
  return r;
}

namespace {

Result<bool> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(Errc::kSnapshotWrite, std::string("write: ") + std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

Result<bool> fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(Errc::kSnapshotWrite, "open dir " + dir + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return fail(Errc::kSnapshotWrite, "fsync dir: " + std::string(std::strerror(errno)));
  return true;
}

bool parse_name(const std::string& name, int64_t& ms) {
  constexpr std::string_view kPre = "cache-", kSuf = ".snap";
  if (name.size() <= kPre.size() + kSuf.size() || !name.starts_with(kPre) || !name.ends_with(kSuf))
    return false;
  std::string_view digits(name.data() + kPre.size(), name.size() - kPre.size() - kSuf.size());
  if (digits.size() > 18) return false;
  ms = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    ms = ms * 10 + (c - '0');
  }
  return true;
}

}  // namespace

std::vector<SnapshotFile> list_snapshots(const std::string& dir) {
  std::vector<SnapshotFile> out;
  std::error_code ec;
  for (const auto& de : std::filesystem::directory_iterator(dir, ec)) {
    int64_t ms = 0;
    if (parse_name(de.path().filename().string(), ms)) out.push_back({de.path().string(), ms});
  }
  std::sort(out.begin(), out.end(), [](const SnapshotFile& a, const SnapshotFile& b) {
    return a.created_ms > b.created_ms;
  });
  return out;
}

Result<SnapshotWritten> write_snapshot(
    const std::string& dir, const std::vector<std::shared_ptr<const CachedResponse>>& entries,
    int64_t now_ms, size_t keep_files) {
  SnapshotWritten w;
  std::vector<std::shared_ptr<const CachedResponse>> keep;
  for (const auto& e : entries) {
    if (!intact(*e))
      ++w.skipped_corrupt;  // never persist a corrupt entry
    else if (current_age_s(e->freshness, e->stored_at_ms, now_ms) >= e->freshness.lifetime_s)
      ++w.skipped_stale;
    else
      keep.push_back(e);
  }
  // One writer at a time in this process: writers share temp-name and pruning rules.
  static std::mutex writer_mu;
  std::lock_guard writer_lock(writer_mu);
  int64_t ms = now_ms;
  std::error_code ec;
  while (std::filesystem::exists(dir + "/cache-" + std::to_string(ms) + ".snap", ec)) ++ms;
  const std::string final_path = dir + "/cache-" + std::to_string(ms) + ".snap";
  const std::string tmp_path = final_path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(Errc::kSnapshotWrite, "open " + tmp_path + ": " + std::strerror(errno));
  auto cleanup = [&](Error e) {
    ::close(fd);
    ::unlink(tmp_path.c_str());
    return std::unexpected<Error>(std::move(e));
  };
  std::string buf = encode_header(keep.size(), ms);
  for (const auto& e : keep) {
    std::string payload = encode_payload(*e);
    buf += encode_frame(payload);
    buf += payload;
    if (buf.size() >= (1u << 20)) {
      if (auto r = write_all(fd, buf); !r) return cleanup(r.error());
      w.bytes += buf.size();
      buf.clear();
    }
  }
  if (auto r = write_all(fd, buf); !r) return cleanup(r.error());
  w.bytes += buf.size();
  if (::fsync(fd) != 0)
    return cleanup(Error{Errc::kSnapshotWrite, std::string("fsync: ") + std::strerror(errno)});
  ::close(fd);
  if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    ::unlink(tmp_path.c_str());
    return fail(Errc::kSnapshotWrite, "rename: " + std::string(std::strerror(errno)));
  }
  if (auto r = fsync_dir(dir); !r) return std::unexpected<Error>(r.error());
  w.path = final_path;
  w.entries = keep.size();
  // Prune: older snapshots beyond keep_files, and temp files of writers that died mid-way.
  auto files = list_snapshots(dir);
  for (size_t i = std::max<size_t>(keep_files, 1); i < files.size(); ++i)
    if (::unlink(files[i].path.c_str()) == 0) ++w.removed_files;
  for (const auto& de : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = de.path().filename().string();
    if (name.starts_with("cache-") && name.find(".snap.tmp.") != std::string::npos &&
        ::unlink(de.path().c_str()) == 0)
      ++w.removed_files;
  }
  return w;
}

std::vector<SnapshotFileReport> verify_dir(const std::string& dir, int64_t now_ms) {
  std::vector<SnapshotFileReport> out;
  for (const auto& f : list_snapshots(dir)) out.push_back(read_snapshot_file(f.path, now_ms, {}));
  return out;
}

RestoreReport newest_valid(const std::string& dir, int64_t now_ms, const SnapshotSink& sink) {
  RestoreReport rep;
  for (const auto& f : list_snapshots(dir)) {
    std::vector<std::shared_ptr<const CachedResponse>> got;
    SnapshotFileReport r = read_snapshot_file(
        f.path, now_ms,
        [&](std::shared_ptr<const CachedResponse> e) { got.push_back(std::move(e)); });
    if (!r.usable()) {
      rep.skipped.push_back(std::move(r));
      continue;
    }
    if (sink)
      for (auto& e : got) sink(std::move(e));
    rep.chosen = std::move(r);
    break;
  }
  return rep;
}

RestoreReport restore_newest(const std::string& dir, int64_t now_ms, ResponseStore& store) {
  uint64_t inserted = 0;
  RestoreReport rep = newest_valid(dir, now_ms, [&](std::shared_ptr<const CachedResponse> e) {
    if (store.insert(std::move(e)) != InsertStatus::kTooLarge) ++inserted;
  });
  rep.inserted = inserted;
  return rep;
}

}  // namespace x0::cache
