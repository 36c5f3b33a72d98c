// Helpers shared by the incident tests: a scratch directory removed at the end of each test, a
// settable clock, and a store opened on both.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "incident/incident_store.h"
#include "scratch_dir.h"

namespace x0::incident::testing {

using x0::testing::ScratchDir;

// 2026-11-24T15:00:00.000Z
inline constexpr int64_t kT0 = 1795532400000;

struct FakeClock {
  int64_t now = kT0;
};

inline std::unique_ptr<IncidentStore> open_store(const std::string& path, FakeClock* clock,
                                                 StoreOptions options = {}) {
  options.clock_ms = [clock] { return clock->now; };
  auto store = IncidentStore::open(path, std::move(options));
  if (!store) {
    ADD_FAILURE() << store.error().code << ": " << store.error().detail;
    return nullptr;
  }
  return std::move(*store);
}

inline OpenRequest rule_request(std::string rule, std::string target, Severity sev) {
  OpenRequest r;
  r.title = "error rate above 10% on " + target;
  r.severity = sev;
  r.detection = DetectionMethod::kMonitoring;
  r.rule = std::move(rule);
  r.target = target;
  r.affected_services = {target};
  r.impact = "requests failing";
  r.actor = "autopilot";
  return r;
}

}  // namespace x0::incident::testing
