// Start history in the data directory (see start_log.h).
#include "app/start_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "common/log.h"

namespace x0::app {

std::vector<int64_t> record_start(const std::string& dir, int64_t now_unix_ms) {
  const std::string path = dir + "/starts";
  std::vector<int64_t> starts;
  {
    std::ifstream in(path);
    long long t = 0;
    while (in >> t) {
      if (t > 0 && t <= now_unix_ms) starts.push_back(t);  // skip garbage and clock jumps
    }
  }
  starts.push_back(now_unix_ms);
  if (starts.size() > kStartLogKeep) starts.erase(starts.begin(), starts.end() - kStartLogKeep);

  std::string text;
  for (int64_t t : starts) text += std::to_string(t) + "\n";
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  int saved = errno;
  if (fd >= 0) ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    log::warn("NODE", "cannot record this start: the restarts signal will undercount",
              {{"path", path}, {"error", std::strerror(ok ? errno : saved)}});
  }
  // Every start but the first one on record followed an earlier start.
  return std::vector<int64_t>(starts.begin() + 1, starts.end());
}

}  // namespace x0::app
