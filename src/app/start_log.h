// The node's own restart history, for the `restarts` signal (policy rule frequent_restarts):
// every start appends its time to <data_dir>/starts, so the count survives the restarts it
// counts, whoever restarted the process (systemd, Kubernetes, an operator, a crash loop).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace x0::app {

inline constexpr size_t kStartLogKeep = 1000;  // newest starts kept in the file

// Appends now_unix_ms to dir/starts (atomically: temp file, fsync, rename) and returns the times
// of the starts that followed an earlier one, i.e. the restarts, this one included. A missing
// file means a first start; an unreadable or unwritable one is logged and counts nothing.
std::vector<int64_t> record_start(const std::string& dir, int64_t now_unix_ms);

}  // namespace x0::app
