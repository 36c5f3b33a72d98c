// Reading a certificate's fields through OpenSSL (see certificate_info.h).
#include "tls/pki/certificate_info.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <ctime>

#include "pqc/composite_signature.h"

namespace x0::tls::pki {
namespace {

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "";
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<size_t>(len)};
}

std::string oid_text(const ASN1_OBJECT* obj) {
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof buf, obj, 1);
  return n > 0 && static_cast<size_t>(n) < sizeof buf ? std::string(buf, static_cast<size_t>(n))
                                                      : std::string("?");
}

std::string algorithm_name(const X509* cert) {
  const X509_ALGOR* alg = nullptr;
  X509_get0_signature(nullptr, &alg, cert);
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  std::string oid = oid_text(obj);
  if (oid == "1.3.101.112") return std::string(kEd25519Name);  // RFC 8410 id-Ed25519
  if (oid == pqc::CompositeSignature::kOid) return std::string(pqc::CompositeSignature::kName);
  return oid;
}

std::string serial_hex(const X509* cert) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  std::string out;
  for (int i = 0; i < serial->length; ++i) {
    out += kHex[serial->data[i] >> 4];
    out += kHex[serial->data[i] & 15];
  }
  return out;
}

Result<std::chrono::sys_seconds> time_of(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1)
    return fail(Errc::kBadRequest, "unreadable time");
  return std::chrono::sys_seconds(std::chrono::seconds(timegm(&tm)));
}

std::vector<std::string> alt_names(const X509* cert) {
  std::vector<std::string> out;
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    int type = 0;
    const auto* value = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(name, &type));
    const std::string raw(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                          static_cast<size_t>(ASN1_STRING_length(value)));
    if (type == GEN_DNS) {
      out.push_back("DNS:" + raw);
    } else if (type == GEN_URI) {
      out.push_back("URI:" + raw);
    } else if (type == GEN_IPADD && (raw.size() == 4 || raw.size() == 16)) {
      char text[INET6_ADDRSTRLEN];
      inet_ntop(raw.size() == 4 ? AF_INET : AF_INET6, raw.data(), text, sizeof text);
      out.push_back(std::string("IP:") + text);
    } else {
      out.push_back("other:" + std::to_string(type));
    }
  }
  return out;
}

}  // namespace

Result<X509Ptr> parse_certificate(std::span<const uint8_t> der) {
  const uint8_t* p = der.data();
  const ClearOpenSslErrors clear;  // 3.0 queues decoder errors for a key type it does not know
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size())
    return fail(Errc::kBadRequest, "not a DER X.509 certificate");
  return cert;
}

Result<CertificateInfo> describe_certificate(X509* cert) {
  const ClearOpenSslErrors clear;
  CertificateInfo info;
  info.subject = name_text(X509_get_subject_name(cert));
  info.issuer = name_text(X509_get_issuer_name(cert));
  info.serial = serial_hex(cert);
  auto not_before = time_of(X509_get0_notBefore(cert));
  auto not_after = time_of(X509_get0_notAfter(cert));
  if (!not_before || !not_after)
    return fail(Errc::kBadRequest, "certificate validity is unreadable");
  info.not_before = *not_before;
  info.not_after = *not_after;
  info.algorithm = algorithm_name(cert);
  info.is_ca = (X509_get_extension_flags(cert) & EXFLAG_CA) != 0;
  info.subject_alt_names = alt_names(cert);
  return info;
}

Result<void> check_validity(const CertificateInfo& info, std::chrono::sys_seconds now) {
  if (now < info.not_before)
    return fail(Errc::kInvalidState, "certificate of " + info.subject + " is not valid before " +
                                         rfc3339(info.not_before));
  if (now > info.not_after)
    return fail(Errc::kInvalidState,
                "certificate of " + info.subject + " expired at " + rfc3339(info.not_after));
  return {};
}

std::string rfc3339(std::chrono::sys_seconds t) {
  const time_t secs = static_cast<time_t>(t.time_since_epoch().count());
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

}  // namespace x0::tls::pki
