// X25519MLKEM768 hybrid: both sides agree, the key is exactly the documented HKDF over
// ML-KEM ‖ X25519 secrets (recomputed here with OpenSSL), tampering with either half changes the
// key, and malformed shares are rejected.
#include "pqc/hybrid_kem.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <vector>

#include "kem_test_util.h"

namespace x0::pqc {
namespace {

using testing::to_vec;

TEST(HybridKemTest, BothSidesDeriveTheSameKey) {
  auto start = HybridKem::client_start();
  ASSERT_TRUE(start.has_value());
  auto client = HybridKem::ClientShare::from_bytes(to_vec(start->share.bytes()));
  ASSERT_TRUE(client.has_value());
  auto resp = HybridKem::server_respond(*client);
  ASSERT_TRUE(resp.has_value()) << resp.error().detail;
  auto server = HybridKem::ServerShare::from_bytes(to_vec(resp->share.bytes()));
  ASSERT_TRUE(server.has_value());
  auto key = HybridKem::client_finish(start->state, *server);
  ASSERT_TRUE(key.has_value());
  EXPECT_TRUE(key->equals(resp->key.span()));

  // A second exchange gives a different key.
  auto start2 = HybridKem::client_start();
  ASSERT_TRUE(start2.has_value());
  auto resp2 = HybridKem::server_respond(start2->share);
  ASSERT_TRUE(resp2.has_value());
  EXPECT_FALSE(resp2->key.equals(resp->key.span()));
}

TEST(HybridKemTest, KeyIsHkdfOverBothSecretsBoundToTheShares) {
  auto start = HybridKem::client_start();
  ASSERT_TRUE(start.has_value());
  auto resp = HybridKem::server_respond(start->share);
  ASSERT_TRUE(resp.has_value());
  HybridKem::CombinedSecret secrets;
  for (size_t i = 0; i < 64; ++i) secrets[i] = static_cast<uint8_t>(i);
  auto k = HybridKem::combine(secrets, start->share, resp->share);
  ASSERT_TRUE(k.has_value());

  // Independent recomputation: EVP_PKEY HKDF interface, not the EVP_KDF one used inside.
  std::vector<uint8_t> info = to_vec(start->share.bytes());
  const auto s = to_vec(resp->share.bytes());
  info.insert(info.end(), s.begin(), s.end());
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr);
  ASSERT_NE(ctx, nullptr);
  ASSERT_EQ(EVP_PKEY_derive_init(ctx), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set1_hkdf_salt(
                ctx, reinterpret_cast<const unsigned char*>(HybridKem::kSalt.data()),
                static_cast<int>(HybridKem::kSalt.size())),
            1);
  ASSERT_EQ(EVP_PKEY_CTX_set1_hkdf_key(ctx, secrets.data(), 64), 1);
  ASSERT_EQ(EVP_PKEY_CTX_add1_hkdf_info(ctx, info.data(), static_cast<int>(info.size())), 1);
  std::array<uint8_t, 32> want{};
  size_t len = want.size();
  ASSERT_EQ(EVP_PKEY_derive(ctx, want.data(), &len), 1);
  EVP_PKEY_CTX_free(ctx);
  EXPECT_EQ(to_vec(*k), to_vec(want));

  // Swapping the halves (X25519 ‖ ML-KEM) must give another key: the order is part of the spec.
  HybridKem::CombinedSecret swapped;
  for (size_t i = 0; i < 64; ++i) swapped[i] = secrets[(i + 32) % 64];
  auto k2 = HybridKem::combine(swapped, start->share, resp->share);
  ASSERT_TRUE(k2.has_value());
  EXPECT_FALSE(k2->equals(k->span()));
}

TEST(HybridKemTest, TamperedServerShareChangesTheKey) {
  auto start = HybridKem::client_start();
  ASSERT_TRUE(start.has_value());
  auto resp = HybridKem::server_respond(start->share);
  ASSERT_TRUE(resp.has_value());
  // Flip a bit in the ML-KEM ciphertext, then (separately) in the X25519 key.
  for (size_t pos : {size_t{10}, MlKem768::kCiphertextSize + 5}) {
    auto bytes = to_vec(resp->share.bytes());
    bytes[pos] ^= 0x02;
    auto server = HybridKem::ServerShare::from_bytes(bytes);
    ASSERT_TRUE(server.has_value());
    auto key = HybridKem::client_finish(start->state, *server);
    if (key.has_value()) {
      EXPECT_FALSE(key->equals(resp->key.span())) << "pos " << pos;
    } else {
      EXPECT_EQ(key.error().code, Errc::kInvalidKey);
    }
  }
}

TEST(HybridKemTest, MalformedSharesAreRejected) {
  auto start = HybridKem::client_start();
  ASSERT_TRUE(start.has_value());
  auto bytes = to_vec(start->share.bytes());

  auto short_share = HybridKem::ClientShare::from_bytes(std::span(bytes).first(bytes.size() - 1));
  ASSERT_FALSE(short_share.has_value());
  EXPECT_EQ(short_share.error().code, Errc::kWrongSize);
  EXPECT_FALSE(HybridKem::ServerShare::from_bytes(bytes).has_value());  // client-sized

  auto bad_ek = bytes;
  bad_ek[0] = 0xFF;   // first coefficient = 0x?FF with high nibble from bad_ek[1]
  bad_ek[1] |= 0x0F;  // 4095 >= q
  auto r = HybridKem::ClientShare::from_bytes(bad_ek);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kInvalidKey);

  // X25519 public key of low order (0) must not produce a key.
  auto zero_x = bytes;
  std::fill(zero_x.end() - 32, zero_x.end(), 0);
  auto client = HybridKem::ClientShare::from_bytes(zero_x);
  ASSERT_TRUE(client.has_value());
  auto resp = HybridKem::server_respond(*client);
  ASSERT_FALSE(resp.has_value());
  EXPECT_EQ(resp.error().code, Errc::kInvalidKey);
}

}  // namespace
}  // namespace x0::pqc
