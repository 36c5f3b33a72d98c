// The heads the proxy writes: the request it sends upstream and the response head it sends the
// client, each rewritten from what it received. Pure functions of their inputs (no sockets, no
// state), so the fuzzer can check that what goes out parses back as one message with the same
// framing. Each direction has two halves: the forwarding filter's edits (which fields are the
// proxy's) and the codec that writes the head with them. The rules (docs/SECURITY.md): hop-by-hop fields never cross; Host is always exactly
// the canonical authority; the proxy's own fields (Via, X-Forwarded-For, X-Request-Id, ...)
// are written by the proxy and a Connection header naming one of them is refused.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace x0::gateway {

// What a filter changes in a head the proxy forwards: fields it removes and lines it adds. One
// per direction per stream, its capacity reused, so editing allocates nothing in steady state.
struct HeaderEdits {
  std::vector<std::string_view> drop;  // field names (case-insensitive); static text or request views
  std::string append;                  // complete "Name: value\r\n" lines, written after the fields
  void clear() {
    drop.clear();
    append.clear();
  }
  bool drops(std::string_view name) const;
  void add(std::string_view name, std::string_view value);
};

struct ForwardingContext {
  std::string_view client_ip;
  // The client is a trusted front proxy ([api_gateway] trusted_proxies): its X-Forwarded-For
  // chain is extended and its X-Forwarded-Host/-Proto/-Port, X-Real-IP and Forwarded kept.
  // Otherwise they are dropped, X-Forwarded-For is the client address alone, X-Real-IP set.
  bool client_trusted = false;
  std::string_view request_id;  // already validated (valid_request_id) or generated
  // The client's connection is TLS: an untrusted client's request gets X-Forwarded-Proto: https
  // (a trusted front proxy's own X-Forwarded-Proto is kept instead).
  bool tls = false;
};

// nullptr when the request may be forwarded, else a static reason for a 400 (its Connection
// header names a field the proxy sets). Checked once per request, before any attempt.
const char* refuse_upstream_request(const http::RequestHead& head);

// The forwarding filter's rules for the request: Via, X-Forwarded-For, X-Real-IP and
// X-Request-Id are the proxy's, front-proxy fields survive only from a trusted client.
void add_request_forwarding(const http::RequestHead& head, const ForwardingContext& ctx,
                            HeaderEdits& edits);

// The upstream codec: the request line (normalised path, query as received), Host exactly once
// (`host`), every field but hop-by-hop ones, Host, Expect and those `edits` drops, then the
// edits' lines. Chunked bodies are forwarded as they came, so Transfer-Encoding is kept.
void write_upstream_head(const http::RequestHead& head, std::string_view path, std::string_view host,
                         const HeaderEdits& edits, std::string& out);

// The forwarding filter's rules for the response: the proxy joins Via, and sets X-Request-Id
// when the origin did not.
void add_response_forwarding(const http::ResponseHead& head, std::string_view request_id,
                             HeaderEdits& edits);

struct ClientFraming {
  bool dechunk = false;     // HTTP/1.0 client and a chunked response: strip the coding
  bool keep_alive = true;   // the client connection stays open after this response
  bool client_http10 = false;
};

// nullptr when an upstream's response may be forwarded, else a static reason for a 502: an
// unsolicited 101, or a Connection header naming a field the proxy writes itself.
const char* refuse_client_response(const http::ResponseHead& head);

// The client-side codec: appends the client's response head (ending in the empty line) to out,
// for a response refuse_client_response let through. A 204's Content-Length and
// Transfer-Encoding are dropped (RFC 9110 8.6, RFC 9112 6.1: it must have neither).
void write_client_head(const http::ResponseHead& head, const ClientFraming& framing,
                              const HeaderEdits& edits, std::string& out);

// Both steps at once, as the stream's default filters do them (tests and the fuzzer).
struct UpstreamRequestContext {
  std::string_view path;           // normalised (http/path_normalize.h)
  std::string_view authority;      // canonical (http/authority.h); empty: HTTP/1.0 without Host
  std::string_view endpoint_host;  // "host:port" of the upstream, the Host when authority is empty
  std::string_view client_ip;
  bool client_trusted = false;
  std::string_view request_id;
};
void write_upstream_request(const http::RequestHead& head, const UpstreamRequestContext& ctx,
                            std::string& out);

struct ClientResponseContext {
  std::string_view request_id;
  bool dechunk = false;
  bool keep_alive = true;
  bool client_http10 = false;
  std::string_view cache_label;  // "MISS" when the request was cacheable, else empty
};
const char* write_client_response_head(const http::ResponseHead& head,
                                       const ClientResponseContext& ctx, std::string& out);

// A client-supplied X-Request-Id we pass on: 1..128 characters of [A-Za-z0-9._:-]. Anything else
// is replaced by a generated id (it is echoed into JSON bodies and logs).
bool valid_request_id(std::string_view id);

}  // namespace x0::gateway
