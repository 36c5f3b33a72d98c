// HostSampler (see host_sampler.h): one thread, one HostProbe, one snapshot per interval.
#include "telemetry/host_sampler.h"

#include <algorithm>

namespace x0::telemetry {

HostSampler::HostSampler(std::unique_ptr<HostProbe> probe, std::chrono::milliseconds interval)
    : probe_(std::move(probe)), interval_(std::max(interval, std::chrono::milliseconds(1))) {}

HostSampler::~HostSampler() { stop(); }

void HostSampler::start() {
  sample_and_publish();
  thread_ = std::thread([this] { run(); });
}

void HostSampler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HostSampler::sample_and_publish() {
  latest_.store(std::make_shared<const std::vector<Component>>(probe_->sample()),
                std::memory_order_release);
  samples_.fetch_add(1, std::memory_order_relaxed);
}

void HostSampler::run() {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();  // sample without the lock: stop() must not wait behind a slow statvfs
    sample_and_publish();
    lock.lock();
  }
}

}  // namespace x0::telemetry
