// Request and response head rewriting across the proxy (see head_rewrite.h).
#include "gateway/head_rewrite.h"

#include <array>

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

void write_upstream_request(const http::RequestHead& head, const UpstreamRequestContext& ctx,
                            std::string& out) {
  std::string xff, via;
  out.append(head.method_text).append(" ").append(ctx.path);
  if (!head.query.empty()) out.append("?").append(head.query);
  out.append(" HTTP/1.1\r\nHost: ");
  out.append(ctx.authority.empty() ? ctx.endpoint_host : ctx.authority).append("\r\n");
  for (const http::Header& h : head.headers) {
    if (iequals(h.name, "Transfer-Encoding")) {  // chunked bodies are forwarded as they came
      http::append_header(out, h.name, h.value);
      continue;
    }
    if (http::is_hop_by_hop(h.name, head.headers) || iequals(h.name, "Host") ||
        iequals(h.name, "Expect") || iequals(h.name, "X-Request-Id")) {
      continue;
    }
    if (iequals(h.name, "X-Forwarded-For")) {
      if (ctx.client_trusted) join(xff, h.value);
      continue;
    }
    if (iequals(h.name, "Via")) {
      join(via, h.value);
      continue;
    }
    if (!ctx.client_trusted && one_of(h.name, kFrontProxyFields)) continue;
    http::append_header(out, h.name, h.value);
  }
  append_list_value(out, "X-Forwarded-For", xff, ctx.client_ip);
  if (!ctx.client_trusted) http::append_header(out, "X-Real-IP", ctx.client_ip);
  append_list_value(out, "Via", via, kVia);
  http::append_header(out, "X-Request-Id", ctx.request_id);
  out.append("\r\n");
}

const char* write_client_response_head(const http::ResponseHead& head,
                                       const ClientResponseContext& ctx, std::string& out) {
  // We never forward an Upgrade, so a 101 answers a question nobody asked; what follows it is
  // not HTTP and must not be parsed as the next response.
  if (head.status == 101) return "unsolicited 101 Switching Protocols";
  if (http::connection_names_any(head.headers, kOwnResponseFields)) {
    return "Connection names a header the proxy sets";
  }
  http::append_status_line(out, head.status);
  bool has_request_id = false;
  std::string via;
  for (const http::Header& h : head.headers) {
    bool keep_te = iequals(h.name, "Transfer-Encoding") && !ctx.dechunk && head.status != 204;
    if (!keep_te && http::is_hop_by_hop(h.name, head.headers)) continue;
    if (head.status == 204 && iequals(h.name, "Content-Length")) continue;
    if (!ctx.cache_label.empty() && iequals(h.name, "X-Cache")) continue;
    if (iequals(h.name, "Via")) {
      join(via, h.value);
      continue;
    }
    if (iequals(h.name, "X-Request-Id")) has_request_id = true;
    http::append_header(out, h.name, h.value);
  }
  append_list_value(out, "Via", via, kVia);
  if (!has_request_id) http::append_header(out, "X-Request-Id", ctx.request_id);
  if (!ctx.cache_label.empty()) http::append_header(out, "X-Cache", ctx.cache_label);
  if (!ctx.keep_alive) {
    out.append("Connection: close\r\n");
  } else if (ctx.client_http10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  return nullptr;
}

}  // namespace x0::gateway
