// The response cache's operator actions (see cache_admin.h).
#include "admin/cache_admin.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <system_error>

#include "cache/cache_metrics.h"
#include "cache/response_store.h"
#include "cache/snapshot.h"
#include "common/clock.h"
#include "common/log.h"

namespace x0::admin {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxWarmResults = 100;

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

json corrupt_json(const std::vector<cache::CorruptEntry>& entries) {
  json out = json::array();
  for (const auto& c : entries) {
    out.push_back({{"index", c.index}, {"offset", c.offset}, {"reason", c.reason},
                   {"key", c.key_unverified}});
  }
  return out;
}

json file_json(const cache::SnapshotFileReport& r) {
  return {{"path", r.path},
          {"created_ms", r.created_ms},
          {"entries", r.header_entries},
          {"ok", r.ok},
          {"corrupt", r.corrupt},
          {"corrupt_entries", corrupt_json(r.corrupt_entries)},
          {"expired", r.expired},
          {"truncated", r.truncated},
          {"trailing_bytes", r.trailing_bytes},
          {"usable", r.usable()},
          {"error", r.error}};
}

json skipped_json(const std::vector<cache::SnapshotFileReport>& skipped) {
  json out = json::array();
  for (const auto& s : skipped) {
    out.push_back({{"path", s.path}, {"created_ms", s.created_ms}, {"error", s.error}});
  }
  return out;
}

}  // namespace

CacheAdmin::CacheAdmin(cache::ResponseStore& store, CacheAdminOptions options,
                       cache::CacheMetrics* metrics)
    : store_(store),
      options_(std::move(options)),
      metrics_(metrics != nullptr ? metrics : &cache::default_cache_metrics()) {}

CacheAdmin::~CacheAdmin() {
  stop_.store(true);
  std::lock_guard lock(warm_thread_mu_);
  if (warm_loop_) warm_loop_->stop();  // thread-safe; an exchange in flight is dropped
  if (warm_thread_.joinable()) warm_thread_.join();
}

json CacheAdmin::clear(std::string_view prefix) {
  size_t n = prefix.empty() ? store_.clear() : store_.erase_prefix(prefix);
  log::info("CACHE", "cache cleared", {{"prefix", prefix}, {"cleared", n}});
  return {{"cleared", n}, {"prefix", prefix}};
}

json CacheAdmin::verify() {
  cache::VerifyReport r = store_.verify_all();
  uint64_t entries = store_.stats().entries;
  log::info("CACHE", "cache verified", {{"checked", r.checked}, {"corrupt", r.corrupt}});
  json out = {{"checked", r.checked}, {"corrupt", r.corrupt}, {"dropped", r.corrupt},
              {"entries", entries}};
  std::lock_guard lock(mu_);
  verify_corrupt_ = r.corrupt;
  last_verify_ = out;
  last_verify_["at_unix_ms"] = unix_ms();
  return out;
}

Result<json> CacheAdmin::snapshot(int64_t now_unix_ms) {
  int64_t started = steady_ms();
  std::error_code ec;
  std::filesystem::create_directories(options_.snapshot_dir, ec);
  Result<cache::SnapshotWritten> written =
      ec ? Result<cache::SnapshotWritten>(
               fail(Errc::kSnapshotWrite, "create " + options_.snapshot_dir + ": " + ec.message()))
         : cache::write_snapshot(options_.snapshot_dir, store_.entries(), now_unix_ms,
                                 options_.keep_files);
  std::lock_guard lock(mu_);
  if (!written) {
    snapshot_error_ = written.error().detail;
    last_snapshot_ = {{"path", nullptr}, {"entries", 0}, {"at_unix_ms", now_unix_ms},
                      {"error", snapshot_error_}};
    log::error("CACHE", "cache snapshot failed", {{"detail", snapshot_error_}});
    return std::unexpected(written.error());
  }
  int64_t duration = steady_ms() - started;
  json out = {{"path", written->path},
              {"entries", written->entries},
              {"bytes", written->bytes},
              {"skipped_corrupt", written->skipped_corrupt},
              {"skipped_stale", written->skipped_stale},
              {"removed_files", written->removed_files},
              {"duration_ms", duration}};
  snapshot_error_.clear();
  last_snapshot_ = {{"path", written->path}, {"entries", written->entries},
                    {"at_unix_ms", now_unix_ms}, {"error", nullptr}};
  log::info("CACHE", "cache snapshot written",
            {{"path", written->path}, {"entries", written->entries}, {"bytes", written->bytes},
             {"skipped_corrupt", written->skipped_corrupt}, {"removed_files", written->removed_files},
             {"duration_ms", duration}});
  return out;
}

json CacheAdmin::restore(int64_t now_unix_ms) {
  int64_t started = steady_ms();
  cache::RestoreReport r = cache::restore_newest(options_.snapshot_dir, now_unix_ms, store_);
  int64_t duration = steady_ms() - started;
  json out;
  std::string problem;
  if (!r.chosen) {
    std::string reason = r.skipped.empty()
                             ? "no snapshot files in " + options_.snapshot_dir
                             : "no usable snapshot: " + std::to_string(r.skipped.size()) +
                                   " file(s) in " + options_.snapshot_dir + ", none usable";
    out = {{"restored", false}, {"reason", reason}, {"dir", options_.snapshot_dir},
           {"skipped", skipped_json(r.skipped)}, {"duration_ms", duration}};
    if (!r.skipped.empty()) problem = reason;
    log::info("CACHE", "cache restore: nothing restored",
              {{"reason", reason}, {"skipped_files", r.skipped.size()}});
  } else {
    const auto& f = *r.chosen;
    out = {{"restored", true},
           {"dir", options_.snapshot_dir},
           {"file", f.path},
           {"created_ms", f.created_ms},
           {"inserted", r.inserted},
           {"ok", f.ok},
           {"corrupt", f.corrupt},
           {"corrupt_entries", corrupt_json(f.corrupt_entries)},
           {"expired", f.expired},
           {"skipped", skipped_json(r.skipped)},
           {"duration_ms", duration}};
    if (f.corrupt > 0) problem = std::to_string(f.corrupt) + " corrupt entries in " + f.path;
    if (!r.skipped.empty()) {
      if (!problem.empty()) problem += "; ";
      problem += std::to_string(r.skipped.size()) + " newer snapshot file(s) unusable";
    }
    log::info("CACHE", "cache restored",
              {{"file", f.path}, {"inserted", r.inserted}, {"corrupt", f.corrupt},
               {"expired", f.expired}, {"skipped_files", r.skipped.size()}});
  }
  std::lock_guard lock(mu_);
  restore_error_ = problem;
  last_restore_ = {{"restored", out["restored"]},
                   {"path", r.chosen ? json(r.chosen->path) : json(nullptr)},
                   {"inserted", r.inserted},
                   {"corrupt", r.chosen ? r.chosen->corrupt : 0},
                   {"expired", r.chosen ? r.chosen->expired : 0},
                   {"skipped_files", r.skipped.size()},
                   {"at_unix_ms", now_unix_ms},
                   {"error", problem.empty() ? json(nullptr) : json(problem)}};
  return out;
}

json CacheAdmin::verify_snapshots(int64_t now_unix_ms) {
  std::vector<cache::SnapshotFileReport> reports = cache::verify_dir(options_.snapshot_dir, now_unix_ms);
  json files = json::array();
  uint64_t bad = 0, corrupt = 0;
  for (const auto& r : reports) {
    files.push_back(file_json(r));
    if (!r.usable() || r.corrupt > 0) ++bad;
    corrupt += r.corrupt;
  }
  log::info("CACHE", "cache snapshots verified",
            {{"files", reports.size()}, {"bad_files", bad}, {"corrupt_entries", corrupt}});
  std::lock_guard lock(mu_);
  snapshot_verify_bad_ = bad;
  // The damaged files a restore complained about are gone or were replaced: stop flagging it.
  if (bad == 0) restore_error_.clear();
  last_snapshot_verify_ = {{"files", reports.size()}, {"bad_files", bad},
                           {"corrupt_entries", corrupt}, {"at_unix_ms", now_unix_ms}};
  return {{"dir", options_.snapshot_dir}, {"ok", bad == 0}, {"files", files}};
}

std::vector<std::string> CacheAdmin::degraded_reasons() const {
  std::vector<std::string> out;
  std::lock_guard lock(mu_);
  if (!snapshot_error_.empty()) out.push_back("last snapshot failed: " + snapshot_error_);
  if (!restore_error_.empty()) out.push_back("last restore: " + restore_error_);
  if (verify_corrupt_ > 0) {
    out.push_back("last verify dropped " + std::to_string(verify_corrupt_) + " corrupt entries");
  }
  if (snapshot_verify_bad_ > 0) {
    out.push_back("last snapshot check found " + std::to_string(snapshot_verify_bad_) +
                  " damaged file(s)");
  }
  return out;
}

json CacheAdmin::status() const {
  cache::StoreStats s = store_.stats();
  const auto& cfg = store_.config();
  json out = {{"enabled", true},
              {"entries", s.entries},
              {"bytes", s.bytes},
              {"capacity", cfg.capacity},
              {"max_bytes", cfg.max_bytes},
              {"hit_rate", metrics_->hit_rate()},
              {"hits", s.hits},
              {"misses", s.misses},
              {"evictions", s.evictions},
              {"stale_served", s.stale_served},
              {"corrupt", s.corrupt},
              {"snapshot_dir", options_.snapshot_dir}};
  out["degraded"] = degraded_reasons();
  std::lock_guard lock(mu_);
  out["last_snapshot"] = last_snapshot_;
  out["last_restore"] = last_restore_;
  out["last_verify"] = last_verify_;
  out["last_snapshot_verify"] = last_snapshot_verify_;
  out["warming"] = {{"in_progress", warm_running_.load()},
                    {"done", warm_.done},
                    {"total", warm_.total},
                    {"ok", warm_.ok},
                    {"failed", warm_.failed},
                    {"last_error", warm_.last_error.empty() ? json(nullptr) : json(warm_.last_error)},
                    {"started_at_unix_ms", warm_.started_at_unix_ms},
                    {"finished_at_unix_ms", warm_.finished_at_unix_ms},
                    {"results", warm_.results}};
  return out;
}

Result<json> CacheAdmin::start_warm(std::vector<std::string> urls) {
  if (urls.empty()) urls = options_.preload_urls;
  if (urls.empty()) {
    return fail(
        Errc::kBadRequest,
        "no URLs to warm: send a JSON array or {\"urls\": [...]}, or set [cache] preload_urls");
  }
  std::vector<WarmTarget> targets;
  for (const auto& url : urls) {
    auto t = parse_warm_url(url);
    if (!t) return std::unexpected(t.error());
    targets.push_back(std::move(*t));
  }
  // Syntax only here: the name lookup blocks, so the warm thread does it.
  if (auto listener = parse_listener(options_.data_listener); !listener) {
    return fail(Errc::kBadRequest, "cannot reach the data listener '" + options_.data_listener +
                                       "': " + listener.error().detail);
  }
  std::lock_guard thread_lock(warm_thread_mu_);
  if (stop_.load()) return fail(Errc::kConflict, "shutting down");
  if (warm_running_.load()) {
    std::lock_guard lock(mu_);
    return fail(Errc::kConflict, "a warm is already running (" + std::to_string(warm_.done) +
                                     " of " + std::to_string(warm_.total) + " done)");
  }
  if (warm_thread_.joinable()) warm_thread_.join();  // the previous warm has finished
  size_t n = urls.size();
  {
    std::lock_guard lock(mu_);
    warm_ = WarmState{};
    warm_.total = n;
    warm_.started_at_unix_ms = unix_ms();
  }
  warm_running_.store(true);
  metrics_->warming_in_progress().set(1);
  metrics_->warming_progress().set(0);
  log::info("CACHE", "cache warm started", {{"urls", n}, {"via", options_.data_listener}});
  warm_loop_ = std::make_unique<net::EventLoop>();
  warm_thread_ = std::thread(&CacheAdmin::warm_loop, this, std::move(urls), std::move(targets),
                             std::ref(*warm_loop_));
  return json{{"started", true}, {"urls", n}};
}

// On the warm thread. One request at a time: warming must not compete with live traffic.
void CacheAdmin::warm_loop(std::vector<std::string> urls, std::vector<WarmTarget> targets,
                           net::EventLoop& loop) {
  size_t total = urls.size();
  auto listener = resolve_listener(options_.data_listener);
  if (!listener) {
    Result<WarmFetch> failed =
        fail(Errc::kWarmFailed, "cannot resolve the data listener '" + options_.data_listener +
                                    "': " + listener.error().detail);
    for (size_t i = 0; i < total && !stop_.load(); ++i) record_warm(urls[i], failed, total);
  } else {
    http::Client client(loop);
    size_t i = 0;
    // Each completion (deferred by the client, on this loop) records and starts the next GET.
    std::function<void()> next = [&] {
      if (i >= total || stop_.load()) return loop.stop();
      warm_fetch(client, *listener, targets[i], options_.warm_timeout_ms,
                 [&](Result<WarmFetch> r) {
                   record_warm(urls[i], r, total);
                   ++i;
                   next();
                 });
    };
    loop.post(next);
    loop.run();  // until the list is done or the destructor stops it
  }
  size_t done = 0, ok = 0, failed = 0;
  {
    std::lock_guard lock(mu_);
    warm_.finished_at_unix_ms = unix_ms();
    done = warm_.done;
    ok = warm_.ok;
    failed = warm_.failed;
  }
  metrics_->warming_in_progress().set(0);
  warm_running_.store(false);
  log::info("CACHE", done == total ? "cache warm finished" : "cache warm stopped",
            {{"done", done}, {"total", total}, {"ok", ok}, {"failed", failed}});
}

void CacheAdmin::record_warm(const std::string& url, const Result<WarmFetch>& r, size_t total) {
  bool ok = r && r->status >= 200 && r->status < 400;
  std::string error = !r ? r.error().detail
                      : ok ? std::string()
                           : "answered " + std::to_string(r->status);
  std::lock_guard lock(mu_);
  ++warm_.done;
  ++(ok ? warm_.ok : warm_.failed);
  if (!ok) warm_.last_error = url + ": " + error;
  if (warm_.results.size() < kMaxWarmResults) {
    warm_.results.push_back({{"url", url},
                             {"status", r ? json(r->status) : json(nullptr)},
                             {"x_cache", r ? json(r->x_cache) : json(nullptr)},
                             {"error", ok ? json(nullptr) : json(error)}});
  }
  metrics_->warming_progress().set(static_cast<double>(warm_.done) / static_cast<double>(total));
}

}  // namespace x0::admin
