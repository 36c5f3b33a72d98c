// The response cache in the request path. Before a request is proxied, the data plane looks it
// up here: a fresh hit is answered at once from memory (no exchange, no upstream); otherwise the
// probe tells the proxy what it needs (the key, whether to coalesce and store, a stale entry to
// fall back on). The proxy (proxy.cc) does the rest: coalescing, storing, stale-if-error.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "cache/cache_key.h"
#include "common/clock.h"
#include "cache/cached_response.h"
#include "gateway/route_table.h"
#include "gateway/worker_context.h"
#include "http/message.h"
#include "http/server_connection.h"

namespace x0::gateway {

// What the lookup learned about a request that goes upstream.
struct CacheProbe {
  bool eligible = false;        // GET/HEAD without a body on a route with the cache on
  bool may_use_stored = false;  // the request accepts a stored answer: coalesce with other misses
  bool may_store = false;       // the request allows storing its response (no `no-store`)
  cache::CacheKey key;
  // Past its lifetime but within stale-if-error: served if every endpoint fails.
  std::shared_ptr<const cache::CachedResponse> stale;
};

// Looks the request up. Answers a fresh hit itself and returns true (the request is done);
// otherwise fills `probe` and returns false. Requests sent to a release's candidate bypass the
// cache: the candidate must see its share of traffic (and smoke requests must reach it), and
// its answers must never be served to clients of the stable version.
// The key is the canonical authority and the normalised path with the query as received.
bool answer_from_cache(WorkerContext& worker, const ServiceState& service, EndpointRole side,
                       http::ServerConnection& conn, const http::Request& request,
                       const RequestTarget& target, CacheProbe& probe);

// Writes a stored response with `Age` and `X-Cache: <label>` and finishes the request. The
// request must be the connection's current one.
void send_cached(http::ServerConnection& conn, const http::Request& request,
                 const cache::CachedResponse& entry, int64_t age_s, std::string_view label);

// Counts and logs an answer served from the cache (hit, coalesced or stale).
void record_cache_answer(const ServiceState& service, http::ServerConnection& conn,
                         const http::Request& request, int status, double seconds,
                         std::string_view request_id);

// The cache library's view of a header list (reuses scratch's storage: valid until its next use).
cache::Headers cache_headers(const http::HeaderList& headers, std::vector<cache::Header>& scratch);

}  // namespace x0::gateway
