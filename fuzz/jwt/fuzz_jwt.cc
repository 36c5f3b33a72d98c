// Fuzzes the bearer-token path a client controls: any bytes given to decode() and to a Verifier
// (an HS256 key, every check on) must give a token or a refusal, never a crash, a hang or an
// unbounded allocation; a decoded token's parts must re-encode to the text they came from
// (base64url here has one spelling), and nothing unsigned by the key may verify.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "jwt/base64url.h"
#include "jwt/token.h"
#include "jwt/verifier.h"

namespace {

const x0::jwt::Verifier& verifier() {
  static const x0::jwt::Verifier v = [] {
    auto keys = x0::jwt::keys_from_secret("fuzz-secret-fuzz-secret-fuzz-secret!");
    if (!keys) std::abort();
    x0::jwt::Rules rules;
    rules.issuer = "https://issuer.example";
    rules.audiences = {"shop"};
    rules.algorithms = x0::jwt::alg_bit(x0::jwt::Alg::kHS256);
    return x0::jwt::Verifier(std::make_shared<const x0::jwt::KeySet>(std::move(*keys)), rules);
  }();
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto decoded = x0::jwt::decode(text)) {
    size_t last_dot = text.rfind('.');
    if (x0::jwt::base64url_encode(decoded->signature) != text.substr(last_dot + 1)) std::abort();
    if (decoded->signing_input != text.substr(0, last_dot)) std::abort();
  }
  // The fuzzer cannot forge an HMAC: a verdict of ok would be a bypass.
  if (verifier().verify(text, 1'800'000'000).ok()) std::abort();
  (void)x0::jwt::claim_text(nlohmann::json::object({{"a", std::string(text)}}), "a");
  return 0;
}
