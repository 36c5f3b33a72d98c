// The PKI's DER writer against OpenSSL: what we write, OpenSSL parses to the same value and
// writes back byte for byte (its DER encoder is the reference), at the length-form boundaries,
// for INTEGERs with the high bit set, and for times on both sides of 2050 (RFC 5280 4.1.2.5).
#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "pqc/composite_signature.h"
#include "tls/pki/certificate_fields.h"
#include "tls/pki/der_writer.h"
#include "tls/pki/openssl_ptr.h"

namespace x0::tls::pki {
namespace {

template <class T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, OpenSslFree<T, Free>>;

std::chrono::sys_seconds utc(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return std::chrono::sys_days(std::chrono::year(y) / m / d) + std::chrono::hours(hh) +
         std::chrono::minutes(mm) + std::chrono::seconds(ss);
}

TEST(PkiDerWriter, LengthFormsAtTheBoundariesParseAndReencodeInOpenSsl) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{127}, size_t{128}, size_t{255}, size_t{256},
                   size_t{65535}, size_t{65536}}) {
    Bytes content(n);
    for (size_t i = 0; i < n; ++i) content[i] = static_cast<uint8_t>(i * 7);
    const Bytes ours = der::octet_string(content);
    const size_t header = n < 128 ? 2 : n < 256 ? 3 : n < 65536 ? 4 : 5;
    ASSERT_EQ(ours.size(), header + n) << n;
    const uint8_t* p = ours.data();
    Owned<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> parsed(
        d2i_ASN1_OCTET_STRING(nullptr, &p, static_cast<long>(ours.size())));
    ASSERT_TRUE(parsed) << n;
    EXPECT_EQ(p, ours.data() + ours.size());
    EXPECT_EQ(static_cast<size_t>(ASN1_STRING_length(parsed.get())), n);
    EXPECT_EQ(to_der([&](uint8_t** out) { return i2d_ASN1_OCTET_STRING(parsed.get(), out); }), ours)
        << n;
  }
  EXPECT_EQ(der::octet_string(Bytes(127))[1], 0x7f);
  const Bytes medium = der::octet_string(Bytes(128));
  EXPECT_EQ(Bytes(medium.begin(), medium.begin() + 3), (Bytes{0x04, 0x81, 0x80}));
  const Bytes big = der::octet_string(Bytes(256));
  EXPECT_EQ(Bytes(big.begin(), big.begin() + 4), (Bytes{0x04, 0x82, 0x01, 0x00}));
}

TEST(PkiDerWriter, IntegersArePositiveAndMinimal) {
  EXPECT_EQ(der::integer(uint64_t{0}), (Bytes{0x02, 0x01, 0x00}));
  EXPECT_EQ(der::integer(uint64_t{2}), (Bytes{0x02, 0x01, 0x02}));
  EXPECT_EQ(der::integer(uint64_t{0x80}), (Bytes{0x02, 0x02, 0x00, 0x80}));
  EXPECT_EQ(der::integer(Bytes{0x00, 0x00, 0x01}), (Bytes{0x02, 0x01, 0x01}));
  EXPECT_EQ(der::integer(Bytes{}), (Bytes{0x02, 0x01, 0x00}));
  // A 16-byte serial with its top bit set becomes 17 content bytes and stays positive.
  Bytes serial(16, 0xa5);
  for (const Bytes& value : {serial, Bytes{0x7f, 0xff}, Bytes{0xff}, Bytes{0x01, 0x00}}) {
    const Bytes ours = der::integer(value);
    const uint8_t* p = ours.data();
    Owned<ASN1_INTEGER, ASN1_INTEGER_free> parsed(
        d2i_ASN1_INTEGER(nullptr, &p, static_cast<long>(ours.size())));
    ASSERT_TRUE(parsed);
    Owned<BIGNUM, BN_free> bn(ASN1_INTEGER_to_BN(parsed.get(), nullptr));
    Owned<BIGNUM, BN_free> want(BN_bin2bn(value.data(), static_cast<int>(value.size()), nullptr));
    EXPECT_FALSE(BN_is_negative(bn.get()));
    EXPECT_EQ(BN_cmp(bn.get(), want.get()), 0);
    EXPECT_EQ(to_der([&](uint8_t** out) { return i2d_ASN1_INTEGER(parsed.get(), out); }), ours);
  }
  EXPECT_EQ(der::integer(serial).size(), 2 + 17u);
}

TEST(PkiDerWriter, TimesAreUtcTimeBefore2050AndGeneralizedTimeFrom2050) {
  struct Case {
    std::chrono::sys_seconds t;
    uint8_t tag;
    std::string text;
  };
  for (const Case& c : {Case{utc(2026, 12, 2, 14, 33, 5), 0x17, "261202143305Z"},
                        Case{utc(1950, 1, 1, 0, 0, 0), 0x17, "500101000000Z"},
                        Case{utc(2049, 12, 31, 23, 59, 59), 0x17, "491231235959Z"},
                        Case{utc(2050, 1, 1, 0, 0, 0), 0x18, "20500101000000Z"},
                        Case{utc(2106, 2, 7, 6, 28, 16), 0x18, "21060207062816Z"}}) {
    const Bytes ours = der::time(c.t);
    EXPECT_EQ(ours[0], c.tag) << c.text;
    EXPECT_EQ(std::string(ours.begin() + 2, ours.end()), c.text);
    // OpenSSL picks the same type for the same instant (ASN1_TIME_set follows RFC 5280 too).
    Owned<ASN1_TIME, ASN1_TIME_free> reference(
        ASN1_TIME_set(nullptr, static_cast<time_t>(c.t.time_since_epoch().count())));
    ASSERT_TRUE(reference);
    EXPECT_EQ(to_der([&](uint8_t** out) { return i2d_ASN1_TIME(reference.get(), out); }), ours)
        << c.text;
  }
}

TEST(PkiDerWriter, BooleanOidBitStringAndTags) {
  EXPECT_EQ(der::boolean(true), (Bytes{0x01, 0x01, 0xff}));
  EXPECT_EQ(der::boolean(false), (Bytes{0x01, 0x01, 0x00}));
  using Composite = pqc::CompositeSignature;
  EXPECT_EQ(der::oid(std::span(Composite::kOidDer).subspan(2)),
            Bytes(Composite::kOidDer.begin(), Composite::kOidDer.end()));
  EXPECT_EQ(
      der::sequence({der::oid(std::span(Composite::kOidDer).subspan(2))}),
      Bytes(Composite::kAlgorithmIdentifierDer.begin(), Composite::kAlgorithmIdentifierDer.end()));
  const uint8_t usage = 0x06;
  const Bytes bits = der::bit_string({&usage, 1}, 1);
  EXPECT_EQ(bits, (Bytes{0x03, 0x02, 0x01, 0x06}));
  const uint8_t* p = bits.data();
  Owned<ASN1_BIT_STRING, ASN1_BIT_STRING_free> parsed(
      d2i_ASN1_BIT_STRING(nullptr, &p, static_cast<long>(bits.size())));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(ASN1_BIT_STRING_get_bit(parsed.get(), 5), 1);  // keyCertSign
  EXPECT_EQ(ASN1_BIT_STRING_get_bit(parsed.get(), 6), 1);  // cRLSign
  EXPECT_EQ(ASN1_BIT_STRING_get_bit(parsed.get(), 0), 0);
  EXPECT_EQ(to_der([&](uint8_t** out) { return i2d_ASN1_BIT_STRING(parsed.get(), out); }), bits);
  EXPECT_EQ(der::explicit_tag(0, der::integer(uint64_t{2})), (Bytes{0xa0, 0x03, 0x02, 0x01, 0x02}));
  EXPECT_EQ(der::explicit_tag(3, Bytes{0x30, 0x00}), (Bytes{0xa3, 0x02, 0x30, 0x00}));
  EXPECT_EQ(der::implicit_primitive(7, Bytes{127, 0, 0, 1}), (Bytes{0x87, 0x04, 127, 0, 0, 1}));
  EXPECT_EQ(der::printable_string("AB"), (Bytes{0x13, 0x02, 'A', 'B'}));
  EXPECT_EQ(der::set_of({Bytes{0x02, 0x01, 0x05}, Bytes{0x01, 0x01, 0xff}}),
            (Bytes{0x31, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x05}));
}

TEST(PkiDerWriter, ANameIsWhatOpenSslWritesForAUtf8CommonName) {
  const std::string cn = "x0tta6bl4 mesh CA \xc3\xa9";  // a non-ASCII letter stays UTF8String
  Owned<X509_NAME, X509_NAME_free> reference(X509_NAME_new());
  ASSERT_EQ(X509_NAME_add_entry_by_txt(reference.get(), "CN", MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(cn.data()),
                                       static_cast<int>(cn.size()), -1, 0),
            1);
  EXPECT_EQ(to_der([&](uint8_t** out) { return i2d_X509_NAME(reference.get(), out); }),
            name_der(cn));
}

}  // namespace
}  // namespace x0::tls::pki
