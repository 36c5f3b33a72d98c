// The filter interface of a data-plane stream (gateway/stream.h), after Envoy's
// StreamDecoderFilter and HAProxy's flt_ops. A filter is one feature (isolation, forwarding
// fields, the cache, stats and access log, outlier detection, the router) and one file. Each
// stream holds one instance of every filter of the chain, made once by the chain's factories
// with the worker's state, and reused for the stream's later requests: a filter keeps per-request
// state in its members and clears it in on_done.
//
// Order: on_request runs in chain order until a filter stops; the router is last and always
// stops. The response hooks run in chain order on the filters before the router.
//
// A filter derives from Filter<Itself>, which tells the stream which hooks it overrides, so a
// stream calls a filter only for those (a request costs no call into a filter for a hook it
// does not have).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "gateway/route_table.h"
#include "gateway/worker_context.h"
#include "http/message.h"

namespace x0::gateway {

class Stream;

enum class FilterStatus {
  kContinue,  // on to the next filter
  kStop,      // the filter answered (the stream ended) or waits and calls Stream::resume later
};

// How a request ended, as on_done sees it.
struct StreamOutcome {
  enum class Source { kUpstream, kCache, kLocal, kClientGone };
  int status = 0;
  Source source = Source::kLocal;
  const EndpointState* endpoint = nullptr;  // the upstream that answered or was cut off
  // The upstream response's payload bytes (chunk framing not counted); nullopt when it has no
  // body by its status or the request's method (HEAD, 204, 304) or nobody answered. The release
  // sides' response-size signals (docs/AUTOPILOT.md, "Silent failures").
  std::optional<uint64_t> body_bytes = std::nullopt;
};

// The hooks a filter may override, as bits (StreamFilter::hooks).
enum FilterHook : uint32_t {
  kTakesPart = 1u << 0,
  kOnRequest = 1u << 1,
  kOnResponseHead = 1u << 2,
  kOnResponseBody = 1u << 3,
  kOnUpstreamFailure = 1u << 4,
  kOnUpstreamResult = 1u << 5,
  kOnClientWritable = 1u << 6,
  kOnDone = 1u << 7,
};
inline constexpr int kFilterHooks = 8;

class StreamFilter {
 public:
  virtual ~StreamFilter() = default;
  // The hooks this filter overrides (FilterHook bits); Filter<Self> answers it.
  virtual uint32_t hooks() const = 0;
  // Whether the filter takes part in this request (e.g. its route has the feature on). Asked
  // once, at the start of each request; a filter that does not take part sees no other hook.
  virtual bool takes_part(const Stream& /*stream*/) const { return true; }
  virtual FilterStatus on_request(Stream& /*stream*/) { return FilterStatus::kContinue; }
  // An upstream's final response head. kStop: the filter answered instead (the router drops
  // the upstream connection).
  virtual FilterStatus on_response_head(Stream& /*stream*/, const http::ResponseHead& /*head*/) {
    return FilterStatus::kContinue;
  }
  // The response payload, before it leaves for the client; `last` once, at its end. Runs only
  // when a filter asked for it (Stream::want_response_payload).
  virtual void on_response_body(Stream& /*stream*/, std::string_view /*payload*/, bool /*last*/) {}
  // The upstream side has nothing to answer with (no endpoint left, or the last one failed).
  // kStop: the filter answered instead.
  virtual FilterStatus on_upstream_failure(Stream& /*stream*/) { return FilterStatus::kContinue; }
  // One attempt on an endpoint ended, failed (connect, reset, timeout, 5xx, bad response) or not.
  virtual void on_upstream_result(Stream& /*stream*/, EndpointState& /*endpoint*/,
                                  bool /*failed*/) {}
  // The filter that stopped is told when a paused client may take more output.
  virtual void on_client_writable(Stream& /*stream*/) {}
  // The request ended; exactly once for every filter that saw on_request.
  virtual void on_done(Stream& /*stream*/, const StreamOutcome& /*outcome*/) {}
};

// The base of every filter: finds, at compile time, which hooks Self overrides (a hook Self
// inherits has the base's member pointer type).
template <class Self>
class Filter : public StreamFilter {
 public:
  uint32_t hooks() const final {
    using B = StreamFilter;
    return bit(&Self::takes_part, &B::takes_part, kTakesPart) |
           bit(&Self::on_request, &B::on_request, kOnRequest) |
           bit(&Self::on_response_head, &B::on_response_head, kOnResponseHead) |
           bit(&Self::on_response_body, &B::on_response_body, kOnResponseBody) |
           bit(&Self::on_upstream_failure, &B::on_upstream_failure, kOnUpstreamFailure) |
           bit(&Self::on_upstream_result, &B::on_upstream_result, kOnUpstreamResult) |
           bit(&Self::on_client_writable, &B::on_client_writable, kOnClientWritable) |
           bit(&Self::on_done, &B::on_done, kOnDone);
  }

 private:
  // `hook` when Self's member differs in type from the base's (Self declares its own).
  template <class Own, class Base>
  static constexpr uint32_t bit(Own, Base, uint32_t hook) {
    return std::is_same_v<Own, Base> ? 0 : hook;
  }
};

// Makes one filter instance for a stream of `worker` (per-worker state is handed in here).
using FilterFactory = std::function<std::unique_ptr<StreamFilter>(WorkerContext& worker)>;
using FilterChain = std::vector<FilterFactory>;

// isolation, stats and access log, outlier detection, forwarding fields, cache, router.
FilterChain default_filter_chain();

}  // namespace x0::gateway
