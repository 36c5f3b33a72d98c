// What a rule is measured on and acts on: the node, a service (all its traffic), or one side
// of a service's release (the candidate, or the stable set when a service rule finds it, not
// the candidate, failing). A value, compared and ordered, so the detector keys
// its state by it and the actuator reads the service without parsing anything. Its text form
// ("node", "shop", "shop/candidate") is for people and for the outside only: incident targets,
// log lines and the X0_TARGET of exec hooks.
#pragma once

#include <compare>
#include <string>

namespace x0::autopilot {

struct Target {
  enum class Kind { kNode, kService, kCandidate, kStable };

  Kind kind = Kind::kNode;
  std::string service;  // empty for kNode

  static Target node() { return {}; }
  static Target whole(std::string service) { return {Kind::kService, std::move(service)}; }
  static Target candidate(std::string service) { return {Kind::kCandidate, std::move(service)}; }
  static Target stable(std::string service) { return {Kind::kStable, std::move(service)}; }

  bool is_node() const { return kind == Kind::kNode; }
  std::string to_string() const {
    switch (kind) {
      case Kind::kNode: return "node";
      case Kind::kService: return service;
      case Kind::kCandidate: return service + "/candidate";
      case Kind::kStable: return service + "/stable";
    }
    return service;
  }
  auto operator<=>(const Target&) const = default;
};

}  // namespace x0::autopilot
