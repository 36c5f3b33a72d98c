// What the autopilot's decisions do in this node: the Actuator rolls releases back and ejects
// or diverts through the gateway's shared state; the IncidentLog records every decision as an
// incident (joined per rule and target) with its timeline. Both run on the control thread.
#pragma once

#include <functional>
#include <string>

#include "admin/node_state.h"
#include "autopilot/autopilot.h"

namespace x0::app {

class NodeActuator final : public autopilot::Actuator {
 public:
  NodeActuator(admin::NodeState& node, std::function<void()> routing_changed)
      : node_(node), routing_changed_(std::move(routing_changed)) {}
  bool act(autopilot::Action action, const std::string& service, const autopilot::Rule& rule,
           std::string* outcome) override;

 private:
  admin::NodeState& node_;
  std::function<void()> routing_changed_;
};

class IncidentLog final : public autopilot::IncidentRecorder {
 public:
  explicit IncidentLog(admin::NodeState& node) : node_(node) {}
  void record(const autopilot::Decision& decision) override;

 private:
  admin::NodeState& node_;
};

}  // namespace x0::app
