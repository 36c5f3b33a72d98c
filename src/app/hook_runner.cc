// Hook thread (see hook_runner.h).
#include "app/hook_runner.h"

#include <chrono>

#include "common/log.h"
#include "incident/incident_store.h"

namespace x0::app {

void HookRunner::run(std::string incident_id, std::string command, int64_t timeout_ms,
                     HookContext context) {
  thread_.post([this, id = std::move(incident_id), command = std::move(command), timeout_ms,
                context = std::move(context)] {
    std::string text = describe(run_hook(command, timeout_ms, context));
    log::info("AUTOPILOT", "hook finished", {{"incident", id}, {"rule", context.rule}, {"result", text}});
    admin::NodeState* node = &node_;
    control_.post([node, id, text] {
      if (node->incidents.store == nullptr) return;
      incident::TimelineEntry entry;
      entry.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
      entry.kind = incident::TimelineKind::kUpdate;
      entry.actor = "autopilot";
      entry.text = text;
      if (auto ok = node->incidents.store->append(id, entry); !ok) {
        log::error("INCIDENT", "cannot record a hook result", {{"id", id}, {"detail", ok.error().detail}});
      }
    });
  });
}

}  // namespace x0::app
