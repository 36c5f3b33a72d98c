// Routing: which service a host and path reach, and what survives a rebuild.
#include "gateway/route_table.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

namespace x0::gateway {
namespace {

config::Service service(std::string name, std::vector<std::string> hosts,
                        std::vector<std::string> prefixes, uint16_t port) {
  config::Service s;
  s.name = std::move(name);
  s.hosts = std::move(hosts);
  s.path_prefixes = std::move(prefixes);
  s.endpoints = {config::Endpoint{"127.0.0.1", port}};
  return s;
}

std::shared_ptr<const RouteTable> build(const config::Config& c, const RouteTable* previous = nullptr) {
  auto table = RouteTable::build(c, {}, previous, 1);
  EXPECT_TRUE(table.has_value()) << (table ? "" : table.error().detail);
  return *table;
}

std::string routed(const RouteTable& t, std::string_view host, std::string_view path) {
  const ServiceState* s = t.route(host, path);
  return s == nullptr ? "-" : s->config.name;
}

TEST(RouteTable, LongestPrefixWinsWithinAHost) {
  config::Config c;
  c.services = {service("root", {}, {"/"}, 9001), service("api", {}, {"/api"}, 9002),
                service("apiv2", {}, {"/api/v2"}, 9003)};
  auto t = build(c);
  EXPECT_EQ(routed(*t, "x", "/"), "root");
  EXPECT_EQ(routed(*t, "x", "/index.html"), "root");
  EXPECT_EQ(routed(*t, "x", "/api/users"), "api");
  EXPECT_EQ(routed(*t, "x", "/api/v2/users"), "apiv2");
}

TEST(RouteTable, PrefixesMatchOnSegmentBoundaries) {
  config::Config c;
  c.services = {service("public", {}, {"/public"}, 9001), service("api", {}, {"/api/"}, 9002)};
  auto t = build(c);
  EXPECT_EQ(routed(*t, "x", "/public"), "public");
  EXPECT_EQ(routed(*t, "x", "/public/"), "public");
  EXPECT_EQ(routed(*t, "x", "/public/a"), "public");
  EXPECT_EQ(routed(*t, "x", "/publicXYZ"), "-");
  EXPECT_EQ(routed(*t, "x", "/public.html"), "-");
  EXPECT_EQ(routed(*t, "x", "/api/v1"), "api");
  EXPECT_EQ(routed(*t, "x", "/api"), "-");  // "/api/" asks for the slash
}

TEST(RouteTable, PolicyComesFromTheConfig) {
  config::Config c;
  c.services = {service("a", {}, {"/"}, 9001)};
  c.api_gateway.trusted_proxies = {"10.0.0.0/8"};
  c.api_gateway.allow_trace = true;
  auto t = build(c);
  EXPECT_TRUE(t->policy().allow_trace);
  EXPECT_FALSE(t->policy().path.allow_encoded_slash);
  EXPECT_FALSE(t->policy().trusted_proxies.empty());
  c.api_gateway.trusted_proxies = {"not-an-ip"};
  EXPECT_FALSE(RouteTable::build(c, {}, nullptr, 2).has_value());
}

TEST(RouteTable, ExactHostBeatsWildcardBeatsAny) {
  config::Config c;
  c.services = {service("any", {}, {"/"}, 9001), service("wild", {"*.example.com"}, {"/"}, 9002),
                service("exact", {"shop.example.com"}, {"/"}, 9003)};
  auto t = build(c);
  EXPECT_EQ(routed(*t, "shop.example.com", "/"), "exact");
  EXPECT_EQ(routed(*t, "SHOP.Example.COM:8080", "/"), "exact");  // case and port ignored
  EXPECT_EQ(routed(*t, "blog.example.com", "/"), "wild");
  EXPECT_EQ(routed(*t, "example.com", "/"), "any");  // a wildcard needs a label before it
  EXPECT_EQ(routed(*t, "other.org", "/"), "any");
}

TEST(RouteTable, NoMatchIsNull) {
  config::Config c;
  c.services = {service("api", {"api.local"}, {"/v1"}, 9001)};
  auto t = build(c);
  EXPECT_EQ(routed(*t, "api.local", "/v2"), "-");
  EXPECT_EQ(routed(*t, "web.local", "/v1"), "-");
}

TEST(RouteTable, EndpointStateSurvivesRebuild) {
  config::Config c;
  c.services = {service("api", {}, {"/"}, 9001)};
  c.services[0].endpoints.push_back({"127.0.0.1", 9002});
  auto first = build(c);
  first->find("api")->primary[0]->healthy.store(false);
  c.services[0].endpoints.pop_back();  // 9002 removed, 9001 kept
  auto second = build(c, first.get());
  ASSERT_EQ(second->find("api")->primary.size(), 1u);
  EXPECT_EQ(second->find("api")->primary[0], first->find("api")->primary[0]);
  EXPECT_FALSE(second->find("api")->primary[0]->healthy.load());
}

TEST(RouteTable, LegacyFallbackUpstreamIsUsedWhenAServiceHasNone) {
  config::Config c;
  c.services = {service("api", {}, {"/"}, 9001)};
  c.services[0].fallback = {config::Endpoint{"127.0.0.1", 9100}};
  auto t = build(c);
  ASSERT_EQ(t->find("api")->fallback.size(), 1u);
  EXPECT_TRUE(t->find("api")->fallback[0]->fallback);
  EXPECT_EQ(t->find("api")->fallback[0]->name, "127.0.0.1:9100");
}

TEST(RouteTable, UnresolvableEndpointIsAnError) {
  config::Config c;
  c.services = {service("api", {}, {"/"}, 9001)};
  c.services[0].endpoints[0].host = "no-such-host.invalid";
  auto table = RouteTable::build(c, {}, nullptr, 1);
  ASSERT_FALSE(table.has_value());
  EXPECT_NE(table.error().detail.find("no-such-host.invalid"), std::string::npos);
}

// What the control thread looks up before a build: names only, each once, and not the ones the
// previous table already holds for the same service and set; the build then asks its lookup
// for exactly those and never resolves by itself.
TEST(RouteTable, NamesToResolveAreNewHostNamesOnly) {
  config::Config c;
  c.services = {service("api", {}, {"/"}, 9001)};
  c.services[0].endpoints = {config::Endpoint{"127.0.0.1", 9001}, config::Endpoint{"api-1.test", 80},
                             config::Endpoint{"::1", 9002}};
  c.services[0].fallback = {config::Endpoint{"api-1.test", 80}};
  TrafficSplits splits;
  splits["api"] = TrafficSplit{{config::Endpoint{"canary.test", 81}}, 500, "", "", false};
  auto names = RouteTable::names_to_resolve(c, splits, nullptr);
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0].to_string(), "api-1.test:80");
  EXPECT_EQ(names[1].to_string(), "canary.test:81");

  std::vector<std::string> asked;
  auto lookup = [&](const config::Endpoint& e) -> Result<net::SocketAddress> {
    asked.push_back(e.to_string());
    net::SocketAddress a;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(e.port);
    v4->sin_addr.s_addr = htonl(0x0a000001);  // 10.0.0.1
    a.length = sizeof(sockaddr_in);
    return a;
  };
  auto table = RouteTable::build(c, splits, nullptr, 1, lookup);
  ASSERT_TRUE(table.has_value()) << table.error().detail;
  EXPECT_EQ(asked, (std::vector<std::string>{"api-1.test:80", "api-1.test:80", "canary.test:81"}));
  EXPECT_EQ((*table)->find("api")->primary[1]->address.to_string(), "10.0.0.1:80");

  // Rebuilt on that table: nothing new to look up, and the addresses are carried over.
  EXPECT_TRUE(RouteTable::names_to_resolve(c, splits, table->get()).empty());
  asked.clear();
  auto again = RouteTable::build(c, splits, table->get(), 2, lookup);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(asked.empty());
  EXPECT_EQ((*again)->find("api")->candidate[0]->address.to_string(), "10.0.0.1:81");
  // A new name, or a known name in another set, is new.
  c.services[0].endpoints.push_back(config::Endpoint{"api-2.test", 80});
  auto more = RouteTable::names_to_resolve(c, {}, table->get());
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].to_string(), "api-2.test:80");
}

TEST(RouteTable, ALookupErrorFailsTheBuild) {
  config::Config c;
  c.services = {service("api", {}, {"/"}, 9001)};
  c.services[0].endpoints[0].host = "slow.test";
  auto table = RouteTable::build(c, {}, nullptr, 1, [](const config::Endpoint& e) {
    return Result<net::SocketAddress>(
        fail(Errc::kTimedOut, "resolving " + e.to_string() + " took too long"));
  });
  ASSERT_FALSE(table.has_value());
  EXPECT_EQ(table.error().code, Errc::kTimedOut);
}

TEST(RouteTable, TrafficSplitAddsTheCandidateSet) {
  config::Config c;
  c.services = {service("api", {}, {"/"}, 9001)};
  TrafficSplits splits;
  splits["api"] = TrafficSplit{{config::Endpoint{"127.0.0.1", 9003}}, 500, "X-Canary", "always", false};
  auto table = RouteTable::build(c, splits, nullptr, 1);
  ASSERT_TRUE(table.has_value());
  const ServiceState* api = (*table)->find("api");
  ASSERT_TRUE(api->in_release);
  ASSERT_EQ(api->candidate.size(), 1u);
  EXPECT_EQ(api->candidate[0]->role, EndpointRole::kCandidate);
  EXPECT_EQ(api->split.weight_bp, 500);
  // Without the split the service is back to its stable set only.
  auto after = RouteTable::build(c, {}, table->get(), 2);
  EXPECT_FALSE((*after)->find("api")->in_release);
  EXPECT_TRUE((*after)->find("api")->candidate.empty());
}

TEST(RouteTablePublisher, ReaderSeesNewTableAfterPublish) {
  config::Config c;
  c.services = {service("one", {}, {"/"}, 9001)};
  RouteTablePublisher publisher;
  publisher.publish(build(c));
  RouteTableReader reader(publisher);
  EXPECT_EQ(routed(reader.get(), "x", "/"), "one");
  c.services[0].name = "two";
  publisher.publish(build(c));
  EXPECT_EQ(routed(reader.get(), "x", "/"), "two");
}

}  // namespace
}  // namespace x0::gateway
