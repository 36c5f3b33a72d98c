// NIST ACVP vectors for ML-DSA (FIPS 204): keyGen (44/65/87), sigGen and sigVer (65), read from
// ../shared/testdata/pqc (see its README for the field semantics). Every group is run, including
// HashML-DSA; a mismatch in any case fails, and the case counts are checked so none is skipped.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>

#include "pqc/kem_test_util.h"
#include "pqc/ml_dsa.h"

namespace x0::pqc {
namespace {

using testing::from_hex;
using testing::load_acvp;
using testing::to_vec;

// Calls f(MlDsaXX{}) for the named parameter set; false if the set is unknown.
template <class F>
bool with_parameter_set(const std::string& name, F&& f) {
  if (name == "ML-DSA-44") return f(MlDsa44{}), true;
  if (name == "ML-DSA-65") return f(MlDsa65{}), true;
  if (name == "ML-DSA-87") return f(MlDsa87{}), true;
  return false;
}

std::string case_name(const nlohmann::json& group, const nlohmann::json& test) {
  return "tgId " + std::to_string(group["tgId"].get<int>()) + " tcId " +
         std::to_string(test["tcId"].get<int>());
}

TEST(MlDsaAcvp, KeyGenMatchesEveryVector) {
  X0_SKIP_WITHOUT_PQC_TESTDATA();
  const auto doc = load_acvp("ML-DSA-keyGen-FIPS204/internalProjection.json");
  int checked = 0;
  for (const auto& group : doc["testGroups"]) {
    const bool known = with_parameter_set(group["parameterSet"].get<std::string>(), [&](auto dsa) {
      using Dsa = decltype(dsa);
      for (const auto& test : group["tests"]) {
        const auto seed = from_hex(test["seed"]);
        ASSERT_EQ(seed.size(), Dsa::kSeedSize);
        const auto kp = Dsa::keygen_internal(std::span<const uint8_t, 32>(seed.data(), 32));
        EXPECT_EQ(to_vec(kp.public_key.bytes()), from_hex(test["pk"])) << case_name(group, test);
        EXPECT_EQ(to_vec(kp.secret_key.bytes()), from_hex(test["sk"])) << case_name(group, test);
        ++checked;
      }
    });
    EXPECT_TRUE(known) << group["parameterSet"];
  }
  EXPECT_EQ(checked, 75);
}

// Signs one sigGen prompt the way its group says (README table); returns the signature bytes.
template <class Dsa>
std::vector<uint8_t> sign_prompt(const nlohmann::json& group, const nlohmann::json& test) {
  const auto sk = Dsa::SecretKey::from_bytes(from_hex(test["sk"]));
  EXPECT_TRUE(sk.has_value());
  if (!sk) return {};
  std::array<uint8_t, 32> rnd{};  // deterministic: rnd = {0}^32
  if (!group["deterministic"].get<bool>()) {
    const auto given = from_hex(test["rnd"]);
    EXPECT_EQ(given.size(), rnd.size());
    std::copy_n(given.begin(), std::min(given.size(), rnd.size()), rnd.begin());
  }
  Result<typename Dsa::Signature> sig = fail(Errc::kNotFound, "not signed");
  if (group["signatureInterface"] == "internal") {
    if (group["externalMu"].get<bool>()) {
      const auto mu = from_hex(test["mu"]);
      EXPECT_EQ(mu.size(), 64u);
      sig = Dsa::sign_mu(*sk, std::span<const uint8_t, 64>(mu.data(), 64), rnd);
    } else {
      sig = Dsa::sign_internal(*sk, from_hex(test["message"]), rnd);
    }
  } else if (group["preHash"] == "preHash") {
    sig = Dsa::hash_sign_with_randomness(*sk, from_hex(test["message"]), from_hex(test["context"]),
                                         test["hashAlg"].get<std::string>(), rnd);
  } else {
    sig = Dsa::sign_with_randomness(*sk, from_hex(test["message"]), from_hex(test["context"]), rnd);
  }
  EXPECT_TRUE(sig.has_value()) << (sig ? "" : sig.error().detail);
  return sig ? to_vec(sig->bytes()) : std::vector<uint8_t>{};
}

TEST(MlDsaAcvp, SigGenMatchesEveryVector) {
  X0_SKIP_WITHOUT_PQC_TESTDATA();
  const auto prompt = load_acvp("ML-DSA-sigGen-FIPS204/prompt.json");
  const auto expected = load_acvp("ML-DSA-sigGen-FIPS204/expectedResults.json");
  std::map<std::pair<int, int>, std::string> signatures;  // (tgId, tcId) -> signature hex
  for (const auto& group : expected["testGroups"]) {
    for (const auto& test : group["tests"]) {
      signatures[{group["tgId"].get<int>(), test["tcId"].get<int>()}] = test["signature"];
    }
  }
  std::map<std::string, int> checked_by_kind;
  for (const auto& group : prompt["testGroups"]) {
    const std::string kind =
        group["signatureInterface"].get<std::string>() + "/" +
        (group.contains("preHash") ? group["preHash"].get<std::string>()
                                   : (group["externalMu"].get<bool>() ? "mu" : "M'")) +
        (group["deterministic"].get<bool>() ? "/deterministic" : "/hedged");
    const bool known = with_parameter_set(group["parameterSet"].get<std::string>(), [&](auto dsa) {
      using Dsa = decltype(dsa);
      for (const auto& test : group["tests"]) {
        const auto want = signatures.find({group["tgId"].get<int>(), test["tcId"].get<int>()});
        ASSERT_NE(want, signatures.end()) << case_name(group, test);
        EXPECT_EQ(sign_prompt<Dsa>(group, test), from_hex(want->second))
            << kind << " " << case_name(group, test);
        ++checked_by_kind[kind];
      }
    });
    EXPECT_TRUE(known) << group["parameterSet"];
  }
  // 8 groups x 15: external pure / preHash and internal M' / mu, each deterministic and hedged.
  EXPECT_EQ(checked_by_kind.size(), 8u);
  for (const auto& [kind, count] : checked_by_kind) EXPECT_EQ(count, 15) << kind;
}

TEST(MlDsaAcvp, SigVerMatchesEveryVector) {
  X0_SKIP_WITHOUT_PQC_TESTDATA();
  const auto doc = load_acvp("ML-DSA-sigVer-FIPS204/internalProjection.json");
  int checked = 0, rejected = 0;
  for (const auto& group : doc["testGroups"]) {
    const bool known = with_parameter_set(group["parameterSet"].get<std::string>(), [&](auto dsa) {
      using Dsa = decltype(dsa);
      for (const auto& test : group["tests"]) {
        const auto pk = Dsa::PublicKey::from_bytes(from_hex(test["pk"]));
        ASSERT_TRUE(pk.has_value()) << case_name(group, test);
        const auto sig = Dsa::Signature::from_bytes(from_hex(test["signature"]));
        bool ok = false;
        if (sig) {
          if (group["signatureInterface"] == "internal") {
            if (group["externalMu"].get<bool>()) {
              const auto mu = from_hex(test["mu"]);
              ok = mu.size() == 64 &&
                   Dsa::verify_mu(*pk, std::span<const uint8_t, 64>(mu.data(), 64), *sig);
            } else {
              ok = Dsa::verify_internal(*pk, from_hex(test["message"]), *sig);
            }
          } else if (group["preHash"] == "preHash") {
            ok = Dsa::hash_verify(*pk, from_hex(test["message"]), *sig, from_hex(test["context"]),
                                  test["hashAlg"].get<std::string>());
          } else {
            ok = Dsa::verify(*pk, from_hex(test["message"]), *sig, from_hex(test["context"]));
          }
        }
        EXPECT_EQ(ok, test["testPassed"].get<bool>())
            << case_name(group, test) << " (" << test["reason"].get<std::string>() << ")";
        ++checked;
        rejected += test["testPassed"].get<bool>() ? 0 : 1;
      }
    });
    EXPECT_TRUE(known) << group["parameterSet"];
  }
  EXPECT_EQ(checked, 60);
  EXPECT_EQ(rejected, 48);  // 4 groups x 4 "modified ..." reasons x 3
}

}  // namespace
}  // namespace x0::pqc
