// Host health components for GET /health: memory, cpu, disk, network, dpdk, gpu, each with a
// status and the numbers an operator needs. Read from /proc, /sys (cgroup v2, v1 fallback) and
// statvfs; the roots are injectable so tests run against fixture trees. Not for the hot path.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace x0::telemetry {

enum class Status { kHealthy, kDegraded, kUnhealthy };
std::string_view to_string(Status s);  // "healthy" / "degraded" / "unhealthy"
Status worst(Status a, Status b);

struct Component {
  std::string name;
  Status status;
  nlohmann::json details;
};

struct HostThresholds {  // defaults from the runbooks
  double memory_degraded_ratio = 0.80,
         memory_unhealthy_ratio = 0.90;                            // of cgroup limit or MemTotal
  uint64_t memory_unhealthy_bytes = 2400ull * 1024 * 1024;         // process RSS > 2.4 GB
  double cpu_degraded = 0.80, cpu_unhealthy = 0.95;                // busy fraction
  double disk_degraded_ratio = 0.90, disk_unhealthy_ratio = 0.95;  // used fraction
};

struct DiskSpace {
  uint64_t total_bytes = 0;
  uint64_t free_bytes = 0;  // available to unprivileged users (f_bavail)
  uint64_t used_bytes = 0;  // total - f_bfree
};

struct HostProbeOptions {
  std::string proc_root = "/proc";
  std::string sys_root = "/sys";
  std::string dev_root = "/dev";
  // Replaces statvfs(path) in tests; nullopt means the path cannot be read.
  std::function<std::optional<DiskSpace>(const std::string& path)> disk_space;
};

// Not thread-safe: keeps the previous cpu and network samples to report rates since the last
// call. Own one per caller (e.g. the health handler's background thread).
class HostProbe {
 public:
  HostProbe(std::string data_dir, HostThresholds thresholds, bool dpdk_enabled);
  HostProbe(std::string data_dir, HostThresholds thresholds, bool dpdk_enabled,
            HostProbeOptions options);
  std::vector<Component> sample();  // order: memory, cpu, disk, network, dpdk, gpu

  Component memory();
  Component cpu();
  Component disk();
  Component network();
  Component dpdk();
  Component gpu();

 private:
  struct CpuSample {
    uint64_t total = 0, idle = 0;
    uint64_t cgroup_usage_usec = 0;
    bool has_cgroup_usage = false;
  };
  struct NetSample {
    uint64_t packets = 0, errors = 0, drops = 0;
  };
  // Path of the first existing cgroup file: v2 `v2_name` in this process's cgroup (then the
  // root), else v1 `v1_controller`/`v1_name`; empty when neither exists.
  std::string cgroup_file(std::string_view v2_name, std::string_view v1_controller,
                          std::string_view v1_name) const;

  std::string data_dir_;
  HostThresholds thresholds_;
  bool dpdk_enabled_;
  HostProbeOptions options_;
  std::optional<CpuSample> prev_cpu_;
  std::map<std::string, NetSample> prev_net_;
};

}  // namespace x0::telemetry
