// libFuzzer target: feeds arbitrary bytes to x0::config::parse() (which must never crash or
// throw), and the first line of the input as an environment override value for a few keys of
// each type, so the text parsers of apply_env() are covered too.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto cfg = x0::config::parse(text, "fuzz.toml");
  if (cfg) {
    // A config that parsed must print its endpoints (exercises to_string on whatever was read).
    for (const auto& svc : cfg->services)
      for (const auto& ep : svc.endpoints) (void)ep.to_string();
  }
  std::string value(text.substr(0, text.find('\n')));
  x0::config::Config base;
  for (const char* name :
       {"X0TTA6BL4_CACHE_CAPACITY", "X0TTA6BL4_LISTENERS_DATA", "X0TTA6BL4_SECURITY_ISOLATE",
        "X0TTA6BL4_MESH_PEERS", "X0TTA6BL4_LOGGING_LEVEL", "X0TTA6BL4_API_GATEWAY_PORT",
        "X0TTA6BL4_CACHE_VERIFY_SAMPLE_RATE"}) {
    x0::config::Config copy = base;
    (void)x0::config::apply_env(copy, {{name, value}});
  }
  (void)x0::config::parse_host_port(value);
  return 0;
}
