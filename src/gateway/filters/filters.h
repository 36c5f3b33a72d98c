// The data plane's filters (gateway/stream_filter.h), one file each. default_filter_chain()
// (chain.cc) puts them in order; a new feature is a new file here and a line there.
#pragma once

#include <memory>

#include "gateway/stream_filter.h"

namespace x0::gateway {

// Counts the request in its service's stats and writes the access log line.
std::unique_ptr<StreamFilter> make_stats_filter(WorkerContext& worker);
// Passive outlier detection: consecutive failures eject an endpoint for a while.
std::unique_ptr<StreamFilter> make_outlier_filter(WorkerContext& worker);
// Token buckets per client (address or a header) and route, exact per node: 429 past the limit.
std::unique_ptr<StreamFilter> make_rate_limit_filter(WorkerContext& worker);
// Via, X-Forwarded-For, X-Real-IP, X-Request-Id and the front-proxy fields, both directions.
std::unique_ptr<StreamFilter> make_forwarding_filter(WorkerContext& worker);
// Bearer JWT validation (issue 15): a route's requests without a valid token get a 401; the
// verified claims may be forwarded as headers and the token is stripped.
std::unique_ptr<StreamFilter> make_jwt_filter(WorkerContext& worker);
// The response cache: answers fresh hits, coalesces concurrent misses, stores cacheable
// responses as they stream, serves stale-if-error.
std::unique_ptr<StreamFilter> make_cache_filter(WorkerContext& worker);
// The terminal filter: upstream selection, retries, the HTTP/1 upstream exchange (router.h).
std::unique_ptr<StreamFilter> make_router(WorkerContext& worker);

}  // namespace x0::gateway
