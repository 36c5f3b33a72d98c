// Our OpenSSL 3 provider: it adds the TLS 1.3 key-exchange group X25519MLKEM768 to OpenSSL 3.0,
// which lacks it (x25519mlkem768.h has the algorithm). The node loads it in-process; the same
// code is built as a loadable module (x0tta6bl4-pq.so) for stock `openssl` commands:
//   openssl s_client -provider-path build -provider x0tta6bl4-pq -provider default
//     -groups X25519MLKEM768 -connect 127.0.0.1:8443
// On OpenSSL 3.5 and later, which has the group natively, the provider registers nothing.
#pragma once

#include <openssl/core.h>

#include <cstdint>
#include <string_view>

#include "common/result.h"

namespace x0::tls {

inline constexpr std::string_view kHybridGroup = "X25519MLKEM768";
inline constexpr uint16_t kHybridGroupId = 0x11EC;
inline constexpr const char* kProviderName = "x0tta6bl4-pq";

// Makes the hybrid group usable by every SSL_CTX of the default library context: registers the
// provider as built in, then loads it and OpenSSL's "default" provider explicitly (an explicit
// load turns off the implicit default). Once per process, before any SSL_CTX exists;
// thread-safe; later calls return the first call's result.
Result<void> load_pq_provider();

// OpenSSL 3.5 or later: X25519MLKEM768 is built into OpenSSL itself.
bool openssl_has_hybrid_group();

// The provider's entry point (OSSL_provider_init_fn), for OSSL_PROVIDER_add_builtin and the
// loadable module's OSSL_provider_init.
int pq_provider_init(const OSSL_CORE_HANDLE* handle, const OSSL_DISPATCH* in,
                     const OSSL_DISPATCH** out, void** provctx);

}  // namespace x0::tls
