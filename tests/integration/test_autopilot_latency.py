# The P95 the autopilot's latency rules compare against, on a real node in front of an origin
# with a fixed added latency (issue 17 item 5): read from the latency sketch, not from the
# /metrics histogram's 100/250/500 ms buckets, it is within a few percent of the true one. A
# steady 150 ms service (which the buckets read as 242.5 ms) fires no latency rule; a 260 ms
# one (read as 487.5 ms) fires the 200-500 ms band rule with a measured value near 260.
import itertools
import re
import threading
import time
import unittest

from harness import IntegrationTest, service, wait_until

# The shipped latency rules (policy/default.toml) with test-scaled windows and for_s (3 s and
# 2 s: long enough that a scheduling stall of the loaded test machine, which really makes a few
# requests slow, does not hold a 150 ms service's P95 above 200 ms for the whole for_s).
POLICY = """
[defaults]
min_samples = 20
cooldown_s = 60
window_s = 3

[[rules]]
name = "latency_p95_critical"
signal = "latency_p95_ms"
above = 500
for_s = 2
severity = "SEV-2"
action = "rollback"
authority = "system"

[[rules]]
name = "latency_p95_elevated"
signal = "latency_p95_ms"
above = 200
at_most = 500
for_s = 2
severity = "SEV-3"
action = "rollback"
authority = "on_call"
"""

LATENCY_RULES = {"latency_p95_critical", "latency_p95_elevated"}


class AutopilotLatencyTest(IntegrationTest):
    def start(self, latency_ms):
        origin = self.start_origin(name="slow", latency_ms=latency_ms)
        policy = f"{self.workdir}/policy.toml"
        with open(policy, "w") as f:
            f.write(POLICY)
        node = self.start_node([service("demo", [origin.endpoint()])],
                               extra_sections={"autopilot": {"policy_file": policy}})
        return node

    def load(self, node, seconds, threads=6):
        """Keeps `threads` clients busy for `seconds`; returns their latencies in ms."""
        latencies, lock, stop = [], threading.Lock(), time.monotonic() + seconds

        # A path of its own per request: concurrent misses of one URL the cache does not know
        # yet are coalesced behind one fetch and then fetched again (per worker, until the URL
        # is marked uncacheable), so the first burst on /x really takes twice the origin's
        # latency and a 150 ms service reads ~300 ms for a window.
        def client(k):
            for n in itertools.count():
                if time.monotonic() >= stop:
                    return
                t0 = time.monotonic()
                self.assertEqual(node.get(f"/x?client={k}&n={n}").status, 200)
                with lock:
                    latencies.append((time.monotonic() - t0) * 1000)
        workers = [threading.Thread(target=client, args=(k,)) for k in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return sorted(latencies)

    @staticmethod
    def p95(sorted_values):
        return sorted_values[max(0, -(-95 * len(sorted_values) // 100) - 1)]

    def latency_incidents(self, node):
        return [i for i in node.get("/incidents").json() if i["rule"] in LATENCY_RULES]

    def test_steady_150_ms_fires_no_latency_rule_and_reads_150(self):
        node = self.start(150)
        client = self.load(node, 6)
        measured_ms = node.metric_value("autopilot_latency_p95_seconds", service="demo",
                                        side="stable") * 1000
        # The client's clock includes its own overhead on top of the node's, so the truth is
        # between the origin's 150 ms and what the client saw.
        self.assertGreater(measured_ms, 150 * 0.97, client[-5:])
        self.assertLess(measured_ms, self.p95(client) * 1.03, client[-5:])
        # The coarse histogram still says what it always said (dashboards keep their series).
        coarse = node.metric_value("request_latency_p95_seconds", service="demo") * 1000
        self.assertGreater(coarse, 200)
        # (On failure: what the client saw above 190 ms, and what the node measured.)
        incidents = self.latency_incidents(node)
        self.assertEqual(incidents, [], ([round(c) for c in client if c > 190],
                                         [node.get("/incidents/" + i["id"]).json()["timeline"]
                                          for i in incidents]))

    def test_steady_260_ms_fires_the_band_rule_at_about_260(self):
        node = self.start(260)
        self.load(node, 6)
        # Read at once: the gauge is over the rules' 3 s window, empty soon after the load.
        gauge_ms = node.metric_value("autopilot_latency_p95_seconds", service="demo",
                                     side="stable") * 1000
        self.assertAlmostEqual(gauge_ms, 260, delta=260 * 0.05)

        def fired():
            found = [i for i in self.latency_incidents(node) if i["rule"] == "latency_p95_elevated"]
            return found[0] if found else None
        incident = wait_until(fired, 10, message="latency_p95_elevated to fire")
        self.assertEqual([i["rule"] for i in self.latency_incidents(node)], ["latency_p95_elevated"])
        text = "\n".join(e.get("text", "")
                         for e in node.get("/incidents/" + incident["id"]).json()["timeline"])
        match = re.search(r"latency_p95_ms ([\d.]+) over 3 s \(rule: above 200, at most 500\)", text)
        self.assertIsNotNone(match, text)
        value = float(match.group(1))
        self.assertGreater(value, 260 * 0.97, text)  # not the 487.5 the buckets gave
        self.assertLess(value, 260 * 1.05, text)


if __name__ == "__main__":
    unittest.main()
