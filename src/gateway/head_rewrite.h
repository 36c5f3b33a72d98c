// The heads the proxy writes: the request it sends upstream and the response head it sends the
// client, each rewritten from what it received. Pure functions of their inputs (no sockets, no
// state), so the fuzzer can check that what goes out parses back as one message with the same
// framing. The rules (docs/SECURITY.md): hop-by-hop fields never cross; Host is always exactly
// the canonical authority; the proxy's own fields (Via, X-Forwarded-For, X-Request-Id, ...)
// are written by the proxy and a Connection header naming one of them is refused.
#pragma once

#include <string>
#include <string_view>

#include "http/message.h"

namespace x0::gateway {

struct UpstreamRequestContext {
  std::string_view path;           // normalised (http/path_normalize.h)
  std::string_view authority;      // canonical (http/authority.h); empty: HTTP/1.0 without Host
  std::string_view endpoint_host;  // "host:port" of the upstream, the Host when authority is empty
  std::string_view client_ip;
  // The client is a trusted front proxy ([api_gateway] trusted_proxies): its X-Forwarded-For
  // chain is extended and its X-Forwarded-Host/-Proto/-Port, X-Real-IP and Forwarded kept.
  // Otherwise they are dropped, X-Forwarded-For is the client address alone, X-Real-IP set.
  bool client_trusted = false;
  std::string_view request_id;  // already validated (valid_request_id) or generated
};

// nullptr when the request may be forwarded, else a static reason for a 400 (its Connection
// header names a field the proxy sets). Checked once per request, before any attempt.
const char* refuse_upstream_request(const http::RequestHead& head);

// Appends the upstream request head to out (after refuse_upstream_request said yes).
void write_upstream_request(const http::RequestHead& head, const UpstreamRequestContext& ctx,
                            std::string& out);

struct ClientResponseContext {
  std::string_view request_id;
  bool dechunk = false;          // HTTP/1.0 client and a chunked response: strip the coding
  bool keep_alive = true;        // the client connection stays open after this response
  bool client_http10 = false;
  std::string_view cache_label;  // "MISS" when the request was cacheable, else empty
};

// Appends the client's response head (ending in the empty line) to out. Returns nullptr, or a
// static reason for a 502: an unsolicited 101, or a Connection header naming a field the proxy
// writes itself. A 204's Content-Length and Transfer-Encoding are dropped (RFC 9110 8.6,
// RFC 9112 6.1: it must have neither).
const char* write_client_response_head(const http::ResponseHead& head,
                                       const ClientResponseContext& ctx, std::string& out);

// A client-supplied X-Request-Id we pass on: 1..128 characters of [A-Za-z0-9._:-]. Anything else
// is replaced by a generated id (it is echoed into JSON bodies and logs).
bool valid_request_id(std::string_view id);

}  // namespace x0::gateway
