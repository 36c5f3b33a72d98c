// What the autopilot's decisions do in this node: the Actuator rolls releases back and ejects
// or diverts through the gateway's shared state; the IncidentLog records every decision as an
// incident (joined per rule and target) with its timeline. Both run on the control thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "admin/node_state.h"
#include "app/hook_runner.h"
#include "autopilot/autopilot.h"

namespace x0::app {

class NodeActuator final : public autopilot::Actuator {
 public:
  explicit NodeActuator(admin::NodeState& node) : node_(node) {}
  bool act(autopilot::Action action, const autopilot::Target& target, const autopilot::Rule& rule,
           std::string* outcome) override;

 private:
  struct Seen {
    uint64_t requests = 0;
    uint64_t failures = 0;
  };
  // eject_endpoint: takes the worst endpoint of the service out of rotation for a while.
  // A candidate target also considers the release's candidate endpoints.
  bool eject_endpoint(const autopilot::Target& target, const autopilot::Rule& rule,
                      std::string* outcome);

  admin::NodeState& node_;
  // Per endpoint ("service/role/host:port"): its counters when eject_endpoint last looked, so a
  // choice rests on recent traffic rather than on the endpoint's whole life.
  std::map<std::string, Seen> seen_;
};

class IncidentLog final : public autopilot::IncidentRecorder {
 public:
  // hooks may be null (then `exec` hooks do not run).
  IncidentLog(admin::NodeState& node, HookRunner* hooks) : node_(node), hooks_(hooks) {}
  std::string intend(const autopilot::Decision& decision) override;
  void record(const autopilot::Decision& decision) override;
  // The rule's open incident on `target` becomes mitigated, dated where the recovery began (the
  // condition has been gone for the rule's recovery hold), with the impact the node measured.
  void cleared(const autopilot::Rule& rule, const autopilot::Target& target, double value,
               const autopilot::Impact& impact) override;

 private:
  // Opens (or joins) the decision's incident; "" when the store refuses.
  std::string open(const autopilot::Decision& decision);
  admin::NodeState& node_;
  HookRunner* hooks_;
};

}  // namespace x0::app
