// Request and response head rewriting across the proxy (see head_rewrite.h).
#include "gateway/head_rewrite.h"

#include <array>

#include "gateway/mesh_forwarding.h"
#include "http/serialize.h"

namespace x0::gateway {
namespace {

using http::iequals;

constexpr std::string_view kVia = "1.1 x0tta6bl4";

// Fields a front proxy sets about its client: believed only from a trusted peer.
constexpr std::array<std::string_view, 5> kFrontProxyFields = {
    "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Real-IP", "Forwarded"};

// Fields this proxy writes on requests; a client may not make them hop-by-hop.
constexpr std::array<std::string_view, 8> kOwnRequestFields = {
    "Via", "X-Forwarded-For", "X-Request-Id", "X-Real-IP",
    "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "Forwarded"};

// Fields this proxy writes on responses; an origin may not make them hop-by-hop.
constexpr std::array<std::string_view, 3> kOwnResponseFields = {"Via", "X-Request-Id", "X-Cache"};

template <size_t N>
bool one_of(std::string_view name, const std::array<std::string_view, N>& names) {
  for (std::string_view n : names) {
    if (iequals(name, n)) return true;
  }
  return false;
}

// Several fields of one name are one comma-separated list (RFC 9110 5.3).
void join(std::string& list, std::string_view value) {
  if (!list.empty()) list.append(", ");
  list.append(value);
}

void append_list_value(std::string& out, std::string_view name, std::string_view previous,
                       std::string_view own) {
  out.append(name).append(": ");
  if (!previous.empty()) out.append(previous).append(", ");
  out.append(own).append("\r\n");
}

}  // namespace

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

const char* refuse_upstream_request(const http::RequestHead& head) {
  if (http::connection_names_any(head.headers, kOwnRequestFields)) {
    return "Connection names a header the proxy sets";
  }
  return nullptr;
}

bool HeaderEdits::drops(std::string_view name) const {
  for (std::string_view d : drop) {
    if (iequals(name, d)) return true;
  }
  return false;
}

void HeaderEdits::add(std::string_view name, std::string_view value) {
  http::append_header(append, name, value);
}

void add_request_forwarding(const http::RequestHead& head, const ForwardingContext& ctx,
                            HeaderEdits& edits) {
  thread_local std::string xff, via;  // capacity reused: no allocation per request
  xff.clear();
  via.clear();
  for (const http::Header& h : head.headers) {
    if (iequals(h.name, "X-Forwarded-For")) {
      if (ctx.client_trusted) join(xff, h.value);
    } else if (iequals(h.name, "Via")) {
      join(via, h.value);
    }
  }
  // The mesh hop fields are the mesh's (gateway/mesh_forwarding.h): a client's never cross,
  // and the router writes its own on a request it sends to a peer.
  edits.drop.insert(edits.drop.end(), {"X-Forwarded-For", "Via", "X-Request-Id", kMeshHopsHeader,
                                       kMeshViaHeader, kMeshBudgetHeader});
  if (!ctx.client_trusted) edits.drop.insert(edits.drop.end(), kFrontProxyFields.begin(), kFrontProxyFields.end());
  append_list_value(edits.append, "X-Forwarded-For", xff, ctx.client_ip);
  if (!ctx.client_trusted) edits.add("X-Real-IP", ctx.client_ip);
  if (!ctx.client_trusted && ctx.tls) edits.add("X-Forwarded-Proto", "https");
  append_list_value(edits.append, "Via", via, kVia);
  edits.add("X-Request-Id", ctx.request_id);
}

void write_upstream_head(const http::RequestHead& head, std::string_view path, std::string_view host,
                         const HeaderEdits& edits, std::string& out) {
  out.append(head.method_text).append(" ").append(path);
  if (!head.query.empty()) out.append("?").append(head.query);
  out.append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
  for (const http::Header& h : head.headers) {
    if (iequals(h.name, "Transfer-Encoding")) {  // chunked bodies are forwarded as they came
      http::append_header(out, h.name, h.value);
      continue;
    }
    if (http::is_hop_by_hop(h.name, head.headers) || iequals(h.name, "Host") ||
        iequals(h.name, "Expect") || edits.drops(h.name)) {
      continue;
    }
    http::append_header(out, h.name, h.value);
  }
  out.append(edits.append).append("\r\n");
}

void add_response_forwarding(const http::ResponseHead& head, std::string_view request_id,
                             HeaderEdits& edits) {
  thread_local std::string via;
  via.clear();
  bool has_request_id = false;
  for (const http::Header& h : head.headers) {
    if (iequals(h.name, "Via")) join(via, h.value);
    if (iequals(h.name, "X-Request-Id")) has_request_id = true;
  }
  edits.drop.push_back("Via");
  edits.drop.push_back(kMeshUnservedHeader);  // the node's own (mesh_forwarding.h)
  append_list_value(edits.append, "Via", via, kVia);
  if (!has_request_id) edits.add("X-Request-Id", request_id);
}

const char* refuse_client_response(const http::ResponseHead& head) {
  // We never forward an Upgrade, so a 101 answers a question nobody asked; what follows it is
  // not HTTP and must not be parsed as the next response.
  if (head.status == 101) return "unsolicited 101 Switching Protocols";
  if (http::connection_names_any(head.headers, kOwnResponseFields)) {
    return "Connection names a header the proxy sets";
  }
  return nullptr;
}

void write_client_head(const http::ResponseHead& head, const ClientFraming& framing,
                       const HeaderEdits& edits, std::string& out) {
  http::append_status_line(out, head.status);
  for (const http::Header& h : head.headers) {
    bool keep_te = iequals(h.name, "Transfer-Encoding") && !framing.dechunk && head.status != 204;
    if (!keep_te && http::is_hop_by_hop(h.name, head.headers)) continue;
    if (head.status == 204 && iequals(h.name, "Content-Length")) continue;
    if (edits.drops(h.name)) continue;
    http::append_header(out, h.name, h.value);
  }
  out.append(edits.append);
  if (!framing.keep_alive) {
    out.append("Connection: close\r\n");
  } else if (framing.client_http10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

void write_upstream_request(const http::RequestHead& head, const UpstreamRequestContext& ctx,
                            std::string& out) {
  HeaderEdits edits;
  add_request_forwarding(head, {ctx.client_ip, ctx.client_trusted, ctx.request_id}, edits);
  write_upstream_head(head, ctx.path, ctx.authority.empty() ? ctx.endpoint_host : ctx.authority, edits, out);
}

const char* write_client_response_head(const http::ResponseHead& head,
                                       const ClientResponseContext& ctx, std::string& out) {
  if (const char* refused = refuse_client_response(head)) return refused;
  HeaderEdits edits;
  add_response_forwarding(head, ctx.request_id, edits);
  if (!ctx.cache_label.empty()) {
    edits.drop.push_back("X-Cache");
    edits.add("X-Cache", ctx.cache_label);
  }
  write_client_head(head, {ctx.dechunk, ctx.keep_alive, ctx.client_http10}, edits, out);
  return nullptr;
}

}  // namespace x0::gateway
