// The health state machine of one endpoint, kept pure so it can be tested alone: consecutive
// passing checks bring an endpoint back after healthy_threshold, consecutive failures take it
// out after unhealthy_threshold, and the very first result decides at once (a node never starts
// by sending traffic to an endpoint that was already down).
#pragma once

namespace x0::gateway {

struct HealthTally {
  int successes = 0;  // consecutive
  int failures = 0;   // consecutive
  int results = 0;    // all results so far
};

// Records one check result and returns whether the endpoint is healthy afterwards.
inline bool next_health(bool healthy, bool passed, HealthTally& tally, int healthy_threshold,
                        int unhealthy_threshold) {
  ++tally.results;
  if (passed) {
    tally.failures = 0;
    ++tally.successes;
    return healthy || tally.successes >= healthy_threshold;
  }
  tally.successes = 0;
  ++tally.failures;
  bool first = tally.results == 1;
  return healthy && !first && tally.failures < unhealthy_threshold;
}

}  // namespace x0::gateway
