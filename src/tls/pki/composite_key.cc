// Composite PKCS#8 key (see composite_key.h).
#include "tls/pki/composite_key.h"

#include <algorithm>

#include "tls/pki/der_writer.h"

namespace x0::tls::pki {
namespace {

using Composite = pqc::CompositeSignature;

// Everything before the 64 key bytes; written by der_writer from a zero key so the layout is
// derived, not typed in.
const Bytes& key_prefix() {
  static const Bytes prefix = [] {
    const Bytes zero(Composite::kSecretKeySize);
    Bytes all = der::sequence({der::integer(uint64_t{0}),
                               Bytes(Composite::kAlgorithmIdentifierDer.begin(),
                                     Composite::kAlgorithmIdentifierDer.end()),
                               der::octet_string(zero)});
    all.resize(all.size() - zero.size());
    return all;
  }();
  return prefix;
}

}  // namespace

CompositePrivateKeyDer encode_composite_private_key(const Composite::SecretKey& key) {
  CompositePrivateKeyDer out;
  const Bytes& prefix = key_prefix();
  std::ranges::copy(prefix, out.begin());
  std::ranges::copy(key.bytes(), out.begin() + static_cast<ptrdiff_t>(prefix.size()));
  return out;
}

Result<Composite::SecretKey> decode_composite_private_key(std::span<const uint8_t> der) {
  const Bytes& prefix = key_prefix();
  if (der.size() != kCompositePrivateKeyDerSize ||
      !std::ranges::equal(der.first(prefix.size()), prefix))
    return fail(Errc::kInvalidKey, "not an " + std::string(Composite::kName) +
                                       " private key (PKCS#8 v1, parameters absent, 64-byte key)");
  return Composite::SecretKey::from_bytes(der.subspan(prefix.size()));
}

}  // namespace x0::tls::pki
