# Node lifecycle: SIGHUP reload (a valid new config takes effect, an invalid one is refused with
# an ERROR line and the old one keeps running) and SIGTERM drain (in-flight requests finish,
# new connections are refused, exit code 0).
import signal
import threading
import unittest

from harness import IntegrationTest, port_open, request, service, wait_until


class ReloadTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.a = self.start_origin(name="alpha")
        self.b = self.start_origin(name="beta")
        self.services = [service("svc-a", [self.a.endpoint()], path_prefixes=["/a"])]
        self.node = self.start_node(self.services)

    def test_valid_config_takes_effect_on_sighup(self):
        self.assertEqual(self.node.get("/a/x").header("X-Origin"), "alpha")
        r = self.node.get("/b/x")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["error"], "no_route")
        self.node.write_config(self.services + [service("svc-b", [self.b.endpoint()],
                                                        path_prefixes=["/b"])])
        self.node.signal(signal.SIGHUP)
        wait_until(lambda: self.node.get("/b/x").status == 200, 5, message="new route /b")
        self.assertEqual(self.node.get("/b/x").header("X-Origin"), "beta")
        self.assertEqual(self.node.get("/a/x").header("X-Origin"), "alpha", "old route kept")
        self.assertEqual(self.node.metric_value("config_reloads_total", result="ok"), 1)
        self.assertIn("svc-b", self.node.health()["dependencies"])
        self.assertIn("INFO CONFIG reloaded", self.node.log())

    def test_invalid_config_is_refused_and_old_one_keeps_running(self):
        with open(self.node.config_path, "a") as f:
            f.write("\n[cache]\nbogus_key = 3\n")
        self.node.signal(signal.SIGHUP)
        wait_until(lambda: self.node.metric_value("config_reloads_total", result="failed") == 1, 5,
                   message="failed reload counted")
        error_lines = [l for l in self.node.log().splitlines() if " ERROR " in l]
        self.assertEqual(len(error_lines), 1, self.node.log())
        self.assertIn("bogus_key", error_lines[0])
        self.assertIn("node.toml:", error_lines[0], "names the file and line")
        self.assertTrue(self.node.alive())
        self.assertEqual(self.node.get("/a/x").status, 200, "old config keeps serving")
        self.assertEqual(self.node.metric_value("config_reloads_total", result="ok"), 0)
        # A later valid reload still works.
        self.node.write_config(self.services + [service("svc-b", [self.b.endpoint()],
                                                        path_prefixes=["/b"])])
        self.node.signal(signal.SIGHUP)
        wait_until(lambda: self.node.get("/b/x").status == 200, 5, message="new route /b")

    def test_bad_routes_are_refused_too(self):
        # Parses, but two services with the same name cannot be built into a route table.
        dup = service("svc-a", [self.b.endpoint()], path_prefixes=["/b"])
        self.node.write_config(self.services + [dup])
        self.node.signal(signal.SIGHUP)
        wait_until(lambda: self.node.metric_value("config_reloads_total", result="failed") == 1, 5,
                   message="failed reload counted")
        self.assertIn(" ERROR ", self.node.log())
        self.assertEqual(self.node.get("/a/x").header("X-Origin"), "alpha")
        self.assertEqual(self.node.get("/b/x").status, 404)


    def test_endpoint_names_are_looked_up_for_a_reload(self):
        # The control thread hands "localhost" to its resolver thread and builds the table when
        # the address is back; a name that does not resolve refuses the reload like bad routes.
        self.node.write_config(self.services + [service("svc-b", [f"localhost:{self.b.port}"],
                                                        path_prefixes=["/b"])])
        self.node.signal(signal.SIGHUP)
        wait_until(lambda: self.node.get("/b/x").status == 200, 5, message="new route /b by name")
        self.assertEqual(self.node.get("/b/x").header("X-Origin"), "beta")
        self.assertEqual(self.node.metric_value("config_reloads_total", result="ok"), 1)
        self.node.write_config(self.services + [service("svc-b", ["no-such-host.invalid:80"],
                                                        path_prefixes=["/b"])])
        self.node.signal(signal.SIGHUP)
        wait_until(lambda: self.node.metric_value("config_reloads_total", result="failed") == 1, 10,
                   message="failed reload counted")
        refused = [l for l in self.node.log().splitlines() if "reload refused" in l]
        self.assertEqual(len(refused), 1, self.node.log())
        self.assertIn("no-such-host.invalid", refused[0])
        self.assertEqual(self.node.get("/b/x").header("X-Origin"), "beta", "old config kept")


class DrainTest(IntegrationTest):
    def test_sigterm_finishes_in_flight_and_refuses_new_connections(self):
        origin = self.start_origin(name="slow")
        node = self.start_node([service("app", [origin.endpoint()])],
                               api_gateway={"drain_timeout_ms": 10000})
        idle = self.raw(node.data_port)
        idle.send(b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
        self.assertEqual(idle.read_response().status, 200)
        origin.fault(latency_ms=2500)  # long enough to watch the drain from outside
        result = {}

        def slow_request():
            try:
                result["response"] = request(node.data_port, "GET", "/slow", timeout=10)
            except Exception as e:  # reported by the assertion below
                result["error"] = e
        t = threading.Thread(target=slow_request)
        t.start()
        wait_until(lambda: node.metric_value("queue_depth") >= 1, 3, message="request in flight")
        node.signal(signal.SIGTERM)
        wait_until(lambda: not port_open(node.data_port), 3, message="listener closed")
        self.assertTrue(t.is_alive(), "the slow request should still be in flight")
        self.assertTrue(node.alive(), "node must wait for the in-flight request")
        self.assertTrue(idle.closed_by_peer(2), "idle keep-alive connection closed at drain start")
        t.join(10)
        self.assertNotIn("error", result, result.get("error"))
        self.assertEqual(result["response"].status, 200)
        self.assertEqual(result["response"].header("X-Origin"), "slow")
        self.assertEqual(node.wait(10), 0)
        self.assertIn("draining", node.log())
        self.assertNotIn(" ERROR ", node.log())

    def test_response_in_flight_at_drain_announces_the_close(self):
        origin = self.start_origin(name="slow")
        node = self.start_node([service("app", [origin.endpoint()])])
        origin.fault(latency_ms=800)
        c = self.raw(node.data_port, timeout=10)
        c.send(b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
        wait_until(lambda: node.metric_value("queue_depth") >= 1, 3, message="request in flight")
        node.signal(signal.SIGTERM)
        r = c.read_response()
        self.assertEqual(r.status, 200)
        # RFC 9112 9.6: a server about to close after this response says so.
        self.assertEqual((r.header("Connection") or "").lower(), "close")
        self.assertTrue(c.closed_by_peer())
        self.assertEqual(node.wait(10), 0)

    def test_sigterm_on_idle_node_exits_0(self):
        origin = self.start_origin()
        node = self.start_node([service("app", [origin.endpoint()])])
        node.signal(signal.SIGTERM)
        self.assertEqual(node.wait(5), 0)
        self.assertFalse(port_open(node.data_port))


if __name__ == "__main__":
    unittest.main()
