// JSON encoding and strict decoding of the /mesh/v1/ bodies (gossip_codec.h). Every access
// checks the type first, so a hostile body yields a clear error and never throws.
#include "mesh/gossip_codec.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace x0::mesh {
namespace {

using nlohmann::json;

std::unexpected<Error> bad(std::string detail) {
  return x0::fail(Errc::kBadRequest, std::move(detail));
}

std::string dump(const json& j) {
  // replace: never throw on bytes that are not UTF-8 (decoded strings always are, so round trips
  // of decoded messages are exact).
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json update_json(const Update& u) {
  json j = {{"id", u.id},
            {"address", u.address},
            {"state", state_name(u.state)},
            {"incarnation", u.incarnation}};
  if (!u.from.empty()) j["from"] = u.from;
  return j;
}

json updates_json(const std::vector<Update>& updates) {
  json a = json::array();
  for (const Update& u : updates) a.push_back(update_json(u));
  return a;
}

Result<json> parse_object(std::string_view body) {
  if (body.size() > kMaxBodyBytes) return bad("body: larger than 1 MiB");
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("body: not JSON");
  if (!j.is_object()) return bad("body: expected a JSON object");
  return j;
}

Result<std::string> get_string(const json& obj, const char* key, size_t max_len) {
  auto it = obj.find(key);
  if (it == obj.end()) return bad(std::string(key) + ": missing");
  if (!it->is_string()) return bad(std::string(key) + ": expected a string");
  const auto& s = it->get_ref<const std::string&>();
  if (s.empty()) return bad(std::string(key) + ": empty");
  if (s.size() > max_len)
    return bad(std::string(key) + ": longer than " + std::to_string(max_len) + " bytes");
  return s;
}

Result<uint64_t> get_u64(const json& obj, const char* key, uint64_t max) {
  auto it = obj.find(key);
  if (it == obj.end()) return bad(std::string(key) + ": missing");
  if (!it->is_number_unsigned()) return bad(std::string(key) + ": expected a non-negative integer");
  const auto v = it->get<uint64_t>();
  if (v > max) return bad(std::string(key) + ": larger than " + std::to_string(max));
  return v;
}

Result<Update> get_update(const json& j) {
  if (!j.is_object()) return bad("expected an object");
  Update u;
  auto id = get_string(j, "id", kMaxIdLength);
  if (!id) return std::unexpected(id.error());
  auto address = get_string(j, "address", kMaxAddressLength);
  if (!address) return std::unexpected(address.error());
  auto state_text = get_string(j, "state", 16);
  if (!state_text) return std::unexpected(state_text.error());
  auto state = parse_state(*state_text);
  if (!state) return bad("state: unknown state \"" + *state_text + "\"");
  auto incarnation = get_u64(j, "incarnation", kMaxIncarnation);
  if (!incarnation) return std::unexpected(incarnation.error());
  if (j.contains("from")) {
    auto from = get_string(j, "from", kMaxIdLength);
    if (!from) return std::unexpected(from.error());
    u.from = *std::move(from);
  }
  u.id = *std::move(id);
  u.address = *std::move(address);
  u.state = *state;
  u.incarnation = *incarnation;
  return u;
}

Result<std::vector<Update>> get_updates(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return bad(std::string(key) + ": missing");
  if (!it->is_array()) return bad(std::string(key) + ": expected a list of updates");
  if (it->size() > kMaxUpdatesPerMessage)
    return bad(std::string(key) + ": more than " + std::to_string(kMaxUpdatesPerMessage) +
               " updates");
  std::vector<Update> out;
  out.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    auto u = get_update((*it)[i]);
    if (!u)
      return bad(std::string(key) + "[" + std::to_string(i) + "]: " + std::move(u.error().detail));
    out.push_back(*std::move(u));
  }
  return out;
}

json services_json(const std::vector<ServiceHealth>& services) {
  json a = json::array();
  for (const ServiceHealth& s : services) {
    json j = {{"name", s.name}, {"healthy", s.healthy}, {"healthy_endpoints", s.healthy_endpoints}};
    if (s.mesh_failover) j["mesh_failover"] = true;
    if (s.relays) j["relays"] = true;
    a.push_back(std::move(j));
  }
  return a;
}

bool service_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// Optional: a peer that runs no service (or an older one) sends none.
Result<std::vector<ServiceHealth>> get_services(const json& obj) {
  std::vector<ServiceHealth> out;
  auto it = obj.find("services");
  if (it == obj.end()) return out;
  if (!it->is_array()) return bad("services: expected a list");
  if (it->size() > kMaxServicesPerNode)
    return bad("services: more than " + std::to_string(kMaxServicesPerNode));
  for (size_t i = 0; i < it->size(); ++i) {
    const json& s = (*it)[i];
    std::string where = "services[" + std::to_string(i) + "]";
    if (!s.is_object()) return bad(where + ": expected an object");
    auto name = get_string(s, "name", kMaxServiceNameLength);
    if (!name) return bad(where + "." + name.error().detail);
    for (char c : *name)
      if (!service_name_char(c)) return bad(where + ".name: expected [a-z0-9_-]");
    auto healthy = s.find("healthy");
    if (healthy == s.end() || !healthy->is_boolean())
      return bad(where + ".healthy: expected true or false");
    auto endpoints = get_u64(s, "healthy_endpoints", UINT32_MAX);
    if (!endpoints) return bad(where + "." + endpoints.error().detail);
    ServiceHealth health{*std::move(name), healthy->get<bool>(), static_cast<uint32_t>(*endpoints)};
    for (auto [key, flag] : {std::pair{"mesh_failover", &health.mesh_failover},
                             std::pair{"relays", &health.relays}}) {
      auto it_flag = s.find(key);
      if (it_flag == s.end()) continue;
      if (!it_flag->is_boolean()) return bad(where + "." + key + ": expected true or false");
      *flag = it_flag->get<bool>();
    }
    out.push_back(std::move(health));
  }
  return out;
}

// The fields every probe message has: who sends it, the probe it belongs to, its gossip.
// Returns the parsed object for the message's own fields.
template <class Message>
Result<json> decode_common(std::string_view body, Message& m) {
  auto j = parse_object(body);
  if (!j) return j;
  auto from = get_string(*j, "from", kMaxIdLength);
  if (!from) return std::unexpected(from.error());
  auto seq = get_u64(*j, "seq", UINT64_MAX);
  if (!seq) return std::unexpected(seq.error());
  auto updates = get_updates(*j, "updates");
  if (!updates) return std::unexpected(updates.error());
  m.from = *std::move(from);
  m.seq = *seq;
  m.updates = *std::move(updates);
  return j;
}

}  // namespace

template <class Message>
std::string encode_probe(const Message& m) {
  json j = {{"from", m.from}, {"seq", m.seq}, {"updates", updates_json(m.updates)}};
  if (!m.services.empty()) j["services"] = services_json(m.services);
  return dump(j);
}

std::string encode(const Ping& m) { return encode_probe(m); }
std::string encode(const Ack& m) { return encode_probe(m); }

std::string encode(const PingReq& m) {
  return dump({{"from", m.from},
               {"seq", m.seq},
               {"target", m.target},
               {"target_address", m.target_address},
               {"timeout_ms", m.timeout_ms},
               {"updates", updates_json(m.updates)}});
}

std::string encode(const PingReqResult& m) {
  return dump(
      {{"from", m.from}, {"seq", m.seq}, {"ack", m.ack}, {"updates", updates_json(m.updates)}});
}

std::string encode(const Join& m) {
  return dump({{"from", m.from}, {"address", m.address}, {"members", updates_json(m.members)}});
}

// Ping and Ack: the common fields and the sender's services.
template <class Message>
Result<Message> decode_probe(std::string_view body) {
  Message m;
  auto j = decode_common(body, m);
  if (!j) return std::unexpected(j.error());
  auto services = get_services(*j);
  if (!services) return std::unexpected(services.error());
  m.services = *std::move(services);
  return m;
}

Result<Ping> decode_ping(std::string_view body) { return decode_probe<Ping>(body); }
Result<Ack> decode_ack(std::string_view body) { return decode_probe<Ack>(body); }

Result<PingReq> decode_ping_req(std::string_view body) {
  PingReq m;
  auto j = decode_common(body, m);
  if (!j) return std::unexpected(j.error());
  auto target = get_string(*j, "target", kMaxIdLength);
  if (!target) return std::unexpected(target.error());
  auto address = get_string(*j, "target_address", kMaxAddressLength);
  if (!address) return std::unexpected(address.error());
  auto timeout = get_u64(*j, "timeout_ms", kMaxProbeTimeoutMs);
  if (!timeout) return std::unexpected(timeout.error());
  if (*timeout == 0) return bad("timeout_ms: must be at least 1");
  m.target = *std::move(target);
  m.target_address = *std::move(address);
  m.timeout_ms = static_cast<int64_t>(*timeout);
  return m;
}

Result<PingReqResult> decode_ping_req_result(std::string_view body) {
  PingReqResult m;
  auto j = decode_common(body, m);
  if (!j) return std::unexpected(j.error());
  auto it = j->find("ack");
  if (it == j->end()) return bad("ack: missing");
  if (!it->is_boolean()) return bad("ack: expected true or false");
  m.ack = it->get<bool>();
  return m;
}

Result<Join> decode_join(std::string_view body) {
  auto j = parse_object(body);
  if (!j) return std::unexpected(j.error());
  Join m;
  auto from = get_string(*j, "from", kMaxIdLength);
  if (!from) return std::unexpected(from.error());
  auto address = get_string(*j, "address", kMaxAddressLength);
  if (!address) return std::unexpected(address.error());
  auto members = get_updates(*j, "members");
  if (!members) return std::unexpected(members.error());
  m.from = *std::move(from);
  m.address = *std::move(address);
  m.members = *std::move(members);
  return m;
}

}  // namespace x0::mesh
