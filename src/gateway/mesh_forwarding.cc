// The mesh hop fields (see mesh_forwarding.h).
#include "gateway/mesh_forwarding.h"

#include <algorithm>

namespace x0::gateway {
namespace {

bool service_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool node_id_char(char c) {
  return service_char(c) || (c >= 'A' && c <= 'Z') || c == '.';
}

}  // namespace

std::optional<ForwardedTarget> parse_forward_path(std::string_view path) {
  if (!path.starts_with(kMeshForwardPrefix)) return std::nullopt;
  path.remove_prefix(kMeshForwardPrefix.size());
  size_t slash = path.find('/');
  std::string_view service = path.substr(0, slash);
  if (service.empty() || service.size() > 64) return std::nullopt;
  for (char c : service)
    if (!service_char(c)) return std::nullopt;
  std::string_view rest = slash == std::string_view::npos ? "/" : path.substr(slash);
  return ForwardedTarget{service, rest};
}

Result<MeshHop> read_mesh_hop(const http::HeaderList& headers) {
  if (headers.count_of(kMeshHopsHeader) != 1 || headers.count_of(kMeshViaHeader) != 1)
    return fail(Errc::kBadRequest, "a forwarded request carries one X-X0-Mesh-Hops and one X-X0-Mesh-Via");
  std::string_view hops_text = headers.find(kMeshHopsHeader);
  if (hops_text.size() != 1 || hops_text[0] < '1' || hops_text[0] > '0' + kMaxMeshHops)
    return fail(Errc::kBadRequest, "X-X0-Mesh-Hops must be 1.." + std::to_string(kMaxMeshHops));
  MeshHop hop{hops_text[0] - '0', headers.find(kMeshViaHeader)};
  if (hop.via.empty() || hop.via.size() > kMaxMeshViaBytes)
    return fail(Errc::kBadRequest, "X-X0-Mesh-Via is empty or too long");
  int ids = 1;
  char previous = ',';
  for (char c : hop.via) {
    if (c == ',') {
      if (previous == ',') return fail(Errc::kBadRequest, "X-X0-Mesh-Via has an empty node id");
      ++ids;
    } else if (!node_id_char(c)) {
      return fail(Errc::kBadRequest, "X-X0-Mesh-Via holds a character no node id has");
    }
    previous = c;
  }
  if (previous == ',') return fail(Errc::kBadRequest, "X-X0-Mesh-Via has an empty node id");
  if (ids != hop.hops)
    return fail(Errc::kBadRequest, "X-X0-Mesh-Via names another number of nodes than the hops");
  const size_t budgets = headers.count_of(kMeshBudgetHeader);
  if (budgets > 1) return fail(Errc::kBadRequest, "more than one X-X0-Mesh-Budget-Ms");
  if (budgets == 1) {
    std::string_view text = headers.find(kMeshBudgetHeader);
    int64_t ms = 0;
    for (char c : text) {
      if (c < '0' || c > '9' || ms > kMaxMeshBudgetMs) {
        ms = -1;
        break;
      }
      ms = ms * 10 + (c - '0');
    }
    if (text.empty() || ms < 1 || ms > kMaxMeshBudgetMs)
      return fail(Errc::kBadRequest,
                  "X-X0-Mesh-Budget-Ms must be 1.." + std::to_string(kMaxMeshBudgetMs) + " ms");
    hop.budget_ms = static_cast<int>(ms);
  }
  return hop;
}

bool via_contains(std::string_view via, std::string_view node_id) {
  while (!via.empty()) {
    size_t comma = via.find(',');
    if (via.substr(0, comma) == node_id) return true;
    if (comma == std::string_view::npos) break;
    via.remove_prefix(comma + 1);
  }
  return false;
}

void forward_path(std::string_view service, std::string_view path, std::string& out) {
  out.assign(kMeshForwardPrefix);
  out.append(service);
  out.append(path);
}

void append_mesh_hop(int hops, std::string_view via, std::string_view self, int budget_ms,
                     std::string& lines) {
  lines.append(kMeshHopsHeader).append(": ").append(std::to_string(hops + 1)).append("\r\n");
  lines.append(kMeshViaHeader).append(": ");
  if (!via.empty()) lines.append(via).append(",");
  lines.append(self).append("\r\n");
  lines.append(kMeshBudgetHeader).append(": ").append(std::to_string(budget_ms)).append("\r\n");
}

int64_t hop_deadline_ms(int budget_ms) {
  const int64_t margin = std::min<int64_t>(budget_ms / 10, 100);
  return std::max<int64_t>(budget_ms - margin, 1);
}

}  // namespace x0::gateway
