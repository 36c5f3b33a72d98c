// The mesh hop fields: what a receiving node accepts from a peer, and what it writes on.
#include "gateway/mesh_forwarding.h"

#include <gtest/gtest.h>

#include <string>

namespace x0::gateway {
namespace {

http::HeaderList headers(std::initializer_list<std::pair<const char*, const char*>> fields) {
  http::HeaderList list;
  for (const auto& [name, value] : fields) list.items[list.count++] = {name, value};
  return list;
}

std::string error_of(const Result<MeshHop>& hop) { return hop ? "" : hop.error().detail; }

TEST(MeshForwarding, ForwardPathsSplitIntoServiceAndPath) {
  auto t = parse_forward_path("/mesh/v1/forward/shop/a/b");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->service, "shop");
  EXPECT_EQ(t->path, "/a/b");
  t = parse_forward_path("/mesh/v1/forward/shop");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/");
  for (const char* bad : {"/mesh/v1/forward/", "/mesh/v1/forward//x", "/mesh/v1/forward/Shop/x",
                          "/mesh/v1/forward/a.b/x", "/mesh/v1/ping", "/shop/x"})
    EXPECT_FALSE(parse_forward_path(bad)) << bad;
  EXPECT_FALSE(parse_forward_path("/mesh/v1/forward/" + std::string(65, 'a')));
  std::string out;
  forward_path("shop", "/a/b", out);
  EXPECT_EQ(out, "/mesh/v1/forward/shop/a/b");
}

TEST(MeshForwarding, HopFieldsAreCheckedStrictly) {
  auto ok = read_mesh_hop(headers({{"X-X0-Mesh-Hops", "2"}, {"x-x0-mesh-via", "node-a,node.b"}}));
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_EQ(ok->hops, 2);
  EXPECT_TRUE(via_contains(ok->via, "node-a"));
  EXPECT_TRUE(via_contains(ok->via, "node.b"));
  EXPECT_FALSE(via_contains(ok->via, "node"));
  EXPECT_NE(error_of(read_mesh_hop(headers({{"X-X0-Mesh-Via", "a"}}))).find("one X-X0-Mesh-Hops"),
            std::string::npos);
  EXPECT_NE(error_of(read_mesh_hop(headers({{"X-X0-Mesh-Hops", "1"}, {"X-X0-Mesh-Hops", "1"},
                                            {"X-X0-Mesh-Via", "a"}})))
                .find("one X-X0-Mesh-Hops"),
            std::string::npos);
  for (const char* hops : {"0", "3", "10", "", "1 "})
    EXPECT_NE(error_of(read_mesh_hop(headers({{"X-X0-Mesh-Hops", hops}, {"X-X0-Mesh-Via", "a"}})))
                  .find("must be 1..2"),
              std::string::npos)
        << hops;
  EXPECT_NE(error_of(read_mesh_hop(headers({{"X-X0-Mesh-Hops", "2"}, {"X-X0-Mesh-Via", "a"}})))
                .find("another number of nodes"),
            std::string::npos);
  for (const char* via : {"a,", ",a", "a,,b"})
    EXPECT_NE(error_of(read_mesh_hop(headers({{"X-X0-Mesh-Hops", "2"}, {"X-X0-Mesh-Via", via}})))
                  .find("empty node id"),
              std::string::npos)
        << via;
  EXPECT_NE(error_of(read_mesh_hop(headers({{"X-X0-Mesh-Hops", "1"}, {"X-X0-Mesh-Via", "a b"}})))
                .find("no node id has"),
            std::string::npos);
}

TEST(MeshForwarding, TheNextHopAddsOneHopAndItselfAndItsBudget) {
  std::string lines;
  append_mesh_hop(0, "", "node-a", 30000, lines);
  EXPECT_EQ(lines, "X-X0-Mesh-Hops: 1\r\nX-X0-Mesh-Via: node-a\r\nX-X0-Mesh-Budget-Ms: 30000\r\n");
  lines.clear();
  append_mesh_hop(1, "node-a", "node-c", 900, lines);
  EXPECT_EQ(lines,
            "X-X0-Mesh-Hops: 2\r\nX-X0-Mesh-Via: node-a,node-c\r\nX-X0-Mesh-Budget-Ms: 900\r\n");
}

TEST(MeshForwarding, TheBudgetIsOptionalBoundedAndOne) {
  auto hop = [](std::initializer_list<std::pair<const char*, const char*>> extra) {
    http::HeaderList list = headers({{"X-X0-Mesh-Hops", "1"}, {"X-X0-Mesh-Via", "a"}});
    for (const auto& [name, value] : extra) list.items[list.count++] = {name, value};
    return read_mesh_hop(list);
  };
  ASSERT_TRUE(hop({}));
  EXPECT_EQ(hop({})->budget_ms, 0);  // an older node: the route timeouts alone
  ASSERT_TRUE(hop({{"X-X0-Mesh-Budget-Ms", "1500"}}));
  EXPECT_EQ(hop({{"X-X0-Mesh-Budget-Ms", "1500"}})->budget_ms, 1500);
  EXPECT_TRUE(hop({{"X-X0-Mesh-Budget-Ms", "3600000"}}));
  for (const char* bad : {"0", "", "-1", "1e3", "3600001", "99999999999999999999", " 5", "5 "})
    EXPECT_NE(error_of(hop({{"X-X0-Mesh-Budget-Ms", bad}})).find("X-X0-Mesh-Budget-Ms must be"),
              std::string::npos)
        << bad;
  EXPECT_NE(error_of(hop({{"X-X0-Mesh-Budget-Ms", "5"}, {"X-X0-Mesh-Budget-Ms", "5"}}))
                .find("more than one"),
            std::string::npos);
}

TEST(MeshForwarding, TheReceiverKeepsAMarginForTheAnswersWayBack) {
  EXPECT_EQ(hop_deadline_ms(30000), 29900);  // at most 100 ms
  EXPECT_EQ(hop_deadline_ms(500), 450);      // a tenth
  EXPECT_EQ(hop_deadline_ms(1), 1);          // never 0: the request is still tried
}

}  // namespace
}  // namespace x0::gateway
