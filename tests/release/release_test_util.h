// Shared by the release tests: a scratch data directory and a controllable clock.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "release/release_controller.h"
#include "scratch_dir.h"

namespace x0::release::testing {

using x0::testing::ScratchDir;

struct FakeClock {
  std::shared_ptr<int64_t> now = std::make_shared<int64_t>(1'700'000'000'000);
  ClockFn fn() const {
    auto p = now;
    return [p] { return *p; };
  }
  void advance(int64_t ms) { *now += ms; }
};

inline config::Endpoint ep(std::string host, uint16_t port) { return {std::move(host), port}; }

inline ReleaseSpec canary_spec(std::vector<int> steps = {5, 25, 50, 100}) {
  ReleaseSpec s;
  s.strategy = Strategy::kCanary;
  s.candidate = {ep("127.0.0.1", 9003), ep("127.0.0.1", 9004)};
  s.steps = std::move(steps);
  s.step_interval_ms = 1000;
  s.header_name = "X-Canary";
  return s;
}

inline ReleaseSpec blue_green_spec() {
  ReleaseSpec s;
  s.strategy = Strategy::kBlueGreen;
  s.candidate = {ep("127.0.0.1", 9005)};
  s.steps.clear();
  s.header_name = "X-Canary";
  s.smoke = {"/ready", 204};
  return s;
}

}  // namespace x0::release::testing
