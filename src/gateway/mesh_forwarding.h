// How a request travels over the mesh (SPEC section 9): a node whose service has no healthy
// local endpoint sends the request to a peer's mesh listener as
//   <method> /mesh/v1/forward/<service><path>?<query>   with its own Host, and
//   X-X0-Mesh-Hops: <hops so far>      X-X0-Mesh-Via: <node ids it went through, comma-separated>
//   X-X0-Mesh-Budget-Ms: <how long the sender waits for the answer>
// The receiving node checks both (at most kMaxMeshHops, never through itself twice), strips
// them and serves the request as its own route's, relaying once more if it has to. Clients
// never set these fields: the data plane drops them from what it forwards. Pure functions
// (no sockets), so the fuzzer can drive them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "http/message.h"

namespace x0::gateway {

inline constexpr std::string_view kMeshForwardPrefix = "/mesh/v1/forward/";
inline constexpr std::string_view kMeshHopsHeader = "X-X0-Mesh-Hops";
inline constexpr std::string_view kMeshViaHeader = "X-X0-Mesh-Via";
// The sender's own deadline for this hop, so that a relay gives up (and answers 504) before the
// node before it has stopped listening, instead of each hop waiting its full route timeout.
// Optional: a request without it (an older node) is bounded by the route timeouts alone.
inline constexpr std::string_view kMeshBudgetHeader = "X-X0-Mesh-Budget-Ms";
inline constexpr int kMaxMeshBudgetMs = 3'600'000;
// On a node's own answer to a forwarded request that reached no origin there (no healthy
// endpoint, no route, a loop, isolated): the sender goes on to its next hop, a stale copy or its
// fallback instead of handing the refusal to its client. Only the node writes it: an origin's
// is dropped from every response (head_rewrite.cc), so an origin cannot make a request that it
// did receive be sent again elsewhere.
inline constexpr std::string_view kMeshUnservedHeader = "X-X0-Mesh-Unserved";
inline constexpr int kMaxMeshHops = 2;
inline constexpr size_t kMaxMeshViaBytes = 512;

struct ForwardedTarget {
  std::string_view service;  // [a-z0-9_-], 1..64
  std::string_view path;     // starts with '/': what the client asked the first node for
};
// "/mesh/v1/forward/shop/a/b" -> {"shop", "/a/b"}; "/mesh/v1/forward/shop" -> {"shop", "/"}.
std::optional<ForwardedTarget> parse_forward_path(std::string_view path);

struct MeshHop {
  int hops = 0;           // 1..kMaxMeshHops
  std::string_view via;   // node ids, comma-separated, at least one
  int budget_ms = 0;      // 1..kMaxMeshBudgetMs; 0: the sender gave none
};
// The hop fields of a forwarded request: exactly one of each, hops a number 1..kMaxMeshHops,
// via that many node ids, and at most one budget of 1..kMaxMeshBudgetMs decimal ms.
// Errc::kBadRequest with the reason otherwise.
Result<MeshHop> read_mesh_hop(const http::HeaderList& headers);
bool via_contains(std::string_view via, std::string_view node_id);

// The path a node forwards to: kMeshForwardPrefix + service + path (path starts with '/').
void forward_path(std::string_view service, std::string_view path, std::string& out);
// The hop lines of a request this node sends on, after `hops` hops through `via` ("" for a
// client's request): "X-X0-Mesh-Hops: hops+1", "X-X0-Mesh-Via: via,self" and
// "X-X0-Mesh-Budget-Ms: budget_ms" (how long this node will wait for the answer).
void append_mesh_hop(int hops, std::string_view via, std::string_view self, int budget_ms,
                     std::string& lines);
// How long a receiver may spend on a request whose sender waits `budget_ms`: the budget less a
// margin for the answer's way back (a tenth, at most 100 ms), at least 1 ms.
int64_t hop_deadline_ms(int budget_ms);

}  // namespace x0::gateway
