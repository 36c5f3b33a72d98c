// The provider's entry point, its algorithm tables and its TLS-GROUP capability (see
// pq_provider.h). Facts of OpenSSL 3.0 this relies on: a provider group is used only when its
// KEYMGMT comes from the same provider under the group's algorithm name; get_capabilities must
// answer (with success) for every capability OpenSSL asks about, or SSL_CTX_new fails; provider
// groups are never in the default group list, so an SSL_CTX names them explicitly.
#include "tls/provider/pq_provider.h"

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/tls1.h>

#include <cstring>
#include <mutex>

#include "tls/provider/x25519mlkem768.h"

namespace x0::tls {
namespace {

using detail::ProviderContext;

// The TLS-GROUP capability: what OpenSSL's TLS needs to offer and accept the group.
unsigned group_id = detail::kHybridGroupId;
unsigned security_bits = 192;
int min_tls = TLS1_3_VERSION;
int max_tls = 0;   // no upper bound
int no_dtls = -1;  // not for DTLS
unsigned is_kem = 1;
const OSSL_PARAM kGroupCapability[] = {
    OSSL_PARAM_utf8_string(OSSL_CAPABILITY_TLS_GROUP_NAME, const_cast<char*>("X25519MLKEM768"),
                           sizeof("X25519MLKEM768")),
    OSSL_PARAM_utf8_string(OSSL_CAPABILITY_TLS_GROUP_NAME_INTERNAL,
                           const_cast<char*>("X25519MLKEM768"), sizeof("X25519MLKEM768")),
    OSSL_PARAM_utf8_string(OSSL_CAPABILITY_TLS_GROUP_ALG, const_cast<char*>("X25519MLKEM768"),
                           sizeof("X25519MLKEM768")),
    OSSL_PARAM_uint(OSSL_CAPABILITY_TLS_GROUP_ID, &group_id),
    OSSL_PARAM_uint(OSSL_CAPABILITY_TLS_GROUP_SECURITY_BITS, &security_bits),
    OSSL_PARAM_int(OSSL_CAPABILITY_TLS_GROUP_MIN_TLS, &min_tls),
    OSSL_PARAM_int(OSSL_CAPABILITY_TLS_GROUP_MAX_TLS, &max_tls),
    OSSL_PARAM_int(OSSL_CAPABILITY_TLS_GROUP_MIN_DTLS, &no_dtls),
    OSSL_PARAM_int(OSSL_CAPABILITY_TLS_GROUP_MAX_DTLS, &no_dtls),
    OSSL_PARAM_uint(OSSL_CAPABILITY_TLS_GROUP_IS_KEM, &is_kem),
    OSSL_PARAM_END};

const OSSL_ALGORITHM kKeyManagement[] = {
    {detail::kHybridGroupName, "provider=x0tta6bl4-pq", detail::kHybridKeyManagement,
     "X25519 + ML-KEM-768 hybrid key share (TLS 1.3)"},
    {nullptr, nullptr, nullptr, nullptr}};
const OSSL_ALGORITHM kKem[] = {{detail::kHybridGroupName, "provider=x0tta6bl4-pq",
                                detail::kHybridKem, "X25519 + ML-KEM-768 hybrid KEM (TLS 1.3)"},
                               {nullptr, nullptr, nullptr, nullptr}};

const OSSL_ALGORITHM* query_operation(void* /*provctx*/, int operation_id, int* no_cache) {
  *no_cache = 0;
  if (openssl_has_hybrid_group()) return nullptr;
  if (operation_id == OSSL_OP_KEYMGMT) return kKeyManagement;
  if (operation_id == OSSL_OP_KEM) return kKem;
  return nullptr;
}

int get_capabilities(void* /*provctx*/, const char* capability, OSSL_CALLBACK* cb, void* arg) {
  if (std::strcmp(capability, "TLS-GROUP") == 0 && !openssl_has_hybrid_group())
    return cb(kGroupCapability, arg);
  return 1;  // nothing to add for other capabilities
}

void teardown(void* provctx) {
  auto* provider = static_cast<ProviderContext*>(provctx);
  OSSL_PROVIDER_unload(provider->x25519);
  OSSL_LIB_CTX_free(provider->libctx);
  delete provider;
}

template <class F>
void (*fn(F* f))(void) {
  return reinterpret_cast<void (*)(void)>(f);
}

const OSSL_DISPATCH kProviderFunctions[] = {
    {OSSL_FUNC_PROVIDER_TEARDOWN, fn(teardown)},
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, fn(query_operation)},
    {OSSL_FUNC_PROVIDER_GET_CAPABILITIES, fn(get_capabilities)},
    {0, nullptr}};

}  // namespace

bool openssl_has_hybrid_group() {
  return OPENSSL_version_major() > 3 ||
         (OPENSSL_version_major() == 3 && OPENSSL_version_minor() >= 5);
}

int pq_provider_init(const OSSL_CORE_HANDLE* /*handle*/, const OSSL_DISPATCH* /*in*/,
                     const OSSL_DISPATCH** out, void** provctx) {
  // X25519 runs in a private library context holding only OpenSSL's default provider. Not a
  // child of the loading context (OSSL_LIB_CTX_new_child): on OpenSSL 3.0 the child holds a
  // reference to its parent's providers, ours among them, so neither is ever freed (LeakSanitizer
  // reports the whole child context at exit).
  OSSL_LIB_CTX* libctx = OSSL_LIB_CTX_new();
  if (libctx == nullptr) return 0;
  auto* provider = new (std::nothrow) ProviderContext{libctx, nullptr};
  if (provider == nullptr ||
      (provider->x25519 = OSSL_PROVIDER_load(libctx, "default")) == nullptr) {
    delete provider;
    OSSL_LIB_CTX_free(libctx);
    return 0;
  }
  *provctx = provider;
  *out = kProviderFunctions;
  return 1;
}

namespace {

// The two providers load_pq_provider() loads into the default library context. They stay loaded
// while the process runs (an SSL_CTX may outlive any owner we could name). OpenSSL 3.0 tears a
// provider down only when its last reference goes, and never gives back the one
// OSSL_PROVIDER_load returned, so they are unloaded by an OPENSSL_atexit handler: it runs inside
// OpenSSL's own cleanup, before the library is gone (a plain atexit or a static destructor can
// run after it and crash).
OSSL_PROVIDER* loaded_ours = nullptr;
OSSL_PROVIDER* loaded_default = nullptr;

void unload_at_exit() {
  if (loaded_default != nullptr) OSSL_PROVIDER_unload(loaded_default);
  if (loaded_ours != nullptr) OSSL_PROVIDER_unload(loaded_ours);
  loaded_default = loaded_ours = nullptr;
}

}  // namespace

Result<void> load_pq_provider() {
  static std::once_flag once;
  static Result<void> outcome;
  std::call_once(once, [] {
    if (OSSL_PROVIDER_add_builtin(nullptr, kProviderName, pq_provider_init) != 1) {
      outcome = fail(Errc::kCryptoError, "OSSL_PROVIDER_add_builtin(x0tta6bl4-pq) failed");
      return;
    }
    loaded_ours = OSSL_PROVIDER_load(nullptr, kProviderName);
    if (loaded_ours == nullptr) {
      outcome = fail(Errc::kCryptoError, "loading the x0tta6bl4-pq provider failed");
      return;
    }
    loaded_default = OSSL_PROVIDER_load(nullptr, "default");
    if (loaded_default == nullptr)
      outcome = fail(Errc::kCryptoError, "loading OpenSSL's default provider failed");
    OPENSSL_atexit(unload_at_exit);
  });
  return outcome;
}

}  // namespace x0::tls
