// One stored response, immutable once published: the store hands out
// std::shared_ptr<const CachedResponse> so a worker can serve it with no lock held.
// The checksum (CRC32C) covers every stored byte and number; verify_all(), sampled reads and
// snapshots recompute it to catch memory or disk corruption.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache_key.h"
#include "cache/cache_policy.h"

namespace x0::cache {

struct CachedResponse {
  std::string key;  // CacheKey::text(): "GET example.com /a?b=1"
  int status = 0;
  // Status line and end-to-end headers, each line CRLF-terminated, WITHOUT the final empty line:
  // the server appends Age, X-Cache and the blank line. Hop-by-hop headers, Age and X-Cache are
  // removed; Content-Length is rewritten to body.size() (except for HEAD, which keeps upstream's).
  std::string head;
  std::string body;
  int64_t stored_at_ms = 0;  // unix ms when stored (ages survive snapshots and restarts)
  Freshness freshness;
  std::vector<std::string> vary_names;   // lower case, from the response's Vary
  std::vector<std::string> vary_values;  // the storing request's values for vary_names
  uint32_t checksum = 0;                 // compute_checksum() of all of the above

  std::string_view target() const;  // path?query part of key
};

// Approximate memory an entry costs (strings + node + map slot), used for max_bytes.
inline constexpr size_t kEntryOverheadBytes = 256;
size_t charged_bytes(const CachedResponse& r);

uint32_t compute_checksum(const CachedResponse& r);
inline bool intact(const CachedResponse& r) { return compute_checksum(r) == r.checksum; }

// Does this request select this variant (its headers' values for vary_names match)?
bool vary_matches(const CachedResponse& r, Headers request_headers);

// Builds the replay head described above from an upstream status line and header list.
// head_request: the stored response answers HEAD (no body; upstream Content-Length kept).
// body_size kUnknownBodySize: no Content-Length line yet (a streaming proxy builds the head
// when the response head arrives and appends the length once the body is complete).
inline constexpr size_t kUnknownBodySize = ~size_t{0};
std::string make_replay_head(int status, std::string_view reason, Headers response_headers,
                             size_t body_size, bool head_request);

// Everything needed to build an entry after decide_storable() said yes.
struct NewEntry {
  const CacheKey* key = nullptr;
  const StoreDecision* decision = nullptr;
  int status = 0;
  std::string_view reason;  // reason phrase, e.g. "OK"
  Headers response_headers;
  Headers request_headers;  // for the Vary values
  std::string body;
  int64_t stored_at_ms = 0;
};
// Builds, seals (computes the checksum) and returns the immutable entry.
std::shared_ptr<const CachedResponse> make_cached_response(NewEntry in);

// The same for a proxy that streamed the response: `head` came from make_replay_head(...,
// kUnknownBodySize, ...) when the head arrived (the upstream's header bytes are gone by now);
// the Content-Length of `body` is appended here (not for HEAD entries, which keep upstream's).
struct StreamedEntry {
  const CacheKey* key = nullptr;
  const StoreDecision* decision = nullptr;
  int status = 0;
  std::string head;
  std::string body;
  Headers request_headers;  // for the Vary values
  int64_t stored_at_ms = 0;
};
std::shared_ptr<const CachedResponse> seal_streamed_response(StreamedEntry in);

}  // namespace x0::cache
