// Severity names (see severity.h).
#include "common/severity.h"

namespace x0 {

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::kSev1:
      return "SEV-1";
    case Severity::kSev2:
      return "SEV-2";
    case Severity::kSev3:
      return "SEV-3";
    case Severity::kSev4:
      return "SEV-4";
  }
  return "SEV-?";  // only a value cast from outside 1..4
}

std::optional<Severity> parse_severity(std::string_view text) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  if (text.size() >= 3 && lower(text[0]) == 's' && lower(text[1]) == 'e' && lower(text[2]) == 'v') {
    text.remove_prefix(3);
    if (!text.empty() && text[0] == '-') text.remove_prefix(1);
  }
  if (text.size() == 1 && text[0] >= '1' && text[0] <= '4')
    return static_cast<Severity>(text[0] - '0');
  return std::nullopt;
}

std::optional<Severity> parse_severity_strict(std::string_view text) {
  for (Severity s : {Severity::kSev1, Severity::kSev2, Severity::kSev3, Severity::kSev4}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

}  // namespace x0
