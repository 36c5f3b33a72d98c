// RouteBuilds on a loop: a build that needs no DNS runs at once; one that names new hosts waits
// for the resolver (the loop keeps turning meanwhile) and then builds with what was found; builds
// run in the order asked; a lookup that fails or times out fails its build only. The node's
// hooks are fakes; the resolver is the real one with a gated fake lookup at its seam.
#include "gateway/route_builds.h"
#include "run_loop.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace x0::gateway {
namespace {

using x0::testing::run_until_stopped;

struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void release() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

net::Resolver::LookupFn gated(std::shared_ptr<Gate> gate) {
  return [gate](const std::string& host, uint16_t port) -> Result<net::SocketAddress> {
    std::unique_lock lock(gate->mu);
    gate->cv.wait(lock, [&] { return gate->open; });
    if (host == "fails.test") return fail(Errc::kResolveFailed, "cannot resolve " + host);
    return *net::numeric_address("10.0.0.7", port);
  };
}

std::shared_ptr<const config::Config> config_with(const std::string& source,
                                                  std::vector<config::Endpoint> endpoints) {
  auto c = std::make_shared<config::Config>();
  c->source = source;
  config::Service s;
  s.name = "api";
  s.endpoints = std::move(endpoints);
  c->services.push_back(s);
  return c;
}

// Stands in for the node: "published" names are known and need no lookup again.
struct FakeNode {
  std::set<std::string> known;
  std::vector<std::string> builds;  // config source, and what the lookup gave for each name
  std::shared_ptr<const config::Config> running = config_with("running", {{"127.0.0.1", 9001}});

  RouteBuilds::Hooks hooks() {
    RouteBuilds::Hooks h;
    h.names_to_resolve = [this](const config::Config& c) {
      std::vector<config::Endpoint> out;
      for (const auto& e : c.services[0].endpoints)
        if (!net::numeric_address(e.host, e.port) && !known.contains(e.to_string()))
          out.push_back(e);
      return out;
    };
    h.build_and_publish = [this](const config::Config& c, const RouteTable::AddressLookup& lookup) {
      std::string line = c.source;
      for (const auto& e : c.services[0].endpoints) {
        if (net::numeric_address(e.host, e.port)) continue;
        if (known.contains(e.to_string())) continue;
        auto a = lookup(e);
        if (!a) return Result<void>(std::unexpected(a.error()));
        line += " " + e.to_string() + "=" + a->to_string();
        known.insert(e.to_string());
      }
      builds.push_back(line);
      return Result<void>{};
    };
    h.running_config = [this] { return running; };
    return h;
  }
};

TEST(RouteBuilds, WithoutNamesTheBuildRunsAtOnce) {
  net::EventLoop loop;
  auto gate = std::make_shared<Gate>();  // closed: a lookup would never come back
  net::Resolver resolver(loop, gated(gate));
  FakeNode node;
  RouteBuilds builds(loop, resolver, node.hooks());
  bool done = false;
  builds.request(config_with("reload", {{"127.0.0.1", 9002}}), [&](const Result<void>& r) {
    EXPECT_TRUE(r.has_value());
    done = true;
  });
  EXPECT_TRUE(done);
  EXPECT_EQ(node.builds, (std::vector<std::string>{"reload"}));
  EXPECT_EQ(builds.waiting(), 0u);
  gate->release();
}

// The reload names a new host: it waits for the lookup while the loop runs other work (the
// timer below fires before the build), then builds with the address found. The release change
// asked meanwhile is built after it, from the running config, and two of them share one build.
TEST(RouteBuilds, NamesAreLookedUpFirstAndLaterBuildsWaitTheirTurn) {
  net::EventLoop loop;
  auto gate = std::make_shared<Gate>();
  net::Resolver resolver(loop, gated(gate));
  FakeNode node;
  RouteBuilds builds(loop, resolver, node.hooks());
  std::vector<std::string> events;
  loop.post([&] {
    builds.request(config_with("reload", {{"127.0.0.1", 9001}, {"api-1.test", 80}}),
                   [&](const Result<void>& r) {
                     EXPECT_TRUE(r.has_value()) << r.error().detail;
                     events.push_back("reload done");
                   });
    builds.request(nullptr, [&](const Result<void>& r) {
      EXPECT_TRUE(r.has_value());
      events.push_back("routing done");
    });
    builds.request(nullptr, [&](const Result<void>& r) {
      EXPECT_TRUE(r.has_value());
      events.push_back("routing done (shared)");
      loop.stop();
    });
    EXPECT_TRUE(events.empty());
    EXPECT_EQ(builds.waiting(), 2u);
    loop.add_timer(1, [&] {
      events.push_back("loop turned");
      gate->release();
    });
  });
  run_until_stopped(loop);
  EXPECT_EQ(events, (std::vector<std::string>{"loop turned", "reload done", "routing done",
                                              "routing done (shared)"}));
  EXPECT_EQ(node.builds, (std::vector<std::string>{"reload api-1.test:80=10.0.0.7:80", "running"}));
}

TEST(RouteBuilds, AFailedLookupFailsItsBuildOnly) {
  net::EventLoop loop;
  auto gate = std::make_shared<Gate>();
  gate->release();
  net::Resolver resolver(loop, gated(gate));
  FakeNode node;
  RouteBuilds builds(loop, resolver, node.hooks());
  std::vector<std::string> events;
  loop.post([&] {
    builds.request(config_with("bad", {{"fails.test", 80}, {"api-1.test", 80}}),
                   [&](const Result<void>& r) {
                     ASSERT_FALSE(r.has_value());
                     EXPECT_EQ(r.error().code, Errc::kResolveFailed);
                     events.push_back("bad refused");
                   });
    builds.request(config_with("good", {{"api-1.test", 80}}), [&](const Result<void>& r) {
      EXPECT_TRUE(r.has_value());
      events.push_back("good done");
      loop.stop();
    });
  });
  run_until_stopped(loop);
  EXPECT_EQ(events, (std::vector<std::string>{"bad refused", "good done"}));
  EXPECT_EQ(node.builds, (std::vector<std::string>{"good api-1.test:80=10.0.0.7:80"}));
}

TEST(RouteBuilds, ALookupPastItsDeadlineFailsTheBuild) {
  net::EventLoop loop;
  auto gate = std::make_shared<Gate>();
  net::Resolver resolver(loop, gated(gate));
  FakeNode node;
  RouteBuilds builds(loop, resolver, node.hooks());
  auto slow = std::make_shared<config::Config>(*config_with("slow", {{"slow.test", 80}}));
  slow->api_gateway.resolve_timeout_ms = 20;
  Result<void> outcome;
  loop.post([&] {
    builds.request(slow, [&](const Result<void>& r) {
      outcome = r;
      gate->release();
      loop.stop();
    });
  });
  run_until_stopped(loop);
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, Errc::kTimedOut);
  EXPECT_TRUE(node.builds.empty());
}

}  // namespace
}  // namespace x0::gateway
