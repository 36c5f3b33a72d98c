// The node's response cache: the store all workers share, the thread that does its disk work
// (snapshots, restores, verification: never a worker, never the control thread that runs the
// autopilot), the start-up restore (enable_preloading), periodic snapshots and the last snapshot
// at shutdown. Off when [cache] enabled = false: store() is then null.
#pragma once

#include <memory>

#include "admin/control_thread.h"
#include "admin/node_state.h"
#include "app/loop_pause.h"
#include "cache/response_store.h"
#include "config/config.h"

namespace x0::admin {
class CacheAdmin;
}

namespace x0::app {

class NodeCache {
 public:
  NodeCache();
  ~NodeCache();
  // Builds the store and starts the disk thread; fills the node state's cache fields. Starts
  // the snapshot restore when enable_preloading (state.cache.restore_done is false until done).
  void start(const config::Config& config, admin::NodeState& state);
  // After the listeners are up: warms preload_urls when enable_preloading.
  void warm_preload_list();
  // At drain: a last snapshot when snapshots are in use (preloading or periodic), then stop.
  void stop();
  cache::ResponseStore* store() { return store_.get(); }
  // Restart hand-over (app/takeover.h): a last snapshot on the disk thread (when snapshots are
  // in use), so the new process restores what this one holds; then the thread is held until
  // resume_disk() or, after a hand-over, for good (stop() then writes nothing and joins nothing:
  // the directory is the new process's). False: not held by the monotonic deadline.
  bool hold_disk(int64_t deadline_ms);
  void resume_disk();
  void park_disk_for_good();

 private:
  void schedule_snapshot();
  void write_snapshot(const char* why);

  config::Cache config_;
  std::unique_ptr<cache::ResponseStore> store_;
  admin::ControlThread io_;
  std::unique_ptr<admin::CacheAdmin> admin_;
  bool preloading_ = false;
  LoopPause disk_pause_;
};

}  // namespace x0::app
