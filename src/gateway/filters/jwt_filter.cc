// The jwt filter (issue 15): on a route with a provider, a request must carry a valid bearer
// token (jwt/verifier.h) or it is answered 401 with RFC 6750's WWW-Authenticate and the node's JSON
// error body, before the cache can answer it. A valid token's claims may be forwarded as headers
// (a client's own copies of those headers never are) and the token itself is stripped unless the
// provider forwards it. Every outcome is counted in jwt_validation_total{service,result}; failures
// are logged under SECURITY (client address and reason, never the token) at a bounded rate.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "common/log.h"
#include "gateway/filters/filters.h"
#include "gateway/jwt_route.h"
#include "gateway/stream.h"
#include "http/serialize.h"
#include "telemetry/metrics.h"

namespace x0::gateway {
namespace {

// A flood of bad tokens must not become a flood of log lines: per worker, at most this many
// lines a second; the next line logged says how many were left out.
constexpr int kLogLinesPerSecond = 5;

struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using ResultCounters = std::array<telemetry::Counter*, jwt::kFailureCount>;

// Per worker thread (each worker is one thread; streams of a worker share it): the counters,
// looked up once per service and result, and the log budget.
struct JwtWorkerState {
  std::unordered_map<std::string, ResultCounters, NameHash, std::equal_to<>> counters;
  int64_t log_window_ms = 0;
  int logged_in_window = 0;
  uint64_t not_logged = 0;

  telemetry::Counter& counter(std::string_view service, jwt::Failure result) {
    auto it = counters.find(service);
    if (it == counters.end()) it = counters.emplace(std::string(service), ResultCounters{}).first;
    telemetry::Counter*& c = it->second[static_cast<size_t>(result)];
    if (c == nullptr)
      c = telemetry::default_registry().counter(
          "jwt_validation_total",
          "Requests checked by the jwt filter, by service and result (ok or the failure reason).",
          {{"service", std::string(service)}, {"result", std::string(jwt::failure_name(result))}});
    return *c;
  }

  bool may_log(int64_t now_ms) {
    if (now_ms - log_window_ms >= 1000) {
      log_window_ms = now_ms;
      logged_in_window = 0;
    }
    if (logged_in_window >= kLogLinesPerSecond) {
      ++not_logged;
      return false;
    }
    ++logged_in_window;
    return true;
  }
};

JwtWorkerState& worker_state() {
  static thread_local JwtWorkerState state;
  return state;
}

std::string_view trim_spaces(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// The token, or "" when the request has none; *ambiguous when it has the field twice (which
// one the upstream would believe is not ours to guess).
std::string_view find_token(const JwtRoute& route, const http::HeaderList& headers,
                            bool* ambiguous) {
  *ambiguous = headers.count_of(route.from_header) > 1;
  std::string_view value = headers.find(route.from_header);
  if (!route.bearer) return trim_spaces(value);
  // RFC 6750 section 2.1: "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 9110 11.1).
  constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size() || !http::iequals(value.substr(0, kScheme.size()), kScheme) ||
      value[kScheme.size()] != ' ')
    return {};
  return trim_spaces(value.substr(kScheme.size() + 1));
}

class JwtFilter final : public Filter<JwtFilter> {
 public:
  explicit JwtFilter(WorkerContext& worker) : worker_(worker) {}

  bool takes_part(const Stream& stream) const override { return stream.service().jwt != nullptr; }

  FilterStatus on_request(Stream& stream) override {
    const JwtRoute& route = *stream.service().jwt;
    const http::HeaderList& headers = stream.request().head.headers;
    bool ambiguous = false;
    std::string_view token = find_token(route, headers, &ambiguous);
    jwt::Verdict verdict;
    if (ambiguous) {
      verdict.failure = jwt::Failure::kMalformed;
    } else {
      verdict = route.verifier.verify(token, unix_ms() / 1000);
    }
    JwtWorkerState& state = worker_state();
    state.counter(stream.service().config.name, verdict.failure).inc();
    if (!verdict.ok()) {
      refuse(stream, route, verdict.failure, state);
      return FilterStatus::kStop;
    }
    forward(stream, route, verdict);
    return FilterStatus::kContinue;
  }

 private:
  void refuse(Stream& stream, const JwtRoute& route, jwt::Failure failure,
              JwtWorkerState& state) {
    // A request without any token is a client that has not logged in, not an attack: it is
    // counted, but it neither feeds the security signal nor fills the SECURITY log.
    if (failure != jwt::Failure::kMissing) {
      if (worker_.auth_failures != nullptr)
        worker_.auth_failures->fetch_add(1, std::memory_order_relaxed);
      if (state.may_log(worker_.loop.now_ms())) {
        log::warn("SECURITY", "request refused: invalid bearer token",
                  {{"peer", stream.client().peer_ip()},
                   {"service", stream.service().config.name},
                   {"provider", route.provider},
                   {"reason", jwt::failure_name(failure)},
                   {"path", stream.path()},
                   {"request_id", stream.request_id()},
                   {"not_logged_since_last", state.not_logged}});
        state.not_logged = 0;
      }
    }
    // RFC 6750 section 3: the realm, and for a presented token the error; a request that had no
    // token gets no error code (section 3.1).
    std::string challenge = "WWW-Authenticate: Bearer realm=\"";
    challenge.append(stream.service().config.name).append("\"");
    if (failure != jwt::Failure::kMissing)
      challenge.append(", error=\"invalid_token\", error_description=\"")
          .append(jwt::failure_description(failure))
          .append("\"");
    challenge.append("\r\n");
    stream.respond(ErrorCode::kUnauthorized, jwt::failure_description(failure), challenge);
  }

  void forward(Stream& stream, const JwtRoute& route, const jwt::Verdict& verdict) {
    stream.mark_credentialed();
    HeaderEdits& edits = stream.request_edits();
    if (!route.forward_token) edits.drop.push_back(route.from_header);
    for (const auto& [claim, header] : route.forward_claims) {
      edits.drop.push_back(header);  // the client's own copy never reaches the upstream
      if (auto value = jwt::claim_text(verdict.claims, claim)) edits.add(header, *value);
    }
  }

  WorkerContext& worker_;
};

}  // namespace

std::unique_ptr<StreamFilter> make_jwt_filter(WorkerContext& worker) {
  return std::make_unique<JwtFilter>(worker);
}

}  // namespace x0::gateway
