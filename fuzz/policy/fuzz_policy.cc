// Fuzzes the policy file parser (rules, [defaults], [escalation]): any text must give a policy
// or a file:line error, never a crash, a hang or an unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "autopilot/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = x0::autopilot::parse_policy(text, "fuzz.toml");
  if (policy) {
    for (const auto& rule : policy->rules) (void)x0::autopilot::to_string(rule.action);
  }
  return 0;
}
