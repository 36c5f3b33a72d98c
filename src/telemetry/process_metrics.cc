// Standard process_* metrics (the names the Prometheus Go/Python clients use), read from
// /proc/self at scrape time by registry callbacks; nothing is sampled in the background.
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "telemetry/metrics.h"

namespace x0::telemetry {

namespace {

// Fields of /proc/self/stat after the "(comm)" field; index 0 is field 3 (state).
std::vector<std::string> stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> out;
  size_t close = line.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream rest(line.substr(close + 1));
  for (std::string f; rest >> f;) out.push_back(f);
  return out;
}

double stat_field(size_t field_number) {  // field numbers as in proc(5)
  std::vector<std::string> f = stat_fields();
  size_t i = field_number - 3;
  return i < f.size() ? std::stod(f[i]) : 0.0;
}

double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double v = 0;
      in >> v;
      return v;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

double open_fds() {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return 0;
  double n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n - 1;  // the directory stream's own fd
}

}  // namespace

void register_process_metrics(Registry& r) {
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  r.gauge_callback("process_resident_memory_bytes", "Resident memory size in bytes.", {},
                   [page] { return stat_field(24) * page; });
  r.gauge_callback("process_virtual_memory_bytes", "Virtual memory size in bytes.", {},
                   [] { return stat_field(23); });
  r.counter_callback("process_cpu_seconds_total",
                     "Total user and system CPU time spent in seconds.", {},
                     [tick] { return (stat_field(14) + stat_field(15)) / tick; });
  r.gauge_callback("process_open_fds", "Number of open file descriptors.", {}, open_fds);
  r.gauge_callback("process_max_fds", "Maximum number of open file descriptors.", {}, [] {
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur == RLIM_INFINITY ? -1.0 : static_cast<double>(rl.rlim_cur);
  });
  // Start time never changes: computed once here.
  const double start = boot_time_seconds() + stat_field(22) / tick;
  r.gauge_callback("process_start_time_seconds",
                   "Start time of the process since unix epoch in seconds.", {},
                   [start] { return start; });
  r.gauge_callback("process_threads", "Number of OS threads in the process.", {},
                   [] { return stat_field(20); });
}

}  // namespace x0::telemetry
