// HostProbe: reads /proc, /sys and statvfs and turns them into the six /health components.
// Every reader tolerates missing files (containers hide many): a missing source is reported in
// the details, never an exception.
#include "telemetry/host_health.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "telemetry/procfs.h"

namespace x0::telemetry {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace detail;  // NOLINT(google-build-using-namespace): the procfs readers

namespace {

Status grade(double v, double degraded, double unhealthy) {
  return v >= unhealthy ? Status::kUnhealthy : v >= degraded ? Status::kDegraded : Status::kHealthy;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string_view to_string(Status s) {
  switch (s) {
    case Status::kHealthy:
      return "healthy";
    case Status::kDegraded:
      return "degraded";
    case Status::kUnhealthy:
      return "unhealthy";
  }
  return "unhealthy";
}

Status worst(Status a, Status b) { return static_cast<int>(a) > static_cast<int>(b) ? a : b; }

HostProbe::HostProbe(std::string data_dir, HostThresholds thresholds, bool dpdk_enabled)
    : HostProbe(std::move(data_dir), thresholds, dpdk_enabled, HostProbeOptions{}) {}

HostProbe::HostProbe(std::string data_dir, HostThresholds thresholds, bool dpdk_enabled,
                     HostProbeOptions options)
    : data_dir_(std::move(data_dir)),
      thresholds_(thresholds),
      dpdk_enabled_(dpdk_enabled),
      options_(std::move(options)) {}

std::vector<Component> HostProbe::sample() {
  return {memory(), cpu(), disk(), network(), dpdk(), gpu()};
}

std::string HostProbe::cgroup_file(std::string_view v2_name, std::string_view v1_controller,
                                   std::string_view v1_name) const {
  // /proc/self/cgroup: "0::/path" (v2) and "N:ctrl1,ctrl2:/path" (v1).
  std::string v2_path, v1_path;
  std::ifstream in(options_.proc_root + "/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string ctrls = "," + line.substr(a + 1, b - a - 1) + ",";
    std::string path = line.substr(b + 1);
    if (ctrls == ",,")
      v2_path = path;
    else if (ctrls.find("," + std::string(v1_controller) + ",") != std::string::npos)
      v1_path = path;
  }
  const std::string root = options_.sys_root + "/fs/cgroup";
  std::vector<std::string> candidates;
  if (!v2_path.empty() && v2_path != "/")
    candidates.push_back(root + v2_path + "/" + std::string(v2_name));
  candidates.push_back(root + "/" + std::string(v2_name));
  std::string v1_root = root + "/" + std::string(v1_controller);
  if (!v1_path.empty() && v1_path != "/")
    candidates.push_back(v1_root + v1_path + "/" + std::string(v1_name));
  candidates.push_back(v1_root + "/" + std::string(v1_name));
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(c, ec)) return c;
  }
  return {};
}

Component HostProbe::memory() {
  auto mi = read_keyed(options_.proc_root + "/meminfo");
  auto st = read_keyed(options_.proc_root + "/self/status");
  const uint64_t rss = st["VmRSS"];
  const uint64_t mem_total = mi["MemTotal"];
  uint64_t limit = 0, used = 0;
  std::string source = "meminfo";

  // Cgroup first: the limit that gets the process OOM-killed. Page cache the kernel can drop
  // (inactive_file) does not count, as in the kubelet's working set.
  std::string max_file = cgroup_file("memory.max", "memory", "memory.limit_in_bytes");
  if (!max_file.empty()) {
    bool v2 = max_file.ends_with("memory.max");
    auto lim = read_u64(max_file);  // nullopt for "max"
    std::string dir = fs::path(max_file).parent_path();
    auto cur = read_u64(dir + (v2 ? "/memory.current" : "/memory.usage_in_bytes"));
    if (lim && cur && (mem_total == 0 || *lim < mem_total)) {
      auto ms = read_keyed(dir + "/memory.stat");
      uint64_t inactive = ms[v2 ? "inactive_file" : "total_inactive_file"];
      limit = *lim;
      used = *cur > inactive ? *cur - inactive : 0;
      source = "cgroup";
    }
  }
  if (source == "meminfo") {
    limit = mem_total;
    uint64_t avail = mi.count("MemAvailable") ? mi["MemAvailable"] : mi["MemFree"];
    used = mem_total > avail ? mem_total - avail : 0;
  }
  const double used_ratio = ratio(used, limit);
  json d = {{"rss_bytes", rss},         {"used_bytes", used}, {"limit_bytes", limit},
            {"used_ratio", used_ratio}, {"source", source},   {"mem_total_bytes", mem_total}};
  Status s =
      grade(used_ratio, thresholds_.memory_degraded_ratio, thresholds_.memory_unhealthy_ratio);
  json reasons = json::array();
  if (s != Status::kHealthy)
    reasons.push_back("memory used " + std::to_string(static_cast<int>(used_ratio * 100)) +
                      "% of " + source + " limit");
  if (rss > thresholds_.memory_unhealthy_bytes) {
    s = Status::kUnhealthy;
    reasons.push_back("process RSS " + std::to_string(rss >> 20) + " MiB above " +
                      std::to_string(thresholds_.memory_unhealthy_bytes >> 20) + " MiB");
  }
  if (limit == 0) {
    s = worst(s, Status::kDegraded);
    reasons.push_back("no memory information");
  }
  d["reasons"] = reasons;
  Component out{"memory", s, d};
  if (limit > 0) out.used_ratio = used_ratio;
  return out;
}

Component HostProbe::disk() {
  // The data dir may not exist yet: measure the filesystem of its nearest existing ancestor.
  fs::path p = data_dir_.empty() ? fs::path(".") : fs::path(data_dir_);
  std::optional<DiskSpace> space;
  for (;;) {
    if (options_.disk_space) {
      space = options_.disk_space(p.string());
    } else {
      struct statvfs v {};
      if (statvfs(p.c_str(), &v) == 0) {
        space = DiskSpace{v.f_blocks * v.f_frsize, v.f_bavail * v.f_frsize,
                          (v.f_blocks - v.f_bfree) * v.f_frsize};
      }
    }
    if (space || !p.has_parent_path() || p.parent_path() == p) break;
    p = p.parent_path();
  }
  json d = {{"path", data_dir_}, {"measured_path", p.string()}};
  if (!space) {
    d["reason"] = "cannot statvfs " + data_dir_;
    return {"disk", Status::kDegraded, d};
  }
  // As df(1): used / (used + available to users).
  const double used_ratio = ratio(space->used_bytes, space->used_bytes + space->free_bytes);
  d["total_bytes"] = space->total_bytes;
  d["free_bytes"] = space->free_bytes;
  d["used_bytes"] = space->used_bytes;
  d["used_ratio"] = used_ratio;
  Status s = grade(used_ratio, thresholds_.disk_degraded_ratio, thresholds_.disk_unhealthy_ratio);
  if (s != Status::kHealthy)
    d["reason"] = "disk " + std::to_string(static_cast<int>(used_ratio * 100)) + "% full";
  return {"disk", s, d, used_ratio};
}

Component HostProbe::network() {
  // /proc/net/dev: "iface: rx_bytes rx_packets rx_errs rx_drop fifo frame compressed multicast
  //                 tx_bytes tx_packets tx_errs tx_drop ..."
  json ifaces = json::array();
  int up_non_lo = 0;
  NetSample total;
  std::map<std::string, NetSample> now;
  std::ifstream in(options_.proc_root + "/net/dev");
  for (std::string line; std::getline(in, line);) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    std::istringstream ls(line.substr(colon + 1));
    uint64_t v[16] = {};
    int n = 0;
    while (n < 16 && ls >> v[n]) ++n;
    if (n < 12) continue;
    const std::string cls = options_.sys_root + "/class/net/" + name;
    std::string oper = trim(read_text(cls + "/operstate").value_or("unknown"));
    uint64_t flags = 0;
    if (auto f = read_text(cls + "/flags")) flags = std::stoull(trim(*f), nullptr, 16);
    bool up = oper == "up" || (oper == "unknown" && (flags & 0x1));  // IFF_UP
    if (up && name != "lo") ++up_non_lo;
    ifaces.push_back({{"name", name},
                      {"up", up},
                      {"operstate", oper},
                      {"rx_bytes", v[0]},
                      {"rx_packets", v[1]},
                      {"rx_errors", v[2]},
                      {"rx_drops", v[3]},
                      {"tx_bytes", v[8]},
                      {"tx_packets", v[9]},
                      {"tx_errors", v[10]},
                      {"tx_drops", v[11]}});
    NetSample ns{v[1] + v[9], v[2] + v[10], v[3] + v[11]};
    now[name] = ns;
    if (auto it = prev_net_.find(name); it != prev_net_.end() && ns.packets >= it->second.packets) {
      total.packets += ns.packets - it->second.packets;
      total.errors += ns.errors - std::min(ns.errors, it->second.errors);
      total.drops += ns.drops - std::min(ns.drops, it->second.drops);
    }
  }
  json d = {{"interfaces", ifaces},
            {"interfaces_up", up_non_lo},
            {"packets_since_last_sample", total.packets},
            {"errors_since_last_sample", total.errors},
            {"drops_since_last_sample", total.drops}};
  Status s = Status::kHealthy;
  if (ifaces.empty()) {
    s = Status::kDegraded;
    d["reason"] = "cannot read " + options_.proc_root + "/net/dev";
  } else if (up_non_lo == 0) {
    s = Status::kDegraded;
    d["reason"] = "no network interface up besides loopback";
  } else if (total.packets >= 100 && ratio(total.errors + total.drops, total.packets) > 0.01) {
    s = Status::kDegraded;
    d["reason"] = "more than 1% of packets errored or dropped since the last sample";
  }
  prev_net_ = std::move(now);
  return {"network", s, d};
}

Component HostProbe::dpdk() {
  json d = {{"enabled", dpdk_enabled_}};
  if (!dpdk_enabled_) {
    d["reason"] = "disabled";
    return {"dpdk", Status::kHealthy, d};
  }
  auto mi = read_keyed(options_.proc_root + "/meminfo");
  const uint64_t huge_total = mi["HugePages_Total"], huge_free = mi["HugePages_Free"];
  bool uio = false;
  for (const auto& n : list_dir(options_.dev_root)) uio = uio || has_digits_after(n, "uio");
  std::error_code ec;
  const bool vfio = fs::exists(options_.dev_root + "/vfio", ec);
  d["hugepages_total"] = huge_total;
  d["hugepages_free"] = huge_free;
  d["uio"] = uio;
  d["vfio"] = vfio;
  if (huge_total == 0 || !(uio || vfio)) {
    d["reason"] = "DPDK not available, using kernel networking";
    d["missing"] = huge_total == 0 && !(uio || vfio) ? "hugepages, uio/vfio"
                   : huge_total == 0                 ? "hugepages"
                                                     : "uio/vfio";
    return {"dpdk", Status::kDegraded, d};
  }
  d["reason"] = "available";
  return {"dpdk", Status::kHealthy, d};
}

Component HostProbe::gpu() {
  json devices = json::array();
  for (const auto& n : list_dir(options_.dev_root))
    if (has_digits_after(n, "nvidia")) devices.push_back("/dev/" + n);
  for (const auto& n : list_dir(options_.sys_root + "/class/drm"))
    if (has_digits_after(n, "card")) devices.push_back("drm/" + n);
  json d = {{"present", !devices.empty()}, {"devices", devices}};
  if (devices.empty()) d["reason"] = "not present";  // no GPU is not a failure
  return {"gpu", Status::kHealthy, d};
}

}  // namespace x0::telemetry
