// Operator hook commands of autopilot rules (`exec` in the policy file): run with a deadline,
// without a shell quoting layer of ours, with the incident's context in the environment. The
// exit code and the head of the output go into the incident timeline.
#pragma once

#include <cstdint>
#include <string>

namespace x0::app {

// What the hook is told about the decision, as X0_RULE, X0_TARGET, X0_ACTION, X0_SEVERITY.
struct HookContext {
  std::string rule;
  std::string target;  // "service", "service/candidate" or "node"
  std::string action;
  std::string severity;
};

struct HookResult {
  bool started = false;
  int exit_code = -1;      // -1 when the child did not exit normally
  bool timed_out = false;  // timeout(1) gave up on the command (exit 124)
  std::string output;      // stdout and stderr interleaved, at most kHookOutputKeep bytes
  std::string error;       // why it could not start
};

inline constexpr size_t kHookOutputKeep = 2048;   // read and kept; the rest is drained
inline constexpr size_t kHookOutputShown = 512;   // what the timeline shows

// Runs `timeout -k 2 <secs> sh -c <command>` (argv, so no quoting of ours is involved) and
// waits for it. Blocks the calling thread for up to timeout_ms plus a few seconds.
HookResult run_hook(const std::string& command, int64_t timeout_ms, const HookContext& context);

// "hook exit=0 output=..." for the timeline.
std::string describe(const HookResult& result);

}  // namespace x0::app
