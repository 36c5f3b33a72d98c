# Which paths of the data port the node keeps for its operator API (exactly the endpoints of SPEC
# section 2, src/gateway/reserved_paths.h) and which reach the service behind it, and the
# operator API moved to a listener of its own ([listeners] operator, docs/CONFIG.md).
import json
import os
import unittest

from harness import IntegrationTest, free_port, request, service

# Paths that only start like an operator endpoint: a site's own, routed to the service on "/".
SITE_PATHS = [
    ("GET", "/api/v1/users"), ("GET", "/api/v1/status/x"), ("GET", "/api/v2/status"),
    ("GET", "/releases/2024"), ("POST", "/releases/2024/start"), ("GET", "/releases/app/history"),
    ("GET", "/releasesfoo"), ("GET", "/incidentsfoo"), ("GET", "/incidents/42"),
    ("GET", "/incidents/INC-20261124-0001/comments"), ("GET", "/metrics/x"), ("GET", "/metricsx"),
    ("GET", "/healthz"), ("GET", "/health/nope"), ("GET", "/security/login"),
    ("GET", "/mesh/other"), ("POST", "/admin/users"), ("GET", "/admin/cache"),
    ("POST", "/admin/cache/dump"), ("POST", "/alerts/other"),
]


class ReservedPathsTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.origin = self.start_origin(name="site")
        self.node = self.start_node([service("app", [self.origin.endpoint()], cache=False)])

    def call(self, method, path, port=None, body=None):
        data = json.dumps(body).encode() if body is not None else None
        return request(port or self.node.data_port, method, path, body=data,
                       headers={"Content-Type": "application/json"} if data else None)

    def assert_from_origin(self, method, path, port=None):
        before = self.origin.count(path)
        r = self.call(method, path, port)
        self.assertEqual(r.status, 200, f"{method} {path}: {r.status} {r.body[:200]!r}")
        self.assertEqual(r.header("X-Origin"), "site", f"{method} {path} did not reach the service")
        self.assertEqual(self.origin.count(path), before + 1, f"{method} {path}")

    def assert_from_node(self, method, path, body=None, port=None):
        before = self.origin.count(path)
        r = self.call(method, path, port, body)
        self.assertIsNone(r.header("X-Origin"), f"{method} {path} reached the service")
        self.assertNotEqual(r.status, 502, f"{method} {path}")
        ctype = r.header("Content-Type", "")
        self.assertTrue(ctype.startswith(("application/json", "text/plain", "text/markdown")),
                        f"{method} {path}: {ctype}")
        if path != "/health":  # the node's health checks of the origin count there
            self.assertEqual(self.origin.count(path), before, f"{method} {path}")
        return r

    def test_paths_that_only_start_like_operator_endpoints_reach_the_service(self):
        for method, path in SITE_PATHS:
            with self.subTest(f"{method} {path}"):
                self.assert_from_origin(method, path)

    def test_every_spec_endpoint_still_answers_from_the_node(self):
        node = self.assert_from_node
        for path in ("/health", "/health/live", "/health/ready", "/health/startup", "/metrics",
                     "/api/v1/status", "/security/pqc/status", "/mesh/peers", "/mesh/status",
                     "/incidents", "/releases"):
            with self.subTest(path):
                self.assertEqual(node("GET", path).status, 200)
        self.assertEqual(node("GET", "/health").json()["node_id"], "node")
        for action in ("clear", "verify", "snapshot", "restore", "warm"):
            with self.subTest(action):
                node("POST", f"/admin/cache/{action}")
        self.assertEqual(node("POST", "/admin/cache/clear").json().get("error"), None)
        node("POST", "/admin/data/verify")
        node("POST", "/alerts/alertmanager", {"nope": 1})
        # A release path is the node's for a configured service: no release running is its 404.
        r = node("GET", "/releases/app")
        self.assertEqual((r.status, r.json()["error"]), (404, "not_found"))
        for verb in ("promote", "rollback", "pause", "resume", "abort"):
            with self.subTest(verb):
                self.assertIn(node("POST", f"/releases/app/{verb}").status, (404, 409))
        self.assertEqual(node("POST", "/releases/app/start", {}).status, 400)
        # Incidents by id, and their sub-resources.
        r = node("POST", "/incidents", {"title": "drill", "severity": "SEV-3", "services": ["app"]})
        self.assertEqual(r.status, 201, r.text())
        iid = r.json()["id"]
        self.assertEqual(node("GET", f"/incidents/{iid}").json()["title"], "drill")
        self.assertIn("drill", node("GET", f"/incidents/{iid}/report").text())
        self.assertEqual(node("POST", f"/incidents/{iid}/ack", {"text": "on it"}).status, 200)
        self.assertEqual(node("POST", f"/incidents/{iid}/update", {"text": "looking"}).status, 200)
        self.assertEqual(node("POST", f"/incidents/{iid}/resolve",
                              {"root_cause": "drill", "resolution": "none needed"}).status, 200)
        self.assertEqual(node("GET", "/incidents/INC-19990101-0001").status, 404)

    def test_unknown_paths_are_still_404_on_the_probe_listeners(self):
        for port, path in ((self.node.health_port, "/api/v1/users"),
                           (self.node.health_port, "/releases"),
                           (self.node.metrics_port, "/health")):
            with self.subTest(f":{port}{path}"):
                r = request(port, "GET", path)
                self.assertEqual((r.status, r.json()["error"]), (404, "not_found"))


class OperatorListenerTest(IntegrationTest):
    """[listeners] operator set: the operator API answers there, the data port routes everything."""

    def setUp(self):
        super().setUp()
        self.origin = self.start_origin(name="site")
        self.operator_port = free_port()
        self.node = self.start_node([service("app", [self.origin.endpoint()], cache=False)],
                                    listeners={"operator": f"127.0.0.1:{self.operator_port}"})

    def test_data_port_routes_the_operator_paths_to_the_service(self):
        for method, path in [("GET", "/metrics"), ("GET", "/api/v1/status"), ("GET", "/releases"),
                             ("GET", "/incidents"), ("POST", "/admin/cache/clear"),
                             ("GET", "/mesh/status"), ("GET", "/health/live"), ("GET", "/api/v1/users")]:
            with self.subTest(f"{method} {path}"):
                before = self.origin.count(path)
                r = request(self.node.data_port, method, path)
                self.assertEqual((r.status, r.header("X-Origin")), (200, "site"), r.text())
                self.assertEqual(self.origin.count(path), before + 1)
        # The origin's own /health, not the node's JSON.
        r = request(self.node.data_port, "GET", "/health")
        self.assertEqual((r.status, r.header("X-Origin"), r.body), (200, "site", b"ok\n"))

    def test_operator_port_answers_the_whole_operator_api(self):
        port = self.operator_port
        r = request(port, "GET", "/health")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["node_id"], "node")
        self.assertIn("memory_usage_bytes", request(port, "GET", "/metrics").text())
        self.assertEqual(request(port, "GET", "/api/v1/status").status, 200)
        self.assertEqual(request(port, "GET", "/releases").status, 200)
        self.assertEqual(request(port, "GET", "/incidents").status, 200)
        self.assertEqual(request(port, "POST", "/admin/cache/clear").status, 200)
        # Nothing of the services here; unknown paths and unknown services are the API's 404s.
        r = request(port, "GET", "/api/v1/users")
        self.assertEqual((r.status, r.json()["error"]), (404, "not_found"))
        self.assertIsNone(r.header("X-Origin"))
        r = request(port, "GET", "/releases/2024")
        self.assertEqual((r.status, r.json()["error"]), (404, "not_found"))
        # The health listener keeps its probes.
        self.assertEqual(request(self.node.health_port, "GET", "/health/ready").status, 200)
        self.assertEqual(self.origin.count("/api/v1/users"), 0)
        self.assertIn(f"operator=127.0.0.1:{port}", self.node.log())
        self.assertIn('listener="operator"', request(port, "GET", "/metrics").text())

    def test_cli_reaches_the_operator_listener(self):
        p = self.run_cli("release", "list", "--node", f"http://127.0.0.1:{self.operator_port}")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("releases", p.stdout)

    def test_operator_listener_on_another_listeners_address_is_refused(self):
        path = os.path.join(self.workdir, "clash.toml")
        with open(path, "w") as f:
            f.write('[listeners]\ndata = "127.0.0.1:18080"\noperator = "127.0.0.1:18080"\n')
        p = self.run_cli("check-config", path)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("[listeners] operator: same address as listeners.data", p.stderr)


if __name__ == "__main__":
    unittest.main()
