// libFuzzer target for the cache's parsers. The bytes are read (1) as a snapshot image: the reader
// must never crash, and whatever it accepts must be intact and insertable into a store; (2) as
// header lines "Name: value\n" fed to the Cache-Control, date, Vary and storability rules.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "cache/cache_policy.h"
#include "cache/response_store.h"
#include "cache/snapshot.h"

using namespace x0::cache;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr int64_t kNow = 1'800'000'000'000;
  ResponseStore store({.capacity = 16, .max_bytes = 1 << 20, .shard_count = 2});
  SnapshotFileReport r = parse_snapshot({data, size}, kNow, [&](auto e) {
    if (!intact(*e)) std::abort();  // the reader must only hand out verified entries
    store.insert(std::move(e));
  });
  if (r.ok + r.corrupt + r.expired > r.header_entries && r.header_valid) std::abort();
  (void)store.verify_all();

  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<Header> headers;
  while (!text.empty() && headers.size() < 64) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    headers.push_back({line.substr(0, colon), line.substr(colon + 1)});
    (void)parse_http_date(line.substr(colon + 1));
  }
  CacheControl cc = cache_control_of(headers);
  (void)cc;
  (void)request_rules(headers);
  StoreDecision d = decide_storable({"GET", headers, kNow}, {200, headers, kNow}, {true, 60, 300});
  if (d.store && d.freshness.lifetime_s <= 0) std::abort();
  (void)make_replay_head(200, "OK", headers, 5, false);
  return 0;
}
