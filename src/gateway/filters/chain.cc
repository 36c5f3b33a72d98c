// The order of the data plane's filters (see filters.h).
#include "gateway/filters/filters.h"

namespace x0::gateway {

// Isolation first: an isolated node answers external clients before anything is counted as
// the service's traffic (an isolation must not look like an outage to the autopilot). Stats
// and outlier detection see every request that gets further, cache answers included; the
// router is last.
FilterChain default_filter_chain() {
  return {make_isolation_filter, make_stats_filter, make_outlier_filter, make_forwarding_filter,
          make_cache_filter, make_router};
}

}  // namespace x0::gateway
