// The provider as a loadable OpenSSL module (x0tta6bl4-pq.so): the entry point OpenSSL looks
// up by name, forwarding to the same code the node loads in-process (tls/pq_provider.h).
#include <openssl/core.h>

#include "tls/provider/pq_provider.h"

extern "C" __attribute__((visibility("default"))) int OSSL_provider_init(
    const OSSL_CORE_HANDLE* handle, const OSSL_DISPATCH* in, const OSSL_DISPATCH** out,
    void** provctx) {
  return x0::tls::pq_provider_init(handle, in, out, provctx);
}
