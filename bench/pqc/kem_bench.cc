// ML-KEM-512/768/1024 KeyGen/Encaps/Decaps, the X25519MLKEM768 hybrid exchange end to end, and
// OpenSSL's X25519 for scale. Run pinned: taskset -c 1 build/bench/pqc/x0_pqc_bench
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include "pqc/hybrid_kem.h"
#include "pqc/keccak_x4.h"
#include "pqc/ml_kem.h"
#include "pqc/xof.h"

namespace {

using namespace x0::pqc;

template <class Kem>
void BM_MlKemKeyGen(benchmark::State& state) {
  for (auto _ : state) {
    auto kp = Kem::generate();
    benchmark::DoNotOptimize(kp.encapsulation_key.bytes().data());
  }
}

template <class Kem>
void BM_MlKemEncaps(benchmark::State& state) {
  const auto kp = Kem::generate();
  for (auto _ : state) {
    auto enc = Kem::encapsulate(kp.encapsulation_key);
    benchmark::DoNotOptimize(enc.shared_secret.data());
  }
}

template <class Kem>
void BM_MlKemDecaps(benchmark::State& state) {
  const auto kp = Kem::generate();
  const auto enc = Kem::encapsulate(kp.encapsulation_key);
  for (auto _ : state) {
    auto ss = Kem::decapsulate(kp.decapsulation_key, enc.ciphertext);
    benchmark::DoNotOptimize(ss.data());
  }
}

// The input check every peer-supplied ek goes through (FIPS 203 7.2).
template <class Kem>
void BM_MlKemEkCheck(benchmark::State& state) {
  const auto kp = Kem::generate();
  const auto bytes = kp.encapsulation_key.bytes();
  for (auto _ : state) {
    auto ek = Kem::EncapsulationKey::from_bytes(bytes);
    benchmark::DoNotOptimize(ek.has_value());
  }
}

// The same operations with the AVX2 4-way matrix sampler switched off (portable only).
template <class Kem, void (*Op)(benchmark::State&)>
void BM_Portable(benchmark::State& state) {
  x0::pqc::detail::ShakeX4::set_enabled(false);
  Op(state);
  x0::pqc::detail::ShakeX4::set_enabled(true);
}
#define X0_PORTABLE_BENCH(Kem)                                                                 \
  BENCHMARK(BM_Portable<Kem, BM_MlKemKeyGen<Kem>>)->Name("BM_MlKemKeyGen<" #Kem ">/portable"); \
  BENCHMARK(BM_Portable<Kem, BM_MlKemEncaps<Kem>>)->Name("BM_MlKemEncaps<" #Kem ">/portable"); \
  BENCHMARK(BM_Portable<Kem, BM_MlKemDecaps<Kem>>)->Name("BM_MlKemDecaps<" #Kem ">/portable")
X0_PORTABLE_BENCH(MlKem512);
X0_PORTABLE_BENCH(MlKem768);
X0_PORTABLE_BENCH(MlKem1024);

BENCHMARK_TEMPLATE(BM_MlKemKeyGen, MlKem512);
BENCHMARK_TEMPLATE(BM_MlKemEncaps, MlKem512);
BENCHMARK_TEMPLATE(BM_MlKemDecaps, MlKem512);
BENCHMARK_TEMPLATE(BM_MlKemKeyGen, MlKem768);
BENCHMARK_TEMPLATE(BM_MlKemEncaps, MlKem768);
BENCHMARK_TEMPLATE(BM_MlKemDecaps, MlKem768);
BENCHMARK_TEMPLATE(BM_MlKemEkCheck, MlKem768);
BENCHMARK_TEMPLATE(BM_MlKemKeyGen, MlKem1024);
BENCHMARK_TEMPLATE(BM_MlKemEncaps, MlKem1024);
BENCHMARK_TEMPLATE(BM_MlKemDecaps, MlKem1024);

void BM_HybridClientStart(benchmark::State& state) {
  for (auto _ : state) {
    auto start = HybridKem::client_start();
    benchmark::DoNotOptimize(start.has_value());
  }
}
BENCHMARK(BM_HybridClientStart);

void BM_HybridServerRespond(benchmark::State& state) {
  const auto start = HybridKem::client_start();
  for (auto _ : state) {
    auto resp = HybridKem::server_respond(start->share);
    benchmark::DoNotOptimize(resp.has_value());
  }
}
BENCHMARK(BM_HybridServerRespond);

void BM_HybridClientFinish(benchmark::State& state) {
  const auto start = HybridKem::client_start();
  const auto resp = HybridKem::server_respond(start->share);
  for (auto _ : state) {
    auto key = HybridKem::client_finish(start->state, resp->share);
    benchmark::DoNotOptimize(key.has_value());
  }
}
BENCHMARK(BM_HybridClientFinish);

// Both sides of one exchange: client_start + server_respond + client_finish.
void BM_HybridExchangeEndToEnd(benchmark::State& state) {
  for (auto _ : state) {
    auto start = HybridKem::client_start();
    auto resp = HybridKem::server_respond(start->share);
    auto key = HybridKem::client_finish(start->state, resp->share);
    benchmark::DoNotOptimize(key.has_value());
  }
}
BENCHMARK(BM_HybridExchangeEndToEnd);

// OpenSSL X25519 for scale: keygen, and derive alone (the anchor's `ecdh` figure).
void BM_OpenSslX25519KeyGen(benchmark::State& state) {
  for (auto _ : state) {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
    benchmark::DoNotOptimize(key);
    EVP_PKEY_free(key);
  }
}
BENCHMARK(BM_OpenSslX25519KeyGen);

void BM_OpenSslX25519Derive(benchmark::State& state) {
  EVP_PKEY* a = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
  EVP_PKEY* b = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
  uint8_t out[32];
  for (auto _ : state) {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(a, nullptr);
    EVP_PKEY_derive_init(ctx);
    EVP_PKEY_derive_set_peer(ctx, b);
    size_t len = sizeof out;
    EVP_PKEY_derive(ctx, out, &len);
    EVP_PKEY_CTX_free(ctx);
    benchmark::DoNotOptimize(out);
  }
  EVP_PKEY_free(a);
  EVP_PKEY_free(b);
}
BENCHMARK(BM_OpenSslX25519Derive);

// The SHA-3 building blocks, to see where KEM time goes.
void BM_Keccak(benchmark::State& state) {
  uint64_t s[25] = {};
  for (auto _ : state) {
    x0::pqc::detail::keccak_f1600(s);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_Keccak);

// One block of four SHAKE128 streams: one 4-way permutation plus lane extraction.
void BM_KeccakX4Block(benchmark::State& state) {
  if (!x0::pqc::detail::ShakeX4::available()) {
    state.SkipWithError("no AVX2");
    return;
  }
  x0::pqc::detail::ShakeX4 x4(x0::pqc::detail::Shake::Kind::k128);
  const uint8_t seed[34] = {};
  x4.absorb_once({seed, seed, seed, seed});
  uint8_t out[4][168];
  for (auto _ : state) {
    x4.squeeze_block({out[0], out[1], out[2], out[3]});
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_KeccakX4Block);

// SampleNTT's XOF call (34-byte seed, three 168-byte blocks): ours vs OpenSSL EVP, which is
// what docs/PQC.md's "SHA-3 and SHAKE" choice rests on.
void BM_Shake128SampleNttOurs(benchmark::State& state) {
  uint8_t in[34] = {1, 2, 3};
  uint8_t out[504];
  for (auto _ : state) {
    x0::pqc::detail::shake128(in, out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_Shake128SampleNttOurs);

void BM_Shake128SampleNttOpenSslEvp(benchmark::State& state) {
  uint8_t in[34] = {1, 2, 3};
  uint8_t out[504];
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (auto _ : state) {
    EVP_DigestInit_ex(ctx, EVP_shake128(), nullptr);
    EVP_DigestUpdate(ctx, in, sizeof in);
    EVP_DigestFinalXOF(ctx, out, sizeof out);
    benchmark::DoNotOptimize(out);
  }
  EVP_MD_CTX_free(ctx);
}
BENCHMARK(BM_Shake128SampleNttOpenSslEvp);

}  // namespace
