// The composite private key file's DER: RFC 5958 OneAsymmetricKey (version 1, PrivateKeyInfo)
// as the composite draft asks (section "Private Key", parameters absent, privateKey = the raw
// 64-byte ML-DSA seed || Ed25519 seed). Stored as PEM "PRIVATE KEY" (see pem.h).
#pragma once

#include <cstddef>
#include <span>

#include "common/result.h"
#include "pqc/composite_signature.h"
#include "pqc/secure.h"

namespace x0::tls::pki {

// SEQUENCE { INTEGER 0, AlgorithmIdentifier(composite), OCTET STRING (64 bytes) }: always
// 2 + 3 + 12 + 66 bytes, so the encoding can live in wiped memory.
inline constexpr size_t kCompositePrivateKeyDerSize = 83;
using CompositePrivateKeyDer = pqc::SecretBytes<kCompositePrivateKeyDerSize>;

CompositePrivateKeyDer encode_composite_private_key(const pqc::CompositeSignature::SecretKey& key);

// Accepts exactly that encoding (the optional attributes and publicKey are not written by us and
// refused); "invalid_key" otherwise.
Result<pqc::CompositeSignature::SecretKey> decode_composite_private_key(
    std::span<const uint8_t> der);

}  // namespace x0::tls::pki
