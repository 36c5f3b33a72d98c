// Constant-time check for ML-DSA KeyGen and Sign (all parameter sets), run under valgrind
// memcheck: the seed xi, the secret key and rnd are marked undefined, so any branch or memory
// index that depends on them is reported. The only declassifications are inside the library at
// the points FIPS 204 allows (rejection decisions, c~, rho, t1, the accepted signature).
#include <valgrind/memcheck.h>

#include <array>
#include <cstdio>
#include <string_view>

#include "pqc/ml_dsa.h"

namespace {

template <class Span>
void mark_secret(const Span& s) {
  (void)VALGRIND_MAKE_MEM_UNDEFINED(s.data(), s.size());
}
template <class Span>
void mark_public(const Span& s) {
  (void)VALGRIND_MAKE_MEM_DEFINED(s.data(), s.size());
}

template <class Dsa>
bool check(uint8_t seed_byte) {
  std::array<uint8_t, 32> xi;
  xi.fill(seed_byte);
  mark_secret(xi);
  auto kp = Dsa::keygen_internal(xi);
  mark_public(kp.public_key.bytes());  // the test itself compares it below

  const std::string_view text = "constant-time test message";
  const std::span<const uint8_t> msg(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  const std::array<uint8_t, 4> ctx{'c', 't', 'x', '1'};
  bool ok = true;
  for (uint8_t r = 0; r < 3; ++r) {  // a few signatures: different numbers of rejections
    std::array<uint8_t, 32> rnd;
    rnd.fill(static_cast<uint8_t>(r + 1));
    mark_secret(kp.secret_key.bytes());
    mark_secret(rnd);
    auto sig = Dsa::sign_with_randomness(kp.secret_key, msg, ctx, rnd);
    mark_public(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&sig), sizeof(sig)));
    if (!sig) return false;
    mark_public(sig->bytes());
    mark_public(kp.secret_key.bytes());
    ok = ok && Dsa::verify(kp.public_key, msg, *sig, ctx);
  }
  return ok;
}

}  // namespace

int main() {
  using namespace x0::pqc;
  const bool ok = check<MlDsa44>(1) && check<MlDsa65>(2) && check<MlDsa87>(3);
  std::printf("ML-DSA constant-time run: %s\n", ok ? "signatures verify" : "FAILED");
  return ok ? 0 : 2;
}
