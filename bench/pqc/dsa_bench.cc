// ML-DSA-44/65/87 KeyGen/Sign/Verify, the composite ML-DSA-65 + Ed25519 signature
// (id-MLDSA65-Ed25519-SHA512) end to end, and OpenSSL's Ed25519 for scale. Sign is the default
// hedged, external, empty-context interface with a 50-byte message (as liboqs speed_sig); its
// time averages over the rejection loop.
// Run pinned: taskset -c 1 build/bench/pqc/x0_pqc_bench --benchmark_filter='Dsa|Composite|Ed25519'
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <array>
#include <memory>

#include "pqc/composite_signature.h"
#include "pqc/ml_dsa.h"

namespace {

using namespace x0::pqc;

constexpr std::array<uint8_t, 50> kMessage{1, 2, 3, 4, 5};

template <class Dsa>
void BM_MlDsaKeyGen(benchmark::State& state) {
  for (auto _ : state) {
    auto kp = Dsa::generate();
    benchmark::DoNotOptimize(kp.public_key.bytes().data());
  }
}

template <class Dsa>
void BM_MlDsaSign(benchmark::State& state) {
  const auto kp = Dsa::generate();
  for (auto _ : state) {
    auto sig = Dsa::sign(kp.secret_key, kMessage);
    benchmark::DoNotOptimize(sig.has_value());
  }
}

template <class Dsa>
void BM_MlDsaVerify(benchmark::State& state) {
  const auto kp = Dsa::generate();
  const auto sig = *Dsa::sign(kp.secret_key, kMessage);
  for (auto _ : state) {
    bool ok = Dsa::verify(kp.public_key, kMessage, sig);
    benchmark::DoNotOptimize(ok);
  }
}

BENCHMARK_TEMPLATE(BM_MlDsaKeyGen, MlDsa44);
BENCHMARK_TEMPLATE(BM_MlDsaSign, MlDsa44);
BENCHMARK_TEMPLATE(BM_MlDsaVerify, MlDsa44);
BENCHMARK_TEMPLATE(BM_MlDsaKeyGen, MlDsa65);
BENCHMARK_TEMPLATE(BM_MlDsaSign, MlDsa65);
BENCHMARK_TEMPLATE(BM_MlDsaVerify, MlDsa65);
BENCHMARK_TEMPLATE(BM_MlDsaKeyGen, MlDsa87);
BENCHMARK_TEMPLATE(BM_MlDsaSign, MlDsa87);
BENCHMARK_TEMPLATE(BM_MlDsaVerify, MlDsa87);

void BM_CompositeKeyGen(benchmark::State& state) {
  for (auto _ : state) {
    auto kp = CompositeSignature::generate();
    benchmark::DoNotOptimize(kp.has_value());
  }
}
BENCHMARK(BM_CompositeKeyGen);

void BM_CompositeSign(benchmark::State& state) {
  const auto kp = *CompositeSignature::generate();
  for (auto _ : state) {
    auto sig = CompositeSignature::sign(kp.secret_key, kMessage);
    benchmark::DoNotOptimize(sig.has_value());
  }
}
BENCHMARK(BM_CompositeSign);

void BM_CompositeVerify(benchmark::State& state) {
  const auto kp = *CompositeSignature::generate();
  const auto sig = *CompositeSignature::sign(kp.secret_key, kMessage);
  for (auto _ : state) {
    bool ok = CompositeSignature::verify(kp.public_key, kMessage, sig);
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_CompositeVerify);

// OpenSSL Ed25519 on its own, through the same EVP calls the composite uses per operation
// (key object built from raw bytes each time, as the composite does).
void BM_OpenSslEd25519Sign(benchmark::State& state) {
  std::array<uint8_t, 32> seed{7};
  for (auto _ : state) {
    EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), 32);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::array<uint8_t, 64> sig;
    size_t len = sig.size();
    EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key);
    EVP_DigestSign(ctx, sig.data(), &len, kMessage.data(), kMessage.size());
    benchmark::DoNotOptimize(sig.data());
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
  }
}
BENCHMARK(BM_OpenSslEd25519Sign);

void BM_OpenSslEd25519Verify(benchmark::State& state) {
  std::array<uint8_t, 32> seed{7};
  EVP_PKEY* priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), 32);
  std::array<uint8_t, 32> pub;
  size_t pub_len = pub.size();
  EVP_PKEY_get_raw_public_key(priv, pub.data(), &pub_len);
  std::array<uint8_t, 64> sig;
  size_t len = sig.size();
  EVP_MD_CTX* sctx = EVP_MD_CTX_new();
  EVP_DigestSignInit(sctx, nullptr, nullptr, nullptr, priv);
  EVP_DigestSign(sctx, sig.data(), &len, kMessage.data(), kMessage.size());
  EVP_MD_CTX_free(sctx);
  EVP_PKEY_free(priv);
  for (auto _ : state) {
    EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub.data(), 32);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key);
    int ok = EVP_DigestVerify(ctx, sig.data(), sig.size(), kMessage.data(), kMessage.size());
    benchmark::DoNotOptimize(ok);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
  }
}
BENCHMARK(BM_OpenSslEd25519Verify);

}  // namespace
