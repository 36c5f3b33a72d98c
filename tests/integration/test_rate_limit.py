# The rate_limit filter against the real binary (docs/RATE_LIMIT.md): the limit holds per node
# with 1 and 2 workers (the allowed count is compared with burst + rate x the measured elapsed
# time, so no assertion depends on how fast this machine is), bursts, per-route limits and a
# route turned off, header keying, a spraying client that cannot grow the table past its cap,
# well-formed 429s, operator paths and probes never limited, and a reload changing the limit.
import http.client
import re
import signal
import threading
import time
import unittest

from harness import IntegrationTest, request, service, wait_until

POLICY = re.compile(r'^"default";q=(\d+);w=(\d+)$')
STATE = re.compile(r'^"default";r=(\d+);t=(\d+)$')


def hammer(port, seconds, connections=4, path="/", headers=None):
    """Keep-alive GETs from `connections` threads for `seconds`; returns (statuses, elapsed)
    where elapsed runs from before the first request to after the last response."""
    statuses, lock = [], threading.Lock()
    start = time.monotonic()
    deadline = start + seconds

    def one():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        mine = []
        try:
            while time.monotonic() < deadline:
                conn.request("GET", path, headers=headers or {})
                r = conn.getresponse()
                r.read()
                mine.append(r.status)
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        finally:
            conn.close()
            with lock:
                statuses.extend(mine)

    threads = [threading.Thread(target=one) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses, time.monotonic() - start


class RateLimitTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.origin = self.start_origin(name="site")

    def node(self, security, services=None, workers=2, **kw):
        services = services or [service("app", [self.origin.endpoint()], cache=False)]
        return self.start_node(services, api_gateway={"worker_threads": workers},
                               extra_sections={"security": security}, **kw)

    def get(self, node, path="/", headers=None, **kw):
        return request(node.data_port, "GET", path, headers=headers, **kw)

    def statuses(self, node, n, path="/", headers=None):
        return [self.get(node, path, headers).status for _ in range(n)]

    def check_limit_holds(self, workers):
        rate, burst = 100, 20
        node = self.node({"rate_limit_requests_per_second": rate, "rate_limit_burst": burst},
                         workers=workers)
        statuses, elapsed = hammer(node.data_port, 2.0)
        allowed, limited = statuses.count(200), statuses.count(429)
        self.assertEqual(allowed + limited, len(statuses), set(statuses))
        # The client must ask well above the limit, or the test shows nothing.
        self.assertGreater(len(statuses), 3 * (burst + rate * elapsed))
        expected = burst + rate * elapsed
        print(f"\n{workers} worker(s): {allowed} allowed, {limited} limited in {elapsed:.3f} s; "
              f"expected {expected:.1f}")
        self.assertLessEqual(allowed, expected + 2, f"{workers} workers: {allowed} allowed")
        self.assertGreaterEqual(allowed, expected * 0.97 - 2, f"{workers} workers")
        self.assertEqual(node.metric_value("rate_limit_decisions_total", service="app",
                                           decision="allowed"), allowed)
        self.assertEqual(node.metric_value("rate_limit_decisions_total", service="app",
                                           decision="limited"), limited)
        self.assertEqual(node.metric_value("http_requests_total", service="app", code="429"),
                         limited)

    def test_the_limit_holds_with_one_worker(self):
        self.check_limit_holds(1)

    def test_the_limit_holds_with_two_workers_not_twice_the_limit(self):
        self.check_limit_holds(2)

    def test_a_burst_is_taken_at_once_then_429s_with_well_formed_headers(self):
        node = self.node({"rate_limit_requests_per_second": 1, "rate_limit_burst": 5,
                          "rate_limit_headers": "always"})
        start = time.monotonic()
        first = [self.get(node) for _ in range(5)]
        self.assertEqual([r.status for r in first], [200] * 5)
        # Allowed responses say what is left (rate_limit_headers = "always").
        self.assertEqual([STATE.match(r.header("RateLimit")).group(1) for r in first],
                         ["4", "3", "2", "1", "0"])
        self.assertEqual(first[0].header("RateLimit-Policy"), '"default";q=5;w=5')
        self.assertEqual(first[0].header("X-Origin"), "site")
        r = self.get(node)
        refills = int(time.monotonic() - start) + 1  # tokens that may have come back meanwhile
        if r.status == 200:
            self.assertLessEqual(refills, 1, "a sixth request allowed within a second")
            r = self.get(node)
        self.assertEqual(r.status, 429)
        self.assertIsNone(r.header("X-Origin"))
        self.assertEqual(r.header("Content-Type"), "application/json")
        body = r.json()
        self.assertEqual(body["error"], "rate_limited")
        self.assertEqual(body["request_id"], r.header("X-Request-Id"))
        retry_after = r.header("Retry-After")
        self.assertRegex(retry_after, r"^[1-9][0-9]*$")
        self.assertLessEqual(int(retry_after), 1)  # one token at 1/s, rounded up
        policy = POLICY.match(r.header("RateLimit-Policy"))
        self.assertEqual(policy.groups(), ("5", "5"))
        state = STATE.match(r.header("RateLimit"))
        self.assertIsNotNone(state, r.header("RateLimit"))
        self.assertEqual(state.group(1), "0")
        self.assertIn(int(state.group(2)), range(1, 6))
        log = node.log()
        self.assertEqual(log.count("rate limit: client limited"), 1, log[-2000:])
        self.assertIn("WARN SECURITY rate limit: client limited", log)

    def test_by_default_the_ratelimit_fields_come_only_with_the_429(self):
        node = self.node({"rate_limit_requests_per_second": 1, "rate_limit_burst": 2})
        allowed = [self.get(node) for _ in range(2)]
        self.assertEqual([r.status for r in allowed], [200, 200])
        for r in allowed:
            self.assertIsNone(r.header("RateLimit"))
            self.assertIsNone(r.header("RateLimit-Policy"))
        r = self.get(node)
        if r.status == 200:  # a token came back meanwhile
            r = self.get(node)
        self.assertEqual(r.status, 429)
        self.assertRegex(r.header("Retry-After"), r"^[1-9][0-9]*$")
        self.assertEqual(POLICY.match(r.header("RateLimit-Policy")).groups(), ("2", "2"))
        self.assertEqual(STATE.match(r.header("RateLimit")).group(1), "0")

    def test_a_limited_client_gets_no_cache_hit_either(self):
        services = [service("app", [self.origin.endpoint()], cache=True, cache_ttl_s=60)]
        node = self.node({"rate_limit_requests_per_second": 1, "rate_limit_burst": 2}, services)
        self.assertEqual(self.statuses(node, 2, "/cached"), [200, 200])
        r = self.get(node, "/cached")
        self.assertEqual(r.status, 429)
        self.assertIsNone(r.header("X-Cache"))

    def test_per_route_limits_and_a_route_turned_off(self):
        o = self.origin.endpoint()
        services = [
            service("strict", [o], path_prefixes=["/strict"], cache=False,
                    rate_limit_requests_per_second=1, rate_limit_burst=3),
            service("free", [o], path_prefixes=["/free"], cache=False,
                    rate_limit_requests_per_second=0),
            service("default", [o], path_prefixes=["/"], cache=False),
        ]
        node = self.node({"rate_limit_requests_per_second": 1, "rate_limit_burst": 1}, services)
        self.assertEqual(self.statuses(node, 30, "/free"), [200] * 30)
        self.assertEqual(self.statuses(node, 4, "/strict"), [200, 200, 200, 429])
        # Each route has its own bucket: the strict route's use leaves the default's full.
        self.assertEqual(self.statuses(node, 2, "/other"), [200, 429])
        self.assertIsNone(self.get(node, "/free").header("RateLimit"))
        self.assertEqual(node.metric_value("rate_limit_decisions_total", service="free"), 0)

    def test_header_keying_gives_each_api_key_its_bucket_and_others_go_by_address(self):
        node = self.node({"rate_limit_requests_per_second": 1, "rate_limit_burst": 2,
                          "rate_limit_key": "header:X-Api-Key"})
        a, b = {"X-Api-Key": "key-a"}, {"x-api-key": "key-b"}
        self.assertEqual(self.statuses(node, 3, headers=a), [200, 200, 429])
        self.assertEqual(self.statuses(node, 3, headers=b), [200, 200, 429])
        self.assertEqual(self.statuses(node, 3), [200, 200, 429])  # no header: by address
        self.assertNotIn("key-a", node.log())  # a key is a credential: never logged

    def test_a_spraying_client_cannot_grow_the_table_past_its_cap(self):
        node = self.node({"rate_limit_requests_per_second": 1, "rate_limit_burst": 1,
                          "rate_limit_key": "header:X-Api-Key", "rate_limit_max_clients": 50})
        self.assertEqual(node.metric_value("rate_limit_capacity"), 50)
        for i in range(300):
            self.assertEqual(self.get(node, headers={"X-Api-Key": f"spray-{i}"}).status, 200)
        self.assertEqual(node.metric_value("rate_limit_clients"), 50)
        self.assertEqual(node.metric_value("rate_limit_evictions_total"), 250)
        # Pressure is logged, at most once a second, not once per eviction.
        lines = node.log().count("rate limit table full")
        self.assertGreaterEqual(lines, 1)
        self.assertLess(lines, 20)

    def test_many_source_addresses_each_get_a_bucket_within_the_cap(self):
        node = self.node({"rate_limit_requests_per_second": 1, "rate_limit_burst": 1,
                          "rate_limit_max_clients": 10})
        for i in range(2, 32):
            conn = http.client.HTTPConnection("127.0.0.1", node.data_port, timeout=5,
                                              source_address=(f"127.0.0.{i}", 0))
            conn.request("GET", "/")
            self.assertEqual(conn.getresponse().status, 200, f"127.0.0.{i}")
            conn.close()
        self.assertEqual(node.metric_value("rate_limit_clients"), 10)
        self.assertEqual(node.metric_value("rate_limit_evictions_total"), 20)

    def test_operator_paths_and_probes_are_never_limited(self):
        node = self.node({"rate_limit_requests_per_second": 1, "rate_limit_burst": 1})
        self.assertEqual(self.statuses(node, 2), [200, 429])
        for path in ("/health", "/health/live", "/health/ready", "/metrics", "/api/v1/status",
                     "/mesh/status", "/security/pqc/status"):
            for _ in range(5):
                r = self.get(node, path)
                self.assertNotEqual(r.status, 429, f"data port {path}")
                self.assertIsNone(r.header("RateLimit"), path)
        for port, path in ((node.health_port, "/health/live"), (node.health_port, "/health"),
                           (node.metrics_port, "/metrics")):
            for _ in range(10):
                self.assertNotEqual(request(port, "GET", path).status, 429, f"{port} {path}")
        self.assertEqual(node.metric_value("rate_limit_decisions_total", decision="allowed"), 1)

    def test_a_reload_changes_the_limit_and_keeps_the_tokens_used(self):
        node = self.node({"rate_limit_requests_per_second": 1, "rate_limit_burst": 2})
        self.assertEqual(self.statuses(node, 3), [200, 200, 429])
        sections = dict(node.sections)
        sections["security"] = {"rate_limit_requests_per_second": 1000, "rate_limit_burst": 100,
                                "rate_limit_headers": "always"}
        node.write_config([service("app", [self.origin.endpoint()], cache=False)], sections)
        node.signal(signal.SIGHUP)
        wait_until(lambda: node.metric_value("config_reloads_total", result="ok") == 1, 5,
                   message="the reload counted")
        # Raised: at once, not after the old 2-second debt; the 2 used count against the 100.
        r = self.get(node)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("RateLimit-Policy"), '"default";q=100;w=1')
        remaining = int(STATE.match(r.header("RateLimit")).group(1))
        self.assertLessEqual(remaining, 97)
        # Off by reload: nothing limited, no fields.
        sections["security"] = {"rate_limit_requests_per_second": 0}
        node.write_config([service("app", [self.origin.endpoint()], cache=False)], sections)
        node.signal(signal.SIGHUP)
        wait_until(lambda: node.metric_value("config_reloads_total", result="ok") == 2, 5,
                   message="the second reload counted")
        rs = [self.get(node) for _ in range(200)]
        self.assertEqual({r.status for r in rs}, {200})
        self.assertIsNone(rs[-1].header("RateLimit"))

    def test_invalid_settings_are_refused_with_the_key(self):
        for i, (security, words) in enumerate((
                ({"rate_limit_key": "cookie:x"}, "rate_limit_key"),
                ({"rate_limit_key": "header:"}, "rate_limit_key"),
                ({"rate_limit_requests_per_second": -1}, "rate_limit_requests_per_second"),
                ({"rate_limit_max_clients": 0}, "rate_limit_max_clients"),
                ({"rate_limit_headers": "never"}, "rate_limit_headers"))):
            node = self.node(security, wait=False, name=f"bad{i}")
            node.wait(10)
            self.assertNotEqual(node.proc.returncode, 0, security)
            self.assertIn(f"[security] {words}", node.log(), security)
        bad_route = [service("app", [self.origin.endpoint()], rate_limit_requests_per_second=0,
                             rate_limit_burst=5)]
        node = self.node({}, bad_route, wait=False, name="bad-route")
        node.wait(10)
        self.assertIn("[services.app] rate_limit_burst", node.log())


if __name__ == "__main__":
    unittest.main()
