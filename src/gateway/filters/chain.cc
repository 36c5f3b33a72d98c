// The order of the data plane's filters (see filters.h).
#include "gateway/filters/filters.h"

namespace x0::gateway {

// Stats and outlier detection first, so they see every request, cache answers included; the
// router last. Rate limiting before the cache, so a limited client gets no cache hit either,
// and before forwarding, so a refused request costs no header work. (Isolation is not a filter: it
// answers before routing, in DataPlane, so an isolated node tells an outside client nothing about
// its routes.)
FilterChain default_filter_chain() {
  return {make_stats_filter,      make_outlier_filter, make_rate_limit_filter,
          make_forwarding_filter, make_cache_filter,   make_router};
}

}  // namespace x0::gateway
