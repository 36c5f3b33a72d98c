// The proxy's own fields on what it forwards, in both directions (rules in head_rewrite.h).
#include "gateway/filters/filters.h"
#include "gateway/head_rewrite.h"
#include "gateway/stream.h"

namespace x0::gateway {
namespace {

class ForwardingFilter final : public Filter<ForwardingFilter> {
 public:
  FilterStatus on_request(Stream& stream) override {
    add_request_forwarding(
        stream.request().head,
        {stream.client().peer_ip(), stream.client_trusted(), stream.request_id(),
         stream.client().secure()},
        stream.request_edits());
    return FilterStatus::kContinue;
  }

  FilterStatus on_response_head(Stream& stream, const http::ResponseHead& head) override {
    add_response_forwarding(head, stream.request_id(), stream.response_edits());
    return FilterStatus::kContinue;
  }
};

}  // namespace

std::unique_ptr<StreamFilter> make_forwarding_filter(WorkerContext& /*worker*/) {
  return std::make_unique<ForwardingFilter>();
}

}  // namespace x0::gateway
