// Cache micro-benchmarks (ns per operation), the checksum choice (GB/s) and the eviction choice
// (hit ratio on a synthetic Zipf(0.9) trace, with and without one-hit scans mixed in).
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "cache/crc32c.h"
#include "cache/response_store.h"

namespace {

using namespace x0::cache;
constexpr int64_t kNow = 1'800'000'000'000;
constexpr size_t kKeys = 10'000;

std::shared_ptr<const CachedResponse> make_entry(const std::string& target, size_t body) {
  auto r = std::make_shared<CachedResponse>();
  r->key = CacheKey("GET", "example.com", target).text();
  r->status = 200;
  r->head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1024\r\n";
  r->body.assign(body, 'x');
  r->stored_at_ms = kNow;
  r->freshness = Freshness{3600, 0, 300};
  r->checksum = compute_checksum(*r);
  return r;
}

const std::vector<CacheKey>& keys() {
  static const std::vector<CacheKey> k = [] {
    std::vector<CacheKey> v;
    for (size_t i = 0; i < kKeys; ++i)
      v.emplace_back("GET", "example.com", "/item/" + std::to_string(i) + "?v=1");
    return v;
  }();
  return k;
}

ResponseStore& hit_store() {
  static ResponseStore* store = [] {
    static ResponseStore s({.capacity = kKeys * 2, .max_bytes = 1u << 30, .shard_count = 16});
    for (const auto& k : keys()) s.insert(make_entry(std::string(k.target()), 1024));
    return &s;
  }();
  return *store;
}

void BM_LookupHit(benchmark::State& state) {
  ResponseStore& s = hit_store();
  const auto& k = keys();
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    LookupResult r = s.lookup(k[i++ % kKeys], {}, kNow);
    benchmark::DoNotOptimize(r.response.get());
  }
}
BENCHMARK(BM_LookupHit)->Threads(1)->Threads(2)->UseRealTime();

void BM_Insert(benchmark::State& state) {
  // Steady state: capacity 10k, 40k distinct entries inserted round robin, so most inserts evict.
  static ResponseStore store({.capacity = kKeys, .max_bytes = 1u << 30, .shard_count = 16});
  static const std::vector<std::shared_ptr<const CachedResponse>> entries = [] {
    std::vector<std::shared_ptr<const CachedResponse>> v;
    for (size_t i = 0; i < 4 * kKeys; ++i)
      v.push_back(make_entry("/ins/" + std::to_string(i), 1024));
    return v;
  }();
  size_t i = static_cast<size_t>(state.thread_index()) * 10007;
  for (auto _ : state) store.insert(entries[i++ % entries.size()]);
}
BENCHMARK(BM_Insert)->Threads(1)->Threads(2)->UseRealTime();

std::string payload(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 131 + 7);
  return s;
}

void BM_Crc32c(benchmark::State& state) {
  const std::string p = payload(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(crc32c(p));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
  state.SetLabel(crc32c_hardware() ? "sse4.2" : "table");
}
BENCHMARK(BM_Crc32c)->Arg(1024)->Arg(16384);

void BM_Crc32cPortable(benchmark::State& state) {
  const std::string p = payload(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(crc32c_extend_portable(0, p.data(), p.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Crc32cPortable)->Arg(16384);

void BM_Sha256(benchmark::State& state) {
  const std::string p = payload(static_cast<size_t>(state.range(0)));
  unsigned char md[32];
  unsigned int len = 0;
  for (auto _ : state) {
    EVP_Digest(p.data(), p.size(), md, &len, EVP_sha256(), nullptr);
    benchmark::DoNotOptimize(md);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Sha256)->Arg(1024)->Arg(16384);

// Hit ratio of a 10k-entry store on 2M requests over 200k keys, Zipf(0.9). range(0): 1 = SIEVE;
// range(1): 1 = every 10th request is a one-hit scan key.
void BM_HitRatio(benchmark::State& state) {
  constexpr size_t kUniverse = 200'000, kRequests = 2'000'000;
  std::vector<double> cdf(kUniverse);
  double sum = 0;
  for (size_t i = 0; i < kUniverse; ++i) cdf[i] = sum += 1.0 / std::pow(double(i + 1), 0.9);
  for (auto& c : cdf) c /= sum;
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<size_t> trace(kRequests);
  size_t scan = kUniverse;
  for (size_t i = 0; i < kRequests; ++i)
    trace[i] = (state.range(1) && i % 10 == 0)
                   ? scan++
                   : size_t(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin());
  auto e = make_entry("/", 16);
  double ratio = 0;
  for (auto _ : state) {
    ResponseStore s({.capacity = 10'000,
                     .max_bytes = 1u << 30,
                     .shard_count = 1,
                     .eviction = state.range(0) ? Eviction::kSieve : Eviction::kLru});
    uint64_t hits = 0;
    for (size_t id : trace) {
      CacheKey k("GET", "h", "/" + std::to_string(id));
      if (s.lookup(k, {}, kNow).status == LookupStatus::kHit) {
        ++hits;
      } else {
        auto c = std::make_shared<CachedResponse>(*e);
        c->key = k.text();
        s.insert(std::move(c));
      }
    }
    ratio = double(hits) / double(kRequests);
  }
  state.counters["hit_ratio"] = ratio;
  state.SetLabel(std::string(state.range(0) ? "sieve" : "lru") + (state.range(1) ? "+scan" : ""));
}
BENCHMARK(BM_HitRatio)
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
