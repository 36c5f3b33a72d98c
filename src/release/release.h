// The release model: what an operator asks for (ReleaseSpec), the state of one release of one
// service (Release) and its history, and the pure functions over them (validation, the traffic
// split a release implies). The state machine itself lives in release_controller.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "release/routing.h"

namespace x0::release {

enum class Strategy { kCanary, kBlueGreen };

// running -> paused -> running; running|paused -> promoted | rolled_back | aborted;
// promoted -> rolled_back (until the config adopts the candidate). See docs/RELEASES.md.
enum class State { kRunning, kPaused, kPromoted, kRolledBack, kAborted };

std::string_view to_string(Strategy s);
std::string_view to_string(State s);
std::optional<Strategy> parse_strategy(std::string_view text);
std::optional<State> parse_state(std::string_view text);

// Blue/green pre-switch check, sent to the candidate (through the header override).
struct SmokeCheck {
  std::string path = "/health";
  int expect_status = 200;
  int64_t timeout_ms = 2000;  // per candidate: looking it up (a name), then answering the GET
  bool operator==(const SmokeCheck&) const = default;
};

inline constexpr int64_t kDefaultStepIntervalMs = 60000;
inline constexpr std::string_view kDefaultHeader = "X-Canary";

// What POST /releases/{service}/start asks for; validated by validate_spec().
struct ReleaseSpec {
  Strategy strategy = Strategy::kCanary;
  std::vector<config::Endpoint> candidate;
  std::vector<int> steps = {5, 25, 50, 100};  // canary weights in percent; empty for blue/green
  int64_t step_interval_ms = kDefaultStepIntervalMs;  // how long each step is analysed
  std::string header_name;  // empty: no override (canary); blue/green needs one
  std::string header_value = "always";
  SmokeCheck smoke;  // blue/green only
  // The release's own analysis window for the policy's candidate rules (e.g. 1 s for a quick
  // canary of a busy service); 0: the policy's windows.
  int64_t analysis_window_ms = 0;
  bool operator==(const ReleaseSpec&) const = default;
};

struct Transition {
  int64_t time_ms = 0;  // unix epoch milliseconds
  State from = State::kRunning;
  State to = State::kRunning;
  int weight_percent = 0;  // candidate share after the transition
  std::string actor;       // "operator:<who>", "autopilot", "system"
  std::string reason;
  bool operator==(const Transition&) const = default;
};

struct Release {
  std::string id;  // "<service>-<sequence>", unique for the node's lifetime
  std::string service;
  ReleaseSpec spec;
  size_t step = 0;  // index into spec.steps (canary)
  State state = State::kRunning;
  // After promotion the candidate takes all traffic until the config lists it as the stable set;
  // then the controller marks the release adopted and drops its routing (see adopt_config).
  bool adopted = false;
  int64_t created_ms = 0, updated_ms = 0, step_started_ms = 0;  // unix epoch milliseconds
  std::string reason;                                           // of the last transition
  std::vector<Transition> history;
  bool operator==(const Release&) const = default;
};

// Whole-spec check: candidate present and unique, steps strictly increasing within 1..100,
// interval, header token, smoke path/status. Error code "bad_request", detail names the field.
x0::Result<void> validate_spec(const ReleaseSpec& spec);
// [a-z0-9_-]{1,64}, like config service names.
bool valid_service_name(std::string_view name);

// Candidate share of traffic now: canary step weight, 0 for blue/green before the switch, 100
// once promoted, 0 once finished.
int weight_percent(const Release& r);
// A release that still steers traffic: running, paused, or promoted and not yet adopted.
bool is_active(const Release& r);
// The split a release implies; nullopt when it no longer steers traffic.
std::optional<ReleaseRouting> routing_for(const Release& r);

}  // namespace x0::release
