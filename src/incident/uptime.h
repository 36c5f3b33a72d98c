// Per-component availability history for the status page (docs/ONCALL.md, "Status page"). The
// node samples each component's state once per interval (a minute by default); the incident
// store keeps one row per component and UTC day with a count of samples per state, so 90 days
// of history is at most components x 91 small rows whatever the sampling rate. This header is
// the pure part: the states, the day key, a day's uptime (Statuspage's weighting) and the bars.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace x0::incident {

// Statuspage's component states, in order of badness (the enum's value grows with it).
enum class ComponentStatus { kOperational, kDegradedPerformance, kPartialOutage, kMajorOutage };
inline constexpr size_t kComponentStatusCount = 4;

std::string_view to_string(ComponentStatus s);  // "operational", "degraded_performance", ...
std::optional<ComponentStatus> parse_component_status(std::string_view text);
ComponentStatus worse(ComponentStatus a, ComponentStatus b);

inline constexpr int kUptimeDays = 90;               // what the page shows
inline constexpr int kUptimeKeepDays = 91;           // what the store keeps (today is partial)
inline constexpr size_t kMaxUptimeComponents = 512;  // per sample; more are dropped (logged)
inline constexpr size_t kMaxComponentIdBytes = 128;

// One sample: a component's state at one instant.
struct UptimeSample {
  std::string component = {};
  ComponentStatus status = ComponentStatus::kOperational;
};

// One component's samples of one UTC day, counted per state (index = ComponentStatus).
struct UptimeDay {
  std::string component = {};
  std::string date = {};  // "2026-12-04"
  std::array<int64_t, kComponentStatusCount> samples = {};

  int64_t total() const;
};

// "2026-12-04" for the UTC day of unix_ms.
std::string utc_date(int64_t unix_ms);

// Statuspage's weighting: a major outage counts fully as downtime, a partial outage at 30%,
// degraded performance not at all. nullopt for a day without samples.
inline constexpr double kPartialOutageWeight = 0.3;
std::optional<double> uptime_fraction(const std::array<int64_t, kComponentStatusCount>& samples);
// The worst state sampled; operational for a day without samples.
ComponentStatus worst_status(const std::array<int64_t, kComponentStatusCount>& samples);

// One day of a component's bar.
struct UptimeBar {
  std::string date = {};
  std::array<int64_t, kComponentStatusCount> samples = {};
  std::optional<double> uptime = std::nullopt;  // nullopt: no data that day
  ComponentStatus worst = ComponentStatus::kOperational;
};

// `days` bars for `component`, oldest first, the last one now's UTC day; rows of other
// components and of days outside the window are ignored, days without a row have no data.
std::vector<UptimeBar> uptime_bars(const std::vector<UptimeDay>& rows, std::string_view component,
                                   int64_t now_ms, int days = kUptimeDays);
// Uptime over all the bars' samples (same weighting); nullopt when there are none.
std::optional<double> uptime_over(const std::vector<UptimeBar>& bars);

}  // namespace x0::incident
