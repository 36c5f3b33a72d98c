// Entry checksums, byte accounting, Vary matching and replay-head building for cached_response.h.
#include "cache/cached_response.h"

#include <algorithm>
#include <cstring>

#include "cache/crc32c.h"

namespace x0::cache {
namespace {

uint32_t add_u64(uint32_t crc, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
  return crc32c_extend(crc, b, sizeof b);
}
// Length-prefixed so that moving bytes between fields changes the checksum.
uint32_t add_str(uint32_t crc, std::string_view s) {
  return crc32c_extend(add_u64(crc, s.size()), s);
}

bool is_hop_by_hop(std::string_view name, Headers all) {
  static constexpr std::string_view kNames[] = {
      "connection", "keep-alive",        "proxy-connection",  "te",
      "trailer",    "transfer-encoding", "upgrade",           "age",
      "x-cache",    "content-length",    "proxy-authenticate"};
  for (std::string_view n : kNames)
    if (iequals(name, n)) return true;
  for (const Header& h : all) {  // names listed in Connection are hop-by-hop too
    if (!iequals(h.name, "connection")) continue;
    std::string_view v = h.value;
    while (!v.empty()) {
      size_t comma = v.find(',');
      if (iequals(trim(v.substr(0, comma)), name)) return true;
      v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
    }
  }
  return false;
}

}  // namespace

std::string_view CachedResponse::target() const {
  std::string_view k = key;
  size_t a = k.find(' ');
  size_t b = a == std::string_view::npos ? a : k.find(' ', a + 1);
  return b == std::string_view::npos ? std::string_view{} : k.substr(b + 1);
}

size_t charged_bytes(const CachedResponse& r) {
  size_t n = kEntryOverheadBytes + r.key.size() + r.head.size() + r.body.size();
  for (const auto& s : r.vary_names) n += s.size() + sizeof(std::string);
  for (const auto& s : r.vary_values) n += s.size() + sizeof(std::string);
  return n;
}

uint32_t compute_checksum(const CachedResponse& r) {
  uint32_t c = add_str(0, r.key);
  c = add_u64(c, static_cast<uint64_t>(r.status));
  c = add_u64(c, static_cast<uint64_t>(r.stored_at_ms));
  c = add_u64(c, static_cast<uint64_t>(r.freshness.lifetime_s));
  c = add_u64(c, static_cast<uint64_t>(r.freshness.initial_age_s));
  c = add_u64(c, static_cast<uint64_t>(r.freshness.stale_if_error_s));
  c = add_u64(c, r.vary_names.size());
  for (const auto& s : r.vary_names) c = add_str(c, s);
  c = add_u64(c, r.vary_values.size());
  for (const auto& s : r.vary_values) c = add_str(c, s);
  c = add_str(c, r.head);
  return add_str(c, r.body);
}

bool vary_matches(const CachedResponse& r, Headers request_headers) {
  if (r.vary_names.size() != r.vary_values.size()) return false;
  for (size_t i = 0; i < r.vary_names.size(); ++i)
    if (!request_header_equals(request_headers, r.vary_names[i], r.vary_values[i])) return false;
  return true;
}

std::string make_replay_head(int status, std::string_view reason, Headers response_headers,
                             size_t body_size, bool head_request) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " ";
  out.append(reason).append("\r\n");
  for (const Header& h : response_headers) {
    if (is_hop_by_hop(h.name, response_headers)) {
      if (head_request && iequals(h.name, "content-length"))
        out.append(h.name).append(": ").append(trim(h.value)).append("\r\n");
      continue;
    }
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  if (!head_request && status != 204 && !(status >= 100 && status < 200) &&
      body_size != kUnknownBodySize)
    out.append("Content-Length: ").append(std::to_string(body_size)).append("\r\n");
  return out;
}

std::shared_ptr<const CachedResponse> make_cached_response(NewEntry in) {
  const bool head = in.key->method() == "HEAD";
  return seal_streamed_response(
      {in.key, in.decision, in.status,
       make_replay_head(in.status, in.reason, in.response_headers, kUnknownBodySize, head),
       std::move(in.body), in.request_headers, in.stored_at_ms});
}

std::shared_ptr<const CachedResponse> seal_streamed_response(StreamedEntry in) {
  auto r = std::make_shared<CachedResponse>();
  r->key = in.key->text();
  r->status = in.status;
  r->head = std::move(in.head);
  const bool head = in.key->method() == "HEAD";
  if (!head && in.status != 204) {
    r->head.append("Content-Length: ").append(std::to_string(in.body.size())).append("\r\n");
  }
  if (!head) r->body = std::move(in.body);
  r->stored_at_ms = in.stored_at_ms;
  r->freshness = in.decision->freshness;
  r->vary_names = in.decision->vary.names;
  for (const auto& name : r->vary_names)
    r->vary_values.push_back(request_header_value(in.request_headers, name));
  r->checksum = compute_checksum(*r);
  return r;
}

}  // namespace x0::cache
