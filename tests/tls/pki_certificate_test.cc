// The node PKI's certificates: a node's composite certificate verifies against its CA and fails
// for any changed byte (TBS, either half of the signature), another CA, a CA that is not one,
// outside its validity, or another algorithm; its Ed25519 twin verifies in OpenSSL and carries
// the same subject, serial, validity and extensions; composite keys round-trip as PKCS#8.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "pqc/composite_signature.h"
#include "tls/pki/composite_certificate.h"
#include "tls/pki/composite_key.h"
#include "tls/pki/composite_verify.h"
#include "tls/pki/ed25519_certificate.h"
#include "tls/pki/pem.h"

namespace x0::tls::pki {
namespace {

using Composite = pqc::CompositeSignature;
using pqc::MlDsa65;
using std::chrono::days;
using std::chrono::seconds;

const std::chrono::sys_seconds kNow{seconds(1'800'000'000)};  // 2027-01-15

CertificateFields fields(std::string cn, bool is_ca) {
  CertificateFields f;
  f.subject_cn = std::move(cn);
  f.serial = *random_serial();
  f.is_ca = is_ca;
  f.not_before = kNow - days(1);
  f.not_after = kNow + days(30);
  if (!is_ca) {
    f.dns_names = {f.subject_cn};
    f.ip_addresses = {{10, 0, 0, 7}};
  }
  return f;
}

// A composite CA and an Ed25519 CA of the same name, and one node issued by both.
struct Pki {
  Composite::KeyPair ca_key = *Composite::generate();
  Bytes ca_cert;
  PkeyPtr ca_ed_key = *generate_ed25519_key();
  X509Ptr ca_ed_cert;
  Composite::KeyPair node_key = *Composite::generate();
  CertificateFields node_fields = fields("node-1", false);
  Bytes node_cert;
  PkeyPtr node_ed_key = *generate_ed25519_key();
  X509Ptr node_ed_cert;

  explicit Pki(const std::string& ca_name = "x0tta6bl4 mesh CA") {
    const CertificateFields ca = fields(ca_name, true);
    ca_cert =
        *issue_composite_certificate(ca, ca_key.public_key, name_der(ca_name), ca_key.secret_key);
    ca_ed_cert =
        std::move(*issue_ed25519_certificate(ca, ca_ed_key.get(), nullptr, ca_ed_key.get()));
    node_cert = *issue_composite_certificate(node_fields, node_key.public_key, name_der(ca_name),
                                             ca_key.secret_key);
    node_ed_cert = std::move(*issue_ed25519_certificate(node_fields, node_ed_key.get(),
                                                        ca_ed_cert.get(), ca_ed_key.get()));
  }
};

const Pki& pki() {
  static const Pki p;
  return p;
}

std::string error_code(const Result<CertificateInfo>& r) {
  return r ? "ok" : std::string(r.error().name());
}

TEST(PkiCompositeCertificate, IssuedNodeVerifiesAgainstItsCaAndSaysWhatWasIssued) {
  const auto info = verify_composite_certificate(pki().node_cert, pki().ca_cert, kNow);
  ASSERT_TRUE(info) << info.error().detail;
  EXPECT_EQ(info->subject, "CN=node-1");
  EXPECT_EQ(info->issuer, "CN=x0tta6bl4 mesh CA");
  EXPECT_EQ(info->algorithm, Composite::kName);
  EXPECT_FALSE(info->is_ca);
  EXPECT_EQ(info->not_before, pki().node_fields.not_before);
  EXPECT_EQ(info->not_after, pki().node_fields.not_after);
  EXPECT_EQ(info->subject_alt_names, (std::vector<std::string>{"DNS:node-1", "IP:10.0.0.7"}));
  const auto cert = read_composite_certificate(pki().node_cert);
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->public_key, pki().node_key.public_key);
  // The self-signed CA verifies against itself.
  EXPECT_EQ(error_code(verify_composite_certificate(pki().ca_cert, pki().ca_cert, kNow)), "ok");
}

TEST(PkiCompositeCertificate, AChangedByteInTheTbsOrEitherSignatureHalfFails) {
  const Bytes& good = pki().node_cert;
  const size_t sig_at = good.size() - Composite::kSignatureSize;
  const auto cn =
      std::search(good.begin(), good.end(), std::begin("node-1"), std::end("node-1") - 1);
  ASSERT_NE(cn, good.end());
  struct Flip {
    const char* what;
    size_t index;
  };
  for (const Flip& f : {Flip{"TBS subject", static_cast<size_t>(cn - good.begin())},
                        Flip{"TBS serial", 15}, Flip{"ML-DSA half", sig_at + 100},
                        Flip{"ML-DSA half, last byte", sig_at + MlDsa65::kSignatureSize - 1},
                        Flip{"Ed25519 half R", sig_at + MlDsa65::kSignatureSize + 3},
                        Flip{"Ed25519 half S", good.size() - 2}}) {
    Bytes bad = good;
    bad[f.index] ^= 0x01;
    EXPECT_EQ(error_code(verify_composite_certificate(bad, pki().ca_cert, kNow)), "crypto_error")
        << f.what;
  }
}

TEST(PkiCompositeCertificate, AnotherCaFails) {
  const Pki stranger;  // same CA name, other key
  EXPECT_EQ(error_code(verify_composite_certificate(pki().node_cert, stranger.ca_cert, kNow)),
            "crypto_error");
  const Pki other_name("another CA");
  EXPECT_EQ(error_code(verify_composite_certificate(pki().node_cert, other_name.ca_cert, kNow)),
            "conflict");
  // A node certificate is no CA, even for what it signed itself.
  EXPECT_EQ(error_code(verify_composite_certificate(pki().node_cert, pki().node_cert, kNow)),
            "invalid_state");
}

TEST(PkiCompositeCertificate, OutsideItsValidityFails) {
  const auto& f = pki().node_fields;
  EXPECT_EQ(error_code(verify_composite_certificate(pki().node_cert, pki().ca_cert, f.not_after)),
            "ok");
  EXPECT_EQ(error_code(verify_composite_certificate(pki().node_cert, pki().ca_cert,
                                                    f.not_after + seconds(1))),
            "invalid_state");
  EXPECT_EQ(error_code(verify_composite_certificate(pki().node_cert, pki().ca_cert,
                                                    f.not_before - seconds(1))),
            "invalid_state");
}

TEST(PkiCompositeCertificate, AnotherAlgorithmOrParametersAnywhereIsRefused) {
  const Bytes& good = pki().node_cert;
  const Bytes alg(Composite::kAlgorithmIdentifierDer.begin(),
                  Composite::kAlgorithmIdentifierDer.end());
  // Three places: TBS signature, SubjectPublicKeyInfo, signatureAlgorithm.
  std::vector<size_t> at;
  for (auto it = good.begin();
       (it = std::search(it, good.end(), alg.begin(), alg.end())) != good.end(); ++it)
    at.push_back(static_cast<size_t>(it - good.begin()));
  ASSERT_EQ(at.size(), 3u);
  for (size_t i = 0; i < at.size(); ++i) {
    Bytes bad = good;
    bad[at[i] + alg.size() - 1] ^= 0x01;  // 1.3.6.1.5.5.7.6.49
    EXPECT_EQ(error_code(verify_composite_certificate(bad, pki().ca_cert, kNow)), "unsupported")
        << "place " << i;
  }
  EXPECT_EQ(error_code(verify_composite_certificate(pki().node_cert, pki().ca_cert, kNow)), "ok");
  // An Ed25519 certificate is not a composite one.
  const Bytes ed = to_der([&](uint8_t** p) { return i2d_X509(pki().node_ed_cert.get(), p); });
  EXPECT_EQ(error_code(verify_composite_certificate(ed, pki().ca_cert, kNow)), "unsupported");
}

TEST(PkiCompositeCertificate, MalformedInputIsRefusedAsSuch) {
  Bytes truncated(pki().node_cert.begin(), pki().node_cert.end() - 1);
  EXPECT_EQ(error_code(verify_composite_certificate(truncated, pki().ca_cert, kNow)),
            "bad_request");
  Bytes trailing = pki().node_cert;
  trailing.push_back(0);
  EXPECT_EQ(error_code(verify_composite_certificate(trailing, pki().ca_cert, kNow)), "bad_request");
  EXPECT_EQ(error_code(verify_composite_certificate({}, pki().ca_cert, kNow)), "bad_request");
  Bytes junk = pki().node_cert;
  junk[200] ^= 0xff;  // inside the TBS: OpenSSL may fail anywhere and queue errors
  (void)verify_composite_certificate(junk, pki().ca_cert, kNow);
  EXPECT_EQ(ERR_peek_error(), 0u) << "the reader leaves OpenSSL's error queue empty";
}

TEST(PkiEd25519Certificate, NodeVerifiesInOpenSslAgainstItsCaOnly) {
  EXPECT_EQ(X509_verify(pki().node_ed_cert.get(), X509_get0_pubkey(pki().ca_ed_cert.get())), 1);
  EXPECT_EQ(X509_verify(pki().ca_ed_cert.get(), X509_get0_pubkey(pki().ca_ed_cert.get())), 1);
  EXPECT_TRUE(verify_ed25519_certificate(pki().node_ed_cert.get(), pki().ca_ed_cert.get(), kNow));
  const Pki stranger;
  EXPECT_EQ(X509_verify(pki().node_ed_cert.get(), X509_get0_pubkey(stranger.ca_ed_cert.get())), 0);
  EXPECT_FALSE(
      verify_ed25519_certificate(pki().node_ed_cert.get(), stranger.ca_ed_cert.get(), kNow));
  EXPECT_FALSE(verify_ed25519_certificate(pki().node_ed_cert.get(), pki().ca_ed_cert.get(),
                                          pki().node_fields.not_after + days(1)));
}

TEST(PkiEd25519Certificate, HasTheSameSubjectSerialValidityAndExtensionsAsTheComposite) {
  auto composite = read_composite_certificate(pki().node_cert);
  ASSERT_TRUE(composite);
  X509* ed = pki().node_ed_cert.get();
  X509* comp = composite->x509.get();
  const auto ed_info = describe_certificate(ed);
  ASSERT_TRUE(ed_info);
  EXPECT_EQ(ed_info->algorithm, "Ed25519");
  EXPECT_EQ(ed_info->subject, composite->info.subject);
  EXPECT_EQ(ed_info->issuer, composite->info.issuer);
  EXPECT_EQ(ed_info->serial, composite->info.serial);
  EXPECT_EQ(ed_info->serial.size(), 32u);
  EXPECT_EQ(ed_info->not_before, composite->info.not_before);
  EXPECT_EQ(ed_info->not_after, composite->info.not_after);
  EXPECT_EQ(ed_info->subject_alt_names, composite->info.subject_alt_names);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(ed), X509_get_subject_name(comp)), 0);
  EXPECT_EQ(ASN1_INTEGER_cmp(X509_get0_serialNumber(ed), X509_get0_serialNumber(comp)), 0);
  EXPECT_EQ(ASN1_TIME_compare(X509_get0_notAfter(ed), X509_get0_notAfter(comp)), 0);
  // basicConstraints, keyUsage, subjectAltName: the same bytes (the key ids differ, as the keys).
  ASSERT_EQ(X509_get_ext_count(ed), X509_get_ext_count(comp));
  for (int i = 0; i < 3; ++i) {
    const Bytes a = to_der([&](uint8_t** p) { return i2d_X509_EXTENSION(X509_get_ext(ed, i), p); });
    const Bytes b =
        to_der([&](uint8_t** p) { return i2d_X509_EXTENSION(X509_get_ext(comp, i), p); });
    EXPECT_EQ(a, b) << "extension " << i;
  }
  EXPECT_EQ(X509_get_key_usage(ed), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_key_usage(pki().ca_ed_cert.get()),
            static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
}

TEST(PkiCompositeKey, RoundTripsAsPkcs8AndRefusesOtherKeys) {
  const auto& sk = pki().node_key.secret_key;
  const auto der = encode_composite_private_key(sk);
  const std::span<const uint8_t> bytes = der.span();
  EXPECT_EQ(bytes[0], 0x30);
  EXPECT_EQ(bytes[1], kCompositePrivateKeyDerSize - 2);
  const auto back = decode_composite_private_key(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->public_key(), sk.public_key());
  // OpenSSL reads it as a PKCS#8 PrivateKeyInfo with our OID and a 64-byte key.
  const uint8_t* p = bytes.data();
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, OpenSslFree<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>>
      info(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(bytes.size())));
  ASSERT_TRUE(info);
  const ASN1_OBJECT* obj = nullptr;
  const unsigned char* key = nullptr;
  int key_len = 0;
  const X509_ALGOR* alg = nullptr;
  ASSERT_EQ(PKCS8_pkey_get0(&obj, &key, &key_len, &alg, info.get()), 1);
  EXPECT_EQ(key_len, 64);
  EXPECT_TRUE(std::equal(key, key + key_len, sk.bytes().begin()));

  Bytes copy(bytes.begin(), bytes.end());
  for (size_t i : {size_t{4}, size_t{16}, size_t{18}}) {  // version, OID, OCTET STRING length
    Bytes bad = copy;
    bad[i] ^= 1;
    EXPECT_FALSE(decode_composite_private_key(bad)) << i;
  }
  EXPECT_FALSE(decode_composite_private_key(Bytes(copy.begin(), copy.end() - 1)));
  const auto pem = pem_encode(kPemPrivateKey, bytes);
  EXPECT_TRUE(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
  EXPECT_EQ(*pem_decode(kPemPrivateKey, pem), copy);
  EXPECT_EQ(pem_decode(kPemCertificate, pem).error().code, Errc::kBadRequest);
}

// A base64 field of the draft's id-MLDSA65-Ed25519-SHA512 test vector (other implementations'
// bytes; see tests/pqc/composite_vectors_test.cc), or nullopt without the shared test data.
std::optional<Bytes> draft_field(const std::string& name) {
  std::ifstream in(std::string(X0_SHARED_DIR) + "/testdata/composite/testvectors.json");
  if (!in) return std::nullopt;
  const std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string needle = "\"";
  needle.append(Composite::kName).append("\"");
  const auto at = json.find(needle);
  const auto key = json.find("\"" + name + "\"", at);
  if (at == std::string::npos || key == std::string::npos) return std::nullopt;
  const auto start = json.find('"', json.find(':', key)) + 1;
  const std::string b64 = json.substr(start, json.find('"', start) - start);
  Bytes der(b64.size());
  const int n = EVP_DecodeBlock(der.data(), reinterpret_cast<const uint8_t*>(b64.data()),
                                static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  der.resize(static_cast<size_t>(n) -
             static_cast<size_t>(std::count(b64.end() - 2, b64.end(), '=')));
  return der;
}

TEST(PkiCompositeCertificate, ReadsTheDraftsExampleCertificate) {
  const auto x5c = draft_field("x5c");
  if (!x5c) GTEST_SKIP() << "no composite test data under " << X0_SHARED_DIR;
  const auto cert = read_composite_certificate(*x5c);
  ASSERT_TRUE(cert) << cert.error().detail;
  EXPECT_TRUE(Composite::verify(cert->public_key, cert->tbs, cert->signature));  // self-signed
}

TEST(PkiCompositeKey, ReadsAndWritesTheDraftsPkcs8Key) {
  const auto pkcs8 = draft_field("sk_pkcs8");
  const auto raw = draft_field("sk");
  if (!pkcs8 || !raw) GTEST_SKIP() << "no composite test data under " << X0_SHARED_DIR;
  const auto key = decode_composite_private_key(*pkcs8);
  ASSERT_TRUE(key) << key.error().detail;
  EXPECT_EQ(Bytes(key->bytes().begin(), key->bytes().end()), *raw);
  const auto again = encode_composite_private_key(*key);
  EXPECT_EQ(Bytes(again.begin(), again.end()), *pkcs8);
}

}  // namespace
}  // namespace x0::tls::pki
