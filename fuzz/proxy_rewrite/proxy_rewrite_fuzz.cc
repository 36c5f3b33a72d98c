// libFuzzer target: the proxy's rewriting must never change framing. A request the parser
// accepts is normalised and rewritten as the data plane does; the upstream head must parse back
// as exactly one complete message with the same method and body framing, exactly one Host equal
// to the canonical authority, the normalised path, and the proxy's Via. Normalisation must be
// idempotent and never leave a dot-segment. The first byte picks trust and the path policy; the
// same input is also read as a response, whose rewritten head must keep its framing, and as a
// mesh peer's forwarded request, whose hop fields must read back one hop further.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/head_rewrite.h"
#include "gateway/mesh_forwarding.h"
#include "http/authority.h"
#include "http/message.h"
#include "http/path_normalize.h"
#include "http/serialize.h"

namespace {

using namespace x0;

void check(bool ok) {
  if (!ok) std::abort();
}

// What comes out may carry a few more fields than what came in (Via, X-Request-Id, ...): the
// re-parse checks framing, not our input limits.
http::Limits reparse_limits() {
  http::Limits l;
  l.max_header_bytes = 64 * 1024;
  l.max_headers = http::kMaxHeaders;
  l.max_body_bytes = ~0ull;
  return l;
}

// The same head as a peer's forwarded request (mesh_forwarding.h): what parses is what the
// receiver may rely on, and the fields the next hop writes parse back as one more hop.
void fuzz_mesh_hop(const http::RequestHead& head, uint8_t flags) {
  if (auto target = gateway::parse_forward_path(head.path)) {
    check(!target->service.empty() && target->service.size() <= 64 && target->path.front() == '/');
    std::string again;
    gateway::forward_path(target->service, target->path, again);
    check(again == head.path || again == std::string(head.path) + "/");
  }
  auto hop = gateway::read_mesh_hop(head.headers);
  if (!hop) return;
  check(hop->hops >= 1 && hop->hops <= gateway::kMaxMeshHops && !hop->via.empty());
  check(!gateway::via_contains(hop->via, ""));
  check(hop->budget_ms >= 0 && hop->budget_ms <= gateway::kMaxMeshBudgetMs);
  check(gateway::hop_deadline_ms(hop->budget_ms) >= 1);
  if (hop->budget_ms > 0) check(gateway::hop_deadline_ms(hop->budget_ms) <= hop->budget_ms);
  if (hop->hops == gateway::kMaxMeshHops) return;
  std::string lines = "GET / HTTP/1.1\r\nHost: x\r\n";
  std::string self = (flags & 1) ? "node-a" : "n.b_c-9";
  const int budget =
      hop->budget_ms > 0 ? static_cast<int>(gateway::hop_deadline_ms(hop->budget_ms)) : 30000;
  gateway::append_mesh_hop(hop->hops, hop->via, self, budget, lines);
  lines += "\r\n";
  static http::RequestHead next;
  http::ParseError err{};
  check(http::parse_request_head(lines, reparse_limits(), &next, &err) == http::ParseStatus::kComplete);
  auto next_hop = gateway::read_mesh_hop(next.headers);
  check(next_hop && next_hop->hops == hop->hops + 1 && gateway::via_contains(next_hop->via, self));
}

void fuzz_request(std::string_view buf, uint8_t flags) {
  static http::RequestHead head, again;  // big: keep them off the stack
  http::ParseError err{};
  if (http::parse_request_head(buf, http::Limits{}, &head, &err) != http::ParseStatus::kComplete) return;
  fuzz_mesh_hop(head, flags);
  if (head.method == http::Method::kConnect || head.path == "*") return;  // answered locally
  http::PathPolicy policy{(flags & 1) != 0, (flags & 2) != 0};
  std::string path, path2, authority;
  if (http::normalize_path(head.path, policy, path) != nullptr) return;
  check(http::normalize_path(path, policy, path2) == nullptr && path2 == path);  // idempotent
  check(path.front() == '/' && path.find("/./") == std::string::npos &&
        path.find("/../") == std::string::npos && !path.ends_with("/.") && !path.ends_with("/.."));
  if (gateway::refuse_upstream_request(head) != nullptr) return;
  http::canonical_authority(head.host, head.default_port, authority);
  check(head.host.empty() == authority.empty());
  std::string canon2;
  if (!authority.empty()) {
    http::canonical_authority(authority, head.default_port, canon2);
    check(canon2 == authority);
  }
  std::string out;
  gateway::write_upstream_request(head, {path, authority, "upstream:80", "192.0.2.1", (flags & 4) != 0, "id"},
                                  out);
  check(http::parse_request_head(out, reparse_limits(), &again, &err) == http::ParseStatus::kComplete);
  check(again.head_bytes == out.size());  // one message, nothing left over to be a second one
  check(again.method_text == head.method_text && again.version_minor == 1);
  check(again.body_kind == head.body_kind && again.content_length == head.content_length);
  check(again.headers.count_of("Host") == 1);
  check(again.host == (authority.empty() ? std::string_view("upstream:80") : std::string_view(authority)));
  check(again.path == path && again.query == head.query);
  check(again.headers.count_of("Via") == 1 && again.headers.find("Via").ends_with("1.1 x0tta6bl4"));
  check(again.headers.count_of("X-Request-Id") == 1 && again.headers.find("X-Request-Id") == "id");
  check(again.headers.count_of("Connection") == 0 && again.headers.count_of("Expect") == 0);
  // A client's mesh hop fields never cross (only the router writes them, for a peer).
  check(again.headers.count_of(gateway::kMeshHopsHeader) == 0 &&
        again.headers.count_of(gateway::kMeshViaHeader) == 0);
}

void fuzz_response(std::string_view buf, uint8_t flags) {
  static http::ResponseHead head, again;
  http::ParseError err{};
  auto method = (flags & 8) ? http::Method::kHead : http::Method::kGet;
  if (http::parse_response_head(buf, http::Limits{}, method, &head, &err) != http::ParseStatus::kComplete) return;
  if (head.status < 200 && head.status != 101) return;  // interim answers are consumed, not forwarded
  bool dechunk = (flags & 16) && head.body_kind == http::BodyKind::kChunked;
  std::string out;
  const char* refused = gateway::write_client_response_head(
      head, {"id", dechunk, (flags & 32) == 0, (flags & 16) != 0, (flags & 64) ? "MISS" : ""}, out);
  if (refused != nullptr) return;
  check(head.status != 101);
  check(http::parse_response_head(out, reparse_limits(), method, &again, &err) == http::ParseStatus::kComplete);
  check(again.head_bytes == out.size() && again.status == head.status);
  if (!dechunk && head.body_kind != http::BodyKind::kUntilClose) {
    check(again.body_kind == head.body_kind);
    if (head.body_kind == http::BodyKind::kContentLength) check(again.content_length == head.content_length);
  }
  if (dechunk) check(again.body_kind == http::BodyKind::kUntilClose);
  check(again.headers.count_of("Via") == 1 && again.headers.count_of("X-Request-Id") >= 1);
  check(head.status != 204 || again.headers.count_of("Content-Length") == 0);
  check(again.headers.count_of(gateway::kMeshUnservedHeader) == 0);  // only a node writes it
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t flags = data[0];
  std::string_view buf(reinterpret_cast<const char*>(data) + 1, size - 1);
  fuzz_request(buf, flags);
  fuzz_response(buf, flags);
  return 0;
}
