// Fuzzes notify's readers of outside bytes: a service's answer body (with any status) through
// every channel type's classify, and an outbox row's event JSON through event_from_json; what is
// accepted is formatted for every channel type, and the Telegram text stays within its limit.
// Never a crash or an exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "notify/wire.h"

using namespace x0::notify;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int status = data[0] * 3 % 600;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  ServiceAnswer answer{status, std::string(body), std::nullopt, status == 0 ? "x" : ""};
  if (data[1] & 1) answer.retry_after_s = data[1];
  for (int t = 0; t < 5; ++t) {
    Channel c;
    c.type = static_cast<ChannelType>(t);
    c.name = "c";
    c.base_url = "https://x";
    Outcome o = classify(c, answer);
    check(!o.reason.empty() || o.verdict == Verdict::kDelivered);
    if (o.retry_after_ms) check(*o.retry_after_ms >= 0 || t == 2);
  }
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return 0;
  auto event = event_from_json(j);
  if (!event) return 0;
  FormatContext x{"node", "https://gw", "", "k", 0};
  for (int t = 0; t < 5; ++t) {
    Channel c;
    c.type = static_cast<ChannelType>(t);
    c.name = "c";
    c.base_url = "https://x";
    c.secret = "s";
    OutboundRequest r = format(c, *event, x);
    auto parsed = nlohmann::json::parse(r.body, nullptr, false);
    check(!parsed.is_discarded());
    if (c.type == ChannelType::kTelegram)
      check(detail::code_points(parsed["text"].get<std::string>()) <= 4096);
  }
  return 0;
}
