// Ed25519 certificates through OpenSSL (see ed25519_certificate.h).
#include "tls/pki/ed25519_certificate.h"

#include <openssl/bn.h>
#include <openssl/err.h>

namespace x0::tls::pki {
namespace {

Result<Bytes> raw_public_key(EVP_PKEY* key) {
  Bytes out(32);
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(key, out.data(), &len) != 1 || len != out.size())
    return fail(Errc::kInvalidKey, "not an Ed25519 key");
  return out;
}

// The extension as our DER writer encodes it, so both certificates carry the same bytes.
bool add_extension(X509* cert, const Extension& ext) {
  const Bytes oid = der::oid(ext.oid);
  const uint8_t* p = oid.data();
  std::unique_ptr<ASN1_OBJECT, OpenSslFree<ASN1_OBJECT, ASN1_OBJECT_free>> obj(
      d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(oid.size())));
  Asn1OctetStringPtr value(ASN1_OCTET_STRING_new());
  if (!obj || !value ||
      ASN1_OCTET_STRING_set(value.get(), ext.value.data(), static_cast<int>(ext.value.size())) != 1)
    return false;
  X509ExtensionPtr x(
      X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), ext.critical ? 1 : 0, value.get()));
  return x && X509_add_ext(cert, x.get(), -1) == 1;
}

bool set_serial(X509* cert, std::span<const uint8_t> serial) {
  std::unique_ptr<BIGNUM, OpenSslFree<BIGNUM, BN_free>> bn(
      BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  Asn1IntegerPtr integer(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  return integer && X509_set_serialNumber(cert, integer.get()) == 1;
}

bool set_names(X509* cert, const CertificateFields& fields, X509* issuer) {
  const Bytes der = name_der(fields.subject_cn);
  const uint8_t* p = der.data();
  X509NamePtr subject(d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size())));
  return subject && X509_set_subject_name(cert, subject.get()) == 1 &&
         X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : subject.get()) == 1;
}

// ASN1_TIME_set writes UTCTime up to 2049 and GeneralizedTime after, as RFC 5280 4.1.2.5 asks.
bool set_validity(X509* cert, const CertificateFields& fields) {
  const auto secs = [](std::chrono::sys_seconds t) {
    return static_cast<time_t>(t.time_since_epoch().count());
  };
  return ASN1_TIME_set(X509_getm_notBefore(cert), secs(fields.not_before)) != nullptr &&
         ASN1_TIME_set(X509_getm_notAfter(cert), secs(fields.not_after)) != nullptr;
}

}  // namespace

Result<PkeyPtr> generate_ed25519_key() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return fail(Errc::kCryptoError, "OpenSSL could not generate an Ed25519 key");
  return key;
}

Result<X509Ptr> issue_ed25519_certificate(const CertificateFields& fields, EVP_PKEY* subject_key,
                                          X509* issuer, EVP_PKEY* issuer_key) {
  auto subject_pk = raw_public_key(subject_key);
  if (!subject_pk) return std::unexpected(subject_pk.error());
  auto issuer_pk = raw_public_key(issuer_key);
  if (!issuer_pk) return std::unexpected(issuer_pk.error());
  auto subject_id = key_identifier(*subject_pk);
  auto issuer_id = key_identifier(*issuer_pk);
  if (!subject_id || !issuer_id) return fail(Errc::kCryptoError, "OpenSSL SHA-1 failed");

  X509Ptr cert(X509_new());
  bool ok = cert && X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
            set_serial(cert.get(), fields.serial) && set_names(cert.get(), fields, issuer) &&
            set_validity(cert.get(), fields) && X509_set_pubkey(cert.get(), subject_key) == 1;
  for (const Extension& ext : profile_extensions(fields)) ok = ok && add_extension(cert.get(), ext);
  ok = ok && add_extension(cert.get(), subject_key_identifier(*subject_id)) &&
       add_extension(cert.get(), authority_key_identifier(*issuer_id));
  // Ed25519 is PureEdDSA: no digest (RFC 8410 section 6).
  if (!ok || X509_sign(cert.get(), issuer_key, nullptr) <= 0) {
    ERR_clear_error();
    return fail(Errc::kCryptoError,
                "OpenSSL could not make the Ed25519 certificate of " + fields.subject_cn);
  }
  return cert;
}

Result<CertificateInfo> verify_ed25519_certificate(X509* cert, X509* ca,
                                                   std::chrono::sys_seconds now) {
  auto info = describe_certificate(cert);
  if (!info) return info;
  std::unique_ptr<X509_STORE, OpenSslFree<X509_STORE, X509_STORE_free>> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, OpenSslFree<X509_STORE_CTX, X509_STORE_CTX_free>> ctx(
      X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), cert, nullptr) != 1) {
    ERR_clear_error();
    return fail(Errc::kCryptoError, "OpenSSL could not set up a verification");
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(now.time_since_epoch().count()));
  const int ok = X509_verify_cert(ctx.get());
  ERR_clear_error();
  if (ok != 1)
    return fail(Errc::kCryptoError,
                "certificate of " + info->subject + " does not verify: " +
                    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
  return info;
}

}  // namespace x0::tls::pki
