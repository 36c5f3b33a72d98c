// Incident notifications to the [notify] webhooks as asynchronous tasks on the control loop: a
// POST is started and the control thread goes back to its ticks; the host name is looked up on
// the net::Resolver (IP literals need no lookup), the request goes through http::Client, and
// one deadline ([notify] webhook_timeout_ms) covers lookup, connect, request and answer. The
// outcome is logged when it comes back: delivered (INFO), or WARN INCIDENT "notify webhook
// failed" with the url and the reason. At most kMaxInFlight posts wait at a time; one more is
// dropped with a WARN (a dead receiver must not pile up sockets and timers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "common/result.h"
#include "net/event_loop.h"
#include "net/resolver.h"
#include "telemetry/metrics.h"

namespace x0::app {

inline constexpr size_t kMaxWebhooksInFlight = 64;

// An http:// webhook URL taken apart: "http://hooks.example:8080/x?y" -> host, port, target.
struct WebhookTarget {
  std::string host;  // as written, brackets removed from an IPv6 literal
  uint16_t port = 80;
  std::string authority;  // the Host header: "hooks.example:8080"
  std::string target;     // "/x?y"
};
Result<WebhookTarget> parse_webhook_url(const std::string& url);

class WebhookNotifier {
 public:
  // `loop` is the control loop and `resolver` answers on it; every call below is made on its
  // thread. Destroying the notifier (on that thread, or after the loop stopped) cancels the
  // posts in flight without logging their outcome.
  WebhookNotifier(net::EventLoop& loop, net::Resolver& resolver,
                  size_t max_in_flight = kMaxWebhooksInFlight);
  ~WebhookNotifier();
  WebhookNotifier(const WebhookNotifier&) = delete;
  WebhookNotifier& operator=(const WebhookNotifier&) = delete;

  // Starts POSTing the JSON `body` to `url`; returns at once.
  void post(const std::string& url, const std::string& body, int64_t timeout_ms);
  size_t in_flight() const { return posts_.size(); }

 private:
  class Post;
  void finished(uint64_t id, const std::string& url, Result<int> outcome);

  net::EventLoop& loop_;
  net::Resolver& resolver_;
  size_t max_in_flight_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<Post>> posts_;
  telemetry::Counter* delivered_;
  telemetry::Counter* failed_;
  telemetry::Counter* dropped_;
};

}  // namespace x0::app
