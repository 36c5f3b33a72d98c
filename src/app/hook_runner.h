// Runs autopilot `exec` hooks on a thread of their own, one at a time, so a hook that takes its
// full timeout (e.g. a slow `kubectl rollout undo`) never stalls the control thread that detects
// and rolls back. When a hook ends, its result is appended to the incident's timeline on the
// control thread (the only thread that writes incidents).
#pragma once

#include <cstdint>
#include <string>

#include "admin/control_thread.h"
#include "admin/node_state.h"
#include "app/exec_hook.h"

namespace x0::app {

class HookRunner {
 public:
  HookRunner(admin::ControlThread& control, admin::NodeState& node) : control_(control), node_(node) {}
  ~HookRunner() { stop(); }
  void start() { thread_.start(); }
  // Waits for the hook in progress (bounded by its timeout); queued ones are dropped.
  void stop() { thread_.stop(); }

  // Queues the hook; the timeline of incident_id gets "hook exit=N output=..." when it ends.
  void run(std::string incident_id, std::string command, int64_t timeout_ms, HookContext context);

 private:
  admin::ControlThread thread_;  // an event loop thread used as a work queue
  admin::ControlThread& control_;
  admin::NodeState& node_;
};

}  // namespace x0::app
