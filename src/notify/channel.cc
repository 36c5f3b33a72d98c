// Channel types and the event filter (see channel.h).
#include "notify/channel.h"

#include <array>

namespace x0::notify {
namespace {

constexpr std::array<std::string_view, 5> kTypeNames = {"pagerduty", "slack", "telegram",
                                                        "statuspage", "webhook"};

}  // namespace

std::string_view to_string(ChannelType type) { return kTypeNames[static_cast<size_t>(type)]; }

std::optional<ChannelType> parse_channel_type(std::string_view text) {
  for (size_t i = 0; i < kTypeNames.size(); ++i)
    if (kTypeNames[i] == text) return static_cast<ChannelType>(i);
  return std::nullopt;
}

std::string_view default_base_url(ChannelType type) {
  switch (type) {
    case ChannelType::kPagerDuty:
      return "https://events.pagerduty.com";
    case ChannelType::kSlack:
      return "https://hooks.slack.com/services";
    case ChannelType::kTelegram:
      return "https://api.telegram.org";
    case ChannelType::kStatuspage:
      return "https://api.statuspage.io";
    case ChannelType::kWebhook:
      return "";
  }
  return "";
}

}  // namespace x0::notify
