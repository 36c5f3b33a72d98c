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
  nlohmann::json details;  // the operator's view (GET /health); not for code to decide on
  // The component's graded fraction as a value, for code that decides on it (the autopilot's
  // memory_ratio and cpu_ratio signals) without reading it back out of `details`: memory used
  // of its limit, cpu the node's busy share of its cores, disk used. nullopt when there is no
  // number (no memory information, cpu still warming up, no statvfs, other components).
  std::optional<double> used_ratio = std::nullopt;
};

struct HostThresholds {  // defaults from the runbooks
  double memory_degraded_ratio = 0.80,
         memory_unhealthy_ratio = 0.90;                     // of cgroup limit or MemTotal
  uint64_t memory_unhealthy_bytes = 2400ull * 1024 * 1024;  // process RSS > 2.4 GB
  // CPU only ever degrades the node: a busy host is the load balancer's business, and failing
  // /health at peak load would pull healthy nodes out of rotation exactly when they are needed.
  // The runbook's 80% / 95% are "high" and "critical" of the node's own share of its cores.
  double cpu_degraded = 0.80, cpu_critical = 0.95;  // node busy fraction: both degrade
  double cpu_throttled_degraded = 0.25;             // cgroup periods throttled, of all periods
  double cpu_pressure_some_percent = 80.0;          // PSI "some avg10" (percent, as the kernel)
  double cpu_pressure_full_percent = 25.0;          // PSI "full avg10" when the kernel has it
  int64_t cpu_window_ms = 1000;                     // shortest window a cpu status is graded on
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
  // Monotonic milliseconds (default: steady_clock); tests drive the cpu window with it.
  std::function<int64_t()> now_ms;
};

// Not thread-safe: keeps the previous cpu and network samples to report rates since the last
// call. Own one per caller (the node's HostSampler thread, the autopilot's metric source).
class HostProbe {
 public:
  HostProbe(std::string data_dir, HostThresholds thresholds, bool dpdk_enabled);
  HostProbe(std::string data_dir, HostThresholds thresholds, bool dpdk_enabled,
            HostProbeOptions options);
  std::vector<Component> sample();  // order: memory, cpu, disk, network, dpdk, gpu

  Component memory();
  // Never unhealthy: degraded when the node's own share of its cores is high, its cgroup quota
  // throttles it, or PSI says runnable tasks wait for a cpu. Graded over a window of at least
  // thresholds.cpu_window_ms between calls ("warming up" and healthy until the first one ends;
  // a call inside a window answers the last graded one). The host's busy fraction is reported,
  // never graded: other processes keeping the host busy are not this node failing.
  Component cpu();
  Component disk();
  Component network();
  Component dpdk();
  Component gpu();

 private:
  struct CpuSample {
    int64_t t_ms = 0;                      // options_.now_ms()
    uint64_t host_total = 0, host_idle = 0;  // jiffies of all cpus (/proc/stat "cpu")
    int online = 0;                        // cpuN lines of /proc/stat
    int allowed = 0;                       // Cpus_allowed_list of this process; 0 = unknown
    std::optional<uint64_t> self_ticks;    // utime + stime of this process, clock ticks
    std::optional<double> quota_cores;     // cgroup cpu.max / cfs_quota_us
    std::optional<uint64_t> cgroup_usage_usec, cgroup_periods, cgroup_throttled;
  };
  CpuSample read_cpu() const;
  nlohmann::json read_cpu_pressure() const;  // null when the kernel has no PSI
  Component grade_cpu(const CpuSample& from, const CpuSample& to, nlohmann::json pressure) const;
  nlohmann::json cpu_details(const CpuSample& s, int64_t window_ms, nlohmann::json pressure) const;
  static double available_cores(const CpuSample& s);
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
  std::optional<CpuSample> cpu_window_start_;
  std::optional<Component> last_cpu_;  // answered until the next window is complete
  std::map<std::string, NetSample> prev_net_;
};

}  // namespace x0::telemetry
