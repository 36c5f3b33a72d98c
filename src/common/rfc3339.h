// RFC 3339 timestamps as other systems send them (Alertmanager's startsAt and endsAt,
// "2026-12-03T13:45:00.123456789Z" or "...+01:00"), read into unix milliseconds. Strict: the
// full date-time of RFC 3339 section 5.6 (upper or lower case T and Z, 1-9 fraction digits,
// truncated to the millisecond), calendar-checked (no 31 April, 29 February only in leap years);
// anything else is nullopt. A leap second (:60) reads as the second before it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace x0 {

std::optional<int64_t> parse_rfc3339_ms(std::string_view text);

}  // namespace x0
