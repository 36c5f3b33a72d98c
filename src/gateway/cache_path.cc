// Replay of stored responses (see cache_path.h).
#include "gateway/cache_path.h"

#include <string>

namespace x0::gateway {

cache::Headers cache_headers(const http::HeaderList& headers, std::vector<cache::Header>& scratch) {
  scratch.clear();
  for (const http::Header& h : headers) scratch.push_back({h.name, h.value});
  return scratch;
}

bool write_cached(http::ServerConnection& conn, const http::Request& request,
                  const cache::CachedResponse& entry, int64_t age_s, std::string_view label) {
  bool keep_alive = request.head.keep_alive && conn.keep_alive_requested();
  thread_local std::string tail;  // capacity reused: a hit allocates nothing here
  tail.clear();
  tail.append("Age: ").append(std::to_string(age_s)).append("\r\nX-Cache: ").append(label);
  tail.append("\r\n");
  if (!keep_alive) {
    tail.append("Connection: close\r\n");
  } else if (request.head.version_minor == 0) {
    tail.append("Connection: keep-alive\r\n");
  }
  tail.append("\r\n");
  conn.append_output(entry.head);
  conn.append_output(tail);
  if (request.head.method != http::Method::kHead) conn.append_output(entry.body);
  return keep_alive;
}

}  // namespace x0::gateway
