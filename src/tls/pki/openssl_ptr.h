// Owning pointers for the OpenSSL objects the PKI handles, so every early return frees them, and
// the bytes an OpenSSL i2d function writes.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace x0::tls::pki {

template <class T, void (*Free)(T*)>
struct OpenSslFree {
  void operator()(T* p) const { Free(p); }
};

using X509Ptr = std::unique_ptr<X509, OpenSslFree<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslFree<BIO, BIO_free_all>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OpenSslFree<X509_NAME, X509_NAME_free>>;
using X509ExtensionPtr =
    std::unique_ptr<X509_EXTENSION, OpenSslFree<X509_EXTENSION, X509_EXTENSION_free>>;
using GeneralNamesPtr =
    std::unique_ptr<GENERAL_NAMES, OpenSslFree<GENERAL_NAMES, GENERAL_NAMES_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OpenSslFree<ASN1_INTEGER, ASN1_INTEGER_free>>;
using Asn1OctetStringPtr =
    std::unique_ptr<ASN1_OCTET_STRING, OpenSslFree<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;

// Empties OpenSSL's per-thread error queue when it dies: the PKI reports errors as Results, and a
// stale entry would mislead the next caller that reads the queue (a TLS handshake's reason).
struct ClearOpenSslErrors {
  ClearOpenSslErrors() = default;
  ClearOpenSslErrors(const ClearOpenSslErrors&) = delete;
  ClearOpenSslErrors& operator=(const ClearOpenSslErrors&) = delete;
  ~ClearOpenSslErrors() { ERR_clear_error(); }
};

// What an i2d function writes, e.g. to_der([&](uint8_t** p) { return i2d_X509(cert, p); });
// empty when it fails. (A lambda, so the output pointer is read only after the call wrote it.)
template <class I2d>
std::vector<uint8_t> to_der(I2d&& i2d) {
  uint8_t* data = nullptr;
  const int len = i2d(&data);
  std::vector<uint8_t> out;
  if (len > 0) out.assign(data, data + len);
  OPENSSL_free(data);
  return out;
}

}  // namespace x0::tls::pki
