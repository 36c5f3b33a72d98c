// The stream: filter order, the exits, recycling (see stream.h).
#include "gateway/stream.h"

#include <bit>
#include <cstdlib>

#include "common/clock.h"
#include "common/log.h"
#include "gateway/mesh_forwarding.h"

namespace x0::gateway {
namespace {

bool bit(uint64_t set, size_t i) { return (set >> i) & 1u; }

uint64_t first(size_t count) { return count >= 64 ? ~uint64_t{0} : (uint64_t{1} << count) - 1; }

int hook_index(FilterHook hook) { return std::countr_zero(static_cast<uint32_t>(hook)); }

// Calls f(i) for each set bit i, lowest first (chain order).
template <class F>
void each(uint64_t set, F&& f) {
  while (set != 0) {
    f(static_cast<size_t>(std::countr_zero(set)));
    set &= set - 1;
  }
}

}  // namespace

Stream::Stream(WorkerContext& worker, const FilterChain& chain, StreamPool* pool)
    : worker_(worker), pool_(pool) {
  if (chain.size() > 64) {  // taking_part_ is one bit per filter
    log::error("GATEWAY", "a filter chain holds at most 64 filters", {{"filters", chain.size()}});
    std::abort();
  }
  filters_.reserve(chain.size());
  for (const FilterFactory& make : chain) filters_.push_back(make(worker));
  for (size_t i = 0; i < filters_.size(); ++i) {
    uint32_t hooks = filters_[i]->hooks();
    for (int h = 0; h < kFilterHooks; ++h) {
      if (hooks & (1u << h)) hooked_[h] |= uint64_t{1} << i;
    }
  }
}

uint64_t Stream::with(FilterHook hook, size_t count) const {
  return taking_part_ & hooked_[hook_index(hook)] & first(count);
}

Stream::~Stream() {
  // Destroyed mid-request (a worker shutting down): the connection must not call back; each
  // filter's destructor lets go of what it holds.
  if (ended_) return;
  if (client_ != nullptr) client_->set_pending(nullptr);
  worker_.in_flight.store(worker_.in_flight.load(std::memory_order_relaxed) - 1,
                          std::memory_order_relaxed);
}

void Stream::start(http::ServerConnection& client, const http::Request& request,
                   const RequestTarget& target, std::shared_ptr<const RouteTable> table,
                   const ServiceState& service, EndpointRole side) {
  client_ = &client;
  request_ = &request;
  table_ = std::move(table);
  service_ = &service;
  path_.assign(target.path);
  authority_.assign(target.authority);
  client_trusted_ = target.client_trusted;
  mesh_hops_ = target.mesh_hops;
  mesh_via_.assign(target.mesh_via);
  side_ = side;
  start_ns_ = monotonic_ns();
  mesh_deadline_ns_ = target.mesh_budget_ms > 0
                          ? start_ns_ + hop_deadline_ms(target.mesh_budget_ms) * 1'000'000
                          : 0;
  upstream_ = nullptr;
  request_edits_.clear();
  response_edits_.clear();
  payload_wanted_ = 0;
  ended_ = false;
  credentialed_ = false;
  std::string_view incoming_id = request.head.headers.find("X-Request-Id");
  if (valid_request_id(incoming_id)) {
    request_id_.assign(incoming_id);
  } else {
    worker_.new_request_id(request_id_);
  }
  client.set_pending(this);
  worker_.in_flight.store(worker_.in_flight.load(std::memory_order_relaxed) + 1,
                          std::memory_order_relaxed);
  // Filters without takes_part take part in every request.
  taking_part_ = first(filters_.size()) & ~hooked_[hook_index(kTakesPart)];
  each(hooked_[hook_index(kTakesPart)], [this](size_t i) {
    if (filters_[i]->takes_part(*this)) taking_part_ |= uint64_t{1} << i;
  });
  entered_ = 0;
  starting_ = true;
  run_filters(0);
  starting_ = false;
  // Ended inside start() (a cache hit, a filter's own answer): nothing of the stream is on the
  // stack once this returns, so it goes back now and the connection's next pipelined request,
  // started right after, reuses it instead of making another.
  if (recycle_after_start_) {
    recycle_after_start_ = false;
    pool_->recycle(this);  // may destroy it: the last thing done here
  }
}

void Stream::run_filters(size_t from) {
  uint64_t has_on_request = hooked_[hook_index(kOnRequest)];
  for (size_t i = from; i < filters_.size(); ++i) {
    if (!bit(taking_part_, i)) continue;
    entered_ = i + 1;
    holder_ = i;  // the hooks of the filters before it are open to it from now
    if (!bit(has_on_request, i)) continue;
    if (filters_[i]->on_request(*this) == FilterStatus::kStop) return;
    if (ended_) return;  // answered, yet said continue: nothing more to do
  }
  // Only a chain without a terminal filter gets here: a defect, answered rather than left hanging.
  log::error("GATEWAY", "filter chain ended without answering", {{"request_id", request_id_}});
  respond(ErrorCode::kBadGateway, "the request was not routed to an upstream");
}

void Stream::resume() {
  if (ended_) return;
  run_filters(holder_ + 1);
}

FilterStatus Stream::response_head(const http::ResponseHead& head) {
  response_edits_.clear();
  for (uint64_t set = with(kOnResponseHead, holder_); set != 0; set &= set - 1) {
    size_t i = static_cast<size_t>(std::countr_zero(set));
    if (filters_[i]->on_response_head(*this, head) == FilterStatus::kStop || ended_)
      return FilterStatus::kStop;
  }
  return FilterStatus::kContinue;
}

void Stream::response_body(std::string_view payload, bool last) {
  if (payload_wanted_ == 0) return;
  each(with(kOnResponseBody, holder_),
       [&](size_t i) { filters_[i]->on_response_body(*this, payload, last); });
}

FilterStatus Stream::upstream_failure() {
  for (uint64_t set = with(kOnUpstreamFailure, holder_); set != 0; set &= set - 1) {
    size_t i = static_cast<size_t>(std::countr_zero(set));
    if (filters_[i]->on_upstream_failure(*this) == FilterStatus::kStop || ended_)
      return FilterStatus::kStop;
  }
  return FilterStatus::kContinue;
}

void Stream::upstream_result(EndpointState& endpoint, bool failed) {
  each(with(kOnUpstreamResult, holder_),
       [&](size_t i) { filters_[i]->on_upstream_result(*this, endpoint, failed); });
}

http::ServerConnection* Stream::end(const StreamOutcome& outcome) {
  ended_ = true;
  each(with(kOnDone, entered_), [&](size_t i) { filters_[i]->on_done(*this, outcome); });
  http::ServerConnection* client = client_;
  if (client != nullptr) client->set_pending(nullptr);
  worker_.in_flight.store(worker_.in_flight.load(std::memory_order_relaxed) - 1,
                          std::memory_order_relaxed);
  client_ = nullptr;
  request_ = nullptr;
  service_ = nullptr;
  table_.reset();
  if (pool_ != nullptr) {
    if (starting_) {
      recycle_after_start_ = true;  // see start()
    } else {
      StreamPool* pool = pool_;
      worker_.loop.defer([pool, this] { pool->recycle(this); });
    }
  }
  return client;
}

void Stream::finish(const StreamOutcome& outcome, bool keep_alive) {
  if (ended_) return;
  http::ServerConnection* client = end(outcome);
  client->finish_response(keep_alive);  // the next pipelined request starts from the loop, later
}

void Stream::abort(const StreamOutcome& outcome) {
  if (ended_) return;
  end(outcome)->close();
}

void Stream::respond(ErrorCode code, std::string_view detail, std::string_view extra_headers) {
  if (ended_) return;
  ErrorInfo info = error_info(code);
  std::string body = "{\"error\":\"";
  body.append(info.name).append("\",\"detail\":\"");
  for (char c : detail) {
    if (c == '"' || c == '\\') body += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) body += c;
  }
  body.append("\",\"request_id\":\"").append(request_id_).append("\"}");
  std::string extra = "X-Request-Id: " + request_id_ + "\r\n";
  extra.append(extra_headers);
  // A peer's request that found nothing to send it to here: the peer tries elsewhere.
  if (mesh_hops_ > 0 && code == ErrorCode::kNoHealthyUpstream)
    extra.append(kMeshUnservedHeader).append(": 1\r\n");
  http::ServerConnection* client = end({info.status, StreamOutcome::Source::kLocal, nullptr});
  client->respond(info.status, "application/json", body, extra);
}

void Stream::on_client_gone() {
  // The connection is closing (on_done may read it, never write to it).
  if (!ended_)
    end({499, StreamOutcome::Source::kClientGone, upstream_});  // nginx's "client closed request"
}

void Stream::on_client_writable() {
  if (!ended_ && bit(hooked_[hook_index(kOnClientWritable)], holder_))
    filters_[holder_]->on_client_writable(*this);
}

// --- StreamPool ---------------------------------------------------------------------------

Stream& StreamPool::acquire() {
  if (!idle_.empty()) {
    Stream* stream = idle_.back();
    idle_.pop_back();
    return *stream;
  }
  auto stream = std::make_unique<Stream>(worker_, chain_, this);
  stream->slot_ = streams_.size();
  streams_.push_back(std::move(stream));
  return *streams_.back();
}

void StreamPool::recycle(Stream* stream) {
  if (idle_.size() < kMaxSpare) {
    idle_.push_back(stream);
    return;
  }
  // Beyond the spares: destroyed (from the loop's deferred queue, so no call of its is running).
  size_t slot = stream->slot_;
  std::swap(streams_[slot], streams_.back());
  streams_[slot]->slot_ = slot;
  streams_.pop_back();
}

}  // namespace x0::gateway
