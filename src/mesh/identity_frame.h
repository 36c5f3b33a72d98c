// The mesh's identity frame: what each side of a link sends right after the TLS handshake (SPEC
// section 9, docs/TLS.md "Mesh links"): its composite ML-DSA-65 + Ed25519 certificate and a
// composite signature over the connection's TLS exporter, so the post-quantum identity is bound
// to this very connection. Binary, because it precedes HTTP on the link:
//   "X0MI" | version (1) | role (1 = client, 2 = server) | u16 certificate length (big-endian) |
//   certificate DER | signature (CompositeSignature::kSignatureSize bytes)
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "pqc/composite_signature.h"

namespace x0::mesh {

enum class LinkRole : uint8_t { kClient = 1, kServer = 2 };

struct IdentityFrame {
  LinkRole role = LinkRole::kClient;
  std::vector<uint8_t> certificate;  // composite certificate, DER
  std::vector<uint8_t> signature;    // CompositeSignature::kSignatureSize bytes
};

inline constexpr uint8_t kIdentityFrameVersion = 1;
inline constexpr size_t kIdentityFrameHeaderSize = 8;
// A composite certificate is about 5.5 KB (ML-DSA-65 key and signature); more is not ours.
inline constexpr size_t kMaxIdentityCertificateSize = 16 * 1024;
inline constexpr size_t kMaxIdentityFrameSize = kIdentityFrameHeaderSize +
                                                kMaxIdentityCertificateSize +
                                                pqc::CompositeSignature::kSignatureSize;

std::string encode_identity_frame(const IdentityFrame& frame);

// How many bytes the frame at the start of `bytes` takes: 0 while more are needed to tell,
// the whole size once the header is in. Errors ("bad_request") for a header that is not ours.
Result<size_t> identity_frame_size(std::span<const uint8_t> bytes);

// Exactly one frame, no trailing bytes: "bad_request" naming what is wrong.
Result<IdentityFrame> decode_identity_frame(std::span<const uint8_t> bytes);

}  // namespace x0::mesh
