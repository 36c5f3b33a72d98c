# Every `curl localhost...` command of the runbooks (../shared/seeds/*.txt) that this version
# covers, run as written (curl, jq, grep through sh) against a node on its DEFAULT config: no
# --config, listeners 127.0.0.1:8080/8081/9090, the demo service routed to origins on 9001/9002.
import json
import shutil
import subprocess
import unittest

from harness import IntegrationTest, port_open, request

DEFAULT_PORTS = (8080, 8081, 9090, 9001, 9002)
METRIC_WORDS = ["error", "errors_total", "error_rate", "latency", "request_duration",
                "response_time", "http_requests_total", "requests_per_second", "qps", "pqc",
                "pqc_handshake", "memory_usage", "queue_depth", "connection_pool", "dpdk_port", "lock",
                "cache_hit", "cache_hit_rate", "cache_evictions", "cache_warming"]
COMPONENTS = {"memory", "cpu", "disk", "network", "dpdk", "gpu"}


class DefaultConfigTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.hold_default_ports()  # first: another test of this run may hold them right now
        busy = [p for p in DEFAULT_PORTS if port_open(p)]
        if busy:
            self.fail(f"default ports {busy} are in use by another process; these tests need "
                      f"127.0.0.1:{DEFAULT_PORTS} free")
        self.start_origin(port=9001)
        self.start_origin(port=9002)

    def node(self, env=None):
        return self.start_node(None, env=env, name="default-node")

    def sh(self, command):
        """Runs a runbook command line through sh; returns stdout (asserts exit 0)."""
        for tool in ("curl", "jq"):
            if tool in command and shutil.which(tool) is None:
                self.skipTest(f"{tool} not installed")
        p = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=15)
        self.assertEqual(p.returncode, 0, f"`{command}` exited {p.returncode}: {p.stderr}")
        return p.stdout

    def test_health_commands(self):
        self.node()
        for port in (8080, 8081):
            h = json.loads(self.sh(f"curl -s http://localhost:{port}/health"))
            for key in ("status", "overall_status", "version", "node_id", "uptime_seconds",
                        "dependencies", "components"):
                self.assertIn(key, h)
            # The host components (cpu on a busy CI machine, network in a bare netns) decide
            # between the three; the HTTP code must agree with the status.
            self.assertIn(h["overall_status"], ("healthy", "degraded", "unhealthy"))
            self.assertEqual(h["status"], h["overall_status"])
            code = request(port, "GET", "/health").status
            if code != (503 if h["overall_status"] == "unhealthy" else 200):
                # the status may have changed between the two reads; re-read once
                h2 = request(port, "GET", "/health")
                self.assertEqual(h2.status, 503 if h2.json()["status"] == "unhealthy" else 200)
            self.assertEqual({c["name"] for c in h["components"]}, COMPONENTS)
            for c in h["components"]:
                self.assertIn(c["status"], ("healthy", "degraded", "unhealthy"))
                self.assertIsInstance(c["details"], dict)
            self.assertEqual(h["dependencies"]["demo"]["healthy_endpoints"], 2)
        verbose = subprocess.run(["sh", "-c", "curl -v http://localhost:8080/health"],
                                 capture_output=True, text=True, timeout=15)
        self.assertRegex(verbose.stderr, r"< HTTP/1.1 (200|503)")
        self.assertIn("< Content-Type: application/json", verbose.stderr)

        deps = json.loads(self.sh("curl -s http://localhost:8080/health | jq .dependencies"))
        for name in ("demo", "store", "mesh", "pqc"):
            self.assertIn("status", deps[name], name)
        self.assertEqual(deps["demo"]["status"], "healthy")
        overall = json.loads(self.sh("curl -s http://localhost:8081/health | jq '.overall_status'"))
        self.assertIn(overall, ("healthy", "degraded", "unhealthy"))
        for port in (8080, 8081):
            memory = json.loads(self.sh(f"curl -s http://localhost:{port}/health | "
                                        "jq '.components[] | select(.name==\"memory\")'"))
            self.assertEqual(memory["name"], "memory")
            self.assertGreater(memory["details"]["rss_bytes"], 0)
            for probe in ("live", "ready", "startup"):
                r = request(port, "GET", f"/health/{probe}")
                self.assertEqual(r.status, 200, f":{port}/health/{probe}: {r.text()}")
                self.assertIn("status", r.json())

    def test_metrics_greps(self):
        self.node()
        for _ in range(4):  # traffic through the proxy so the request series exist
            self.assertEqual(request(8080, "GET", "/").status, 200)
        for port in (8080, 8081, 9090):
            self.sh(f"curl -s http://localhost:{port}/metrics | grep -q '^http_requests_total'")
        for word in METRIC_WORDS:
            with self.subTest(word):
                out = self.sh(f"curl -s http://localhost:8080/metrics | grep {word}")
                series = [l for l in out.splitlines() if not l.startswith("#")]
                self.assertTrue(series, f"grep {word}: no series, only {out!r}")
        codes = self.sh("curl -s http://localhost:8080/metrics | grep http_requests_total")
        self.assertIn('code="200"', codes)
        self.assertIn('service="demo"', codes)
        text = self.sh("curl -s http://localhost:9090/metrics")
        for series in ("http_request_duration_seconds_bucket", "http_request_duration_seconds_sum",
                       "http_request_duration_seconds_count", 'le="+Inf"',
                       "process_resident_memory_bytes", "process_cpu_seconds_total",
                       "process_open_fds", "process_start_time_seconds"):
            self.assertIn(series, text)
        quantiles = {}
        for line in text.splitlines():
            if line.startswith("request_latency_p") and 'service="demo"' in line:
                quantiles[line.split("{")[0]] = float(line.split()[-1])
        p50, p95, p99 = (quantiles[f"request_latency_p{q}_seconds"] for q in (50, 95, 99))
        self.assertTrue(0 < p50 <= p95 <= p99, quantiles)
        count = [l for l in text.splitlines()
                 if l.startswith("http_request_duration_seconds_count")]
        self.assertGreaterEqual(float(count[0].split()[-1]), 4)

    def test_status_pqc_and_mesh_commands(self):
        self.node()
        status = json.loads(self.sh("curl -s http://localhost:8080/api/v1/status"))
        self.assertIn("version", status)
        self.assertIn("uptime_seconds", status)
        self.assertEqual([s["name"] for s in status["services"]], ["demo"])
        pqc = json.loads(self.sh("curl http://localhost:8080/security/pqc/status"))
        self.assertEqual(pqc["mode"], "required")
        self.assertIs(pqc["fallback_enabled"], False)
        for key in ("backend", "kem", "signature", "hybrid", "last_failure", "identity"):
            self.assertIn(key, pqc)
        self.assertEqual(set(pqc["handshakes"]), {"ok", "failed", "fallback"})
        self.assertEqual(json.loads(self.sh("curl http://localhost:8080/mesh/peers")), [])
        mesh = json.loads(self.sh("curl -s http://localhost:8080/mesh/status | jq ."))
        for key in ("node_id", "peers_total", "peers_up", "partitioned", "routes"):
            self.assertIn(key, mesh)
        self.assertEqual(self.sh("curl -s http://localhost:8080/metrics | grep pqc_handshake | "
                                 "grep -c -v '^#'").strip(), "3")

    def test_cache_runbook_commands(self):
        # The C++ gateway runbook's cache emergency: verify, clear, restore (here with no snapshot
        # yet), then the on-disk check. Each answers JSON; the node keeps serving.
        self.node()
        first = self.sh("curl -s -i http://localhost:8080/")
        verify = json.loads(self.sh("curl -s -X POST http://localhost:8080/admin/cache/verify"))
        self.assertIn("checked", verify)
        self.assertEqual(verify["corrupt"], 0)
        cleared = json.loads(self.sh("curl -s -X POST http://localhost:8080/admin/cache/clear"))
        self.assertIn("cleared", cleared)
        restored = json.loads(self.sh("curl -s -X POST http://localhost:8080/admin/cache/restore"))
        self.assertFalse(restored["restored"], restored)
        data = json.loads(self.sh("curl -s -X POST http://localhost:8080/admin/data/verify"))
        self.assertIn("ok", data)
        self.assertIn("X-Cache: MISS", first)
        self.assertEqual(request(8080, "GET", "/health/live").status, 200)

    def test_head_requests(self):
        node = self.node()
        for port, path in ((8080, "/health"), (8080, "/metrics"), (8081, "/health/ready"),
                           (9090, "/metrics"), (8080, "/api/v1/status"), (8080, "/")):
            with self.subTest(f":{port}{path}"):
                c = self.raw(port)
                c.send(f"HEAD {path} HTTP/1.1\r\nHost: localhost\r\n\r\n"
                       f"GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
                       if port != 9090 else
                       f"HEAD {path} HTTP/1.1\r\nHost: localhost\r\n\r\n"
                       f"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
                r = c.read_response(head_request=True)
                self.assertEqual(r.status, 200)
                self.assertGreater(int(r.header("Content-Length", "0")), 0)
                nxt = c.read_response()
                self.assertEqual(nxt.status, 200, "HEAD response must carry no body bytes")
        self.assertTrue(node.alive())

    def test_unknown_operator_paths_are_json_404(self):
        self.node()
        # On 8080 only the exact endpoints are the node's: "/api/v1/nope" there belongs to the
        # services (test_reserved_paths.py).
        for port, path in ((8081, "/api/v1/nope"), (8081, "/security/nope"), (8081, "/mesh/nope"),
                           (8081, "/health/nope"), (8081, "/nope"), (8081, "/api/v1/status"),
                           (9090, "/health"), (9090, "/api/v1/status")):
            with self.subTest(f":{port}{path}"):
                r = request(port, "GET", path)
                self.assertEqual(r.status, 404)
                self.assertEqual(r.header("Content-Type"), "application/json")
                self.assertEqual(r.json()["error"], "not_found")
                self.assertIn("detail", r.json())

    def test_env_overrides(self):
        node = self.node(env={"X0TTA6BL4_API_GATEWAY_WORKER_THREADS": "1"})
        self.assertIn("workers=1", node.log())
        self.assertEqual(request(8080, "GET", "/").status, 200)

    def test_bad_env_value_is_rejected_with_the_variable_name(self):
        node = self.start_node(None, wait=False, env={"X0TTA6BL4_API_GATEWAY_WORKER_THREADS": "lots"})
        self.assertNotEqual(node.wait(10), 0)
        self.assertIn("X0TTA6BL4_API_GATEWAY_WORKER_THREADS", node.log())
        self.assertIn("ERROR", node.log())
        node = self.start_node(None, wait=False, env={"X0TTA6BL4_API_GATEWAY_NO_SUCH_KEY": "1"})
        self.assertNotEqual(node.wait(10), 0)
        self.assertIn("X0TTA6BL4_API_GATEWAY_NO_SUCH_KEY", node.log())


if __name__ == "__main__":
    unittest.main()
