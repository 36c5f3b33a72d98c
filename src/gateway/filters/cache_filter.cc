// The response cache as a filter, as HAProxy's cache is one: the request side answers a fresh
// hit from memory (no upstream) and lets one request per key fetch while the others of this
// worker wait for it; the response side keeps a copy of a cacheable response while it streams
// and stores it before the client sees its end; when the upstream side has nothing, a stale
// entry within stale-if-error answers instead.
//
// Requests sent to a release's candidate bypass the cache: the candidate must see its share of
// traffic (and smoke requests must reach it), and its answers must never be served to clients
// of the stable version. The key is the canonical authority and the normalised path with the
// query as received.
#include <memory>
#include <string>

#include "cache/cache_key.h"
#include "cache/cache_policy.h"
#include "cache/cached_response.h"
#include "cache/coalescer.h"
#include "cache/response_store.h"
#include "common/clock.h"
#include "gateway/cache_path.h"
#include "gateway/filters/filters.h"
#include "gateway/stream.h"
#include "http/serialize.h"
#include "net/timer.h"

namespace x0::gateway {
namespace {

class CacheFilter final : public Filter<CacheFilter> {
 public:
  explicit CacheFilter(WorkerContext& worker)
      : worker_(worker),
        wait_timer_(worker.loop, net::Timer::call<&CacheFilter::on_wait_timeout>(this)) {}
  ~CacheFilter() override { reset(); }

  bool takes_part(const Stream& stream) const override {
    const http::RequestHead& head = stream.request().head;
    bool method_ok = head.method == http::Method::kGet || head.method == http::Method::kHead;
    // A request whose Connection hides fields from the origin is answered for a request the
    // cache never saw (e.g. "Connection: Origin" with Vary: Origin): it neither reads nor fills it.
    return worker_.cache != nullptr && stream.service().cache_rules.enabled && method_ok &&
           head.body_kind == http::BodyKind::kNone && stream.side() != EndpointRole::kCandidate &&
           !http::connection_hides_fields(head.headers);
  }

  FilterStatus on_request(Stream& stream) override {
    stream_ = &stream;
    const http::RequestHead& head = stream.request().head;
    start_unix_ms_ = unix_ms();
    cache::Headers headers = cache_headers(head.headers, worker_.request_headers);
    cache::RequestRules rules = cache::request_rules(headers, stream.service().cache_rules);
    // A token the jwt filter checked (in any header) is a credential like Authorization: the
    // request gets its own answer, never a stored one (RFC 9111 section 3.5).
    if (stream.credentialed()) rules.may_use_stored = false;
    may_store_ = rules.may_store;
    key_target_.assign(stream.path());
    if (!head.query.empty()) key_target_.append("?").append(head.query);
    key_ = cache::CacheKey(head.method_text, stream.authority(), key_target_);
    if (!rules.may_use_stored) return FilterStatus::kContinue;
    cache::LookupResult found = worker_.cache->lookup(key_, headers, start_unix_ms_);
    if (found.status == cache::LookupStatus::kHit &&
        cache::satisfies(rules, found.age_s, found.response->freshness.lifetime_s)) {
      answer(*found.response, found.age_s, "HIT");
      return FilterStatus::kStop;
    }
    if (found.status == cache::LookupStatus::kStale && found.within_stale_if_error) {
      stale_ = std::move(found.response);
    }
    switch (worker_.coalescer.join(key_, waiter(), worker_.loop.now_ms())) {
      case cache::JoinRole::kLeader:
        flight_leader_ = true;
        return FilterStatus::kContinue;
      case cache::JoinRole::kWaiter:  // another request of this worker is fetching this key
        waiting_ = true;
        wait_timer_.arm(stream.service().config.request_timeout_ms);
        return FilterStatus::kStop;
      case cache::JoinRole::kBypass:
        return FilterStatus::kContinue;
    }
    return FilterStatus::kContinue;
  }

  FilterStatus on_response_head(Stream& stream, const http::ResponseHead& head) override {
    if (head.status >= 500 && stale_) {  // stale-if-error covers 5xx answers too
      serve_stale();
      return FilterStatus::kStop;
    }
    stream.response_edits().drop.push_back("X-Cache");
    stream.response_edits().add("X-Cache", "MISS");
    begin_capture(head);
    if (capturing_) stream.want_response_payload();  // until stop_capture or store_capture
    return FilterStatus::kContinue;
  }

  void on_response_body(Stream& /*stream*/, std::string_view payload, bool last) override {
    if (!capturing_) return;
    capture(payload);
    // Stored before the last bytes leave: a client that got the whole response and asks again
    // (on any worker) must find it in the cache.
    if (last && capturing_) flight_result_ = store_capture();
  }

  FilterStatus on_upstream_failure(Stream& /*stream*/) override {
    if (!stale_) return FilterStatus::kContinue;
    serve_stale();
    return FilterStatus::kStop;
  }

  void on_done(Stream& /*stream*/, const StreamOutcome& /*outcome*/) override { reset(); }

 private:
  void reset() {
    end_flight();  // the waiters (other streams) resume from the loop, later
    ++generation_;
    waiting_ = false;
    wait_timer_.cancel();
    stale_.reset();
    coalesced_.reset();  // a lead's entry noted for a request that has ended: not kept idle
    stop_capture();
  }

  void answer(const cache::CachedResponse& entry, int64_t age_s, std::string_view label) {
    http::ServerConnection& client = stream_->client();
    bool keep_alive = write_cached(client, stream_->request(), entry, age_s, label);
    stream_->finish({entry.status, StreamOutcome::Source::kCache, nullptr}, keep_alive);
  }

  void serve_stale() {
    if (const EndpointState* failed = stream_->upstream()) {
      stream_->service().stats->record_masked_failure(failed->role == EndpointRole::kCandidate);
    }
    worker_.cache->record_stale_served();
    std::shared_ptr<const cache::CachedResponse> entry = std::move(stale_);
    answer(*entry, cache::current_age_s(entry->freshness, entry->stored_at_ms, unix_ms()), "STALE");
  }

  // Coalescing. The waiter runs inside the leader's end of request, so it only notes the result
  // and resumes this stream from the loop. It holds a weak reference and the generation of the
  // request it belongs to: one that fires after the client left (or for a later request of
  // this stream) does nothing.
  cache::CoalescedWaiter waiter() {
    std::weak_ptr<CacheFilter*> self = self_;
    uint64_t generation = generation_;
    return [self, generation](const cache::CoalescedOutcome& outcome) {
      auto alive = self.lock();
      if (!alive) return;
      CacheFilter* filter = *alive;
      if (filter->generation_ != generation || !filter->waiting_) return;
      filter->coalesced_ = outcome.response;
      filter->worker_.loop.defer([self, generation] {
        if (auto still = self.lock()) (*still)->on_coalesced(generation);
      });
    };
  }

  void on_coalesced(uint64_t generation) {
    if (generation != generation_ || !waiting_) return;
    waiting_ = false;
    wait_timer_.cancel();
    std::shared_ptr<const cache::CachedResponse> entry = std::move(coalesced_);
    if (entry && cache::vary_matches(*entry, cache_headers(stream_->request().head.headers,
                                                           worker_.request_headers))) {
      answer(*entry, cache::current_age_s(entry->freshness, entry->stored_at_ms, unix_ms()), "HIT");
      return;
    }
    stream_
        ->resume();  // the lead's response cannot be shared (not cacheable, failed, other variant)
  }

  void on_wait_timeout() {
    if (!waiting_) return;
    waiting_ = false;  // the lead is taking too long (e.g. a slow client): fetch ourselves
    coalesced_.reset();
    stream_->resume();
  }

  // At the response head: decide whether the response may be stored and keep its replay head.
  void begin_capture(const http::ResponseHead& head) {
    capturing_ = false;
    if (!may_store_) return;
    const http::Request& request = stream_->request();
    cache::Headers request_headers = cache_headers(request.head.headers, worker_.request_headers);
    if (stream_->credentialed() && !request.head.headers.count_of("Authorization")) {
      // Stored only as a response to an authorised request may be (public or s-maxage): the
      // token was in another header, so the cache is told it as Authorization.
      worker_.request_headers.push_back({"authorization", "-"});
      request_headers = cache::Headers(worker_.request_headers);
    }
    cache_headers(head.headers, worker_.response_headers);
    response_unix_ms_ = unix_ms();
    decision_ = cache::decide_storable({request.head.method_text, request_headers, start_unix_ms_},
                                       {head.status, worker_.response_headers, response_unix_ms_},
                                       stream_->service().cache_rules);
    bool too_large = head.body_kind == http::BodyKind::kContentLength &&
                     head.content_length > worker_.cache->max_entry_bytes();
    if (!decision_.store || too_large) {
      worker_.coalescer.mark_uncacheable(key_, worker_.loop.now_ms());
      end_flight();  // the waiters cannot share this response: let them fetch now, not at its end
      return;
    }
    // The request id names the request that filled the entry, not the ones it will answer.
    std::erase_if(worker_.response_headers,
                  [](const cache::Header& h) { return http::iequals(h.name, "X-Request-Id"); });
    capture_head_ = cache::make_replay_head(head.status, head.reason, worker_.response_headers,
                                            cache::kUnknownBodySize,
                                            request.head.method == http::Method::kHead);
    capture_body_.clear();
    status_ = head.status;
    capturing_ = true;
  }

  void capture(std::string_view bytes) {
    if (capture_body_.size() + bytes.size() > worker_.cache->max_entry_bytes()) {
      stop_capture();  // too large for the store
      worker_.coalescer.mark_uncacheable(key_, worker_.loop.now_ms());
      return;
    }
    if (worker_.capture_bytes + bytes.size() > worker_.capture_budget) {
      stop_capture();  // this worker already holds its share of bodies being copied: not this one
      return;
    }
    worker_.capture_bytes += bytes.size();
    capture_body_.append(bytes);
  }

  void stop_capture() {  // drops the copy and gives its bytes back to the worker's budget
    if (!capturing_) return;
    capturing_ = false;
    if (!stream_->ended()) stream_->response_payload_done();  // the rest passes through undecoded
    worker_.capture_bytes -= capture_body_.size();
    std::string().swap(capture_body_);
  }

  std::shared_ptr<const cache::CachedResponse> store_capture() {
    capturing_ = false;
    if (!stream_->ended()) stream_->response_payload_done();
    worker_.capture_bytes -= capture_body_.size();
    auto entry = cache::seal_streamed_response(
        {&key_, &decision_, status_, std::move(capture_head_), std::move(capture_body_),
         cache_headers(stream_->request().head.headers, worker_.request_headers),
         response_unix_ms_});
    capture_body_ = std::string();
    if (worker_.cache->insert(entry) == cache::InsertStatus::kTooLarge) return nullptr;
    return entry;
  }

  void end_flight() {  // lead of a coalesced fetch: release the waiters (exactly once)
    if (!flight_leader_) return;
    flight_leader_ = false;
    worker_.coalescer.complete(key_, std::move(flight_result_));
    flight_result_.reset();
  }

  WorkerContext& worker_;
  Stream* stream_ = nullptr;
  cache::CacheKey key_;
  std::string key_target_;
  bool may_store_ = false;
  int64_t start_unix_ms_ = 0;                           // RFC 9111 request_time
  int64_t response_unix_ms_ = 0;                        // RFC 9111 response_time
  std::shared_ptr<const cache::CachedResponse> stale_;  // within stale-if-error
  // Coalescing: as the lead, what the waiters get; as a waiter, what the lead left us.
  bool flight_leader_ = false;
  std::shared_ptr<const cache::CachedResponse> flight_result_;
  bool waiting_ = false;
  std::shared_ptr<const cache::CachedResponse> coalesced_;
  net::Timer wait_timer_;
  // Storing: the copy of the response being streamed.
  bool capturing_ = false;
  int status_ = 0;
  cache::StoreDecision decision_;
  std::string capture_head_, capture_body_;
  std::shared_ptr<CacheFilter*> self_ = std::make_shared<CacheFilter*>(this);
  uint64_t generation_ = 0;
};

}  // namespace

std::unique_ptr<StreamFilter> make_cache_filter(WorkerContext& worker) {
  return std::make_unique<CacheFilter>(worker);
}

}  // namespace x0::gateway
