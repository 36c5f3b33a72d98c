// The stream: filter order, the exits, recycling (see stream.h).
#include "gateway/stream.h"

#include <cstdlib>

#include "common/clock.h"
#include "common/log.h"

namespace x0::gateway {
namespace {

bool bit(uint64_t set, size_t i) { return (set >> i) & 1u; }

}  // namespace

Stream::Stream(WorkerContext& worker, const FilterChain& chain, StreamPool* pool)
    : worker_(worker), pool_(pool) {
  if (chain.size() > 64) {  // taking_part_ is one bit per filter
    log::error("GATEWAY", "a filter chain holds at most 64 filters", {{"filters", chain.size()}});
    std::abort();
  }
  filters_.reserve(chain.size());
  for (const FilterFactory& make : chain) filters_.push_back(make(worker));
}

Stream::~Stream() {
  // Destroyed mid-request (a worker shutting down): the connection must not call back; each
  // filter's destructor lets go of what it holds.
  if (ended_) return;
  if (client_ != nullptr) client_->set_pending(nullptr);
  worker_.in_flight.store(worker_.in_flight.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
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
  side_ = side;
  start_ns_ = monotonic_ns();
  upstream_ = nullptr;
  request_edits_.clear();
  response_edits_.clear();
  wants_payload_ = false;
  ended_ = false;
  std::string_view incoming_id = request.head.headers.find("X-Request-Id");
  if (valid_request_id(incoming_id)) {
    request_id_.assign(incoming_id);
  } else {
    worker_.new_request_id(request_id_);
  }
  client.set_pending(this);
  worker_.in_flight.store(worker_.in_flight.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  taking_part_ = 0;
  for (size_t i = 0; i < filters_.size(); ++i) {
    if (filters_[i]->takes_part(*this)) taking_part_ |= uint64_t{1} << i;
  }
  entered_ = 0;
  run_filters(0);
}

void Stream::run_filters(size_t from) {
  for (size_t i = from; i < filters_.size(); ++i) {
    if (!bit(taking_part_, i)) continue;
    entered_ = i + 1;
    holder_ = i;  // the hooks of the filters before it are open to it from now
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
  for (size_t i = 0; i < holder_; ++i) {
    if (!bit(taking_part_, i)) continue;
    if (filters_[i]->on_response_head(*this, head) == FilterStatus::kStop || ended_) {
      return FilterStatus::kStop;
    }
  }
  return FilterStatus::kContinue;
}

void Stream::response_body(std::string_view payload, bool last) {
  if (!wants_payload_) return;
  for (size_t i = 0; i < holder_; ++i) {
    if (bit(taking_part_, i)) filters_[i]->on_response_body(*this, payload, last);
  }
}

FilterStatus Stream::upstream_failure() {
  for (size_t i = 0; i < holder_; ++i) {
    if (!bit(taking_part_, i)) continue;
    if (filters_[i]->on_upstream_failure(*this) == FilterStatus::kStop || ended_) return FilterStatus::kStop;
  }
  return FilterStatus::kContinue;
}

void Stream::upstream_result(EndpointState& endpoint, bool failed) {
  for (size_t i = 0; i < holder_; ++i) {
    if (bit(taking_part_, i)) filters_[i]->on_upstream_result(*this, endpoint, failed);
  }
}

http::ServerConnection* Stream::end(const StreamOutcome& outcome) {
  ended_ = true;
  for (size_t i = 0; i < entered_; ++i) {
    if (bit(taking_part_, i)) filters_[i]->on_done(*this, outcome);
  }
  http::ServerConnection* client = client_;
  if (client != nullptr) client->set_pending(nullptr);
  worker_.in_flight.store(worker_.in_flight.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  client_ = nullptr;
  request_ = nullptr;
  service_ = nullptr;
  table_.reset();
  if (pool_ != nullptr) {
    StreamPool* pool = pool_;
    worker_.loop.defer([pool, this] { pool->recycle(this); });
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

void Stream::respond(ErrorCode code, std::string_view detail) {
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
  http::ServerConnection* client = end({info.status, StreamOutcome::Source::kLocal, nullptr});
  client->respond(info.status, "application/json", body, extra);
}

void Stream::on_client_gone() {
  // The connection is closing (on_done may read it, never write to it).
  if (!ended_) end({499, StreamOutcome::Source::kClientGone, upstream_});  // nginx's "client closed request"
}

void Stream::on_client_writable() {
  if (!ended_) filters_[holder_]->on_client_writable(*this);
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
