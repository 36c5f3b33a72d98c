// Hook commands of autopilot rules (see exec_hook.h).
#include "app/exec_hook.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

extern char** environ;

namespace x0::app {
namespace {

constexpr int64_t kDrainGraceMs = 5000;  // after the deadline, stop waiting for the pipe to close

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The node's environment without any X0_* context of its own, plus this decision's.
std::vector<std::string> hook_environment(const HookContext& c) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (entry.starts_with("X0_RULE=") || entry.starts_with("X0_TARGET=") ||
        entry.starts_with("X0_ACTION=") || entry.starts_with("X0_SEVERITY=")) {
      continue;
    }
    env.emplace_back(entry);
  }
  env.push_back("X0_RULE=" + c.rule);
  env.push_back("X0_TARGET=" + c.target);
  env.push_back("X0_ACTION=" + c.action);
  env.push_back("X0_SEVERITY=" + c.severity);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Reads everything the child writes until EOF or the deadline; keeps the first kHookOutputKeep
// bytes and drains the rest so the child never blocks on a full pipe.
std::string drain(int fd, int64_t deadline_ms) {
  std::string kept;
  char buf[4096];
  for (;;) {
    int64_t left = deadline_ms - steady_ms();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    if (ready == 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: every writer (the command and its children) is gone
    size_t room = kHookOutputKeep - kept.size();
    kept.append(buf, std::min(room, static_cast<size_t>(n)));
  }
  return kept;
}

}  // namespace

HookResult run_hook(const std::string& command, int64_t timeout_ms, const HookContext& context) {
  HookResult result;
  if (timeout_ms < 1) timeout_ms = 1;  // `timeout 0` would mean no deadline at all
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3f", static_cast<double>(timeout_ms) / 1000.0);
  // -k 2: a command that ignores SIGTERM is killed 2 s after the deadline. timeout(1) runs the
  // command in its own process group and signals the whole group, so `sh -c` children go too.
  std::vector<std::string> args = {"timeout", "-k", "2", seconds, "sh", "-c", command};
  std::vector<std::string> env = hook_environment(context);
  std::vector<char*> argv = pointers(args);
  std::vector<char*> envp = pointers(env);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // no listener or store fd leaks in
  // The node blocks SIGTERM/SIGINT/SIGHUP (signalfd) and ignores SIGPIPE; both would be
  // inherited across exec and stop timeout(1) from ending the command.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, "timeout", &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    result.error = std::string("spawn: ") + std::strerror(rc);
    return result;
  }
  result.started = true;
  result.output = drain(fds[0], steady_ms() + timeout_ms + kDrainGraceMs);
  ::close(fds[0]);
  int status = 0;
  pid_t waited = -1;
  do {
    waited = ::waitpid(pid, &status, 0);
  } while (waited < 0 && errno == EINTR);
  result.exit_code = waited == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.timed_out = result.exit_code == 124;
  return result;
}

std::string describe(const HookResult& r) {
  if (!r.started) return "hook could not start: " + r.error;
  return "hook exit=" + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") +
         " output=" + r.output.substr(0, kHookOutputShown);
}

}  // namespace x0::app
