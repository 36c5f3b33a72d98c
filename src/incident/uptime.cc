// The uptime history's pure part (see uptime.h).
#include "incident/uptime.h"

#include <cstdio>
#include <ctime>

namespace x0::incident {
namespace {

constexpr std::array<std::string_view, kComponentStatusCount> kNames = {
    "operational", "degraded_performance", "partial_outage", "major_outage"};
constexpr int64_t kDayMs = 86'400'000;

}  // namespace

std::string_view to_string(ComponentStatus s) { return kNames[static_cast<size_t>(s)]; }

std::optional<ComponentStatus> parse_component_status(std::string_view text) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == text) return static_cast<ComponentStatus>(i);
  return std::nullopt;
}

ComponentStatus worse(ComponentStatus a, ComponentStatus b) { return a > b ? a : b; }

int64_t UptimeDay::total() const {
  int64_t n = 0;
  for (int64_t s : samples) n += s;
  return n;
}

std::string utc_date(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

std::optional<double> uptime_fraction(const std::array<int64_t, kComponentStatusCount>& samples) {
  int64_t total = 0;
  for (int64_t s : samples) total += s;
  if (total <= 0) return std::nullopt;
  const double down =
      static_cast<double>(samples[static_cast<size_t>(ComponentStatus::kMajorOutage)]) +
      kPartialOutageWeight *
          static_cast<double>(samples[static_cast<size_t>(ComponentStatus::kPartialOutage)]);
  return 1.0 - down / static_cast<double>(total);
}

ComponentStatus worst_status(const std::array<int64_t, kComponentStatusCount>& samples) {
  for (size_t i = samples.size(); i-- > 0;)
    if (samples[i] > 0) return static_cast<ComponentStatus>(i);
  return ComponentStatus::kOperational;
}

std::vector<UptimeBar> uptime_bars(const std::vector<UptimeDay>& rows, std::string_view component,
                                   int64_t now_ms, int days) {
  std::vector<UptimeBar> bars;
  if (days <= 0) return bars;
  bars.reserve(static_cast<size_t>(days));
  for (int i = days - 1; i >= 0; --i) bars.push_back({utc_date(now_ms - i * kDayMs)});
  for (const UptimeDay& row : rows) {
    if (row.component != component) continue;
    for (UptimeBar& bar : bars) {
      if (bar.date != row.date) continue;
      for (size_t s = 0; s < bar.samples.size(); ++s) bar.samples[s] += row.samples[s];
    }
  }
  for (UptimeBar& bar : bars) {
    bar.uptime = uptime_fraction(bar.samples);
    bar.worst = worst_status(bar.samples);
  }
  return bars;
}

std::optional<double> uptime_over(const std::vector<UptimeBar>& bars) {
  std::array<int64_t, kComponentStatusCount> sum = {};
  for (const UptimeBar& bar : bars)
    for (size_t s = 0; s < sum.size(); ++s) sum[s] += bar.samples[s];
  return uptime_fraction(sum);
}

}  // namespace x0::incident
