// One process owns a node's data dir at a time: <data_dir>/node.lock, held with flock() for as
// long as the process may write there (the incident store, releases.json, the cache snapshots,
// the start log). A second node on the same directory waits for the lock, then fails clearly
// with the holder's pid; a restart hand-over (app/takeover.h) releases it in the old process
// before the new one takes it. The kernel drops the lock when the holder dies, even by kill -9.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "common/result.h"
#include "net/socket.h"

namespace x0::app {

class DataDirLock {
 public:
  DataDirLock() = default;
  // Takes the lock, waiting until the monotonic deadline (kConflict: still held then, with the
  // holder's pid in the detail; kStoreUnavailable: the file cannot be opened).
  static Result<DataDirLock> acquire(const std::string& data_dir, int64_t deadline_ms);
  // Gives the lock up but keeps the file open, so reacquire() can take it back without a path
  // lookup (a hand-over that failed).
  void release();
  // One non-blocking try (false: another process holds it); true without a lock file.
  bool reacquire();
  bool held() const { return held_; }
  const std::string& path() const { return path_; }

 private:
  bool try_lock();
  std::string path_;
  net::Fd fd_;
  bool held_ = false;
};

}  // namespace x0::app
