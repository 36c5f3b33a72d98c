// HostProbe against fixture /proc and /sys trees (healthy, stressed cgroup v2, cgroup v1) so each
// threshold is exercised, and against this machine for sane real values.
#include "telemetry/host_health.h"

#include <gtest/gtest.h>
#include <unistd.h>

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
  EXPECT_EQ(mem["rss_bytes"], 102400ull * 1024);
  const auto& cpu = find(cs, "cpu").details;
  EXPECT_EQ(cpu["cores"], 4);
  EXPECT_DOUBLE_EQ(cpu["busy_ratio"].get<double>(), 0.2);
  EXPECT_EQ(cpu["window"], "since_boot");
  EXPECT_DOUBLE_EQ(cpu["load1"].get<double>(), 0.5);
  const auto& disk = find(cs, "disk").details;
  EXPECT_EQ(disk["path"], "/data");
  EXPECT_DOUBLE_EQ(disk["used_ratio"].get<double>(), 0.5);
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
  const auto& cpu = find(cs, "cpu");
  EXPECT_EQ(cpu.status, Status::kUnhealthy);
  EXPECT_NEAR(cpu.details["busy_ratio"].get<double>(), 0.97, 1e-9);
  EXPECT_EQ(cpu.details["cores"], 2);
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
  t.cpu_degraded = 0.1;
  t.cpu_unhealthy = 0.15;  // healthy fixture is at 0.2
  HostProbe p("/data", t, false, fixture("healthy"));
  EXPECT_EQ(p.memory().status, Status::kDegraded);
  EXPECT_EQ(p.cpu().status, Status::kUnhealthy);
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

// Copies a fixture to a scratch dir so a test can change files between samples.
struct ScratchHost {
  fs::path root;
  explicit ScratchHost(const std::string& name) {
    root = fs::temp_directory_path() / ("x0_tel_" + std::to_string(getpid()) + "_" + name);
    fs::remove_all(root);
    fs::copy(kFixtures + "/" + name, root, fs::copy_options::recursive);
  }
  ~ScratchHost() { fs::remove_all(root); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(root / rel) << text; }
  HostProbeOptions options() const {
    HostProbeOptions o;
    o.proc_root = root / "proc";
    o.sys_root = root / "sys";
    o.dev_root = root / "dev";
    o.disk_space = [](const std::string&) { return DiskSpace{1000, 500, 500}; };
    return o;
  }
};

TEST(HostProbe, CpuBusyIsSinceThePreviousSample) {
  ScratchHost h("stressed");  // 1 core quota on 2 cores
  HostProbe p("/data", {}, false, h.options());
  EXPECT_EQ(p.cpu().status, Status::kUnhealthy);  // 97% since boot
  // Next 10 s on 2 cores: 2000 jiffies, 1800 idle -> 10% host busy.
  h.write("proc/stat", "cpu  9100 0 800 2100 0 0 0 0 0 0\ncpu0 0\ncpu1 0\n");
  // Cgroup used 2 s of its 10 s x 1 core -> 20%.
  h.write("sys/fs/cgroup/gw.slice/cpu.stat", "usage_usec 7000000\n");
  Component c = p.cpu();
  EXPECT_EQ(c.details["window"], "since_last_sample");
  EXPECT_NEAR(c.details["host_busy_ratio"].get<double>(), 0.1, 1e-9);
  EXPECT_NEAR(c.details["cgroup_busy_ratio"].get<double>(),
              0.2 * static_cast<double>(sysconf(_SC_CLK_TCK)) / 100.0, 1e-9);
  EXPECT_EQ(c.status, Status::kHealthy);
  // Cgroup saturated its quota although the host is mostly idle: 9.7 s of 10 s.
  h.write("proc/stat", "cpu  9200 0 900 3900 0 0 0 0 0 0\ncpu0 0\ncpu1 0\n");
  h.write("sys/fs/cgroup/gw.slice/cpu.stat", "usage_usec 16700000\n");
  if (sysconf(_SC_CLK_TCK) == 100) {
    EXPECT_EQ(p.cpu().status, Status::kUnhealthy);
  }
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
  HostProbe p(fs::temp_directory_path(), {}, /*dpdk_enabled=*/false);
  p.sample();
  auto cs = p.sample();
  ASSERT_EQ(names(cs), kOrder);
  const auto& mem = find(cs, "memory").details;
  EXPECT_GT(mem["rss_bytes"].get<uint64_t>(), 1u << 20);
  EXPECT_GT(mem["limit_bytes"].get<uint64_t>(), mem["used_bytes"].get<uint64_t>());
  const auto& cpu = find(cs, "cpu").details;
  EXPECT_EQ(cpu["cores"].get<long>(), sysconf(_SC_NPROCESSORS_ONLN));
  EXPECT_GE(cpu["busy_ratio"].get<double>(), 0.0);
  EXPECT_LE(cpu["busy_ratio"].get<double>(), 1.0);
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
