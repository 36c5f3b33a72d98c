// The X25519MLKEM768 provider inside OpenSSL's own TLS 1.3: both sides in one process over
// memory BIOs (handshake.h), with an attacker on the path for the negative cases; and the
// provider's key share and KEM through the EVP API, as OpenSSL's TLS calls them.
#include "tls/provider/pq_provider.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <string>

#include "handshake.h"

namespace x0::tls {
namespace {

using testing::Direction;
using testing::find_bytes;
using testing::handshake;

constexpr int kHybridNegotiated = 0x1000000 | kHybridGroupId;  // how 3.0 reports provider groups

class PqProvider : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(load_pq_provider().has_value()); }
};

std::string exporter(SSL* ssl) {
  unsigned char out[32];
  const char label[] = "EXPORTER-x0tta6bl4-test";
  if (SSL_export_keying_material(ssl, out, sizeof out, label, sizeof label - 1, nullptr, 0, 0) != 1)
    return "";
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

// The key_exchange bytes of a key_share entry: group 0x11EC, then a 2-byte length.
size_t share_offset(const std::string& flight, unsigned char len_hi, unsigned char len_lo) {
  size_t at = find_bytes(flight, {0x11, 0xEC, len_hi, len_lo});
  return at == std::string::npos ? at : at + 4;
}
size_t client_share_at(const std::string& flight) { return share_offset(flight, 0x04, 0xC0); }
size_t server_share_at(const std::string& flight) { return share_offset(flight, 0x04, 0x60); }

TEST_F(PqProvider, BothSidesHybridNegotiateX25519MLKEM768) {
  auto r = handshake("X25519MLKEM768", "X25519MLKEM768");
  ASSERT_TRUE(r.client_ok) << r.client_error;
  ASSERT_TRUE(r.server_ok) << r.server_error;
  EXPECT_EQ(SSL_get_negotiated_group(r.client.get()), kHybridNegotiated);
  EXPECT_EQ(SSL_get_negotiated_group(r.server.get()), kHybridNegotiated);
  std::string c = exporter(r.client.get()), s = exporter(r.server.get());
  EXPECT_FALSE(c.empty());
  EXPECT_EQ(c, s);
}

TEST_F(PqProvider, AHybridClientMeetsAClassicalServerThroughHelloRetryRequest) {
  auto r = handshake("X25519MLKEM768:X25519", "X25519");
  ASSERT_TRUE(r.client_ok) << r.client_error;
  ASSERT_TRUE(r.server_ok) << r.server_error;
  EXPECT_EQ(SSL_get_negotiated_group(r.client.get()), NID_X25519);
  EXPECT_EQ(r.flights_to_server, 3);  // ClientHello, the second one after the retry, Finished
}

TEST_F(PqProvider, AClassicalClientIsServedByAHybridFirstServer) {
  auto r = handshake("X25519", "X25519MLKEM768:X25519");
  ASSERT_TRUE(r.client_ok) << r.client_error;
  ASSERT_TRUE(r.server_ok) << r.server_error;
  EXPECT_EQ(SSL_get_negotiated_group(r.server.get()), NID_X25519);
  EXPECT_EQ(r.flights_to_server, 2);
}

TEST_F(PqProvider, NoCommonGroupIsAHandshakeFailureAlert) {
  auto r = handshake("X25519MLKEM768", "P-256");
  EXPECT_FALSE(r.client_ok);
  EXPECT_FALSE(r.server_ok);
  EXPECT_NE(r.client_error.find("handshake failure"), std::string::npos) << r.client_error;
}

// An attacker flips one bit of the server's share: the two sides derive different secrets and
// the client cannot read the server's encrypted flight.
void expect_tampered_server_share_fails(size_t offset_in_share) {
  bool tampered = false;
  auto r = handshake("X25519MLKEM768", "X25519MLKEM768", [&](Direction d, std::string& flight) {
    if (d != Direction::kToClient || tampered) return;
    size_t at = server_share_at(flight);
    ASSERT_NE(at, std::string::npos);
    flight[at + offset_in_share] ^= 0x01;
    tampered = true;
  });
  EXPECT_TRUE(tampered);
  EXPECT_FALSE(r.client_ok);
  EXPECT_FALSE(r.server_ok);
}

TEST_F(PqProvider, AFlippedBitInTheCiphertextHalfFailsTheHandshake) {
  expect_tampered_server_share_fails(100);
}

TEST_F(PqProvider, AFlippedBitInTheX25519HalfFailsTheHandshake) {
  expect_tampered_server_share_fails(1088 + 5);
}

// A client share whose ek has a coefficient >= q fails FIPS 203's modulus check on the server:
// illegal_parameter.
TEST_F(PqProvider, AnEncapsulationKeyWithACoefficientOfQOrMoreIsIllegalParameter) {
  auto r = handshake("X25519MLKEM768", "X25519MLKEM768", [](Direction d, std::string& flight) {
    if (d != Direction::kToServer) return;
    size_t at = client_share_at(flight);
    if (at == std::string::npos) return;
    flight[at] = static_cast<char>(0xFF);  // first 12-bit coefficient = 0xFFF = 4095 >= 3329
    flight[at + 1] = static_cast<char>(flight[at + 1] | 0x0F);
  });
  EXPECT_FALSE(r.server_ok);
  EXPECT_FALSE(r.client_ok);
  EXPECT_NE(r.client_error.find("illegal parameter"), std::string::npos) << r.client_error;
}

TEST_F(PqProvider, AnAllZeroX25519ShareIsRefused) {
  auto r = handshake("X25519MLKEM768", "X25519MLKEM768", [](Direction d, std::string& flight) {
    if (d != Direction::kToServer) return;
    size_t at = client_share_at(flight);
    if (at == std::string::npos) return;
    for (size_t i = 0; i < 32; ++i) flight[at + 1184 + i] = 0;  // a low-order point
  });
  EXPECT_FALSE(r.server_ok);
  EXPECT_FALSE(r.client_ok);
}

// --- The key share and KEM through EVP, the calls OpenSSL's TLS makes ------------------------

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Ctx = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;

Pkey generate(bool key_pair) {
  Ctx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "X25519MLKEM768", nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx) return nullptr;
  if (key_pair) {
    if (EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &key) != 1)
      return nullptr;
  } else if (EVP_PKEY_paramgen_init(ctx.get()) != 1 || EVP_PKEY_paramgen(ctx.get(), &key) != 1) {
    return nullptr;
  }
  return Pkey(key);
}

std::string encoded_public(EVP_PKEY* key) {
  unsigned char* out = nullptr;
  size_t n = EVP_PKEY_get1_encoded_public_key(key, &out);
  std::string s(reinterpret_cast<char*>(out), n);
  OPENSSL_free(out);
  return s;
}

bool set_public(EVP_PKEY* key, const std::string& share) {
  return EVP_PKEY_set1_encoded_public_key(
             key, reinterpret_cast<const unsigned char*>(share.data()), share.size()) == 1;
}

TEST_F(PqProvider, EncapsulateAndDecapsulateAgreeOnA64ByteSecret) {
  Pkey client = generate(true);
  ASSERT_TRUE(client);
  std::string share = encoded_public(client.get());
  ASSERT_EQ(share.size(), 1216u);
  Pkey server = generate(false);
  ASSERT_TRUE(server);
  ASSERT_TRUE(set_public(server.get(), share));

  Ctx enc(EVP_PKEY_CTX_new_from_pkey(nullptr, server.get(), nullptr));
  ASSERT_EQ(EVP_PKEY_encapsulate_init(enc.get(), nullptr), 1);
  size_t ct_len = 0, ss_len = 0;
  ASSERT_EQ(EVP_PKEY_encapsulate(enc.get(), nullptr, &ct_len, nullptr, &ss_len), 1);
  EXPECT_EQ(ct_len, 1120u);
  EXPECT_EQ(ss_len, 64u);
  std::string ct(ct_len, '\0'), ss(ss_len, '\0');
  ASSERT_EQ(EVP_PKEY_encapsulate(enc.get(), reinterpret_cast<unsigned char*>(ct.data()), &ct_len,
                                 reinterpret_cast<unsigned char*>(ss.data()), &ss_len),
            1);

  Ctx dec(EVP_PKEY_CTX_new_from_pkey(nullptr, client.get(), nullptr));
  ASSERT_EQ(EVP_PKEY_decapsulate_init(dec.get(), nullptr), 1);
  std::string out(64, '\0');
  size_t out_len = out.size();
  ASSERT_EQ(EVP_PKEY_decapsulate(dec.get(), reinterpret_cast<unsigned char*>(out.data()), &out_len,
                                 reinterpret_cast<const unsigned char*>(ct.data()), ct.size()),
            1);
  EXPECT_EQ(out, ss);

  // A share one byte short, or one byte long, is refused at decapsulation.
  out_len = out.size();
  EXPECT_NE(EVP_PKEY_decapsulate(dec.get(), reinterpret_cast<unsigned char*>(out.data()),
                                 &out_len, reinterpret_cast<const unsigned char*>(ct.data()),
                                 ct.size() - 1),
            1);
  std::string longer = ct + "x";
  out_len = out.size();
  EXPECT_NE(EVP_PKEY_decapsulate(dec.get(), reinterpret_cast<unsigned char*>(out.data()),
                                 &out_len, reinterpret_cast<const unsigned char*>(longer.data()),
                                 longer.size()),
            1);
}

TEST_F(PqProvider, AClientShareOfTheWrongLengthIsRefused) {
  Pkey client = generate(true);
  ASSERT_TRUE(client);
  std::string share = encoded_public(client.get());
  Pkey server = generate(false);
  ASSERT_TRUE(server);
  EXPECT_FALSE(set_public(server.get(), share.substr(0, share.size() - 1)));
  EXPECT_FALSE(set_public(server.get(), share + "x"));
  EXPECT_FALSE(set_public(server.get(), ""));
  // Nothing was taken: the empty key still cannot encapsulate.
  Ctx enc(EVP_PKEY_CTX_new_from_pkey(nullptr, server.get(), nullptr));
  EXPECT_NE(EVP_PKEY_encapsulate_init(enc.get(), nullptr), 1);
}

}  // namespace
}  // namespace x0::tls
