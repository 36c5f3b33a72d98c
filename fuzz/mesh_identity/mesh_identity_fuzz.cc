// Fuzzes the identity frame decoder (mesh/identity_frame.h): a frame that decodes re-encodes to
// the same bytes, identity_frame_size() agrees with the decoder, and no prefix of the input
// makes the size probe read past what it was given or claim more than the maximum.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "mesh/identity_frame.h"

using namespace x0::mesh;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  for (size_t n = 0; n <= std::min<size_t>(size, kIdentityFrameHeaderSize + 1); ++n) {
    auto probed = identity_frame_size(bytes.first(n));
    if (probed && *probed > kMaxIdentityFrameSize) std::abort();
  }
  auto probed = identity_frame_size(bytes);
  auto decoded = decode_identity_frame(bytes);
  if (decoded) {
    if (!probed || *probed != size) std::abort();
    std::string again = encode_identity_frame(*decoded);
    if (again.size() != size || std::memcmp(again.data(), data, size) != 0) std::abort();
    if (decoded->signature.size() != x0::pqc::CompositeSignature::kSignatureSize) std::abort();
  }
  return 0;
}
