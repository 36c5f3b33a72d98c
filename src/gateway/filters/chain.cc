// The order of the data plane's filters (see filters.h).
#include "gateway/filters/filters.h"

namespace x0::gateway {

// Stats and outlier detection first, so they see every request, cache answers included; the
// router last. Rate limiting before everything that costs: a limited client gets no token check,
// no header work and no cache hit. JWT before the cache: a request without a valid token is
// answered before it could be answered from (or join a fetch for) the cache. (Isolation is not a
// filter: it answers before routing, in DataPlane, so an isolated node tells an outside client
// nothing about its routes.)
FilterChain default_filter_chain() {
  return {make_stats_filter,      make_outlier_filter, make_rate_limit_filter,
          make_forwarding_filter, make_jwt_filter,     make_cache_filter,
          make_router};
}

}  // namespace x0::gateway
