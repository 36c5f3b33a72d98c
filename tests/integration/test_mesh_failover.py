# Services across hosts: a `mesh_failover` service whose local endpoints die on one node is served
# through a peer where it is healthy, over the post-quantum mesh link, with no failed client
# request once the node has switched; it comes back local when its endpoints recover. With the
# direct link cut, the request is relayed through a third node. A client cannot steer any of it
# with the mesh's own hop fields. (Its nodes use 127.0.0.6x and 7x, apart from test_mesh.py's:
# ctest may run the two side by side, and the relay test's iptables rules name addresses.)
import os
import threading
import time

from harness import request, service, wait_until
from test_mesh import DETECTION_WAIT_S, MeshFixture, iptables, loopback_chain


class Traffic:
    """GETs from a few threads; each kept as (time it was sent, status, X-Origin)."""

    def __init__(self, port, threads=3, path="/x"):
        self.port, self.path = port, path
        self.answers, self.lock, self.stop = [], threading.Lock(), threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def run(self):
        while not self.stop.is_set():
            sent = time.monotonic()  # a request sent before a switch may be answered after it
            try:
                r = request(self.port, "GET", self.path, timeout=5)
                answer = (sent, r.status, r.header("X-Origin"))
            except OSError as e:
                answer = (sent, 0, str(e))
            with self.lock:
                self.answers.append(answer)

    def since(self, t):
        with self.lock:
            return [a for a in self.answers if a[0] >= t]

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(10)


class MeshFailoverTest(MeshFixture):
    def shop(self, origin_endpoint, **keys):
        return service("shop", [origin_endpoint], mesh_failover=True, **keys)

    def route(self, node):
        routes = node.get("/mesh/routes").json()["routes"]
        return next(r for r in routes if r["service"] == "shop")

    def test_dead_local_endpoints_are_served_through_a_peer_and_come_back_local(self):
        origin_a = self.start_origin(name="origin-a")
        origin_b = self.start_origin(name="origin-b")
        a, a_addr = self.mesh_node(62, services=[self.shop(origin_a.endpoint())])
        b, _ = self.mesh_node(63, seeds=[a_addr], services=[self.shop(origin_b.endpoint())])
        self.wait_states(a, {"node-63": "up"})
        # a learns that b serves shop and takes its forwarded requests.
        wait_until(lambda: self.route(a)["next_hop"], DETECTION_WAIT_S,
                   message="b as shop's next hop on a")
        route = self.route(a)
        self.assertEqual((route["serving"], route["local_healthy_endpoints"]), ("local", 1))
        self.assertEqual((route["next_hop"]["peer"], route["next_hop"]["via"]),
                         ("node-63", "direct"))
        self.assertEqual(a.get("/x").header("X-Origin"), "origin-a")

        traffic = Traffic(a.data_port)
        wait_until(lambda: len(traffic.answers) > 20, message="traffic on a")
        origin_a.kill()
        wait_until(lambda: self.route(a)["serving"] == "mesh", DETECTION_WAIT_S,
                   message="a to serve shop through b")
        switched = time.monotonic()
        wait_until(lambda: len(traffic.since(switched)) > 100, 20, message="traffic after the switch")
        after = traffic.since(switched)
        failed = [x for x in after if x[1] != 200]
        self.assertEqual(failed, [], f"{len(failed)} of {len(after)} requests failed after the switch")
        self.assertEqual({x[2] for x in after}, {"origin-b"})
        self.assertEqual(self.route(a)["next_hop"]["peer"], "node-63")
        # Degraded, not down: /health says so, the node stays ready, and the on-call engineer
        # gets a SEV-3 rather than the SEV-1 of a service that is down.
        shop = a.health()["dependencies"]["shop"]
        self.assertEqual((shop["status"], shop["served_remotely"]), ("degraded", True))
        self.assertEqual(request(a.health_port, "GET", "/health/ready").status, 200)
        remote = wait_until(lambda: self.incident(a, "service_served_remotely"),
                            message="the SEV-3 on a")
        self.assertEqual(remote["severity"], "SEV-3")
        self.assertIsNone(self.incident(a, "service_down"))
        # Counted on both nodes, by service, peer and direction.
        self.assertGreaterEqual(a.metric_value("mesh_forwarded_requests_total", service="shop",
                                               peer="node-63", direction="out"), len(after))
        self.assertGreaterEqual(b.metric_value("mesh_forwarded_requests_total", service="shop",
                                               peer="node-62", direction="in"), len(after))

        # The origin comes back: a's health check sees it, and a serves shop itself again.
        self.start_origin(name="origin-a", port=origin_a.port)
        wait_until(lambda: self.route(a)["serving"] == "local", DETECTION_WAIT_S,
                   message="shop local again on a")
        back = time.monotonic()
        wait_until(lambda: len(traffic.since(back)) > 30, 20, message="traffic after the return")
        traffic.finish()
        self.assertEqual({x[2] for x in traffic.since(back)}, {"origin-a"})
        wait_until(lambda: self.incident(a, "service_served_remotely")["status"] == "mitigated",
                   message="the SEV-3 mitigated once shop is local again", timeout=25)
        self.assertEqual([x for x in traffic.since(back) if x[1] != 200], [])

    def test_a_client_cannot_steer_a_request_with_the_mesh_hop_fields(self):
        origin_b = self.start_origin(name="origin-b")
        dead = self.start_origin(name="dead")
        dead.kill()
        a, a_addr = self.mesh_node(64, services=[self.shop(dead.endpoint())])
        self.mesh_node(65, seeds=[a_addr], services=[self.shop(origin_b.endpoint())])
        wait_until(lambda: self.route(a)["serving"] == "mesh", DETECTION_WAIT_S,
                   message="a to serve shop through b")
        # Hop fields naming the peer (as if the request had been there) or too many hops are a
        # client's: dropped, so the request goes through b as any other.
        for headers in ({"X-X0-Mesh-Via": "node-65", "X-X0-Mesh-Hops": "1"},
                        {"X-X0-Mesh-Hops": "9"}, {"X-X0-Mesh-Budget-Ms": "1"}):
            r = request(a.data_port, "GET", "/y", headers=headers)
            self.assertEqual((r.status, r.header("X-Origin")), (200, "origin-b"), headers)
        self.assertEqual(origin_b.count("/y"), 3)

    def test_a_peer_serves_only_what_its_own_routes_send_to_the_service(self):
        # b routes shop for /public only: a forwarded /internal (which a's own shop route takes)
        # is refused there, not handed to b's origin; b's refusal says it served nothing, so a
        # goes on to its own fallback instead of answering its client with b's 404.
        origin_b = self.start_origin(name="origin-b")
        fallback = self.start_origin(name="fallback-a")
        dead = self.start_origin(name="dead")
        dead.kill()
        a, a_addr = self.mesh_node(66, services=[self.shop(dead.endpoint(),
                                                           fallback=[fallback.endpoint()])])
        self.mesh_node(67, seeds=[a_addr],
                       services=[self.shop(origin_b.endpoint(), path_prefixes=["/public"])])
        wait_until(lambda: self.route(a)["serving"] == "mesh", DETECTION_WAIT_S,
                   message="a to serve shop through b")
        r = request(a.data_port, "GET", "/public/x")
        self.assertEqual((r.status, r.header("X-Origin")), (200, "origin-b"))
        r = request(a.data_port, "GET", "/internal")
        self.assertEqual((r.status, r.header("X-Origin")), (200, "fallback-a"), r.text())
        self.assertIsNone(r.header("X-X0-Mesh-Unserved"))  # the mesh's field, never a client's
        self.assertEqual(origin_b.count("/internal"), 0)

    def test_a_peer_gives_up_within_the_time_the_sender_waits(self):
        # a waits 1 s for shop; b's own route would wait 10 s for its origin, which takes 3 s.
        # b is told a's budget (X-X0-Mesh-Budget-Ms) and answers 504 before a stops listening,
        # instead of holding its origin's connection for an answer no one will read.
        slow = self.start_origin(name="slow-b", latency_ms=3000)
        dead = self.start_origin(name="dead")
        dead.kill()
        a, a_addr = self.mesh_node(68, services=[self.shop(dead.endpoint(),
                                                           request_timeout_ms=1000)])
        b, _ = self.mesh_node(69, seeds=[a_addr],
                              services=[self.shop(slow.endpoint(), request_timeout_ms=10000)])
        wait_until(lambda: self.route(a)["serving"] == "mesh", DETECTION_WAIT_S,
                   message="a to serve shop through b")
        r = request(a.data_port, "GET", "/slow", timeout=10)
        self.assertEqual(r.status, 504, r.text())
        self.assertIn("budget of the mesh peer", r.text())  # b's answer, not a's own timeout
        wait_until(lambda: "budget of the mesh peer" in b.log(), 5,
                   message="b's attempt cut at a's budget")

    def test_with_the_direct_link_cut_requests_are_relayed_through_a_third_node(self):
        origin_b = self.start_origin(name="origin-b")
        dead = self.start_origin(name="dead")
        dead.kill()
        a, a_addr = self.mesh_node(72, services=[self.shop(dead.endpoint())])
        b, _ = self.mesh_node(73, seeds=[a_addr], services=[self.shop(origin_b.endpoint())])
        c, _ = self.mesh_node(74, seeds=[a_addr], services=[self.shop(dead.endpoint())])
        for node, others in ((a, ["node-73", "node-74"]), (c, ["node-72", "node-73"])):
            self.wait_states(node, {o: "up" for o in others})
        wait_until(lambda: self.route(a)["serving"] == "mesh", DETECTION_WAIT_S,
                   message="a to serve shop through b")
        chain = loopback_chain(self, f"X0RELAY{os.getpid()}")  # per run: checkouts side by side
        for x, y in ((72, 73), (73, 72)):
            rule = ["-s", f"127.0.0.{x}", "-d", f"127.0.0.{y}", "-j", "DROP"]
            self.assertEqual(iptables("-A", chain, *rule).returncode, 0)
        # a's own probes of b fail; c still reaches b, so b stays a member and c relays.
        wait_until(lambda: (self.route(a)["next_hop"] or {}).get("via") == "relay",
                   DETECTION_WAIT_S, message="c as the relay on a")
        self.assertEqual(self.route(a)["next_hop"]["peer"], "node-74")
        table = self.run_cli("mesh", "routes", "--node", f"http://127.0.0.1:{a.data_port}")
        self.assertEqual(table.returncode, 0, table.stdout + table.stderr)
        lines = table.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["SERVICE", "SERVING", "LOCAL_UP", "NEXT_HOP", "ALTERNATIVES"])
        self.assertEqual(lines[1].split()[:5], ["shop", "mesh", "0", "node-74", "(relay)"])
        for _ in range(5):
            r = request(a.data_port, "GET", "/r")
            self.assertEqual((r.status, r.header("X-Origin")), (200, "origin-b"), r.text())
        self.assertGreaterEqual(c.metric_value("mesh_forwarded_requests_total", service="shop",
                                               peer="node-72", direction="in"), 5)
        self.assertGreaterEqual(c.metric_value("mesh_forwarded_requests_total", service="shop",
                                               peer="node-73", direction="out"), 5)
        self.assertGreaterEqual(b.metric_value("mesh_forwarded_requests_total", service="shop",
                                               peer="node-74", direction="in"), 5)

    def test_failover_without_a_mesh_is_said_at_start(self):
        origin = self.start_origin()
        node = self.start_node(services=[self.shop(origin.endpoint())])
        wait_until(lambda: "WARN MESH mesh_failover = true but [mesh] enabled = false" in node.log(),
                   message="the warning")
        self.assertEqual(node.get("/x").status, 200)  # served locally as ever
