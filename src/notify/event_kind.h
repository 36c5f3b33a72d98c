// The names of what the on-call hears about (events) and of who hears it (escalation levels),
// kept apart from the Event itself so that the config can name them without the JSON library.
#pragma once

#include <optional>
#include <string_view>

namespace x0::notify {

enum class EventKind {
  kOpened,
  kAcknowledged,
  kEscalated,
  kStatusUpdateDue,
  kSlaBreached,
  kMitigated,
  kResolved,
};
inline constexpr int kEventKindCount = 7;

std::string_view to_string(EventKind kind);  // "opened", ..., "status_update_due", ...
std::optional<EventKind> parse_event_kind(std::string_view text);

// L1 on-call, L2 team lead, L3 CTO (SPEC section 6).
enum class Level { kL1 = 1, kL2 = 2, kL3 = 3 };
std::string_view to_string(Level level);  // "L1".."L3"
std::optional<Level> parse_level(std::string_view text);

}  // namespace x0::notify
