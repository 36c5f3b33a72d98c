// The node's response cache (see node_cache.h).
#include "app/node_cache.h"

#include <chrono>

#include "admin/cache_admin.h"
#include "cache/cache_metrics.h"
#include "common/clock.h"
#include "common/log.h"

namespace x0::app {
NodeCache::NodeCache() = default;

NodeCache::~NodeCache() {
  io_.stop();
  admin_.reset();  // joins a warm in progress
}

void NodeCache::start(const config::Config& config, admin::NodeState& state) {
  config_ = config.cache;
  (void)cache::default_cache_metrics();  // the series exist (at zero) even with the cache off
  if (!config_.enabled) {
    log::info("CACHE", "response cache disabled ([cache] enabled = false)");
    return;
  }
  cache::StoreConfig store_config;
  store_config.capacity = static_cast<size_t>(config_.capacity);
  store_config.max_bytes = static_cast<size_t>(config_.max_bytes);
  store_config.shard_count = static_cast<size_t>(config_.shard_count);
  store_config.verify_sample_rate = config_.verify_sample_rate;
  store_ = std::make_unique<cache::ResponseStore>(store_config, &cache::default_cache_metrics());

  admin::CacheAdminOptions options;
  options.snapshot_dir = config_.backing_file;  // resolved to node.data_dir when empty
  options.keep_files = static_cast<size_t>(config_.snapshot_keep);
  options.data_listener = config.listeners.data;
  options.preload_urls = config_.preload_urls;
  admin_ = std::make_unique<admin::CacheAdmin>(*store_, options);
  // Armed before the disk thread starts: once its loop runs, only that thread touches its timers
  // (the timer re-arms itself there).
  if (config_.snapshot_interval_s > 0) schedule_snapshot();
  io_.start();
  state.cache.store = store_.get();
  state.cache.admin = admin_.get();
  state.cache.io = &io_;

  preloading_ = config_.enable_preloading;
  if (preloading_) {
    state.cache.restore_done.store(false);
    admin::NodeState* node = &state;
    io_.post([this, node] {
      auto report = admin_->restore(unix_ms());
      log::info("CACHE", "start-up restore finished", {{"report", report.dump()}});
      node->cache.restore_done.store(true);
    });
  }
}

void NodeCache::warm_preload_list() {
  if (!admin_ || !preloading_ || config_.preload_urls.empty()) return;
  auto started = admin_->start_warm(config_.preload_urls);
  if (!started) {
    log::warn("CACHE", "cannot warm the preload list", {{"detail", started.error().detail}});
  }
}

void NodeCache::schedule_snapshot() {
  io_.loop().add_timer(static_cast<int64_t>(config_.snapshot_interval_s) * 1000, [this] {
    write_snapshot("periodic");
    schedule_snapshot();
  });
}

// On the disk thread (or at shutdown, after it stopped).
void NodeCache::write_snapshot(const char* why) {
  auto written = admin_->snapshot(unix_ms());
  if (!written) {
    log::error("CACHE", "snapshot failed", {{"reason", why}, {"detail", written.error().detail}});
  }
}

bool NodeCache::hold_disk(int64_t deadline_ms) {
  if (!admin_) return true;  // no cache, no disk thread, no snapshot
  bool snapshots = preloading_ || config_.snapshot_interval_s > 0;
  return disk_pause_.hold([this](std::function<void()> fn) { io_.post(std::move(fn)); },
                          deadline_ms,
                          [this, snapshots] {
                            if (snapshots) write_snapshot("takeover");
                          });
}

void NodeCache::resume_disk() { disk_pause_.resume(); }

void NodeCache::park_disk_for_good() { disk_pause_.park_for_good(); }

void NodeCache::stop() {
  if (!admin_ || disk_pause_.parked_for_good()) return;
  io_.stop();  // finishes the operation in progress; nothing else writes snapshots after this
  if (preloading_ || config_.snapshot_interval_s > 0) write_snapshot("shutdown");
}

}  // namespace x0::app
