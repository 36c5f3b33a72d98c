// HostSampler: the first snapshot exists as soon as start() returns, later ones replace it from
// the sampler's thread, and readers never see a partial one.
#include "telemetry/host_sampler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace x0::telemetry {
namespace {

const std::string kFixtures = X0_TELEMETRY_FIXTURES;

std::unique_ptr<HostProbe> busy_host_probe() {
  HostProbeOptions o;
  o.proc_root = kFixtures + "/busy_host/proc";
  o.sys_root = kFixtures + "/busy_host/sys";
  o.dev_root = kFixtures + "/busy_host/dev";
  o.disk_space = [](const std::string&) { return DiskSpace{1000, 500, 500}; };
  return std::make_unique<HostProbe>("/data", HostThresholds{}, false, o);
}

std::vector<std::string> names(const HostSampler::Snapshot& s) {
  std::vector<std::string> out;
  for (const auto& c : *s) out.push_back(c.name);
  return out;
}

TEST(HostSampler, FirstSnapshotIsTakenByStart) {
  HostSampler sampler(busy_host_probe(), std::chrono::hours(1));
  EXPECT_EQ(sampler.latest(), nullptr);
  sampler.start();
  auto first = sampler.latest();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(names(first),
            (std::vector<std::string>{"memory", "cpu", "disk", "network", "dpdk", "gpu"}));
  EXPECT_EQ(sampler.samples_taken(), 1u);
  sampler.stop();  // wakes the thread from its hour-long wait
  sampler.stop();
}

TEST(HostSampler, PublishesNewSnapshotsFromItsThread) {
  HostSampler sampler(busy_host_probe(), std::chrono::milliseconds(5));
  sampler.start();
  auto first = sampler.latest();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (sampler.samples_taken() < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_GE(sampler.samples_taken(), 3u);
  auto later = sampler.latest();
  EXPECT_NE(later, first);
  EXPECT_EQ(later->size(), 6u);
  EXPECT_EQ(first->size(), 6u);  // a reader's snapshot stays whole after it was replaced
}

}  // namespace
}  // namespace x0::telemetry
