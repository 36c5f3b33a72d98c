// Replaying a stored response to a client, and the cache library's view of a header list: what
// the cache filter (filters/cache_filter.cc) needs from outside the cache library.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "cache/cache_key.h"
#include "cache/cached_response.h"
#include "http/message.h"
#include "http/server_connection.h"

namespace x0::gateway {

// Queues a stored response with `Age` and `X-Cache: <label>` on the connection (one send when
// the response is finished). Returns whether the connection stays open afterwards.
bool write_cached(http::ServerConnection& conn, const http::Request& request,
                  const cache::CachedResponse& entry, int64_t age_s, std::string_view label);

// The cache library's view of a header list (reuses scratch's storage: valid until its next use).
cache::Headers cache_headers(const http::HeaderList& headers, std::vector<cache::Header>& scratch);

}  // namespace x0::gateway
