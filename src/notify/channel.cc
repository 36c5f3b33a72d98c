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

int default_rate_per_minute(ChannelType type, std::string_view chat_id) {
  switch (type) {
    case ChannelType::kPagerDuty:
      return 120;
    case ChannelType::kSlack:
    case ChannelType::kStatuspage:
      return 60;
    case ChannelType::kTelegram:
      // Group and channel ids are negative; Telegram allows 20 messages a minute there.
      return chat_id.starts_with('-') ? 20 : 60;
    case ChannelType::kWebhook:
      return 0;
  }
  return 0;
}

int default_burst(ChannelType type) {
  // PagerDuty's limit is per minute: a few pages at once are within it. The others count per
  // second, so a burst above one would already exceed it.
  return type == ChannelType::kPagerDuty ? 10 : type == ChannelType::kWebhook ? 10 : 1;
}

bool can_group(ChannelType type) {
  return type == ChannelType::kSlack || type == ChannelType::kTelegram;
}

}  // namespace x0::notify
