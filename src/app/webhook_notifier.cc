// Asynchronous webhook posts on the control loop (see webhook_notifier.h).
#include "app/webhook_notifier.h"

#include <optional>

#include "common/log.h"
#include "config/config.h"
#include "http/client.h"

namespace x0::app {

Result<WebhookTarget> parse_webhook_url(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme))
    return fail(Errc::kUnsupported, "only http:// webhooks are supported");
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view rest_target = end == std::string_view::npos ? "" : rest.substr(end);
  rest_target = rest_target.substr(0, rest_target.find('#'));  // a fragment is not sent
  std::string target =
      rest_target.starts_with('/') ? std::string(rest_target) : "/" + std::string(rest_target);
  // Without a port, the authority is "host" or "[v6]": give parse_host_port its ":80".
  bool has_port = authority.starts_with('[') ? authority.find("]:") != std::string_view::npos
                                             : authority.find(':') != std::string_view::npos;
  std::string with_port = std::string(authority) + (has_port ? "" : ":80");
  auto host_port = config::parse_host_port(with_port);
  if (!host_port) return fail(Errc::kBadUrl, "bad webhook authority: " + host_port.error().detail);
  WebhookTarget t;
  t.host = host_port->first;
  t.port = host_port->second;
  t.authority = std::string(authority);
  t.target = std::move(target);
  return t;
}

// One POST: the lookup, then the exchange, within one deadline.
class WebhookNotifier::Post {
 public:
  Post(WebhookNotifier& owner, uint64_t id, std::string url, WebhookTarget target, std::string body,
       int64_t timeout_ms)
      : owner_(owner),
        id_(id),
        url_(std::move(url)),
        target_(std::move(target)),
        body_(std::move(body)),
        timeout_ms_(timeout_ms),
        deadline_ms_(net::EventLoop::monotonic_ms() + timeout_ms),
        client_(owner.loop_) {}
  ~Post() {
    if (lookup_) owner_.resolver_.cancel(*lookup_);
  }

  void start() {
    lookup_ = owner_.resolver_.resolve(target_.host, target_.port, timeout_ms_,
                                       [this](Result<net::SocketAddress> a) { on_resolved(a); });
  }

  const std::string& url() const { return url_; }

 private:
  void on_resolved(const Result<net::SocketAddress>& address) {
    lookup_.reset();
    if (!address) return done(std::unexpected(address.error()));
    int64_t left = deadline_ms_ - net::EventLoop::monotonic_ms();
    if (left <= 0)
      return done(fail(Errc::kTimedOut,
                       "the name lookup took the whole " + std::to_string(timeout_ms_) + " ms"));
    http::ClientRequest request;
    request.method = http::Method::kPost;
    request.method_text = "POST";
    request.target = target_.target;
    request.host = target_.authority;
    request.headers.emplace_back("Content-Type", "application/json");
    request.headers.emplace_back("User-Agent", "x0tta6bl4-notify");
    request.body = std::move(body_);
    http::ClientOptions options;
    options.timeout_ms = left;
    options.max_body_bytes = 64 * 1024;  // the status is what counts
    client_.start(*address, request, options,
                  [this, peer = address->to_string()](Result<http::ClientResponse> r) {
                    if (r) return done(r->status);
                    if (r.error().code != Errc::kTimedOut) return done(std::unexpected(r.error()));
                    // The client's own deadline was what was left of ours: name the whole one.
                    done(fail(Errc::kTimedOut, "no complete answer from " + peer + " within " +
                                                   std::to_string(timeout_ms_) + " ms"));
                  });
  }

  // Ends the post: the owner logs and destroys it (allowed from either callback above: the
  // resolver and the client touch nothing of theirs after calling them).
  void done(Result<int> outcome) { owner_.finished(id_, url_, std::move(outcome)); }

  WebhookNotifier& owner_;
  uint64_t id_;
  std::string url_;
  WebhookTarget target_;
  std::string body_;
  int64_t timeout_ms_;
  int64_t deadline_ms_;  // monotonic: lookup and exchange share it
  std::optional<net::Resolver::RequestId> lookup_;
  http::Client client_;
};

WebhookNotifier::WebhookNotifier(net::EventLoop& loop, net::Resolver& resolver,
                                 size_t max_in_flight)
    : loop_(loop), resolver_(resolver), max_in_flight_(max_in_flight) {
  auto& r = telemetry::default_registry();
  const char* help =
      "Incident notification webhook posts, by result (dropped: over the in-flight bound).";
  delivered_ = r.counter("notify_webhooks_total", help, {{"result", "delivered"}});
  failed_ = r.counter("notify_webhooks_total", help, {{"result", "failed"}});
  dropped_ = r.counter("notify_webhooks_total", help, {{"result", "dropped"}});
}

WebhookNotifier::~WebhookNotifier() = default;

void WebhookNotifier::post(const std::string& url, const std::string& body, int64_t timeout_ms) {
  loop_.assert_owner("WebhookNotifier::post");
  auto target = parse_webhook_url(url);
  if (!target) {
    failed_->inc();
    log::warn("INCIDENT", "notify webhook skipped",
              {{"url", url}, {"reason", target.error().detail}});
    return;
  }
  if (posts_.size() >= max_in_flight_) {
    dropped_->inc();
    log::warn("INCIDENT", "notify webhook dropped: too many posts in flight",
              {{"url", url}, {"in_flight", posts_.size()}, {"limit", max_in_flight_}});
    return;
  }
  uint64_t id = next_id_++;
  auto [it, inserted] = posts_.emplace(
      id, std::make_unique<Post>(*this, id, url, std::move(*target), body, timeout_ms));
  it->second->start();
}

void WebhookNotifier::finished(uint64_t id, const std::string& url, Result<int> outcome) {
  std::string where = url;  // `url` lives in the post erased below
  if (outcome && *outcome >= 200 && *outcome < 300) {
    delivered_->inc();
    log::info("INCIDENT", "notify webhook delivered", {{"url", where}, {"status", *outcome}});
  } else {
    failed_->inc();
    std::string reason = outcome
                             ? "answered " + std::to_string(*outcome)
                             : std::string(outcome.error().name()) + ": " + outcome.error().detail;
    log::warn("INCIDENT", "notify webhook failed", {{"url", where}, {"reason", reason}});
  }
  posts_.erase(id);
}

}  // namespace x0::app
