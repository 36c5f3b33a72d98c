// HostSampler: samples the host components on its own thread every collection interval and
// publishes each result as an immutable snapshot. /health on the workers reads the latest
// snapshot (an atomic shared_ptr load): no lock, no procfs, no statvfs on the request path.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "telemetry/host_health.h"

namespace x0::telemetry {

class HostSampler {
 public:
  using Snapshot = std::shared_ptr<const std::vector<Component>>;

  HostSampler(std::unique_ptr<HostProbe> probe, std::chrono::milliseconds interval);
  ~HostSampler();  // stops and joins the thread
  HostSampler(const HostSampler&) = delete;
  HostSampler& operator=(const HostSampler&) = delete;

  // Takes the first sample on the calling thread (so the first /health has every component),
  // then starts the sampling thread. Call once.
  void start();
  void stop();
  // The newest sample; null only before start(). Any thread.
  Snapshot latest() const { return latest_.load(std::memory_order_acquire); }
  uint64_t samples_taken() const { return samples_.load(std::memory_order_relaxed); }

 private:
  void sample_and_publish();
  void run();

  std::unique_ptr<HostProbe> probe_;  // the sampling thread's alone once started
  const std::chrono::milliseconds interval_;
  std::atomic<Snapshot> latest_;
  std::atomic<uint64_t> samples_{0};
  std::mutex mu_;  // guards stopping_ for the condition variable; never taken by readers
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace x0::telemetry
