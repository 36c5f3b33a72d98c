// HostProbe::cpu(): the node's own share of its cores, its cgroup quota and throttling, and PSI,
// graded over a real window between samples. Never unhealthy (see host_health.h for why); the
// host's busy fraction is reported as information only.
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "telemetry/host_health.h"
#include "telemetry/procfs.h"

namespace x0::telemetry {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace detail;  // NOLINT(google-build-using-namespace): the procfs readers

namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// utime + stime (fields 14 and 15) of /proc/<pid>/stat. The command name (field 2) is in
// parentheses and may hold spaces or parentheses itself, so count from the last ')'.
std::optional<uint64_t> self_cpu_ticks(const std::string& path) {
  auto text = read_text(path);
  if (!text) return std::nullopt;
  size_t paren = text->rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream ls(text->substr(paren + 1));
  std::string field;
  std::optional<uint64_t> utime, stime;
  for (int n = 3; n <= 15 && ls >> field; ++n) {
    if (n == 14) utime = parse_u64(field);
    if (n == 15) stime = parse_u64(field);
  }
  if (!utime || !stime) return std::nullopt;
  return *utime + *stime;
}

// "0-3,8,10-11" -> 7; 0 when it does not parse.
int count_cpu_list(std::string_view list) {
  int n = 0;
  std::istringstream in{std::string(list)};
  for (std::string part; std::getline(in, part, ',');) {
    part = trim(part);
    part.erase(0, part.find_first_not_of(" \t"));
    size_t dash = part.find('-');
    auto lo = parse_u64(part.substr(0, dash));
    auto hi = dash == std::string::npos ? lo : parse_u64(part.substr(dash + 1));
    if (!lo || !hi || *hi < *lo) return 0;
    n += static_cast<int>(*hi - *lo + 1);
  }
  return n;
}

}  // namespace

HostProbe::CpuSample HostProbe::read_cpu() const {
  CpuSample cur;
  cur.t_ms = options_.now_ms ? options_.now_ms() : steady_ms();
  {
    std::ifstream in(options_.proc_root + "/stat");
    for (std::string line; std::getline(in, line);) {
      std::istringstream ls(line);
      std::string key;
      ls >> key;
      if (key == "cpu") {
        uint64_t v[8] = {};
        for (auto& x : v) ls >> x;  // user nice system idle iowait irq softirq steal
        for (auto x : v) cur.host_total += x;
        cur.host_idle = v[3] + v[4];
      } else if (has_digits_after(key, "cpu")) {
        ++cur.online;
      }
    }
  }
  cur.self_ticks = self_cpu_ticks(options_.proc_root + "/self/stat");
  if (auto st = read_text(options_.proc_root + "/self/status")) {
    const std::string key = "Cpus_allowed_list:";
    if (size_t at = st->find(key); at != std::string::npos) {
      size_t end = st->find('\n', at);
      cur.allowed = count_cpu_list(st->substr(at + key.size(), end - at - key.size()));
    }
  }
  // Quota, usage and throttling of this process's cgroup: a quota of 1 core on a 64-core host
  // is what the node gets, and throttling says it wanted more.
  std::string cpu_max = cgroup_file("cpu.max", "cpu", "cpu.cfs_quota_us");
  if (cpu_max.empty()) return cur;
  std::string dir = fs::path(cpu_max).parent_path();
  auto stat = read_keyed(dir + "/cpu.stat");
  if (cpu_max.ends_with("cpu.max")) {
    std::istringstream ls(read_text(cpu_max).value_or(""));
    std::string q, p;
    ls >> q >> p;
    auto qv = parse_u64(q), pv = parse_u64(p);  // "max" does not parse: no quota
    if (qv && pv && *pv > 0) cur.quota_cores = ratio(*qv, *pv);
    if (stat.count("usage_usec")) cur.cgroup_usage_usec = stat["usage_usec"];
  } else {
    auto qv = read_u64(cpu_max);  // "-1" does not parse: no quota
    auto pv = read_u64(dir + "/cpu.cfs_period_us");
    if (qv && pv && *pv > 0) cur.quota_cores = ratio(*qv, *pv);
    std::string acct = cgroup_file("cpuacct.usage", "cpuacct", "cpuacct.usage");
    if (auto ns = acct.empty() ? std::nullopt : read_u64(acct)) cur.cgroup_usage_usec = *ns / 1000;
  }
  if (stat.count("nr_periods") && stat.count("nr_throttled")) {
    cur.cgroup_periods = stat["nr_periods"];
    cur.cgroup_throttled = stat["nr_throttled"];
  }
  return cur;
}

nlohmann::json HostProbe::read_cpu_pressure() const {
  // "some avg10=1.23 avg60=... total=..." and, on 5.13+, a "full" line: percent of the last
  // 10 s in which some (all) runnable tasks waited for a cpu.
  auto text = read_text(options_.proc_root + "/pressure/cpu");
  if (!text) return nullptr;
  json p = {{"source", options_.proc_root + "/pressure/cpu"}};
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::string kind, field;
    ls >> kind;
    if (kind != "some" && kind != "full") continue;
    while (ls >> field) {
      if (!field.starts_with("avg10=")) continue;
      try {
        p[kind + "_avg10"] = std::stod(field.substr(6));
      } catch (const std::exception&) {  // a kernel we do not understand: leave it out
      }
    }
  }
  return p;
}

Component HostProbe::cpu() {
  CpuSample cur = read_cpu();
  json pressure = read_cpu_pressure();
  if (cpu_window_start_ && cur.t_ms >= cpu_window_start_->t_ms &&
      cur.t_ms - cpu_window_start_->t_ms < thresholds_.cpu_window_ms) {
    if (last_cpu_) return *last_cpu_;  // too soon: keep answering the last full window
  } else if (cpu_window_start_ && cur.t_ms >= cpu_window_start_->t_ms) {
    last_cpu_ = grade_cpu(*cpu_window_start_, cur, std::move(pressure));
    cpu_window_start_ = cur;
    return *last_cpu_;
  } else {
    cpu_window_start_ = cur;  // first reading (or a clock that went back): start a window
  }
  // No window yet. Counters since boot say nothing about now, so there is no number to grade.
  json d = cpu_details(cur, 0, std::move(pressure));
  d["window"] = "warming up";
  d["reasons"] = json::array();
  return {"cpu", Status::kHealthy, d};
}

json HostProbe::cpu_details(const CpuSample& s, int64_t window_ms, json pressure) const {
  json d = {{"window", "measured"},
            {"window_ms", window_ms},
            {"cores", s.online},
            {"cores_available", available_cores(s)},
            {"cgroup_quota_cores", s.quota_cores ? json(*s.quota_cores) : json(nullptr)},
            {"pressure", std::move(pressure)}};
  if (auto la = read_text(options_.proc_root + "/loadavg")) {
    double l1 = 0;
    std::istringstream(*la) >> l1;
    d["load1"] = l1;
  }
  return d;
}

// Cores this process may run on: online, narrowed by its affinity and its cgroup quota.
double HostProbe::available_cores(const CpuSample& s) {
  double cores = std::max(s.online, 1);
  if (s.allowed > 0) cores = std::min(cores, static_cast<double>(s.allowed));
  if (s.quota_cores) cores = std::min(cores, *s.quota_cores);
  return cores;
}

Component HostProbe::grade_cpu(const CpuSample& from, const CpuSample& to, json pressure) const {
  const int64_t window_ms = to.t_ms - from.t_ms;
  const double wall_sec = static_cast<double>(window_ms) / 1000.0;
  const double cores = available_cores(to);
  auto delta = [](uint64_t a, uint64_t b) -> uint64_t { return b >= a ? b - a : 0; };
  json d = cpu_details(to, window_ms, pressure);
  json reasons = json::array();
  std::optional<double> node_share;  // Component::used_ratio
  auto percent = [](double r) { return std::to_string(static_cast<int>(r * 100 + 0.5)) + "%"; };

  if (to.host_total > from.host_total) {  // the whole host: information, never graded
    uint64_t dt = to.host_total - from.host_total;
    d["host_busy_ratio"] = 1.0 - ratio(std::min(delta(from.host_idle, to.host_idle), dt), dt);
  }
  if (from.self_ticks && to.self_ticks) {
    double used_sec = static_cast<double>(delta(*from.self_ticks, *to.self_ticks)) /
                      static_cast<double>(sysconf(_SC_CLK_TCK));
    double share = std::clamp(used_sec / (wall_sec * cores), 0.0, 1.0);
    d["node_busy_ratio"] = share;
    d["busy_ratio"] = share;  // also Component::used_ratio, the autopilot's cpu_ratio
    node_share = share;
    if (share >= thresholds_.cpu_critical)
      reasons.push_back("node cpu " + percent(share) + " of its cores (critical)");
    else if (share >= thresholds_.cpu_degraded)
      reasons.push_back("node cpu " + percent(share) + " of its cores");
  } else {
    reasons.push_back("cannot read " + options_.proc_root + "/self/stat");
  }
  if (to.quota_cores && from.cgroup_usage_usec && to.cgroup_usage_usec) {
    double used_sec =
        static_cast<double>(delta(*from.cgroup_usage_usec, *to.cgroup_usage_usec)) / 1e6;
    d["cgroup_busy_ratio"] = used_sec / (wall_sec * *to.quota_cores);
  }
  if (from.cgroup_periods && to.cgroup_periods && *to.cgroup_periods > *from.cgroup_periods) {
    double throttled = ratio(delta(*from.cgroup_throttled, *to.cgroup_throttled),
                             *to.cgroup_periods - *from.cgroup_periods);
    d["cgroup_throttled_ratio"] = throttled;
    if (throttled >= thresholds_.cpu_throttled_degraded)
      reasons.push_back("cgroup quota throttled the node in " + percent(throttled) +
                        " of its periods");
  }
  if (pressure.is_object()) {
    for (auto [kind, limit] : {std::pair{"some", thresholds_.cpu_pressure_some_percent},
                               std::pair{"full", thresholds_.cpu_pressure_full_percent}}) {
      auto it = pressure.find(std::string(kind) + "_avg10");
      if (it != pressure.end() && it->get<double>() >= limit)
        reasons.push_back("cpu pressure: " + std::string(kind) + " tasks waited " +
                          percent(it->get<double>() / 100) + " of the last 10 s");
    }
  }
  d["reasons"] = reasons;
  return {"cpu", reasons.empty() ? Status::kHealthy : Status::kDegraded, d, node_share};
}

}  // namespace x0::telemetry
