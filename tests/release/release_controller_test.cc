// Release controller: every transition and every refused one, canary stepping on a fake clock,
// blue/green switch and rollback, the published routing at each step, metrics.
#include "release/release_controller.h"

#include <gtest/gtest.h>

#include "release_test_util.h"

namespace x0::release {
namespace {

using testing::blue_green_spec;
using testing::canary_spec;
using testing::ep;

class ControllerTest : public ::testing::Test {
 protected:
  std::unique_ptr<ReleaseController> make() {
    return std::make_unique<ReleaseController>(
        ControllerOptions{dir_.path(), clock_.fn(), &registry_, 50, {}});
  }
  int weight_bp(const ReleaseController& c, const std::string& service) {
    auto set = c.routing();
    auto it = set->find(service);
    return it == set->end() ? -1 : it->second.weight_bp;
  }
  bool metric_has(const std::string& line) {
    return registry_.render().find(line) != std::string::npos;
  }

  testing::ScratchDir dir_;
  testing::FakeClock clock_;
  telemetry::Registry registry_;
};

AnalysisFn always(Analysis a) {
  return [a](const std::string&) { return a; };
}

TEST_F(ControllerTest, StartPublishesFirstStepWithHeader) {
  auto c = make();
  EXPECT_EQ(c->routing()->size(), 0u);
  const uint64_t v0 = c->routing_version();
  auto r = c->start("api", canary_spec(), "operator:ann");
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->id, "api-1");
  EXPECT_EQ(r->state, State::kRunning);
  EXPECT_GT(c->routing_version(), v0);
  auto set = c->routing();
  ASSERT_EQ(set->count("api"), 1u);
  const ReleaseRouting& rr = set->at("api");
  EXPECT_EQ(rr.weight_bp, 500);
  EXPECT_EQ(rr.candidate, canary_spec().candidate);
  EXPECT_EQ(rr.header_name, "X-Canary");
  EXPECT_FALSE(rr.candidate_only);
  ASSERT_EQ(r->history.size(), 1u);
  EXPECT_EQ(r->history[0].actor, "operator:ann");
  EXPECT_TRUE(metric_has("releases_active 1"));
  EXPECT_TRUE(metric_has("release_weight_percent{service=\"api\"} 5"));
}

TEST_F(ControllerTest, TheNotifierFiresOncePerRoutingChangeAndOnlyThen) {
  int calls = 0;
  ControllerOptions options{dir_.path(), clock_.fn(), &registry_, 50, {}};
  options.routing_changed = [&calls] { ++calls; };
  ReleaseController c(options);
  ASSERT_TRUE(c.start("api", canary_spec(), "op"));
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(c.pause("api", "hold", "op"));  // the weight stays: routing unchanged
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(c.start("api", canary_spec(), "op"));  // refused: nothing changed
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(c.rollback("api", "bad", "op"));
  EXPECT_EQ(calls, 2);
}

TEST_F(ControllerTest, StartRefusals) {
  auto c = make();
  auto bad_spec = canary_spec({50, 25});
  EXPECT_EQ(c->start("api", bad_spec, "op").error().code, Errc::kBadRequest);
  EXPECT_EQ(c->start("API!", canary_spec(), "op").error().code, Errc::kBadRequest);
  ASSERT_TRUE(c->start("api", canary_spec(), "op"));
  auto again = c->start("api", canary_spec(), "op");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kConflict);
  EXPECT_TRUE(c->start("web", blue_green_spec(), "op"));  // another service is independent
  ASSERT_TRUE(c->pause("api", "", "op"));
  EXPECT_EQ(c->start("api", canary_spec(), "op").error().code, Errc::kConflict);
  ASSERT_TRUE(c->rollback("api", "", "op"));
  auto fresh = c->start("api", canary_spec(), "op");
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->id, "api-3");
}

TEST_F(ControllerTest, ManualPromoteWalksStepsThenCandidateOnly) {
  auto c = make();
  ASSERT_TRUE(c->start("api", canary_spec(), "op"));
  for (int expect : {2500, 5000, 10000}) {
    clock_.advance(10);
    auto r = c->promote("api", "op");
    ASSERT_TRUE(r) << r.error().detail;
    EXPECT_EQ(r->state, State::kRunning);
    EXPECT_EQ(r->step_started_ms, *clock_.now);
    EXPECT_EQ(weight_bp(*c, "api"), expect);
    EXPECT_FALSE(c->routing()->at("api").candidate_only);
  }
  auto done = c->promote("api", "op");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, State::kPromoted);
  EXPECT_TRUE(c->routing()->at("api").candidate_only);
  EXPECT_EQ(c->promote("api", "op").error().code, Errc::kInvalidState);
  EXPECT_TRUE(metric_has("promotions_total{service=\"api\"} 1"));
  EXPECT_EQ(done->history.size(), 5u);
  // A new release cannot start until the config adopts the candidate (or it is rolled back).
  EXPECT_EQ(c->start("api", canary_spec(), "op").error().code, Errc::kConflict);
}

TEST_F(ControllerTest, RollbackRemovesRoutingAtOnceFromEveryActiveState) {
  auto c = make();
  ASSERT_TRUE(c->start("api", canary_spec(), "op"));
  ASSERT_TRUE(c->promote("api", "op"));
  const uint64_t before = c->routing_version();
  auto r = c->rollback("api", "error_rate: 12% > 10%", "autopilot");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, State::kRolledBack);
  EXPECT_EQ(r->reason, "error_rate: 12% > 10%");
  EXPECT_EQ(r->history.back().from, State::kRunning);
  EXPECT_EQ(r->history.back().weight_percent, 0);
  EXPECT_EQ(c->routing()->count("api"), 0u);
  EXPECT_GT(c->routing_version(), before);
  EXPECT_TRUE(metric_has("rollbacks_total{reason=\"error_rate\",service=\"api\"} 1"));
  EXPECT_TRUE(metric_has("releases_active 0"));
  EXPECT_TRUE(metric_has("release_weight_percent{service=\"api\"} 0"));
  EXPECT_EQ(c->rollback("api", "", "op").error().code, Errc::kNotFound);

  ASSERT_TRUE(c->start("api", canary_spec(), "op"));
  ASSERT_TRUE(c->pause("api", "", "op"));
  EXPECT_EQ(c->rollback("api", "", "op")->state, State::kRolledBack);

  ASSERT_TRUE(c->start("api", canary_spec({100}), "op"));
  ASSERT_EQ(c->promote("api", "op")->state, State::kPromoted);
  auto back = c->rollback("api", "latency", "op");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->history.back().from, State::kPromoted);
  EXPECT_EQ(c->routing()->count("api"), 0u);
  EXPECT_TRUE(metric_has("rollbacks_total{reason=\"manual\",service=\"api\"} 1"));
}

TEST_F(ControllerTest, PauseResumeAndRefusals) {
  auto c = make();
  EXPECT_EQ(c->pause("api", "", "op").error().code, Errc::kNotFound);
  EXPECT_EQ(c->resume("api", "op").error().code, Errc::kNotFound);
  ASSERT_TRUE(c->start("api", canary_spec(), "op"));
  EXPECT_EQ(c->resume("api", "op").error().code, Errc::kInvalidState);
  auto p = c->pause("api", "investigating", "op");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->state, State::kPaused);
  EXPECT_EQ(weight_bp(*c, "api"), 500);  // pause freezes the weight
  EXPECT_EQ(c->pause("api", "", "op").error().code, Errc::kInvalidState);
  EXPECT_EQ(c->promote("api", "op").error().code, Errc::kInvalidState);
  clock_.advance(5000);
  EXPECT_EQ(c->tick(*clock_.now, always(Analysis::kClean)).value(), 0);  // paused: no step
  auto r = c->resume("api", "op");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, State::kRunning);
  EXPECT_EQ(r->step_started_ms, *clock_.now);  // a full interval from the resume
  EXPECT_EQ(c->tick(*clock_.now + 999, always(Analysis::kClean)).value(), 0);
  EXPECT_EQ(c->tick(*clock_.now + 1000, always(Analysis::kClean)).value(), 1);
  EXPECT_EQ(weight_bp(*c, "api"), 2500);
}

TEST_F(ControllerTest, AbortEndsWithoutCountingARollback) {
  auto c = make();
  ASSERT_TRUE(c->start("api", canary_spec(), "op"));
  auto a = c->abort("api", "cancelled", "op");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->state, State::kAborted);
  EXPECT_EQ(c->routing()->count("api"), 0u);
  EXPECT_FALSE(metric_has("rollbacks_total{"));
  ASSERT_TRUE(c->start("api", canary_spec({100}), "op"));
  ASSERT_TRUE(c->promote("api", "op"));
  EXPECT_EQ(c->abort("api", "", "op").error().code, Errc::kInvalidState);
}

TEST_F(ControllerTest, TickStepsOnlyWhenIntervalElapsedAndClean) {
  auto c = make();
  ASSERT_TRUE(c->start("api", canary_spec(), "op"));
  int calls = 0;
  AnalysisFn counting = [&](const std::string& s) {
    EXPECT_EQ(s, "api");
    ++calls;
    return Analysis::kClean;
  };
  const int64_t t0 = *clock_.now;
  EXPECT_EQ(c->tick(t0 + 999, counting).value(), 0);
  EXPECT_EQ(calls, 0);  // not due: the analysis is not even asked
  EXPECT_EQ(c->tick(t0 + 1000, always(Analysis::kDirty)).value(), 0);
  EXPECT_EQ(weight_bp(*c, "api"), 500);  // dirty holds the step, does not roll back
  EXPECT_EQ(c->active("api")->state, State::kRunning);
  EXPECT_EQ(c->tick(t0 + 1500, always(Analysis::kInsufficientData)).value(), 0);
  EXPECT_EQ(weight_bp(*c, "api"), 500);
  EXPECT_EQ(c->tick(t0 + 1600, counting).value(), 1);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(weight_bp(*c, "api"), 2500);
  auto r = c->active("api");
  EXPECT_EQ(r->step_started_ms, t0 + 1600);
  EXPECT_EQ(r->history.back().actor, "autopilot");
  EXPECT_EQ(c->tick(t0 + 2599, counting).value(), 0);
  EXPECT_EQ(c->tick(t0 + 2600, counting).value(), 1);
  EXPECT_EQ(weight_bp(*c, "api"), 5000);
  EXPECT_EQ(c->tick(t0 + 3600, counting).value(), 1);
  EXPECT_EQ(weight_bp(*c, "api"), 10000);
  EXPECT_FALSE(c->routing()->at("api").candidate_only);
  EXPECT_EQ(c->tick(t0 + 4600, counting).value(), 1);
  EXPECT_EQ(c->active("api")->state, State::kPromoted);
  EXPECT_TRUE(c->routing()->at("api").candidate_only);
  EXPECT_EQ(c->tick(t0 + 9000, counting).value(), 0);  // promoted: nothing more to step
}

TEST_F(ControllerTest, TickIgnoresBlueGreen) {
  auto c = make();
  ASSERT_TRUE(c->start("web", blue_green_spec(), "op"));
  EXPECT_EQ(c->tick(*clock_.now + 3'600'000, always(Analysis::kClean)).value(), 0);
  EXPECT_EQ(c->active("web")->state, State::kRunning);
}

// The two halves the node uses when the smoke check is an asynchronous task: the release to
// check is decided first, the switch applied when the result comes back, and a release that
// moved meanwhile (paused and resumed here) is not switched on a stale check.
TEST_F(ControllerTest, BlueGreenPromoteInTwoHalvesRefusesAReleaseThatMovedDuringTheCheck) {
  auto c = make();
  ASSERT_TRUE(c->start("web", blue_green_spec(), "op"));
  std::optional<Release> target = c->smoke_target("web");
  ASSERT_TRUE(target);
  ++*clock_.now;
  ASSERT_TRUE(c->pause("web", "look", "op"));
  ASSERT_TRUE(c->resume("web", "op"));
  auto stale = c->finish_promote("web", "op", target, {});
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Errc::kConflict);
  EXPECT_FALSE(c->routing()->at("web").candidate_only);

  target = c->smoke_target("web");
  auto failed = c->finish_promote("web", "op", target, x0::fail(Errc::kSmokeFailed, "timed out"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, Errc::kSmokeFailed);
  auto ok = c->finish_promote("web", "op", target, {});
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_EQ(ok->state, State::kPromoted);
  EXPECT_FALSE(c->smoke_target("web"));  // promoted: nothing left to check
}

TEST_F(ControllerTest, BlueGreenSmokeThenAtomicSwitchAndRollback) {
  auto c = make();
  auto r = c->start("web", blue_green_spec(), "op");
  ASSERT_TRUE(r);
  ReleaseRouting rr = c->routing()->at("web");
  EXPECT_EQ(rr.weight_bp, 0);             // no traffic until the switch
  EXPECT_EQ(rr.header_name, "X-Canary");  // but smoke tests reach it through the header
  EXPECT_FALSE(rr.candidate_only);

  EXPECT_EQ(c->promote("web", "op").error().code, Errc::kSmokeUnavailable);
  SmokeCheckFn failing = [](const Release&) -> x0::Result<void> {
    return x0::fail(x0::Errc::kSmokeFailed, "GET /ready answered 503, expected 204");
  };
  auto refused = c->promote("web", "op", failing);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kSmokeFailed);
  EXPECT_NE(refused.error().detail.find("503"), std::string::npos);
  EXPECT_FALSE(c->routing()->at("web").candidate_only);

  std::string smoked_path;
  SmokeCheckFn passing = [&](const Release& rel) -> x0::Result<void> {
    smoked_path = rel.spec.smoke.path;
    return {};
  };
  auto sw = c->promote("web", "op", passing);
  ASSERT_TRUE(sw) << sw.error().detail;
  EXPECT_EQ(smoked_path, "/ready");
  EXPECT_EQ(sw->state, State::kPromoted);
  EXPECT_TRUE(c->routing()->at("web").candidate_only);
  EXPECT_EQ(c->routing()->at("web").weight_bp, 10000);

  auto back = c->rollback("web", "manual", "op");
  ASSERT_TRUE(back);
  EXPECT_EQ(c->routing()->count("web"), 0u);
}

TEST_F(ControllerTest, BlueGreenSwitchRefusedIfReleaseChangedDuringSmoke) {
  auto c = make();
  ASSERT_TRUE(c->start("web", blue_green_spec(), "op"));
  SmokeCheckFn racing = [&](const Release&) -> x0::Result<void> {
    // An operator rolls back and restarts while the smoke check runs.
    EXPECT_TRUE(c->rollback("web", "", "op2"));
    EXPECT_TRUE(c->start("web", blue_green_spec(), "op2"));
    return {};
  };
  auto r = c->promote("web", "op", racing);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kConflict);
  EXPECT_FALSE(c->routing()->at("web").candidate_only);
}

TEST_F(ControllerTest, AdoptConfigDropsPromotedRoutingAndAbortsRemovedServices) {
  auto c = make();
  ASSERT_TRUE(c->start("api", canary_spec({100}), "op"));
  ASSERT_TRUE(c->promote("api", "op"));
  ASSERT_TRUE(c->start("web", canary_spec(), "op"));
  std::map<std::string, std::vector<config::Endpoint>> stable = {{"api", {ep("127.0.0.1", 9001)}},
                                                                 {"web", {ep("127.0.0.1", 9002)}}};
  EXPECT_EQ(c->adopt_config(stable, "config").value(), 0);  // nothing matches yet
  EXPECT_TRUE(c->routing()->at("api").candidate_only);
  // Same set in another order counts as adopted.
  stable["api"] = {ep("127.0.0.1", 9004), ep("127.0.0.1", 9003)};
  stable.erase("web");
  EXPECT_EQ(c->adopt_config(stable, "config").value(), 2);
  EXPECT_EQ(c->routing()->size(), 0u);
  auto api = c->find("api-1");
  ASSERT_TRUE(api);
  EXPECT_TRUE(api->adopted);
  EXPECT_EQ(api->state, State::kPromoted);
  EXPECT_EQ(c->find("web-2")->state, State::kAborted);
  EXPECT_EQ(c->rollback("api", "", "op").error().code, Errc::kNotFound);
  EXPECT_TRUE(c->start("api", canary_spec(), "op"));  // the next release may begin
}

TEST_F(ControllerTest, RoutingVersionChangesOnlyWithRouting) {
  auto c = make();
  ASSERT_TRUE(c->start("api", canary_spec(), "op"));
  const uint64_t v = c->routing_version();
  auto snapshot = c->routing();
  ASSERT_TRUE(c->pause("api", "", "op"));  // same weight, same routing
  EXPECT_EQ(c->routing_version(), v);
  ASSERT_TRUE(c->resume("api", "op"));
  EXPECT_EQ(c->routing_version(), v);
  ASSERT_TRUE(c->promote("api", "op"));
  EXPECT_EQ(c->routing_version(), v + 1);
  EXPECT_EQ(snapshot->at("api").weight_bp, 500);  // an old snapshot is never mutated
}

TEST_F(ControllerTest, ListActiveFirstAndKeepsBoundedHistoryOfFinished) {
  auto c = std::make_unique<ReleaseController>(
      ControllerOptions{dir_.path(), clock_.fn(), &registry_, 3, {}});
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c->start("api", canary_spec(), "op"));
    ASSERT_TRUE(c->rollback("api", "", "op"));
  }
  ASSERT_TRUE(c->start("web", canary_spec(), "op"));
  auto all = c->list();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].id, "web-6");
  EXPECT_EQ(all[1].id, "api-5");
  EXPECT_EQ(all[3].id, "api-3");
  EXPECT_FALSE(c->find("api-1"));
}

}  // namespace
}  // namespace x0::release
