// X25519MLKEM768's KEYMGMT and KEM (see x25519mlkem768.h): ML-KEM-768 is ours (src/pqc),
// X25519 is OpenSSL's, run in the provider's own library context. The OpenSSL 3.0 flow:
//   client: keygen (a key pair) -> encoded public key = its share; later decapsulate(server share)
//   server: paramgen (an empty key) -> set encoded public key = the client's share, checked here
//           (a failure is OpenSSL's illegal_parameter alert) -> encapsulate -> its share, secret
#include "tls/provider/x25519mlkem768.h"

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <span>

#include "pqc/ml_kem.h"

namespace x0::tls::detail {
namespace {

using pqc::MlKem768;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

// One side's key share. The client's holds its secrets (dk and the X25519 key) and its public
// share; the server's holds only the client's public share, set by OpenSSL from the ClientHello.
struct HybridKey {
  ProviderContext* provider = nullptr;
  std::optional<std::array<uint8_t, kClientShareSize>> client_share;
  std::optional<MlKem768::DecapsulationKey> dk;
  Pkey x25519;  // the client's private X25519 key
};

// X25519(private, peer) into `out`; false for a bad peer key or the all-zero result of a
// low-order point (RFC 7748 section 6.1, which TLS requires to be refused).
bool x25519_derive(const ProviderContext& provider, EVP_PKEY* own, std::span<const uint8_t> peer,
                   std::span<uint8_t, kX25519Size> out) {
  Pkey peer_key(EVP_PKEY_new_raw_public_key_ex(provider.libctx, "X25519", nullptr, peer.data(),
                                               peer.size()));
  if (!peer_key) return false;
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(provider.libctx, own, nullptr));
  size_t len = out.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer_key.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != kX25519Size)
    return false;
  uint8_t any = 0;  // OpenSSL refuses the all-zero secret too; checked again here, by us
  for (uint8_t b : out) any |= b;
  return any != 0;
}

Pkey x25519_generate(const ProviderContext& provider, std::span<uint8_t, kX25519Size> pub) {
  Pkey key(EVP_PKEY_Q_keygen(provider.libctx, nullptr, "X25519"));
  size_t len = pub.size();
  if (!key || EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != kX25519Size)
    return nullptr;
  return key;
}

// --- KEYMGMT ----------------------------------------------------------------------------------

struct KeyGeneration {
  ProviderContext* provider;
  int selection;
};

void* key_new(void* provctx) {
  auto* key = new (std::nothrow) HybridKey;
  if (key != nullptr) key->provider = static_cast<ProviderContext*>(provctx);
  return key;
}

void key_free(void* keydata) { delete static_cast<HybridKey*>(keydata); }

int key_has(const void* keydata, int selection) {
  const auto* key = static_cast<const HybridKey*>(keydata);
  if (key == nullptr) return 0;
  if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0 && !key->client_share) return 0;
  if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 && !key->dk) return 0;
  return 1;  // no domain parameters: always "present"
}

void* gen_init(void* provctx, int selection, const OSSL_PARAM* /*params*/) {
  return new (std::nothrow) KeyGeneration{static_cast<ProviderContext*>(provctx), selection};
}

// OpenSSL names the group it wants (OSSL_PKEY_PARAM_GROUP_NAME); there is only one.
int gen_set_params(void* /*genctx*/, const OSSL_PARAM params[]) {
  const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_GROUP_NAME);
  if (p == nullptr) return 1;
  const char* name = nullptr;
  return OSSL_PARAM_get_utf8_string_ptr(p, &name) == 1 &&
         OPENSSL_strcasecmp(name, kHybridGroupName) == 0;
}

const OSSL_PARAM* gen_settable_params(void* /*genctx*/, void* /*provctx*/) {
  static const OSSL_PARAM kSettable[] = {
      OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, nullptr, 0), OSSL_PARAM_END};
  return kSettable;
}

// A key pair when asked for one (the client); otherwise an empty key that the server fills with
// the client's share.
void* gen(void* genctx, OSSL_CALLBACK* /*cb*/, void* /*cbarg*/) {
  auto* generation = static_cast<KeyGeneration*>(genctx);
  auto key = std::make_unique<HybridKey>();
  key->provider = generation->provider;
  if ((generation->selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0) return key.release();
  std::array<uint8_t, kClientShareSize> share{};
  key->x25519 = x25519_generate(*key->provider,
                                std::span<uint8_t, kX25519Size>(share.data() + 1184, kX25519Size));
  if (!key->x25519) return nullptr;
  MlKem768::KeyPair pair = MlKem768::generate();
  std::ranges::copy(pair.encapsulation_key.bytes(), share.begin());
  key->dk.emplace(std::move(pair.decapsulation_key));
  key->client_share = share;
  return key.release();
}

void gen_cleanup(void* genctx) { delete static_cast<KeyGeneration*>(genctx); }

int key_get_params(void* keydata, OSSL_PARAM params[]) {
  const auto* key = static_cast<const HybridKey*>(keydata);
  OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_BITS);
  if (p != nullptr && OSSL_PARAM_set_int(p, 8 * static_cast<int>(kClientShareSize)) != 1) return 0;
  p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_SECURITY_BITS);
  if (p != nullptr && OSSL_PARAM_set_int(p, 192) != 1) return 0;  // ML-KEM-768: category 3
  p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MAX_SIZE);
  if (p != nullptr && OSSL_PARAM_set_int(p, static_cast<int>(kServerShareSize)) != 1) return 0;
  p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY);
  if (p != nullptr) {
    if (!key->client_share) return 0;
    if (OSSL_PARAM_set_octet_string(p, key->client_share->data(), kClientShareSize) != 1) return 0;
  }
  return 1;
}

const OSSL_PARAM* key_gettable_params(void* /*provctx*/) {
  static const OSSL_PARAM kGettable[] = {
      OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, nullptr),
      OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, nullptr),
      OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, nullptr),
      OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0), OSSL_PARAM_END};
  return kGettable;
}

// The server receives the client's share here: its length and the ek's FIPS 203 section 7.2
// modulus check decide; a share that fails becomes OpenSSL's illegal_parameter alert.
int key_set_params(void* keydata, const OSSL_PARAM params[]) {
  auto* key = static_cast<HybridKey*>(keydata);
  const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY);
  if (p == nullptr) return 1;
  const void* data = nullptr;
  size_t size = 0;
  if (OSSL_PARAM_get_octet_string_ptr(p, &data, &size) != 1 || size != kClientShareSize) return 0;
  std::span<const uint8_t> share(static_cast<const uint8_t*>(data), size);
  if (!MlKem768::EncapsulationKey::from_bytes(share.first(1184))) return 0;
  key->dk.reset();
  key->x25519.reset();
  key->client_share.emplace();
  std::ranges::copy(share, key->client_share->begin());
  return 1;
}

const OSSL_PARAM* key_settable_params(void* /*provctx*/) {
  static const OSSL_PARAM kSettable[] = {
      OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0), OSSL_PARAM_END};
  return kSettable;
}

// --- KEM --------------------------------------------------------------------------------------

struct KemOperation {
  ProviderContext* provider;
  HybridKey* key = nullptr;
};

void* kem_newctx(void* provctx) {
  return new (std::nothrow) KemOperation{static_cast<ProviderContext*>(provctx)};
}

void kem_freectx(void* ctx) { delete static_cast<KemOperation*>(ctx); }

int kem_encapsulate_init(void* ctx, void* provkey, const OSSL_PARAM* /*params*/) {
  auto* key = static_cast<HybridKey*>(provkey);
  if (key == nullptr || !key->client_share) return 0;
  static_cast<KemOperation*>(ctx)->key = key;
  return 1;
}

int kem_decapsulate_init(void* ctx, void* provkey, const OSSL_PARAM* /*params*/) {
  auto* key = static_cast<HybridKey*>(provkey);
  if (key == nullptr || !key->dk || !key->x25519) return 0;
  static_cast<KemOperation*>(ctx)->key = key;
  return 1;
}

// Server: out = ciphertext ‖ X25519 public, secret = ML-KEM ss ‖ X25519 ss. With out == NULL,
// OpenSSL asks for the sizes only.
int kem_encapsulate(void* ctx, unsigned char* out, size_t* outlen, unsigned char* secret,
                    size_t* secretlen) {
  const auto* op = static_cast<KemOperation*>(ctx);
  if (out == nullptr || secret == nullptr) {
    if (outlen != nullptr) *outlen = kServerShareSize;
    if (secretlen != nullptr) *secretlen = kSharedSecretSize;
    return 1;
  }
  if (outlen == nullptr || secretlen == nullptr || *outlen < kServerShareSize ||
      *secretlen < kSharedSecretSize)
    return 0;
  const std::span<const uint8_t> share(*op->key->client_share);
  auto ek = MlKem768::EncapsulationKey::from_bytes(share.first(1184));
  if (!ek) return 0;
  std::array<uint8_t, kX25519Size> pub{};
  Pkey own = x25519_generate(*op->provider, pub);
  if (!own) return 0;
  std::span<uint8_t, kSharedSecretSize> secrets(secret, kSharedSecretSize);
  if (!x25519_derive(*op->provider, own.get(), share.subspan(1184),
                     secrets.subspan<32, kX25519Size>())) {
    OPENSSL_cleanse(secret, kSharedSecretSize);
    return 0;
  }
  MlKem768::Encapsulation enc = MlKem768::encapsulate(*ek);
  std::ranges::copy(enc.shared_secret, secrets.begin());
  std::ranges::copy(enc.ciphertext.bytes(), out);
  std::ranges::copy(pub, out + 1088);
  *outlen = kServerShareSize;
  *secretlen = kSharedSecretSize;
  return 1;
}

// Client: the server's share in, the same 64-byte secret out. A ciphertext that does not
// decrypt yields ML-KEM's implicit-rejection secret: the handshake then fails at Finished.
int kem_decapsulate(void* ctx, unsigned char* out, size_t* outlen, const unsigned char* in,
                    size_t inlen) {
  const auto* op = static_cast<KemOperation*>(ctx);
  if (out == nullptr) {
    if (outlen != nullptr) *outlen = kSharedSecretSize;
    return 1;
  }
  if (outlen == nullptr || *outlen < kSharedSecretSize || in == nullptr ||
      inlen != kServerShareSize)
    return 0;
  const std::span<const uint8_t> share(in, inlen);
  auto ciphertext = MlKem768::Ciphertext::from_bytes(share.first(1088));
  if (!ciphertext) return 0;
  std::span<uint8_t, kSharedSecretSize> secrets(out, kSharedSecretSize);
  if (!x25519_derive(*op->provider, op->key->x25519.get(), share.subspan(1088),
                     secrets.subspan<32, kX25519Size>())) {
    OPENSSL_cleanse(out, kSharedSecretSize);
    return 0;
  }
  MlKem768::SharedSecret ss = MlKem768::decapsulate(*op->key->dk, *ciphertext);
  std::ranges::copy(ss, secrets.begin());
  *outlen = kSharedSecretSize;
  return 1;
}

template <class F>
void (*fn(F* f))(void) {
  return reinterpret_cast<void (*)(void)>(f);
}

}  // namespace

const OSSL_DISPATCH kHybridKeyManagement[] = {
    {OSSL_FUNC_KEYMGMT_NEW, fn(key_new)},
    {OSSL_FUNC_KEYMGMT_FREE, fn(key_free)},
    {OSSL_FUNC_KEYMGMT_HAS, fn(key_has)},
    {OSSL_FUNC_KEYMGMT_GEN_INIT, fn(gen_init)},
    {OSSL_FUNC_KEYMGMT_GEN_SET_PARAMS, fn(gen_set_params)},
    {OSSL_FUNC_KEYMGMT_GEN_SETTABLE_PARAMS, fn(gen_settable_params)},
    {OSSL_FUNC_KEYMGMT_GEN, fn(gen)},
    {OSSL_FUNC_KEYMGMT_GEN_CLEANUP, fn(gen_cleanup)},
    {OSSL_FUNC_KEYMGMT_GET_PARAMS, fn(key_get_params)},
    {OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, fn(key_gettable_params)},
    {OSSL_FUNC_KEYMGMT_SET_PARAMS, fn(key_set_params)},
    {OSSL_FUNC_KEYMGMT_SETTABLE_PARAMS, fn(key_settable_params)},
    {0, nullptr}};

const OSSL_DISPATCH kHybridKem[] = {
    {OSSL_FUNC_KEM_NEWCTX, fn(kem_newctx)},
    {OSSL_FUNC_KEM_FREECTX, fn(kem_freectx)},
    {OSSL_FUNC_KEM_ENCAPSULATE_INIT, fn(kem_encapsulate_init)},
    {OSSL_FUNC_KEM_ENCAPSULATE, fn(kem_encapsulate)},
    {OSSL_FUNC_KEM_DECAPSULATE_INIT, fn(kem_decapsulate_init)},
    {OSSL_FUNC_KEM_DECAPSULATE, fn(kem_decapsulate)},
    {0, nullptr}};

}  // namespace x0::tls::detail
