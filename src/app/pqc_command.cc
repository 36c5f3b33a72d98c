// `x0tta6bl4 pqc selftest` (see pqc_command.h).
#include "app/pqc_command.h"

#include <cstdio>

#include "tls/self_test.h"

namespace x0::app {

int pqc_command(const std::vector<std::string>& args) {
  bool print = args.size() == 2 && args[1] == "--print";
  if (args.empty() || args[0] != "selftest" || (args.size() > 1 && !print)) {
    std::fprintf(stderr, "usage: x0tta6bl4 pqc selftest [--print]\n");
    return 2;
  }
  std::vector<std::string> digests;
  tls::SelfTestReport report = tls::run_self_test_printing(&digests);
  for (const tls::SelfTestCheck& c : report.checks)
    std::printf("%-4s %s%s%s\n", c.ok ? "ok" : "FAIL", c.name.c_str(), c.ok ? "" : ": ",
                c.detail.c_str());
  std::printf("self-test %s in %.1f ms\n", report.ok ? "passed" : "FAILED",
              static_cast<double>(report.duration_us) / 1000.0);
  if (print) {
    const char* names[] = {"ML-KEM-768", "ML-DSA-65", "composite public key"};
    for (size_t i = 0; i < digests.size() && i < 3; ++i)
      std::printf("digest %s: %s\n", names[i], digests[i].c_str());
  }
  return report.ok ? 0 : 1;
}

}  // namespace x0::app
