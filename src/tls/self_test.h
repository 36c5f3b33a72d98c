// Power-on self-tests of the post-quantum code the node relies on, as FIPS 140-3 asks of a
// module: known-answer tests of ML-KEM-768 and ML-DSA-65 (fixed seeds, outputs compared with
// digests recorded from the implementation that passes the NIST ACVP vectors), a pairwise test
// of the composite signature, and a round trip through our OpenSSL provider's X25519MLKEM768.
// A few milliseconds; run at start-up and by `x0tta6bl4 pqc selftest`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace x0::tls {

struct SelfTestCheck {
  std::string name;
  bool ok = false;
  std::string detail;  // what failed; empty when ok
};

struct SelfTestReport {
  bool ok = false;
  int64_t ran_at_unix_ms = 0;
  int64_t duration_us = 0;
  std::vector<SelfTestCheck> checks;
};

SelfTestReport run_self_test();
// The same, also giving the digests this build computes (ML-KEM, ML-DSA, composite key), which
// `x0tta6bl4 pqc selftest --print` shows so a deliberate change can record them again.
SelfTestReport run_self_test_printing(std::vector<std::string>* digests);

}  // namespace x0::tls
