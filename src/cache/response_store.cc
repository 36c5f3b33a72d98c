// Shards, the intrusive eviction list (LRU or SIEVE) and the store operations of
// response_store.h. Invariant per shard: every Node is in exactly one Primary's variant list and
// in the shard's circular list; entries/bytes are the sums over those Nodes.
#include "cache/response_store.h"

#include <atomic>

#include <algorithm>
#include <random>
#include <string>
#include <unordered_map>

#include "cache/cache_metrics.h"

namespace x0::cache {
namespace {

// A key whose hash is already known (CacheKey computes it once per request).
struct HashedKey {
  std::string_view text;
  uint64_t hash;
};
struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return static_cast<size_t>(hash64(s)); }
  size_t operator()(const std::string& s) const { return static_cast<size_t>(hash64(s)); }
  size_t operator()(HashedKey k) const { return static_cast<size_t>(k.hash); }
};
struct KeyEq {
  using is_transparent = void;
  static std::string_view text(std::string_view s) { return s; }
  static std::string_view text(HashedKey k) { return k.text; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return text(a) == text(b);
  }
};

// Per-thread xorshift for the sampled read check: no shared state, no lock.
double next_unit() {
  thread_local uint64_t s = std::random_device{}() | 1;
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return static_cast<double>(s >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace

struct ResponseStore::Shard {
  struct Primary;
  struct Node {
    Node* prev = this;
    Node* next = this;
    std::shared_ptr<const CachedResponse> resp;
    Primary* owner = nullptr;
    const std::string* map_key = nullptr;
    size_t bytes = 0;
    bool visited = false;
  };
  struct Primary {
    std::vector<std::unique_ptr<Node>> variants;  // oldest first
  };

  mutable std::mutex mu;
  // Times mu was taken (lock_acquisitions()); written only under mu, read by scrapes.
  mutable std::atomic<uint64_t> acquisitions{0};
  std::unordered_map<std::string, Primary, KeyHash, KeyEq> map;
  Node list;             // sentinel: list.next is the newest, list.prev the oldest
  Node* hand = nullptr;  // SIEVE hand; nullptr = start from the oldest
  size_t entries = 0, bytes = 0;
  uint64_t evictions = 0, hits = 0, misses = 0, stale = 0;

  void link_front(Node* n) {
    n->next = list.next;
    n->prev = &list;
    list.next->prev = n;
    list.next = n;
  }
  void unlink(Node* n) {
    if (hand == n) hand = n->prev == &list ? nullptr : n->prev;
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
  }
  // Removes the node from list and map; returns its bytes. n is destroyed.
  size_t remove(Node* n) {
    unlink(n);
    const size_t b = n->bytes;
    Primary* p = n->owner;
    const std::string* key = n->map_key;
    auto& vs = p->variants;
    vs.erase(std::find_if(vs.begin(), vs.end(), [n](const auto& u) { return u.get() == n; }));
    if (vs.empty()) map.erase(map.find(*key));
    --entries;
    bytes -= b;
    return b;
  }
  Node* victim(Eviction policy) {
    if (list.prev == &list) return nullptr;
    if (policy == Eviction::kLru) return list.prev;
    Node* h = hand ? hand : list.prev;
    while (h->visited) {
      h->visited = false;
      h = h->prev == &list ? list.prev : h->prev;
    }
    return h;
  }
};

namespace {
// Takes a shard's lock and counts it (no atomic read-modify-write: the lock orders the writes).
struct ShardLock {
  explicit ShardLock(const ResponseStore::Shard& s) : guard(s.mu) {
    s.acquisitions.store(s.acquisitions.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  std::lock_guard<std::mutex> guard;
};
}  // namespace

ResponseStore::ResponseStore(StoreConfig config, CacheMetrics* metrics)
    : config_(config), metrics_(metrics) {
  config_.shard_count = std::max<size_t>(1, config_.shard_count);
  config_.max_variants = std::max<size_t>(1, config_.max_variants);
  shard_capacity_ =
      std::max<size_t>(1, (config_.capacity + config_.shard_count - 1) / config_.shard_count);
  shard_bytes_ = std::max<size_t>(1, config_.max_bytes / config_.shard_count);
  for (size_t i = 0; i < config_.shard_count; ++i) shards_.push_back(std::make_unique<Shard>());
}

ResponseStore::~ResponseStore() { clear(); }

ResponseStore::Shard& ResponseStore::shard_for(uint64_t hash) const {
  return *shards_[(hash >> 32) % shards_.size()];  // high bits: the map uses the low ones
}

void ResponseStore::publish_size(int64_t d_entries, int64_t d_bytes) {
  const int64_t e = entries_.fetch_add(d_entries, std::memory_order_relaxed) + d_entries;
  const int64_t b = bytes_.fetch_add(d_bytes, std::memory_order_relaxed) + d_bytes;
  if (metrics_) metrics_->set_size(static_cast<uint64_t>(e), static_cast<uint64_t>(b));
}

void ResponseStore::record_corrupt(uint64_t n) {
  if (n == 0) return;
  corrupt_.fetch_add(n, std::memory_order_relaxed);
  if (metrics_) metrics_->corrupt(n);
}

LookupResult ResponseStore::lookup(const CacheKey& key, Headers request_headers, int64_t now_ms) {
  LookupResult out;
  Shard& s = shard_for(key.hash());
  size_t dropped_bytes = 0;
  {
    ShardLock lock(s);
    auto it = s.map.find(HashedKey{key.text(), key.hash()});
    Shard::Node* found = nullptr;
    if (it != s.map.end()) {
      auto& vs = it->second.variants;
      for (auto v = vs.rbegin(); v != vs.rend(); ++v) {
        if (vary_matches(*(*v)->resp, request_headers)) {
          found = v->get();
          break;
        }
      }
    }
    if (found) {
      const CachedResponse& r = *found->resp;
      out.age_s = current_age_s(r.freshness, r.stored_at_ms, now_ms);
      if (out.age_s < r.freshness.lifetime_s) {
        out.status = LookupStatus::kHit;
        out.response = found->resp;
        if (config_.eviction == Eviction::kLru) {
          s.unlink(found);
          s.link_front(found);
        } else {
          found->visited = true;
        }
        ++s.hits;
      } else if (out.age_s < r.freshness.lifetime_s + r.freshness.stale_if_error_s) {
        out.status = LookupStatus::kStale;
        out.response = found->resp;
        out.within_stale_if_error = true;
        ++s.stale;
        ++s.misses;
      } else {
        dropped_bytes = s.remove(found);  // too old to ever serve
        ++s.misses;
      }
    } else {
      ++s.misses;
    }
  }
  if (dropped_bytes) publish_size(-1, -static_cast<int64_t>(dropped_bytes));
  if (out.status == LookupStatus::kHit && config_.verify_sample_rate > 0 &&
      next_unit() < config_.verify_sample_rate && !intact(*out.response)) {
    erase(out.response);
    record_corrupt(1);
    out = LookupResult{};
  }
  if (metrics_) {
    if (out.status == LookupStatus::kHit)
      metrics_->hit();
    else
      metrics_->miss();
  }
  return out;
}

InsertStatus ResponseStore::insert(std::shared_ptr<const CachedResponse> entry) {
  const size_t bytes = charged_bytes(*entry);
  if (bytes > shard_bytes_) return InsertStatus::kTooLarge;
  Shard& s = shard_for(hash64(entry->key));
  InsertStatus status = InsertStatus::kStored;
  int64_t d_entries = 0, d_bytes = 0;
  uint64_t evicted = 0;
  {
    ShardLock lock(s);
    auto [it, inserted] = s.map.try_emplace(entry->key);
    auto& vs = it->second.variants;
    for (auto& v : vs) {
      if (v->resp->vary_names == entry->vary_names && v->resp->vary_values == entry->vary_values) {
        d_bytes -= static_cast<int64_t>(s.remove(v.get()));  // vs may now be gone with it
        --d_entries;
        status = InsertStatus::kReplaced;
        break;
      }
    }
    it = s.map.try_emplace(entry->key).first;  // re-find: remove() may have erased the slot
    auto& variants = it->second.variants;
    if (variants.size() >= config_.max_variants) {
      d_bytes -= static_cast<int64_t>(s.remove(variants.front().get()));
      --d_entries;
      it = s.map.try_emplace(entry->key).first;
    }
    auto node = std::make_unique<Shard::Node>();
    node->resp = std::move(entry);
    node->owner = &it->second;
    node->map_key = &it->first;
    node->bytes = bytes;
    s.link_front(node.get());
    it->second.variants.push_back(std::move(node));
    ++s.entries;
    s.bytes += bytes;
    ++d_entries;
    d_bytes += static_cast<int64_t>(bytes);
    // Evict until within bounds; the new node is protected while anything else remains.
    while (s.entries > shard_capacity_ || s.bytes > shard_bytes_) {
      Shard::Node* v = s.victim(config_.eviction);
      if (!v || (v == s.list.next && s.entries == 1)) break;
      if (v == s.list.next) {  // SIEVE hand reached the newest: skip it once
        v->visited = false;
        s.hand = v->prev == &s.list ? nullptr : v->prev;
        continue;
      }
      s.hand = v->prev == &s.list ? nullptr : v->prev;
      d_bytes -= static_cast<int64_t>(s.remove(v));
      --d_entries;
      ++evicted;
    }
    s.evictions += evicted;
  }
  publish_size(d_entries, d_bytes);
  if (metrics_ && evicted) metrics_->evicted(evicted);
  return status;
}

bool ResponseStore::erase(const std::shared_ptr<const CachedResponse>& entry) {
  Shard& s = shard_for(hash64(entry->key));
  size_t bytes = 0;
  {
    ShardLock lock(s);
    auto it = s.map.find(entry->key);
    if (it == s.map.end()) return false;
    for (auto& v : it->second.variants) {
      if (v->resp == entry) {
        bytes = s.remove(v.get());
        break;
      }
    }
  }
  if (bytes == 0) return false;
  publish_size(-1, -static_cast<int64_t>(bytes));
  return true;
}

size_t ResponseStore::erase_prefix(std::string_view target_prefix) {
  size_t total = 0;
  for (auto& sp : shards_) {
    Shard& s = *sp;
    size_t n = 0, bytes = 0;
    {
      ShardLock lock(s);
      for (Shard::Node* v = s.list.next; v != &s.list;) {
        Shard::Node* next = v->next;
        if (v->resp->target().starts_with(target_prefix)) {
          bytes += s.remove(v);
          ++n;
        }
        v = next;
      }
    }
    publish_size(-static_cast<int64_t>(n), -static_cast<int64_t>(bytes));
    total += n;
  }
  return total;
}

size_t ResponseStore::clear() { return erase_prefix(""); }

std::vector<std::shared_ptr<const CachedResponse>> ResponseStore::entries() const {
  std::vector<std::shared_ptr<const CachedResponse>> out;
  for (const auto& sp : shards_) {
    ShardLock lock(*sp);
    for (Shard::Node* v = sp->list.next; v != &sp->list; v = v->next) out.push_back(v->resp);
  }
  return out;
}

void ResponseStore::for_each(
    const std::function<void(const std::shared_ptr<const CachedResponse>&)>& fn) const {
  for (const auto& e : entries()) fn(e);
}

VerifyReport ResponseStore::verify_all() {
  VerifyReport report;
  for (const auto& e : entries()) {
    ++report.checked;
    if (intact(*e)) continue;
    if (erase(e)) ++report.corrupt;
  }
  record_corrupt(report.corrupt);
  return report;
}

void ResponseStore::record_stale_served() {
  stale_served_.fetch_add(1, std::memory_order_relaxed);
  if (metrics_) metrics_->stale_served();
}

uint64_t ResponseStore::lock_acquisitions() const {
  uint64_t total = 0;
  for (const auto& sp : shards_) total += sp->acquisitions.load(std::memory_order_relaxed);
  return total;
}

StoreStats ResponseStore::stats() const {
  StoreStats st;
  for (const auto& sp : shards_) {
    ShardLock lock(*sp);
    st.entries += sp->entries;
    st.bytes += sp->bytes;
    st.evictions += sp->evictions;
    st.hits += sp->hits;
    st.misses += sp->misses;
    st.stale += sp->stale;
  }
  st.stale_served = stale_served_.load(std::memory_order_relaxed);
  st.corrupt = corrupt_.load(std::memory_order_relaxed);
  return st;
}

}  // namespace x0::cache
