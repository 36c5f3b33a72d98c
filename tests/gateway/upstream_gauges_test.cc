// upstream_endpoints / upstream_healthy_endpoints: what a scrape reads follows the endpoints'
// health and the table published at that moment.
#include "gateway/upstream_gauges.h"

#include <gtest/gtest.h>

#include <string>

namespace x0::gateway {
namespace {

config::Service service(std::string name, std::string prefix, std::vector<uint16_t> ports) {
  config::Service s;
  s.name = std::move(name);
  s.path_prefixes = {std::move(prefix)};
  for (uint16_t port : ports) s.endpoints.push_back(config::Endpoint{"127.0.0.1", port});
  return s;
}

std::shared_ptr<const RouteTable> build(const config::Config& c, const RouteTable* previous) {
  auto table = RouteTable::build(c, {}, previous, 1);
  EXPECT_TRUE(table.has_value()) << (table ? "" : table.error().detail);
  return *table;
}

// The sample line of `metric` for `service` in a scrape, e.g. `upstream_endpoints{...} 2`.
std::string sample(const telemetry::Registry& r, const std::string& metric,
                   const std::string& service) {
  std::string text = r.render();
  std::string head = metric + "{service=\"" + service + "\"} ";
  auto at = text.find("\n" + head);
  if (at == std::string::npos) return "absent";
  auto end = text.find('\n', at + 1);
  return text.substr(at + 1 + head.size(), end - at - 1 - head.size());
}

TEST(UpstreamGauges, CountTheActiveEndpointsAndTheAvailableOnes) {
  config::Config c;
  c.services = {service("api", "/api", {9001, 9002}), service("web", "/", {9003})};
  RouteTablePublisher routes;
  routes.publish(build(c, nullptr));
  telemetry::Registry r;
  register_upstream_gauges(routes, *routes.current(), r);
  EXPECT_EQ(sample(r, "upstream_endpoints", "api"), "2");
  EXPECT_EQ(sample(r, "upstream_healthy_endpoints", "api"), "2");
  EXPECT_EQ(sample(r, "upstream_endpoints", "web"), "1");

  const ServiceState* api = routes.current()->find("api");
  api->primary[0]->healthy.store(false);  // a failed health check
  EXPECT_EQ(sample(r, "upstream_healthy_endpoints", "api"), "1");
  api->primary[1]->ejected_until_ms.store(INT64_MAX);  // passively ejected
  EXPECT_EQ(sample(r, "upstream_healthy_endpoints", "api"), "0");
  EXPECT_EQ(sample(r, "upstream_endpoints", "api"), "2");
  EXPECT_EQ(sample(r, "upstream_healthy_endpoints", "web"), "1");
}

TEST(UpstreamGauges, ReadTheTablePublishedAtScrapeTime) {
  config::Config c;
  c.services = {service("api", "/api", {9001, 9002}), service("web", "/", {9003})};
  RouteTablePublisher routes;
  routes.publish(build(c, nullptr));
  telemetry::Registry r;
  register_upstream_gauges(routes, *routes.current(), r);

  // A reload: api gains an endpoint, web goes away, docs is new.
  config::Config next;
  next.services = {service("api", "/api", {9001, 9002, 9004}), service("docs", "/", {9005})};
  routes.publish(build(next, routes.current().get()));
  register_upstream_gauges(routes, *routes.current(), r);
  EXPECT_EQ(sample(r, "upstream_endpoints", "api"), "3");
  EXPECT_EQ(sample(r, "upstream_healthy_endpoints", "api"), "3");
  EXPECT_EQ(sample(r, "upstream_endpoints", "docs"), "1");
  EXPECT_EQ(sample(r, "upstream_endpoints", "web"), "0");
  EXPECT_EQ(sample(r, "upstream_healthy_endpoints", "web"), "0");
}

TEST(UpstreamGauges, CountTheCandidateSetOnceAReleaseSwitchedToIt) {
  config::Config c;
  c.services = {service("api", "/api", {9001, 9002})};
  TrafficSplit split;
  split.candidate = {config::Endpoint{"127.0.0.1", 9011}};
  split.weight_bp = 10000;
  split.candidate_only = true;
  auto table = RouteTable::build(c, {{"api", split}}, nullptr, 1);
  ASSERT_TRUE(table.has_value()) << table.error().detail;
  RouteTablePublisher routes;
  routes.publish(*table);
  telemetry::Registry r;
  register_upstream_gauges(routes, *routes.current(), r);
  EXPECT_EQ(sample(r, "upstream_endpoints", "api"), "1");
  routes.current()->find("api")->candidate[0]->healthy.store(false);
  EXPECT_EQ(sample(r, "upstream_healthy_endpoints", "api"), "0");
}

}  // namespace
}  // namespace x0::gateway
