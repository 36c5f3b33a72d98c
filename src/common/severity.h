// The runbooks' incident severity (SEV-1 most urgent .. SEV-4), one type for the autopilot's
// rules and the incident store, so no module reads a severity back out of its spelling.
#pragma once

#include <optional>
#include <string_view>

namespace x0 {

enum class Severity { kSev1 = 1, kSev2 = 2, kSev3 = 3, kSev4 = 4 };
inline constexpr int kSeverityCount = 4;

// "SEV-1" .. "SEV-4".
std::string_view to_string(Severity s);
// Accepts "SEV-1", "sev1", "SEV1", "1" (any case) .. 4; nullopt for anything else.
std::optional<Severity> parse_severity(std::string_view text);
// Only the canonical spelling "SEV-1" .. "SEV-4" (policy files, where a typo must be an error).
std::optional<Severity> parse_severity_strict(std::string_view text);

}  // namespace x0
