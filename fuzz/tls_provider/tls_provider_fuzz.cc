// Fuzzes what a peer controls in X25519MLKEM768: the client share the server decodes (length,
// FIPS 203 ek check, X25519 point), the server share the client decapsulates, and a whole
// ClientHello whose key share is the fuzz input, handed to an OpenSSL server over a memory BIO.
// The first byte picks the case. Invariants: no crash, no sanitizer report, a share is accepted
// only at its exact size, and an accepted client share encapsulates to a 1120-byte share.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "tls/provider/pq_provider.h"

namespace {

EVP_PKEY* generate(bool key_pair) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "X25519MLKEM768", nullptr);
  EVP_PKEY* key = nullptr;
  if (key_pair) {
    EVP_PKEY_keygen_init(ctx);
    EVP_PKEY_keygen(ctx, &key);
  } else {
    EVP_PKEY_paramgen_init(ctx);
    EVP_PKEY_paramgen(ctx, &key);
  }
  EVP_PKEY_CTX_free(ctx);
  if (key == nullptr) std::abort();
  return key;
}

void client_share(const uint8_t* data, size_t size) {
  EVP_PKEY* server = generate(false);
  bool accepted = EVP_PKEY_set1_encoded_public_key(server, data, size) == 1;
  if (accepted && size != 1216) std::abort();
  if (accepted) {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, server, nullptr);
    unsigned char ct[1120], ss[64];
    size_t ct_len = sizeof ct, ss_len = sizeof ss;
    if (EVP_PKEY_encapsulate_init(ctx, nullptr) != 1) std::abort();
    // Fails only for an X25519 point of low order (an all-zero secret).
    if (EVP_PKEY_encapsulate(ctx, ct, &ct_len, ss, &ss_len) == 1 && (ct_len != 1120 || ss_len != 64))
      std::abort();
    EVP_PKEY_CTX_free(ctx);
  }
  EVP_PKEY_free(server);
}

void server_share(const uint8_t* data, size_t size) {
  static EVP_PKEY* client = generate(true);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, client, nullptr);
  if (EVP_PKEY_decapsulate_init(ctx, nullptr) != 1) std::abort();
  unsigned char ss[64];
  size_t ss_len = sizeof ss;
  bool ok = EVP_PKEY_decapsulate(ctx, ss, &ss_len, data, size) == 1;
  if (ok && size != 1120) std::abort();
  EVP_PKEY_CTX_free(ctx);
}

// A real ClientHello offering X25519MLKEM768, made once; its key share is replaced.
const std::string& client_hello() {
  static const std::string hello = [] {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set1_groups_list(ctx, "X25519MLKEM768");
    SSL* ssl = SSL_new(ctx);
    BIO* in = BIO_new(BIO_s_mem());
    BIO* out = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl, in, out);
    SSL_connect(ssl);
    char buf[8192];
    int n = BIO_read(out, buf, sizeof buf);
    std::string h(buf, n > 0 ? static_cast<size_t>(n) : 0);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    return h;
  }();
  return hello;
}

void hello_with_share(const uint8_t* data, size_t size) {
  static SSL_CTX* server_ctx = [] {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set1_groups_list(ctx, "X25519MLKEM768");
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    X509* cert = X509_new();
    X509_set_pubkey(cert, key);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_sign(cert, key, nullptr);
    SSL_CTX_use_certificate(ctx, cert);
    SSL_CTX_use_PrivateKey(ctx, key);
    return ctx;
  }();
  std::string hello = client_hello();
  const std::string marker("\x11\xEC\x04\xC0", 4);
  size_t at = hello.find(marker);
  if (at == std::string::npos) std::abort();
  // The share's bytes, as many as the input has (the lengths around stay: a short or long
  // share is the record's own framing problem, which OpenSSL's parser meets).
  for (size_t i = 0; i < size && at + 4 + i < hello.size(); ++i) hello[at + 4 + i] = static_cast<char>(data[i]);
  SSL* ssl = SSL_new(server_ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_accept_state(ssl);
  BIO_write(in, hello.data(), static_cast<int>(hello.size()));
  SSL_do_handshake(ssl);
  SSL_free(ssl);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool loaded = x0::tls::load_pq_provider().has_value();
  if (!loaded) std::abort();
  if (size < 1) return 0;
  switch (data[0] % 3) {
    case 0: client_share(data + 1, size - 1); break;
    case 1: server_share(data + 1, size - 1); break;
    default: hello_with_share(data + 1, size - 1); break;
  }
  return 0;
}
