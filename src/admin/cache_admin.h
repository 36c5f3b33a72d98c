// The response cache's operator actions: clear, verify, snapshot, restore, snapshot checks and
// warming, plus the status /health and /api/v1/status show. Everything here blocks (disk, or a
// whole-store pass): the HTTP layer (cache_api.h) runs it on the node's cache_io thread, never
// on a worker. Warming runs on a thread of its own, owned and joined by CacheAdmin: it resolves
// the data listener, then runs an event loop of its own on which the warm GETs are http::Client
// exchanges, one at a time (cache_warmer.h).
//
// Thread safety: every method may be called from any thread; the "last_*" results and the warm
// progress are guarded by one mutex, the store is thread-safe itself.
//
// restore() with no usable snapshot is not an error: it answers {"restored": false, "reason"}
// (HTTP 200), so a script can run it on a fresh node and test `.restored` without a failing exit.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "admin/cache_warmer.h"
#include "common/result.h"
#include "net/event_loop.h"

namespace x0::cache {
class ResponseStore;
class CacheMetrics;
}  // namespace x0::cache

namespace x0::admin {

struct CacheAdminOptions {
  std::string snapshot_dir;  // cache-<unix_ms>.snap files; created when missing
  size_t keep_files = 3;     // newest snapshots kept by snapshot()
  std::string data_listener;  // "127.0.0.1:8080": warm GETs go through the node's own proxy
  std::vector<std::string> preload_urls;  // warmed when start_warm() gets an empty list
  int warm_timeout_ms = 5000;             // per warm request
};

class CacheAdmin {
 public:
  using json = nlohmann::json;

  // metrics: where hit_rate and the warming gauges live (the node's default set unless a test
  // passes its own). store and metrics must outlive this object.
  CacheAdmin(cache::ResponseStore& store, CacheAdminOptions options,
             cache::CacheMetrics* metrics = nullptr);
  ~CacheAdmin();  // stops a warm in progress (between two URLs) and joins its thread
  CacheAdmin(const CacheAdmin&) = delete;
  CacheAdmin& operator=(const CacheAdmin&) = delete;

  // Empty prefix: everything. Otherwise entries whose target starts with prefix, any host.
  // {"cleared": n, "prefix": prefix}
  json clear(std::string_view prefix);
  // Recomputes every checksum, drops mismatches. {"checked", "corrupt", "dropped", "entries"}
  json verify();
  // Writes the fresh, intact entries to snapshot_dir. {"path", "entries", "bytes",
  // "skipped_corrupt", "skipped_stale", "removed_files", "duration_ms"}; error code
  // "snapshot_write" (detail carries the errno text).
  Result<json> snapshot(int64_t now_unix_ms);
  // Adds the newest usable snapshot's entries to the store (same-key variants are replaced; the
  // store is not cleared first). {"restored": true, "dir", "file": {file report}, "inserted",
  // "ok", "corrupt", "corrupt_entries", "expired", "skipped": [{"path","created_ms","error"}],
  // "duration_ms"}; or {"restored": false, "reason", "dir", "skipped"}.
  json restore(int64_t now_unix_ms);
  // Every snapshot file, newest first, fully read. {"dir", "ok": bool, "files": [{"path",
  // "created_ms", "entries", "ok", "corrupt", "corrupt_entries": [{"index","offset","reason",
  // "key"}], "expired", "truncated", "trailing_bytes", "usable", "error"}]}. "ok" is false when
  // a file is unusable or holds corrupt entries; no files at all is ok.
  json verify_snapshots(int64_t now_unix_ms);
  // Starts warming on its own thread; empty urls = preload_urls. {"started": true, "urls": n}.
  // Errors: "bad_request" (no URLs, or one that parse_warm_url refuses), "conflict" (a warm is
  // already running), "bad_request" for a data_listener that is not host:port. A listener name
  // that does not resolve fails every URL of the warm (resolved on the warm thread).
  Result<json> start_warm(std::vector<std::string> urls);
  // {"enabled": true, "entries", "bytes", "capacity", "max_bytes", "hit_rate", "hits", "misses",
  //  "evictions", "stale_served", "corrupt", "snapshot_dir", "last_snapshot", "last_restore",
  //  "last_verify", "last_snapshot_verify", "warming": {"in_progress", "done", "total", "ok",
  //  "failed", "last_error", "results"}, "degraded": [reasons]}
  json status() const;
  // Reasons the cache counts as degraded in /health: the last snapshot or restore failed, the
  // last verify() or verify_snapshots() found corruption. Empty = healthy. Each reason clears
  // when the same operation next succeeds cleanly.
  std::vector<std::string> degraded_reasons() const;
  bool warming() const { return warm_running_.load(); }
  const CacheAdminOptions& options() const { return options_; }

 private:
  struct WarmState {
    size_t done = 0, total = 0, ok = 0, failed = 0;
    std::string last_error;
    json results = json::array();  // the first kMaxWarmResults outcomes of the last warm
    int64_t started_at_unix_ms = 0, finished_at_unix_ms = 0;
  };
  // The warm thread's body: resolve, then fetch the targets one after the other on `loop`.
  void warm_loop(std::vector<std::string> urls, std::vector<WarmTarget> targets,
                 net::EventLoop& loop);
  void record_warm(const std::string& url, const Result<WarmFetch>& r, size_t total);

  cache::ResponseStore& store_;
  CacheAdminOptions options_;
  cache::CacheMetrics* metrics_;

  mutable std::mutex mu_;  // guards the last_* fields and warm_
  json last_snapshot_, last_restore_, last_verify_, last_snapshot_verify_;  // null until run
  std::string snapshot_error_, restore_error_;
  uint64_t verify_corrupt_ = 0, snapshot_verify_bad_ = 0;
  WarmState warm_;

  std::mutex warm_thread_mu_;  // start_warm and the destructor
  std::unique_ptr<net::EventLoop> warm_loop_;  // the running warm's loop; replaced after a join
  std::thread warm_thread_;
  std::atomic<bool> warm_running_{false};
  std::atomic<bool> stop_{false};
};

}  // namespace x0::admin
