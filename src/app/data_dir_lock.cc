// The data dir's owner lock (see data_dir_lock.h).
#include "app/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "net/event_loop.h"

namespace x0::app {

Result<DataDirLock> DataDirLock::acquire(const std::string& data_dir, int64_t deadline_ms) {
  DataDirLock lock;
  lock.path_ = (data_dir.empty() ? std::string(".") : data_dir) + "/node.lock";
  lock.fd_.reset(::open(lock.path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock.fd_.valid())
    return fail(Errc::kStoreUnavailable, "cannot open " + lock.path_ + ": " + std::strerror(errno));
  // Polled rather than a blocking flock(): the wait has a deadline.
  while (!lock.try_lock()) {
    if (net::EventLoop::monotonic_ms() >= deadline_ms) {
      char pid[32] = {0};
      ssize_t n = ::pread(lock.fd_.get(), pid, sizeof pid - 1, 0);
      std::string holder = n > 0 ? std::string(pid, static_cast<size_t>(n)) : "unknown";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      return fail(Errc::kConflict, "the data dir is in use: " + lock.path_ + " is held by pid " +
                                       holder +
                                       " (stop that node, or start this one with --takeover)");
    }
    ::usleep(20 * 1000);
  }
  return lock;
}

bool DataDirLock::try_lock() {
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) return false;
  held_ = true;
  // The holder's pid, for the message a second node prints (informative only: the lock is the
  // flock, not the file's content).
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_.get(), 0) == 0) (void)!::pwrite(fd_.get(), pid.data(), pid.size(), 0);
  return true;
}

void DataDirLock::release() {
  if (!held_) return;
  ::flock(fd_.get(), LOCK_UN);
  held_ = false;
}

// Without a lock file (it could not be opened at start) there is nothing to take back.
bool DataDirLock::reacquire() { return held_ || !fd_.valid() || try_lock(); }

}  // namespace x0::app
