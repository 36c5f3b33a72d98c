// Endpoint selection: round robin, least request, skipping unavailable endpoints, fallback.
#include <gtest/gtest.h>

#include <map>

#include "gateway/worker_context.h"
#include "net/event_loop.h"

namespace x0::gateway {
namespace {

class BalancerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::Config c;
    config::Service s;
    s.name = "svc";
    s.endpoints = {{"127.0.0.1", 9001}, {"127.0.0.1", 9002}, {"127.0.0.1", 9003}};
    s.fallback = {{"127.0.0.1", 9100}};
    c.services = {s};
    TrafficSplits splits;
    splits["svc"] =
        TrafficSplit{{config::Endpoint{"127.0.0.1", 9200}}, 2500, "X-Canary", "always", false};
    auto table = RouteTable::build(c, splits, nullptr, 1);
    ASSERT_TRUE(table.has_value());
    publisher.publish(*table);
    worker = std::make_unique<WorkerContext>(loop, publisher, 0);
    service = worker->routes.get().find("svc");
  }
  std::string pick(bool fallback = false, std::vector<const EndpointState*> exclude = {}) {
    const auto* e = pick_endpoint(
        *worker, *service, fallback ? EndpointRole::kFallback : EndpointRole::kStable, exclude);
    return e == nullptr ? "-" : (*e)->name;
  }
  EndpointState& endpoint(size_t i) { return *service->primary[i]; }

  net::EventLoop loop;
  RouteTablePublisher publisher;
  std::unique_ptr<WorkerContext> worker;
  const ServiceState* service = nullptr;
};

TEST_F(BalancerTest, RoundRobinVisitsEveryEndpointInTurn) {
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) order.push_back(pick());
  EXPECT_EQ(order,
            (std::vector<std::string>{"127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003",
                                      "127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"}));
}

TEST_F(BalancerTest, SkipsUnhealthyAndEjectedEndpoints) {
  endpoint(0).healthy.store(false);
  endpoint(2).ejected_until_ms.store(net::EventLoop::monotonic_ms() + 60000);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(pick(), "127.0.0.1:9002");
}

TEST_F(BalancerTest, EjectionEndsWhenItsTimePasses) {
  endpoint(0).ejected_until_ms.store(1);  // long past
  std::map<std::string, int> seen;
  for (int i = 0; i < 3; ++i) seen[pick()]++;
  EXPECT_EQ(seen["127.0.0.1:9001"], 1);
}

TEST_F(BalancerTest, ExcludedEndpointsAreNotPickedAgain) {
  std::vector<const EndpointState*> tried = {&endpoint(0), &endpoint(1)};
  for (int i = 0; i < 3; ++i) EXPECT_EQ(pick(false, tried), "127.0.0.1:9003");
  tried.push_back(&endpoint(2));
  EXPECT_EQ(pick(false, tried), "-");
}

TEST_F(BalancerTest, NoPrimaryAvailableMeansNullAndFallbackIsSeparate) {
  for (size_t i = 0; i < 3; ++i) endpoint(i).healthy.store(false);
  EXPECT_EQ(pick(), "-");
  EXPECT_EQ(pick(true), "127.0.0.1:9100");
  service->fallback[0]->healthy.store(false);
  EXPECT_EQ(pick(true), "-");
}

TEST_F(BalancerTest, LeastRequestPrefersTheLessLoadedEndpoint) {
  const_cast<config::Service&>(service->config).balance = config::Balance::kLeastRequest;
  for (int i = 0; i < 50; ++i) worker->pool.begin_request(&endpoint(0));
  for (int i = 0; i < 50; ++i) worker->pool.begin_request(&endpoint(1));
  std::map<std::string, int> seen;
  for (int i = 0; i < 300; ++i) seen[pick()]++;
  // Power of two choices: the idle endpoint wins every comparison it is part of (~5/9 of picks);
  // a loaded one is chosen only when both samples are loaded.
  EXPECT_GT(seen["127.0.0.1:9003"], 120);
  EXPECT_GT(seen["127.0.0.1:9003"], seen["127.0.0.1:9001"]);
  EXPECT_GT(seen["127.0.0.1:9003"], seen["127.0.0.1:9002"]);
}

TEST_F(BalancerTest, CandidateShareFollowsTheWeight) {
  http::HeaderList none;
  int candidate = 0;
  for (int i = 0; i < 10000; ++i) {
    candidate += choose_side(*worker, *service, none) == EndpointRole::kCandidate;
  }
  EXPECT_GT(candidate, 2200);  // 25 % by weight
  EXPECT_LT(candidate, 2800);
}

TEST_F(BalancerTest, OverrideHeaderAlwaysReachesTheCandidate) {
  http::HeaderList headers;
  headers.items[0] = {"x-canary", "always"};
  headers.count = 1;
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(choose_side(*worker, *service, headers), EndpointRole::kCandidate);
  }
  const auto* e = pick_endpoint(*worker, *service, EndpointRole::kCandidate, {});
  ASSERT_NE(e, nullptr);
  EXPECT_EQ((*e)->name, "127.0.0.1:9200");
}

TEST_F(BalancerTest, CandidateOnlySendsEverythingToTheCandidate) {
  const_cast<ServiceState*>(service)->split.candidate_only = true;
  http::HeaderList none;
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(choose_side(*worker, *service, none), EndpointRole::kCandidate);
}

// Across the mesh: peers that serve the service before those that only relay it, up peers
// before suspect ones, never a node the request came through, a relay only for a request that
// has made no hop yet.
TEST_F(BalancerTest, RemoteHopsPreferServersAndRespectHopsAndVia) {
  auto hop = [](std::string peer, bool relay, bool suspect = false) {
    auto e = std::make_shared<EndpointState>();
    e->name = "mesh://" + peer;
    e->role = EndpointRole::kRemote;
    e->mesh_peer = peer;
    return RemoteHop{std::move(peer), std::move(e), relay, suspect};
  };
  RemoteRoutes routes;
  routes.self = "a";
  routes.services["svc"] = {hop("b", false), hop("c", true)};
  auto pick_peer = [&](int hops, std::string_view via,
                       std::vector<const EndpointState*> skip = {}) {
    const RemoteHop* h = pick_remote(*worker, routes, "svc", hops, via, skip);
    return h == nullptr ? std::string("-") : h->peer;
  };
  for (int i = 0; i < 5; ++i) EXPECT_EQ(pick_peer(0, ""), "b");
  EXPECT_EQ(pick_peer(0, "", {routes.services["svc"][0].endpoint.get()}), "c");  // b failed
  routes.services["svc"][0].endpoint->healthy.store(false);
  EXPECT_EQ(pick_peer(0, ""), "c");
  EXPECT_EQ(pick_peer(1, "x"), "-");  // a forwarded request is not relayed twice
  routes.services["svc"][0].endpoint->healthy.store(true);
  EXPECT_EQ(pick_peer(1, "x"), "b");
  EXPECT_EQ(pick_peer(1, "b"), "-");    // it came from b: never back
  EXPECT_EQ(pick_peer(2, "x,y"), "-");  // two hops already
  EXPECT_EQ(pick_remote(*worker, routes, "other", 0, "", {}), nullptr);

  // A suspect server comes after an up relay; it is still taken when nothing up is left.
  routes.services["svc"] = {hop("s", false, true), hop("c", true), hop("t", true, true)};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(pick_peer(0, ""), "c");
  EXPECT_EQ(pick_peer(0, "", {routes.services["svc"][1].endpoint.get()}), "s");
  EXPECT_EQ(pick_peer(1, "x"), "s");  // a forwarded request: no relay, the suspect server
  EXPECT_EQ(pick_peer(0, "",
                      {routes.services["svc"][0].endpoint.get(),
                       routes.services["svc"][1].endpoint.get()}),
            "t");
}

}  // namespace
}  // namespace x0::gateway
