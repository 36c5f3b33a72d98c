// The node's remote routes from the mesh's view: who may take a service's requests, up peers
// before suspect ones and servers before relays, one endpoint per peer and service kept across
// views, links from our own IP.
#include "app/mesh_routes.h"

#include <gtest/gtest.h>

namespace x0::app {
namespace {

mesh::PeerView peer(std::string id, std::string address, std::vector<mesh::ServiceHealth> services,
                    std::string state = "up", bool direct = true) {
  mesh::PeerView p;
  p.id = std::move(id);
  p.address = std::move(address);
  p.state = std::move(state);
  p.direct = direct;
  p.services = std::move(services);
  return p;
}

mesh::ServiceHealth serves(std::string name) { return {std::move(name), true, 1, true, false}; }
mesh::ServiceHealth relays(std::string name) { return {std::move(name), false, 0, true, true}; }

class MeshRoutesTest : public ::testing::Test {
 protected:
  std::vector<std::string> hops(const std::string& service) {
    std::vector<std::string> out;
    if (const auto* list = out_.current()->find(service))
      for (const auto& h : *list)
        out.push_back(h.peer + (h.relay ? " (relay)" : "") + (h.suspect ? " (suspect)" : ""));
    return out;
  }
  void update(std::vector<mesh::PeerView> peers) {
    view_.peers = std::move(peers);
    routes_.update(view_, nullptr);
  }
  std::shared_ptr<gateway::EndpointState> endpoint(const std::string& service, size_t i = 0) {
    return out_.current()->find(service)->at(i).endpoint;
  }

  gateway::RemoteRoutesPublisher out_;
  MeshRoutes routes_{out_};
  mesh::MeshView view_ = [] {
    mesh::MeshView v;
    v.node_id = "a";
    v.address = "10.0.0.1:7946";
    return v;
  }();
};

TEST_F(MeshRoutesTest, OnlyLivePeersWithADirectLinkThatTakeTheServiceAndServeOrRelayIt) {
  mesh::ServiceHealth not_failover{"shop", true, 1, false, false};
  mesh::ServiceHealth unhealthy{"shop", false, 0, true, false};
  update({peer("r", "10.0.0.5:7946", {relays("shop")}),
          peer("b", "10.0.0.2:7946", {serves("shop"), serves("cart")}),
          peer("c", "10.0.0.3:7946", {serves("shop")}, "suspect"),
          peer("d", "10.0.0.4:7946", {serves("shop")}, "up", /*direct=*/false),
          peer("e", "10.0.0.6:7946", {not_failover}), peer("f", "10.0.0.7:7946", {unhealthy}),
          peer("g", "10.0.0.8:7946", {serves("shop")}, "down"),
          peer("h", "10.0.0.9:7946", {serves("shop")}, "left")});
  EXPECT_EQ(hops("shop"), (std::vector<std::string>{"b", "r (relay)", "c (suspect)"}));
  EXPECT_EQ(hops("cart"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(out_.current()->self, "a");
  auto e = endpoint("shop");
  EXPECT_EQ(e->role, gateway::EndpointRole::kRemote);
  EXPECT_EQ(e->mesh_peer, "b");
  EXPECT_EQ(e->address.to_string(), "10.0.0.2:7946");
  ASSERT_TRUE(e->source.has_value());
  EXPECT_EQ(e->source->to_string(), "10.0.0.1:0");  // links leave from our advertised IP
  EXPECT_NE(endpoint("cart").get(), e.get());       // one endpoint per peer and service
}

TEST_F(MeshRoutesTest, EndpointsLastAcrossViewsAndAPeerBackUpStartsUnejected) {
  update({peer("b", "10.0.0.2:7946", {serves("shop")})});
  auto first = endpoint("shop");
  first->ejected_until_ms.store(1'000'000'000);
  update({peer("b", "10.0.0.2:7946", {serves("shop")})});
  EXPECT_EQ(endpoint("shop").get(), first.get());  // pools and ejection carry over
  EXPECT_EQ(endpoint("shop")->ejected_until_ms.load(), 1'000'000'000);
  update({peer("b", "10.0.0.2:7946", {serves("shop")}, "up", /*direct=*/false)});
  update({peer("b", "10.0.0.2:7946", {serves("shop")})});
  EXPECT_EQ(endpoint("shop")->ejected_until_ms.load(), 1'000'000'000);  // a link flap: kept
  update({peer("b", "10.0.0.2:7946", {serves("shop")}, "suspect")});
  update({peer("b", "10.0.0.2:7946", {serves("shop")})});
  EXPECT_EQ(endpoint("shop")->ejected_until_ms.load(), 1'000'000'000);  // refuted: not "back"
  update({peer("b", "10.0.0.2:7946", {serves("shop")}, "down")});
  EXPECT_TRUE(hops("shop").empty());
  update({peer("b", "10.0.0.2:7946", {serves("shop")})});
  EXPECT_EQ(endpoint("shop").get(), first.get());
  EXPECT_EQ(endpoint("shop")->ejected_until_ms.load(), 0);  // back up: a fresh start
  update({peer("b", "10.0.0.9:7946", {serves("shop")})});
  EXPECT_NE(endpoint("shop").get(), first.get());  // another address, another endpoint
  EXPECT_EQ(endpoint("shop")->address.to_string(), "10.0.0.9:7946");
}

}  // namespace
}  // namespace x0::app
