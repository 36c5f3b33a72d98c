// HostProbe against fixture /proc and /sys trees (healthy, stressed cgroup v2, cgroup v1, a host
// kept busy by other processes) so each threshold is exercised, and against this machine for
// sane real values. The cpu window runs on a fake clock.
#include "telemetry/host_health.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace x0::telemetry {
namespace {

namespace fs = std::filesystem;
const std::string kFixtures = X0_TELEMETRY_FIXTURES;

HostProbeOptions fixture(const std::string& name) {
  HostProbeOptions o;
  o.proc_root = kFixtures + "/" + name + "/proc";
  o.sys_root = kFixtures + "/" + name + "/sys";
  o.dev_root = kFixtures + "/" + name + "/dev";
  o.disk_space = [](const std::string&) { return DiskSpace{1000, 500, 500}; };
  return o;
}

const Component& find(const std::vector<Component>& cs, const std::string& name) {
  for (const auto& c : cs)
    if (c.name == name) return c;
  throw std::runtime_error("missing component " + name);
}

std::vector<std::string> names(const std::vector<Component>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.name);
  return out;
}

const std::vector<std::string> kOrder = {"memory", "cpu", "disk", "network", "dpdk", "gpu"};

TEST(Status, Spelling) {
  EXPECT_EQ(to_string(Status::kHealthy), "healthy");
  EXPECT_EQ(to_string(Status::kDegraded), "degraded");
  EXPECT_EQ(to_string(Status::kUnhealthy), "unhealthy");
  EXPECT_EQ(worst(Status::kDegraded, Status::kUnhealthy), Status::kUnhealthy);
}

TEST(HostProbe, HealthyFixture) {
  HostProbe p("/data", {}, /*dpdk_enabled=*/true, fixture("healthy"));
  auto cs = p.sample();
  ASSERT_EQ(names(cs), kOrder);
  for (const auto& c : cs) EXPECT_EQ(c.status, Status::kHealthy) << c.name << c.details.dump();
  const auto& mem = find(cs, "memory").details;
  EXPECT_EQ(mem["source"], "meminfo");
  EXPECT_EQ(mem["limit_bytes"], 8388608ull * 1024);
  EXPECT_DOUBLE_EQ(mem["used_ratio"].get<double>(), 0.25);
  EXPECT_EQ(find(cs, "memory").used_ratio, 0.25) << "the same number, typed";
  EXPECT_EQ(mem["rss_bytes"], 102400ull * 1024);
  const auto& cpu = find(cs, "cpu").details;
  EXPECT_EQ(cpu["cores"], 4);
  EXPECT_EQ(cpu["window"], "warming up");  // no number since boot
  EXPECT_FALSE(cpu.contains("busy_ratio"));
  EXPECT_FALSE(find(cs, "cpu").used_ratio.has_value()) << "warming up: no number";
  EXPECT_FALSE(cpu.contains("host_busy_ratio"));
  EXPECT_DOUBLE_EQ(cpu["load1"].get<double>(), 0.5);
  const auto& disk = find(cs, "disk").details;
  EXPECT_EQ(disk["path"], "/data");
  EXPECT_DOUBLE_EQ(disk["used_ratio"].get<double>(), 0.5);
  EXPECT_EQ(find(cs, "disk").used_ratio, 0.5);
  EXPECT_FALSE(find(cs, "network").used_ratio.has_value());
  const auto& net = find(cs, "network").details;
  EXPECT_EQ(net["interfaces_up"], 1);
  ASSERT_EQ(net["interfaces"].size(), 2u);
  EXPECT_EQ(net["interfaces"][1]["name"], "eth0");
  EXPECT_EQ(net["interfaces"][1]["rx_drops"], 2);
  EXPECT_EQ(net["interfaces"][1]["tx_errors"], 3);
  EXPECT_EQ(net["interfaces"][0]["up"], true);  // lo: operstate unknown but IFF_UP
  const auto& dpdk = find(cs, "dpdk").details;
  EXPECT_EQ(dpdk["hugepages_total"], 512);
  EXPECT_EQ(dpdk["hugepages_free"], 500);
  EXPECT_EQ(dpdk["uio"], true);
  const auto& gpu = find(cs, "gpu").details;
  EXPECT_EQ(gpu["present"], true);
  EXPECT_EQ(gpu["devices"].size(), 2u);
}

TEST(HostProbe, StressedFixtureCgroupV2) {
  HostProbe p("/data", {}, /*dpdk_enabled=*/true, fixture("stressed"));
  auto cs = p.sample();
  ASSERT_EQ(names(cs), kOrder);
  const auto& mem = find(cs, "memory");
  EXPECT_EQ(mem.status, Status::kUnhealthy);
  EXPECT_EQ(mem.details["source"], "cgroup");
  EXPECT_EQ(mem.details["limit_bytes"], 3221225472ull);
  EXPECT_EQ(mem.details["used_bytes"], 3120562176ull - 20971520ull);  // minus inactive_file
  EXPECT_EQ(mem.details["reasons"].size(), 2u);                       // ratio and RSS > 2.4 GB
  const auto& cpu = find(cs, "cpu");  // 97% busy since boot: not graded, warming up
  EXPECT_EQ(cpu.status, Status::kHealthy);
  EXPECT_EQ(cpu.details["window"], "warming up");
  EXPECT_EQ(cpu.details["cores"], 2);
  EXPECT_DOUBLE_EQ(cpu.details["cores_available"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(cpu.details["cgroup_quota_cores"].get<double>(), 1.0);
  const auto& net = find(cs, "network");
  EXPECT_EQ(net.status, Status::kDegraded);
  EXPECT_EQ(net.details["interfaces_up"], 0);
  const auto& dpdk = find(cs, "dpdk");
  EXPECT_EQ(dpdk.status, Status::kDegraded);
  EXPECT_EQ(dpdk.details["reason"], "DPDK not available, using kernel networking");
  const auto& gpu = find(cs, "gpu");
  EXPECT_EQ(gpu.status, Status::kHealthy);
  EXPECT_EQ(gpu.details["present"], false);
  EXPECT_EQ(gpu.details["reason"], "not present");
}

TEST(HostProbe, CgroupV1Fallback) {
  HostProbe p("/data", {}, false, fixture("cgroup_v1"));
  const Component mem = p.memory();
  EXPECT_EQ(mem.status, Status::kDegraded);
  EXPECT_EQ(mem.details["source"], "cgroup");
  EXPECT_NEAR(mem.details["used_ratio"].get<double>(), 0.85, 1e-6);
  const Component cpu = p.cpu();
  EXPECT_DOUBLE_EQ(cpu.details["cgroup_quota_cores"].get<double>(), 2.0);
  const Component dpdk = p.dpdk();
  EXPECT_EQ(dpdk.status, Status::kHealthy);
  EXPECT_EQ(dpdk.details["reason"], "disabled");
}

TEST(HostProbe, ThresholdsAreConfigurable) {
  HostThresholds t;
  t.memory_degraded_ratio = 0.2;  // healthy fixture is at 0.25
  HostProbe p("/data", t, false, fixture("healthy"));
  EXPECT_EQ(p.memory().status, Status::kDegraded);
}

TEST(HostProbe, DiskThresholds) {
  auto with_disk = [](uint64_t used, uint64_t free) {
    HostProbeOptions o = fixture("healthy");
    o.disk_space = [=](const std::string&) { return DiskSpace{used + free, free, used}; };
    return HostProbe("/data", {}, false, o).disk();
  };
  EXPECT_EQ(with_disk(89, 11).status, Status::kHealthy);
  EXPECT_EQ(with_disk(91, 9).status, Status::kDegraded);
  EXPECT_EQ(with_disk(96, 4).status, Status::kUnhealthy);
  HostProbeOptions o = fixture("healthy");
  o.disk_space = [](const std::string&) { return std::optional<DiskSpace>(); };
  EXPECT_EQ(HostProbe("/data", {}, false, o).disk().status, Status::kDegraded);
}

// Copies a fixture to a scratch dir so a test can change files between samples, and drives the
// probe's clock.
struct ScratchHost {
  fs::path root;
  int64_t now_ms = 1'000'000;
  explicit ScratchHost(const std::string& name) {
    root = fs::temp_directory_path() / ("x0_tel_" + std::to_string(getpid()) + "_" + name);
    fs::remove_all(root);
    fs::copy(kFixtures + "/" + name, root, fs::copy_options::recursive);
  }
  ~ScratchHost() { fs::remove_all(root); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(root / rel) << text; }
  void remove(const std::string& rel) { fs::remove(root / rel); }
  HostProbeOptions options() {
    HostProbeOptions o;
    o.proc_root = root / "proc";
    o.sys_root = root / "sys";
    o.dev_root = root / "dev";
    o.disk_space = [](const std::string&) { return DiskSpace{1000, 500, 500}; };
    o.now_ms = [this] { return now_ms; };
    return o;
  }
};

const double kHz = static_cast<double>(sysconf(_SC_CLK_TCK));

// /proc/self/stat with utime + stime worth `cpu_sec` seconds (the command name has a space and
// parentheses, as a renamed thread may).
std::string self_stat(double cpu_sec) {
  auto ticks = static_cast<uint64_t>(cpu_sec * kHz + 0.5);
  return "4242 (x0tta6bl4 (gw)) R 1 4242 4242 0 -1 4194560 100 0 0 0 " + std::to_string(ticks) +
         " 0 0 0 20 0 4 0 100 12345678 2500\n";
}

// busy_host: 2 cores, no quota, the node used 5 s so far (500 ticks at 100 Hz), PSI some 99.5%.
// Ten seconds later with every jiffy of both cores busy (other processes) and the node at
// `node_sec` of cpu over those 10 s.
void ten_busy_seconds(ScratchHost& h, double node_sec) {
  h.now_ms += 10'000;
  h.write("proc/stat",
          "cpu  102000 0 20000 80000 0 0 0 0 0 0\ncpu0 0 0 0 0\ncpu1 0 0 0 0\n");  // +2000 busy
  h.write("proc/self/stat", self_stat(5.0 + node_sec));
}

TEST(HostCpu, FirstReadingIsWarmingUpNotSinceBoot) {
  ScratchHost h("busy_host");
  h.write("proc/self/stat", self_stat(5.0));
  HostProbe p("/data", {}, false, h.options());
  Component c = p.cpu();  // since boot the host is 50% busy: not a number we grade
  EXPECT_EQ(c.status, Status::kHealthy);
  EXPECT_EQ(c.details["window"], "warming up");
  EXPECT_FALSE(c.details.contains("host_busy_ratio"));
  EXPECT_FALSE(c.details.contains("node_busy_ratio"));
  h.now_ms += 500;  // under a second: still no window
  h.write("proc/self/stat", self_stat(5.5));
  EXPECT_EQ(p.cpu().details["window"], "warming up");
  h.now_ms += 500;
  c = p.cpu();
  EXPECT_EQ(c.details["window"], "measured");
  EXPECT_EQ(c.details["window_ms"], 1000);
  EXPECT_NEAR(c.details["node_busy_ratio"].get<double>(), 0.25, 1e-9);  // 0.5 s of 2 cores x 1 s
}

TEST(HostCpu, HostFullyBusyByOtherProcessesIsNeverUnhealthy) {
  ScratchHost h("busy_host");
  h.remove("proc/pressure/cpu");  // a kernel without PSI: only the busy fraction is known
  h.write("proc/self/stat", self_stat(5.0));
  HostProbe p("/data", {}, false, h.options());
  p.cpu();
  ten_busy_seconds(h, 0.5);  // the node used 0.5 s of its 20 core-seconds
  Component c = p.cpu();
  EXPECT_DOUBLE_EQ(c.details["host_busy_ratio"].get<double>(), 1.0);
  EXPECT_NEAR(c.details["node_busy_ratio"].get<double>(), 0.025, 1e-9);
  EXPECT_EQ(c.status, Status::kHealthy) << c.details.dump();
  EXPECT_TRUE(c.details["pressure"].is_null());
  EXPECT_TRUE(c.details["reasons"].empty());
}

TEST(HostCpu, PressureIsReportedAndDegradesAtMost) {
  ScratchHost h("busy_host");
  h.write("proc/self/stat", self_stat(5.0));
  HostProbe p("/data", {}, false, h.options());
  Component c = p.cpu();
  EXPECT_DOUBLE_EQ(c.details["pressure"]["some_avg10"].get<double>(), 99.5);
  EXPECT_DOUBLE_EQ(c.details["pressure"]["full_avg10"].get<double>(), 0.0);
  ten_busy_seconds(h, 0.5);
  c = p.cpu();
  EXPECT_EQ(c.status, Status::kDegraded) << c.details.dump();
  ASSERT_EQ(c.details["reasons"].size(), 1u);
  EXPECT_NE(c.details["reasons"][0].get<std::string>().find("cpu pressure: some"),
            std::string::npos);
  // A kernel with only the "some" line (before 5.13): no full figure is made up.
  h.write("proc/pressure/cpu", "some avg10=3.25 avg60=1.00 avg300=0.50 total=42\n");
  h.now_ms += 1000;
  c = p.cpu();
  EXPECT_DOUBLE_EQ(c.details["pressure"]["some_avg10"].get<double>(), 3.25);
  EXPECT_FALSE(c.details["pressure"].contains("full_avg10"));
  EXPECT_EQ(c.status, Status::kHealthy) << c.details.dump();
}

TEST(HostCpu, NodeShareHighDegradesEvenWhenCritical) {
  ScratchHost h("busy_host");
  h.remove("proc/pressure/cpu");
  h.write("proc/self/stat", self_stat(5.0));
  HostProbe p("/data", {}, false, h.options());
  p.cpu();
  ten_busy_seconds(h, 17.0);  // 85% of 2 cores x 10 s
  Component c = p.cpu();
  EXPECT_NEAR(c.details["node_busy_ratio"].get<double>(), 0.85, 1e-9);
  EXPECT_NEAR(c.details["busy_ratio"].get<double>(), 0.85, 1e-9);
  ASSERT_TRUE(c.used_ratio.has_value());
  EXPECT_NEAR(*c.used_ratio, 0.85, 1e-9) << "the autopilot's cpu_ratio, typed";
  EXPECT_EQ(c.status, Status::kDegraded);
  EXPECT_EQ(c.details["reasons"][0], "node cpu 85% of its cores");
  h.now_ms += 10'000;
  h.write("proc/self/stat", self_stat(22.0 + 20.0));  // every core-second of the window
  c = p.cpu();
  EXPECT_DOUBLE_EQ(c.details["node_busy_ratio"].get<double>(), 1.0);
  EXPECT_EQ(c.status, Status::kDegraded);  // critical, yet the node still serves
  EXPECT_EQ(c.details["reasons"][0], "node cpu 100% of its cores (critical)");
}

TEST(HostCpu, QuotaAffinityAndThrottlingDecideTheCores) {
  ScratchHost h("busy_host");
  h.remove("proc/pressure/cpu");
  h.write("sys/fs/cgroup/gw.slice/cpu.max", "50000 100000\n");  // half a core
  h.write("proc/self/stat", self_stat(5.0));
  HostProbe p("/data", {}, false, h.options());
  Component c = p.cpu();
  EXPECT_DOUBLE_EQ(c.details["cgroup_quota_cores"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(c.details["cores_available"].get<double>(), 0.5);
  // 10 s: the node used 2 s (40% of its half core), 100 periods of which 60 throttled.
  h.write("sys/fs/cgroup/gw.slice/cpu.stat",
          "usage_usec 7000000\nnr_periods 100\nnr_throttled 60\nthrottled_usec 3000000\n");
  ten_busy_seconds(h, 2.0);
  c = p.cpu();
  EXPECT_NEAR(c.details["node_busy_ratio"].get<double>(), 0.4, 1e-9);
  EXPECT_NEAR(c.details["cgroup_busy_ratio"].get<double>(), 0.4, 1e-9);
  EXPECT_NEAR(c.details["cgroup_throttled_ratio"].get<double>(), 0.6, 1e-9);
  EXPECT_EQ(c.status, Status::kDegraded);
  EXPECT_EQ(c.details["reasons"][0], "cgroup quota throttled the node in 60% of its periods");
  // Pinned to one cpu of the two: the share is of that one.
  h.write("sys/fs/cgroup/gw.slice/cpu.max", "max 100000\n");
  h.write("proc/self/status", "Name:\tx0tta6bl4\nCpus_allowed_list:\t1\n");
  h.now_ms += 10'000;
  h.write("proc/self/stat", self_stat(7.0 + 5.0));
  c = p.cpu();
  EXPECT_DOUBLE_EQ(c.details["cores_available"].get<double>(), 1.0);
  EXPECT_NEAR(c.details["node_busy_ratio"].get<double>(), 0.5, 1e-9);
}

TEST(HostCpu, StressedCgroupSinceThePreviousWindow) {
  ScratchHost h("stressed");  // 1 core quota on 2 cores, 97% host busy since boot
  h.write("proc/self/stat", self_stat(4.0));
  HostProbe p("/data", {}, false, h.options());
  EXPECT_EQ(p.cpu().status, Status::kHealthy);
  // Next 10 s on 2 cores: 2000 jiffies, 1800 idle -> 10% host busy; cgroup and node 2 s of
  // their 10 s x 1 core -> 20%.
  h.now_ms += 10'000;
  h.write("proc/stat", "cpu  9100 0 800 2100 0 0 0 0 0 0\ncpu0 0\ncpu1 0\n");
  h.write("sys/fs/cgroup/gw.slice/cpu.stat", "usage_usec 7000000\n");
  h.write("proc/self/stat", self_stat(6.0));
  Component c = p.cpu();
  EXPECT_NEAR(c.details["host_busy_ratio"].get<double>(), 0.1, 1e-9);
  EXPECT_NEAR(c.details["cgroup_busy_ratio"].get<double>(), 0.2, 1e-9);
  EXPECT_NEAR(c.details["node_busy_ratio"].get<double>(), 0.2, 1e-9);
  EXPECT_EQ(c.status, Status::kHealthy);
  // A missing /proc/self/stat cannot be graded: degraded with the reason, not healthy by luck.
  h.remove("proc/self/stat");
  h.now_ms += 10'000;
  c = p.cpu();
  EXPECT_EQ(c.status, Status::kDegraded);
  EXPECT_NE(c.details["reasons"][0].get<std::string>().find("self/stat"), std::string::npos);
}

TEST(HostCpu, ThresholdsAndWindowAreConfigurable) {
  ScratchHost h("busy_host");
  h.remove("proc/pressure/cpu");
  h.write("proc/self/stat", self_stat(5.0));
  HostThresholds t;
  t.cpu_degraded = 0.1;
  t.cpu_window_ms = 5000;
  HostProbe p("/data", t, false, h.options());
  p.cpu();
  h.now_ms += 4000;
  EXPECT_EQ(p.cpu().details["window"], "warming up");
  h.now_ms += 1000;
  h.write("proc/self/stat", self_stat(7.0));  // 2 s of 2 cores x 5 s = 20%
  Component c = p.cpu();
  EXPECT_EQ(c.details["window_ms"], 5000);
  EXPECT_EQ(c.status, Status::kDegraded);
}

TEST(HostProbe, NetworkErrorsSinceThePreviousSample) {
  ScratchHost h("healthy");
  HostProbe p("/data", {}, false, h.options());
  EXPECT_EQ(p.network().status, Status::kHealthy);
  const std::string head = "Inter-|\n face |\n    lo: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
  // +1000 packets, +50 drops: 5% > 1%.
  h.write("proc/net/dev", head + "  eth0: 0 1727 1 52 0 0 0 0 0 1188 3 4 0 0 0 0\n");
  Component c = p.network();
  EXPECT_EQ(c.status, Status::kDegraded);
  EXPECT_EQ(c.details["drops_since_last_sample"], 50);
  h.write("proc/net/dev", head + "  eth0: 0 2727 1 52 0 0 0 0 0 1188 3 4 0 0 0 0\n");
  EXPECT_EQ(p.network().status, Status::kHealthy);
}

TEST(HostProbe, ThisMachineGivesSaneValues) {
  HostThresholds t;
  t.cpu_window_ms = 50;
  HostProbe p(fs::temp_directory_path(), t, /*dpdk_enabled=*/false);
  p.sample();
  // Spend a little cpu so the window has something to measure.
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(80);
  for (volatile uint64_t spin = 0; std::chrono::steady_clock::now() < until;) spin = spin + 1;
  auto cs = p.sample();
  ASSERT_EQ(names(cs), kOrder);
  const auto& mem = find(cs, "memory").details;
  EXPECT_GT(mem["rss_bytes"].get<uint64_t>(), 1u << 20);
  EXPECT_GT(mem["limit_bytes"].get<uint64_t>(), mem["used_bytes"].get<uint64_t>());
  const auto& cpu = find(cs, "cpu").details;
  EXPECT_EQ(cpu["cores"].get<long>(), sysconf(_SC_NPROCESSORS_ONLN));
  EXPECT_EQ(cpu["window"], "measured");
  EXPECT_GE(cpu["window_ms"].get<int64_t>(), 50);
  EXPECT_GE(cpu["node_busy_ratio"].get<double>(), 0.0);
  EXPECT_LE(cpu["node_busy_ratio"].get<double>(), 1.0);
  EXPECT_GE(cpu["host_busy_ratio"].get<double>(), 0.0);
  EXPECT_LE(cpu["host_busy_ratio"].get<double>(), 1.0);
  EXPECT_NE(find(cs, "cpu").status, Status::kUnhealthy);
  if (fs::exists("/proc/pressure/cpu")) {
    EXPECT_TRUE(cpu["pressure"].contains("some_avg10"));
  }
  const auto& disk = find(cs, "disk").details;
  EXPECT_GT(disk["total_bytes"].get<uint64_t>(), 0u);
  EXPECT_GT(disk["used_ratio"].get<double>(), 0.0);
  EXPECT_LT(disk["used_ratio"].get<double>(), 1.0);
  EXPECT_GE(find(cs, "network").details["interfaces"].size(), 1u);
  EXPECT_EQ(find(cs, "dpdk").status, Status::kHealthy);  // disabled
  EXPECT_EQ(find(cs, "gpu").status, Status::kHealthy);
}

TEST(HostProbe, MissingDataDirMeasuresItsParent) {
  HostProbe p((fs::temp_directory_path() / "x0_no_such_dir/sub").string(), {}, false);
  Component d = p.disk();
  EXPECT_EQ(d.details["measured_path"], fs::temp_directory_path().string());
  EXPECT_GT(d.details["total_bytes"].get<uint64_t>(), 0u);
}

}  // namespace
}  // namespace x0::telemetry
