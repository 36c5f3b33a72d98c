// Every request that reaches its service is counted there (status, latency, response size,
// candidate or stable, answered by the cache or not) and written to the access log, once, when it
// ends.

#include "common/clock.h"
#include "gateway/access_log.h"
#include "gateway/filters/filters.h"
#include "gateway/stream.h"

namespace x0::gateway {
namespace {

class StatsFilter final : public Filter<StatsFilter> {
 public:
  void on_done(Stream& stream, const StreamOutcome& outcome) override {
    double seconds = static_cast<double>(monotonic_ns() - stream.start_ns()) / 1e9;
    const ServiceState& service = stream.service();
    bool cached = outcome.source == StreamOutcome::Source::kCache;
    if (cached) {
      service.stats->record_cached(outcome.status, seconds);
    } else {
      EndpointRole role = outcome.endpoint != nullptr ? outcome.endpoint->role : stream.side();
      service.stats->record(outcome.status, seconds, role == EndpointRole::kCandidate,
                            outcome.body_bytes);
    }
    if (!access_log_enabled()) return;
    std::string_view upstream = cached ? std::string_view("cache")
                                : outcome.endpoint != nullptr
                                    ? std::string_view(outcome.endpoint->name)
                                    : std::string_view("-");
    const http::RequestHead& head = stream.request().head;
    log_access({stream.client().peer_ip(), head.method_text, head.target, outcome.status, seconds,
                service.config.name, upstream, stream.request_id()});
  }
};

}  // namespace

std::unique_ptr<StreamFilter> make_stats_filter(WorkerContext& /*worker*/) {
  return std::make_unique<StatsFilter>();
}

}  // namespace x0::gateway
