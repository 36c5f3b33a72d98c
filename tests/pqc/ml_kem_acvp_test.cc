// Runs every NIST ACVP ML-KEM vector (keyGen, encapsulation, decapsulation including modified
// ciphertexts, and the section 7 key checks) for ML-KEM-512/768/1024; see
// ../shared/testdata/pqc/README.md for what each field means.
#include <gtest/gtest.h>

#include <map>

#include "kem_test_util.h"
#include "pqc/keccak_x4.h"
#include "pqc/ml_kem.h"

namespace x0::pqc {
namespace {

using nlohmann::json;
using testing::from_hex;
using testing::load_acvp;
using testing::to_vec;

// Calls fn.template operator()<Kem>() for the group's parameter set; returns false if unknown.
template <class Fn>
bool with_kem(const std::string& set, Fn&& fn) {
  if (set == "ML-KEM-512") return fn.template operator()<MlKem512>(), true;
  if (set == "ML-KEM-768") return fn.template operator()<MlKem768>(), true;
  if (set == "ML-KEM-1024") return fn.template operator()<MlKem1024>(), true;
  return false;
}

template <size_t N>
std::array<uint8_t, N> fixed(const std::vector<uint8_t>& v) {
  std::array<uint8_t, N> a{};
  EXPECT_EQ(v.size(), N);
  std::copy_n(v.begin(), std::min(N, v.size()), a.begin());
  return a;
}

// Each vector runs on both matrix samplers: the 4-way AVX2 Keccak (param true; skipped on
// CPUs without AVX2) and the portable one (false).
class MlKemAcvpTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    detail::ShakeX4::set_enabled(GetParam());
    if (GetParam() && !detail::ShakeX4::available()) GTEST_SKIP() << "no AVX2 on this CPU";
  }
  void TearDown() override { detail::ShakeX4::set_enabled(true); }
};

INSTANTIATE_TEST_SUITE_P(Samplers, MlKemAcvpTest, ::testing::Values(true, false),
                         [](const auto& p) { return p.param ? "Avx2" : "Portable"; });

TEST_P(MlKemAcvpTest, KeyGen) {
  X0_SKIP_WITHOUT_PQC_TESTDATA();
  const json doc = load_acvp("ML-KEM-keyGen-FIPS203/internalProjection.json");
  std::map<std::string, int> ran;
  for (const auto& group : doc["testGroups"]) {
    const std::string set = group["parameterSet"];
    for (const auto& t : group["tests"]) {
      const bool known = with_kem(set, [&]<class Kem>() {
        const auto d = fixed<32>(from_hex(t["d"]));
        const auto z = fixed<32>(from_hex(t["z"]));
        const auto kp = Kem::keygen_internal(d, z);
        EXPECT_EQ(to_vec(kp.encapsulation_key.bytes()), from_hex(t["ek"]))
            << set << " " << t["tcId"];
        EXPECT_EQ(to_vec(kp.decapsulation_key.bytes()), from_hex(t["dk"]))
            << set << " " << t["tcId"];
      });
      ASSERT_TRUE(known) << set;
      ++ran[set];
    }
  }
  EXPECT_EQ(ran["ML-KEM-512"], 25);
  EXPECT_EQ(ran["ML-KEM-768"], 25);
  EXPECT_EQ(ran["ML-KEM-1024"], 25);
}

TEST_P(MlKemAcvpTest, EncapDecap) {
  X0_SKIP_WITHOUT_PQC_TESTDATA();
  const json doc = load_acvp("ML-KEM-encapDecap-FIPS203/internalProjection.json");
  std::map<std::string, int> ran;  // by function
  int modified = 0;
  for (const auto& group : doc["testGroups"]) {
    const std::string set = group["parameterSet"];
    const std::string function = group["function"];
    for (const auto& t : group["tests"]) {
      const std::string id = set + " " + function + " tc " + std::to_string(int(t["tcId"]));
      const bool known = with_kem(set, [&]<class Kem>() {
        if (function == "encapsulation") {
          auto ek = Kem::EncapsulationKey::from_bytes(from_hex(t["ek"]));
          ASSERT_TRUE(ek.has_value()) << id << ": " << ek.error().detail;
          const auto m = fixed<32>(from_hex(t["m"]));
          const auto enc = Kem::encapsulate_internal(*ek, m);
          EXPECT_EQ(to_vec(enc.ciphertext.bytes()), from_hex(t["c"])) << id;
          EXPECT_EQ(to_vec(enc.shared_secret), from_hex(t["k"])) << id;
          auto dk = Kem::DecapsulationKey::from_bytes(from_hex(t["dk"]));
          ASSERT_TRUE(dk.has_value()) << id;
          EXPECT_EQ(to_vec(Kem::decapsulate(*dk, enc.ciphertext)), from_hex(t["k"])) << id;
        } else if (function == "decapsulation") {
          auto dk = Kem::DecapsulationKey::from_bytes(from_hex(t["dk"]));
          ASSERT_TRUE(dk.has_value()) << id;
          auto c = Kem::Ciphertext::from_bytes(from_hex(t["c"]));
          ASSERT_TRUE(c.has_value()) << id;
          EXPECT_EQ(to_vec(Kem::decapsulate(*dk, *c)), from_hex(t["k"]))
              << id << " (" << t["reason"] << ")";
          if (t["reason"] == "modified ciphertext") ++modified;
        } else if (function == "encapsulationKeyCheck") {
          const bool want = t["testPassed"];
          auto ek = Kem::EncapsulationKey::from_bytes(from_hex(t["ek"]));
          EXPECT_EQ(ek.has_value(), want) << id << " (" << t["reason"] << ")";
          if (!want && !ek) {
            EXPECT_EQ(ek.error().code, Errc::kInvalidKey);
          }
        } else if (function == "decapsulationKeyCheck") {
          const bool want = t["testPassed"];
          auto dk = Kem::DecapsulationKey::from_bytes(from_hex(t["dk"]));
          EXPECT_EQ(dk.has_value(), want) << id << " (" << t["reason"] << ")";
        } else {
          ADD_FAILURE() << "unknown function " << function;
        }
      });
      ASSERT_TRUE(known) << set;
      ++ran[function];
    }
  }
  EXPECT_EQ(ran["encapsulation"], 75);
  EXPECT_EQ(ran["decapsulation"], 30);
  EXPECT_EQ(ran["encapsulationKeyCheck"], 30);
  EXPECT_EQ(ran["decapsulationKeyCheck"], 30);
  EXPECT_EQ(modified, 15);
}

}  // namespace
}  // namespace x0::pqc
