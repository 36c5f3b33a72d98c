// Release metrics: bounded rollback reason labels and concurrent use of the controller.
#include "release/release_metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "release/release_controller.h"
#include "release/release_store.h"
#include "release_test_util.h"

namespace x0::release {
namespace {

TEST(ReasonLabel, BoundedVocabulary) {
  EXPECT_EQ(reason_label(""), "manual");
  EXPECT_EQ(reason_label("error_rate"), "error_rate");
  EXPECT_EQ(reason_label("error_rate: 12% > 10% for 5m"), "error_rate");
  EXPECT_EQ(reason_label("latency_p95 over budget"), "latency_p95");
  EXPECT_EQ(reason_label("Customer complaints"), "other");
  EXPECT_EQ(reason_label(": nothing"), "other");
  EXPECT_EQ(reason_label(std::string(33, 'a')), "other");
}

// Operator calls, ticks and readers race; afterwards the state is consistent in memory and on
// disk (one active release at most per service, the file decodes to what the controller holds).
TEST(ReleaseControllerThreads, ConcurrentCommandsKeepOneConsistentState) {
  testing::ScratchDir dir;
  telemetry::Registry registry;
  ReleaseController c(ControllerOptions{dir.path(), {}, &registry, 50, {}});
  std::atomic<bool> stop{false};
  auto operator_loop = [&](std::string service) {
    for (int i = 0; i < 40; ++i) {
      (void)c.start(service, testing::canary_spec(), "op");
      (void)c.promote(service, "op");
      (void)c.pause(service, "", "op");
      (void)c.resume(service, "op");
      (void)c.rollback(service, "", "op");
    }
  };
  std::thread a(operator_loop, "api"), b(operator_loop, "api"), w(operator_loop, "web");
  std::thread ticker([&] {
    while (!stop) (void)c.tick(INT64_MAX / 2, [](const std::string&) { return Analysis::kClean; });
  });
  std::thread reader([&] {
    while (!stop) {
      auto set = c.routing();
      for (const auto& [service, rr] : *set) EXPECT_LE(rr.weight_bp, 10000) << service;
      (void)c.list();
    }
  });
  a.join();
  b.join();
  w.join();
  stop = true;
  ticker.join();
  reader.join();
  auto all = c.list();
  int active_api = 0;
  for (const auto& r : all) active_api += (r.service == "api" && is_active(r)) ? 1 : 0;
  EXPECT_LE(active_api, 1);
  ReleaseController reloaded(ControllerOptions{dir.path(), {}, &registry, 50, {}});
  EXPECT_FALSE(reloaded.load_error());
  EXPECT_EQ(reloaded.list(), all);
  EXPECT_EQ(*reloaded.routing(), *c.routing());
}

}  // namespace
}  // namespace x0::release
