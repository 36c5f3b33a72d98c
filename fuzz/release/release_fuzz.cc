// Fuzz the release parsers: arbitrary bytes must yield a value or a clear error, never a crash,
// an exception or UB; whatever decodes must survive an encode/decode round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "release/release_json.h"
#include "release/release_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto spec = x0::release::parse_start_body(text);
      if (spec && !x0::release::validate_spec(*spec)) std::abort();  // accepted => valid
      break;
    }
    case 1:
      (void)x0::release::parse_reason_body(text);
      break;
    default: {
      auto stored = x0::release::decode_releases(text);
      if (stored) {
        auto again = x0::release::decode_releases(x0::release::encode_releases(*stored));
        if (!again || !(*again == *stored)) std::abort();
      }
      break;
    }
  }
  return 0;
}
