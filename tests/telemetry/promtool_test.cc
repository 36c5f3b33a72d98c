// Pipes a realistic render() through `promtool check metrics` (Debian package `prometheus`):
// the exposition must parse and pass its lint with no output. Skipped when promtool is absent.
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>

#include "telemetry/metrics.h"

namespace x0::telemetry {
namespace {

std::string find_promtool() {
  for (const char* p : {"/usr/bin/promtool", "/usr/local/bin/promtool"})
    if (access(p, X_OK) == 0) return p;
  return {};
}

Registry& sample_registry() {
  static Registry r;
  static bool filled = false;
  if (filled) return r;
  filled = true;
  r.counter("http_requests_total", "HTTP requests by status code.",
            {{"code", "200"}, {"method", "GET"}, {"service", "api"}})
      ->inc(41);
  r.counter("http_requests_total", "HTTP requests by status code.",
            {{"code", "503"}, {"method", "GET"}, {"service", "a \"quoted\"\\path\nnl"}})
      ->inc(2);
  Histogram* h = r.histogram("http_request_duration_seconds", "Request latency.", latency_buckets(),
                             {{"service", "api"}});
  for (double v : {0.0002, 0.003, 0.04, 0.7, 12.0}) h->observe(v);
  r.gauge("connection_pool_idle", "Idle upstream connections.", {{"pool", "api"}})->set(3);
  r.gauge_callback("http_error_rate", "Share of 5xx over 10 s.", {}, [] { return 0.0476; });
  r.gauge_callback("weird_values", "Special floats.", {{"k", "inf"}},
                   [] { return std::numeric_limits<double>::infinity(); });
  r.gauge_callback("weird_values", "Special floats.", {{"k", "nan"}}, [] { return std::nan(""); });
  register_process_metrics(r);
  return r;
}

TEST(Promtool, CheckMetricsIsClean) {
  std::string promtool = find_promtool();
  if (promtool.empty()) GTEST_SKIP() << "promtool not installed (apt-get install prometheus)";
  auto dir = std::filesystem::temp_directory_path();
  std::string in = dir / ("x0_metrics_" + std::to_string(getpid()) + ".txt");
  std::string out = in + ".out";
  std::ofstream(in) << sample_registry().render();
  std::string cmd = promtool + " check metrics < " + in + " > " + out + " 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream o(out);
  std::string lint((std::istreambuf_iterator<char>(o)), std::istreambuf_iterator<char>());
  std::filesystem::remove(in);
  std::filesystem::remove(out);
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 0) << lint;
  EXPECT_EQ(lint, "");
}

TEST(Promtool, CatchesABrokenExposition) {
  // Guards the test above: promtool must actually fail on bad input here.
  std::string promtool = find_promtool();
  if (promtool.empty()) GTEST_SKIP() << "promtool not installed";
  std::string in = std::filesystem::temp_directory_path() / ("x0_bad_" + std::to_string(getpid()));
  std::ofstream(in) << "# TYPE x counter\nx{a=\"unterminated} 1\n";
  int rc = std::system((promtool + " check metrics < " + in + " > /dev/null 2>&1").c_str());
  std::filesystem::remove(in);
  EXPECT_NE(WEXITSTATUS(rc), 0);
}

}  // namespace
}  // namespace x0::telemetry
