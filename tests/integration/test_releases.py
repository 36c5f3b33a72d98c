# Releases and the autopilot against real origins: a canary that fails half its requests, one that
# adds 800 ms, one whose process is killed: each is rolled back within about a second, traffic is
# back on the stable set and the incident and its report are right. A healthy canary is promoted;
# blue/green switches and rolls back without losing a request; release state and incidents survive
# kill -9 of the node; a reload during a release's steps routes by the new config.
import json
import os
import re
import signal
import threading
import time
import unittest

from harness import IntegrationTest, request, service, wait_until

# The default matrix with test-scaled windows (about 1 s), as the issue asks.
TEST_POLICY = """
[defaults]
min_samples = 10
cooldown_s = 5
window_s = 1
recovery_hold_s = 1
[[rules]]
name = "canary_error_rate"
scope = "candidate"
signal = "error_rate"
above_stable_by = 0.05
severity = "SEV-2"
action = "rollback"
authority = "system"
[[rules]]
name = "canary_latency"
scope = "candidate"
signal = "latency_p95_ms"
above_stable_ratio = 1.5
above_stable_by = 100
min_samples = 3
severity = "SEV-2"
action = "rollback"
authority = "system"
[[rules]]
name = "canary_down"
scope = "candidate"
signal = "service_down"
above = 0.5
min_samples = 0
severity = "SEV-2"
action = "rollback"
authority = "system"
[[rules]]
name = "error_rate_critical"
signal = "error_rate"
above = 0.10
for_s = 1
severity = "SEV-1"
action = "rollback"
authority = "system"
"""

TEMPLATE_FIELDS = ["Incident ID", "Severity", "Start Time", "Detection Method", "Affected Services",
                   "Impact", "Root Cause", "Resolution", "Resolution Time", "Lessons Learned",
                   "Action Items", "MTTD", "MTTR", "Timeline"]


class Load:
    """Steady GET load from a few threads; counts answers by status and by origin."""

    def __init__(self, port, threads=4, path="/x"):
        self.port, self.path = port, path
        self.statuses, self.origins, self.failures = {}, {}, 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def run(self):
        while not self.stop.is_set():
            try:
                r = request(self.port, "GET", self.path, timeout=5)
                with self.lock:
                    self.statuses[r.status] = self.statuses.get(r.status, 0) + 1
                    o = r.header("X-Origin")
                    self.origins[o] = self.origins.get(o, 0) + 1
            except OSError:
                with self.lock:
                    self.failures += 1

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(10)


class ReleaseTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.policy = os.path.join(self.workdir, "policy.toml")
        with open(self.policy, "w") as f:
            f.write(TEST_POLICY)

    def start_release_node(self, name="node", extra=None, stable_error_rate=0.0, **service_keys):
        self.stable = [self.start_origin(name=n, error_rate=stable_error_rate)
                       for n in ("stable-a", "stable-b")]
        sections = {"autopilot": {"policy_file": self.policy}}
        sections.update(extra or {})
        return self.start_node([service("shop", [o.endpoint() for o in self.stable], **service_keys)],
                               extra_sections=sections, name=name)

    def post(self, node, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        return request(node.data_port, "POST", path, body=data,
                       headers={"Content-Type": "application/json"} if data else None)

    def release_state(self, node):
        releases = node.get("/releases").json()["releases"]
        return releases[0] if releases else None

    def start_canary(self, node, canary, steps=(25, 50, 100), interval_s=30):
        r = self.post(node, "/releases/shop/start",
                      {"strategy": "canary", "candidate": [canary.endpoint()], "steps": list(steps),
                       "step_interval_s": interval_s, "header": "X-Canary"})
        self.assertEqual(r.status, 200, r.text())
        return r.json()

    def wait_rolled_back(self, node, timeout=10):
        wait_until(lambda: (self.release_state(node) or {}).get("state") == "rolled_back", timeout,
                   message="the release to be rolled back")
        return self.release_state(node)

    def only_stable_now(self, node):
        seen = {node.get("/x").header("X-Origin") for _ in range(30)}
        self.assertTrue(seen <= {"stable-a", "stable-b"}, seen)

    def incident_for(self, node, rule):
        incidents = node.get("/incidents").json()
        matching = [i for i in incidents if i["rule"] == rule]
        self.assertTrue(matching, f"no incident for {rule}: {incidents}")
        return node.get("/incidents/" + matching[0]["id"]).json()

    def wait_mitigated(self, node, rule):
        """Mitigated means recovered: the traffic back on the stable set has been fine for the
        policy's hold (1 s here), which needs requests, so callers keep their load running."""
        wait_until(lambda: self.incident_for(node, rule)["status"] == "mitigated", 10,
                   message=f"the {rule} incident mitigated once the traffic recovered")
        return self.incident_for(node, rule)

    def test_canary_failing_half_its_requests_is_rolled_back(self):
        node = self.start_release_node()
        canary = self.start_origin(name="canary", error_rate=0.5)
        load = Load(node.data_port)
        self.start_canary(node, canary)
        started = time.time()
        release = self.wait_rolled_back(node)
        self.assertLess(time.time() - started, 5)
        # Usually the error-rate comparison fires; sometimes five 5xx in a row eject the canary's
        # only endpoint first (passive ejection) and the candidate-down rule fires: both are right.
        rule = "canary_error_rate" if "canary_error_rate" in release["reason"] else "canary_down"
        self.assertIn(rule, release["reason"])
        self.assertNotEqual(self.incident_for(node, rule)["status"], "mitigated",
                            "a rollback is an action, not yet a recovery")
        incident = self.wait_mitigated(node, rule)
        load.finish()
        self.only_stable_now(node)
        self.assertEqual(incident["severity"], "SEV-2")
        self.assertEqual(incident["detection_method"], "Monitoring")
        self.assertLessEqual(incident["mttd_seconds"], 1.5)
        self.assertLessEqual(incident["mttr_seconds"], 1.5)
        kinds = [e["kind"] for e in incident["timeline"]]
        for kind in ("first_anomalous_sample", "detected", "action_taken", "mitigated"):
            self.assertIn(kind, kinds)
        # intent, action, outcome: what the node was about to do was written before it did it
        texts = [e["text"] for e in incident["timeline"]]
        intent = next(i for i, t in enumerate(texts) if t.startswith("acting: rollback"))
        self.assertLess(intent, kinds.index("action_taken"), texts)
        report = node.get(f"/incidents/{incident['id']}/report").text()
        for field in TEMPLATE_FIELDS:
            self.assertIn(field, report)
        self.assertGreaterEqual(node.metric_value("rollbacks_total"), 1)
        # The impact, from the node's own counters: the failed requests the clients saw, of all
        # the service's, and what the node did (issue 17 item 11).
        impact = re.search(r"\| Impact \| measured by the node: (\d+) of (\d+) requests to shop "
                           r"failed \(([\d.]+) %\).*actions: rolled back release", report)
        self.assertIsNotNone(impact, report)
        failed, total = int(impact.group(1)), int(impact.group(2))
        if rule == "canary_error_rate":  # canary_down dates from the ejection, after the 5xx
            self.assertGreater(failed, 0)
        self.assertLessEqual(failed, load.statuses.get(500, 0) + load.statuses.get(502, 0) + 5,
                             (impact.group(0), load.statuses))
        self.assertLess(failed, total)

    def test_a_failing_stable_set_holds_a_healthy_canary_instead_of_rolling_it_back(self):
        # The stable origins fail half their requests, the canary none: rolling the canary back
        # would put every request on the failing side. The node holds the release, opens the
        # incident against the stable set and ejects its worse endpoint. (Passive ejection off:
        # only the policy ejects here.)
        node = self.start_release_node(stable_error_rate=0.5, passive_eject_failures=0)
        canary = self.start_origin(name="canary")
        load = Load(node.data_port)
        self.start_canary(node, canary)
        wait_until(lambda: (self.release_state(node) or {}).get("state") == "paused", 10,
                   message="the release to be held")
        time.sleep(1.5)  # further ticks must not roll it back either
        load.finish()
        release = self.release_state(node)
        self.assertEqual(release["state"], "paused", release)
        self.assertIn("the stable set fails, not the candidate", json.dumps(release))
        incident = self.incident_for(node, "error_rate_critical")
        self.assertEqual((incident["target"], incident["severity"]), ("shop/stable", "SEV-1"))
        text = "\n".join(e.get("text", "") for e in incident["timeline"])
        self.assertRegex(text, r"the stable set fails \d+\.\d % of \d+ requests, the candidate "
                               r"\d+\.\d % of \d+: not rolled back")
        self.assertRegex(text, r"ejected endpoint 127\.0\.0\.1:\d+ of shop")
        # What was measured, against what the rule asks.
        self.assertRegex(text, r"error_rate 0\.\d+ over 1 s \(rule: above 0\.1\)")
        self.assertNotEqual(incident["status"], "mitigated", "half the stable requests still fail")
        self.assertEqual(node.metric_value("rollbacks_total"), 0)
        self.assertGreater(load.origins.get("canary", 0), 0)

    def test_slow_canary_is_rolled_back(self):
        node = self.start_release_node()
        canary = self.start_origin(name="canary", latency_ms=800)
        load = Load(node.data_port, threads=8)
        self.start_canary(node, canary)
        release = self.wait_rolled_back(node, timeout=15)
        load.finish()
        self.assertIn("canary_latency", release["reason"])
        self.only_stable_now(node)

    def test_killed_canary_is_rolled_back(self):
        node = self.start_release_node()
        canary = self.start_origin(name="canary")
        load = Load(node.data_port)
        self.start_canary(node, canary)
        wait_until(lambda: load.origins.get("canary", 0) > 5, 5, message="canary traffic")
        canary.kill()
        release = self.wait_rolled_back(node)
        load.finish()
        self.assertIn("canary_down", release["reason"])
        self.assertEqual(load.failures, 0)
        self.assertEqual(set(load.statuses), {200}, load.statuses)  # retries hid the dead canary

    def test_slowly_degrading_canary_is_rolled_back(self):
        node = self.start_release_node()
        canary = self.start_origin(name="canary")
        load = Load(node.data_port)
        self.start_canary(node, canary)
        wait_until(lambda: load.origins.get("canary", 0) > 20, 5, message="canary traffic")
        # No step change to spot: the canary's error rate creeps up, +5 % every 300 ms up to 50 %.
        stop = threading.Event()

        def ramp():
            rate = 0
            while rate < 50 and not stop.is_set():
                rate += 5
                canary.fault(error_rate=rate / 100)
                stop.wait(0.3)

        ramper = threading.Thread(target=ramp, daemon=True)
        ramper.start()
        release = self.wait_rolled_back(node, timeout=15)
        stop.set()
        ramper.join(5)
        rule = "canary_error_rate" if "canary_error_rate" in release["reason"] else "canary_down"
        self.wait_mitigated(node, rule)
        load.finish()
        self.assertGreater(load.statuses.get(500, 0), 0, load.statuses)  # clients saw the 500s
        # As with the half-failing canary, passive ejection may win the race against the comparison.
        rule = "canary_error_rate" if "canary_error_rate" in release["reason"] else "canary_down"
        self.assertIn(rule, release["reason"])
        self.only_stable_now(node)
        incident = self.incident_for(node, rule)
        self.assertEqual(incident["status"], "mitigated")
        self.assertEqual(incident["target"], "shop/candidate")
        self.assertIsNotNone(incident["mttd_seconds"])
        self.assertIsNotNone(incident["mttr_seconds"])
        kinds = [e["kind"] for e in incident["timeline"]]
        for kind in ("first_anomalous_sample", "detected", "action_taken", "mitigated"):
            self.assertIn(kind, kinds)
        if rule == "canary_error_rate":  # fired on a rate beyond the stable one by the margin
            detected = next(e for e in incident["timeline"] if e["kind"] == "detected")
            self.assertGreater(detected["fields"]["value"] - detected["fields"]["baseline"], 0.05)
        report = node.get(f"/incidents/{incident['id']}/report").text()
        self.assertIn(incident["id"], report)
        for field in TEMPLATE_FIELDS:
            self.assertIn(field, report)

    def test_healthy_canary_under_noise_is_promoted(self):
        node = self.start_release_node()
        for o in self.stable:
            o.fault(error_rate=0.02)  # a little noise everywhere
        canary = self.start_origin(name="canary", error_rate=0.02)
        load = Load(node.data_port)
        self.start_canary(node, canary, steps=(50, 100), interval_s=1)
        wait_until(lambda: self.release_state(node)["state"] == "promoted", 15,
                   message="the canary to be promoted")
        load.finish()
        self.assertEqual(node.get("/incidents").json(), [])
        seen = {node.get("/x").header("X-Origin") for _ in range(20)}
        self.assertEqual(seen, {"canary"})  # candidate-only until the config adopts it

    def test_globally_slow_period_does_not_abort_the_canary(self):
        # Everyone is slow (say the database): stable and candidate both answer in 300 ms. The
        # canary rules compare the candidate with stable at the same time, so nothing fires.
        node = self.start_release_node()
        for o in self.stable:
            o.fault(latency_ms=300)
        canary = self.start_origin(name="canary", latency_ms=300)
        load = Load(node.data_port, threads=16)  # enough requests per 1 s window at 300 ms each
        self.start_canary(node, canary, steps=(50, 100), interval_s=2)
        wait_until(lambda: self.release_state(node)["state"] == "promoted", 20,
                   message="the canary to be promoted")
        load.finish()
        self.assertEqual(node.get("/incidents").json(), [])
        self.assertGreater(load.origins.get("canary", 0), 10)

    def test_cache_never_mixes_the_candidate_into_the_stable_version(self):
        # A cached route: requests sent to the candidate bypass the cache (it gets its share of
        # traffic, smoke requests reach it), and its answers are never stored for stable clients.
        node = self.start_release_node(cache_ttl_s=60)
        canary = self.start_origin(name="canary")
        self.assertEqual(node.get("/c").header("X-Cache"), "MISS")
        cached = node.get("/c")
        self.assertEqual(cached.header("X-Cache"), "HIT")
        self.start_canary(node, canary)
        for _ in range(3):
            r = node.get("/c", headers={"X-Canary": "always"})
            self.assertEqual((r.header("X-Origin"), r.header("X-Cache")), ("canary", None))
            r = node.get("/only-canary-saw-this", headers={"X-Canary": "always"})
            self.assertEqual(r.header("X-Origin"), "canary")
        # Without the header a share goes to the candidate by weight: those bypass the cache,
        # the rest are hits of the stable answer.
        answers = {(r.header("X-Origin"), r.header("X-Cache")) for r in (node.get("/c") for _ in range(40))}
        self.assertTrue(answers <= {(cached.header("X-Origin"), "HIT"), ("canary", None)}, answers)
        self.assertEqual(self.post(node, "/releases/shop/rollback", {"reason": "test"}).status, 200)
        r = node.get("/only-canary-saw-this")
        self.assertEqual(r.header("X-Cache"), "MISS")
        self.assertIn(r.header("X-Origin"), {"stable-a", "stable-b"})

    def test_blue_green_switch_and_rollback_lose_no_request(self):
        node = self.start_release_node()
        green = self.start_origin(name="green")
        load = Load(node.data_port)
        r = self.post(node, "/releases/shop/start",
                      {"strategy": "blue_green", "candidate": [green.endpoint()], "header": "X-Canary"})
        self.assertEqual(r.status, 200, r.text())
        self.assertEqual(node.get("/x", headers={"X-Canary": "always"}).header("X-Origin"), "green")
        time.sleep(0.5)
        self.assertEqual(self.post(node, "/releases/shop/promote").status, 200)
        wait_until(lambda: load.origins.get("green", 0) > 50, 5, message="traffic on green")
        self.assertEqual(self.post(node, "/releases/shop/rollback", {"reason": "test"}).status, 200)
        time.sleep(0.5)
        load.finish()
        self.assertEqual(load.failures, 0)
        self.assertEqual(set(load.statuses), {200}, load.statuses)
        self.only_stable_now(node)

    # A candidate given by name: the smoke check looks it up on the resolver thread (the control
    # thread resolves nothing itself) and the switch goes ahead; a name that does not resolve
    # is reported by the start (the route table cannot be rebuilt) and fails the check.
    def test_blue_green_candidate_by_name_is_looked_up_for_the_smoke_check(self):
        node = self.start_release_node()
        green = self.start_origin(name="green")
        port = green.endpoint().rsplit(":", 1)[1]
        r = self.post(node, "/releases/shop/start",
                      {"strategy": "blue_green", "candidate": ["localhost:" + port], "header": "X-Canary"})
        self.assertEqual(r.status, 200, r.text())
        r = self.post(node, "/releases/shop/promote")
        self.assertEqual(r.status, 200, r.text())
        wait_until(lambda: node.get("/x").header("X-Origin") == "green", 5, message="traffic on green")
        self.assertEqual(self.post(node, "/releases/shop/rollback", {"reason": "test"}).status, 200)
        r = self.post(node, "/releases/shop/start",
                      {"strategy": "blue_green", "candidate": ["no-such-host.invalid:80"], "header": "X-Canary"})
        # Recorded, but the operator is told at once that nothing routes to it.
        self.assertEqual(r.status, 503, r.text())
        self.assertIn("no-such-host.invalid", r.text())
        r = self.post(node, "/releases/shop/promote")
        self.assertEqual(r.status, 424, r.text())
        self.assertIn("no-such-host.invalid", r.text())

    def test_blue_green_promote_refused_when_smoke_fails(self):
        node = self.start_release_node()
        green = self.start_origin(name="green")
        green.fault(health="fail")
        r = self.post(node, "/releases/shop/start",
                      {"strategy": "blue_green", "candidate": [green.endpoint()], "header": "X-Canary"})
        self.assertEqual(r.status, 200, r.text())
        r = self.post(node, "/releases/shop/promote")
        self.assertNotEqual(r.status, 200)
        # Refused by the smoke check (the candidate's 503), unless the autopilot's canary_down
        # rule rolled the failing candidate back first (seen under ASan, where the promote call
        # comes later): either way the candidate never takes traffic.
        if "no active release" not in r.text():
            self.assertIn("503", r.text())
        self.only_stable_now(node)

    # A SIGHUP reload while a canary steps its weights: the control thread alone publishes route
    # tables, so the reloaded config (a stable endpoint replaced) is what every later table is built
    # from, the steps' included. Before, a step could rebuild from the config the reload had just
    # replaced, and the old endpoint came back until the next step.
    def test_reload_during_release_steps_routes_by_the_new_config(self):
        node = self.start_release_node()  # shop: stable-a, stable-b
        replacement = self.start_origin(name="stable-c")
        canary = self.start_origin(name="canary")
        load = Load(node.data_port)
        # Short steps: the routing changes every few hundred ms, around and after the reload.
        r = self.post(node, "/releases/shop/start",
                      {"strategy": "canary", "candidate": [canary.endpoint()],
                       "steps": list(range(10, 101, 10)), "step_interval_ms": 400,
                       "header": "X-Canary"})
        self.assertEqual(r.status, 200, r.text())
        wait_until(lambda: self.release_state(node)["step"] >= 1, 20, message="a first step up")

        node.write_config([service("shop", [self.stable[0].endpoint(), replacement.endpoint()])])
        node.signal(signal.SIGHUP)
        wait_until(lambda: node.metric_value("config_reloads_total", result="ok") == 1, 10,
                   message="the reload to be applied")
        at_reload = self.release_state(node)
        self.assertEqual(at_reload["state"], "running", "the reload landed during the release")
        load.finish()

        # Every request sent from now on is routed by a table built from the new config: on the
        # stable side stable-a or stable-c, never stable-b, through the next steps.
        after = Load(node.data_port)
        wait_until(lambda: (self.release_state(node)["step"] >= at_reload["step"] + 2
                            or self.release_state(node)["state"] == "promoted"), 30,
                   message="two more release steps after the reload")
        after.finish()
        self.assertEqual(after.failures, 0)
        self.assertEqual(set(after.statuses), {200}, after.statuses)
        self.assertNotIn("stable-b", after.origins, after.origins)
        self.assertGreater(after.origins.get("stable-c", 0), 0, after.origins)
        self.assertGreater(after.origins.get("canary", 0), 0, after.origins)
        self.assertEqual(node.metric_value("config_reloads_total", result="failed"), 0)

    def test_release_and_incidents_survive_kill_9(self):
        node = self.start_release_node()
        canary = self.start_origin(name="canary")
        release = self.start_canary(node, canary)
        r = self.post(node, "/incidents", {"title": "manual drill", "severity": "SEV-3",
                                           "services": ["shop"]})
        self.assertEqual(r.status, 201, r.text())
        incident_id = r.json()["id"]
        node.signal(signal.SIGKILL)
        node.wait(5)
        again = self.start_node([service("shop", [o.endpoint() for o in self.stable])],
                                extra_sections={"autopilot": {"policy_file": self.policy}}, name="node")
        state = self.release_state(again)
        self.assertEqual(state["id"], release["id"])
        self.assertEqual(state["state"], "running")
        self.assertEqual(state["weight_percent"], 25)
        self.assertEqual(again.get("/x", headers={"X-Canary": "always"}).header("X-Origin"), "canary")
        self.assertEqual(again.get("/incidents/" + incident_id).json()["title"], "manual drill")

    def test_manual_incident_lifecycle_and_report(self):
        node = self.start_release_node()
        r = self.post(node, "/incidents", {"title": "checkout slow", "severity": "SEV-2",
                                           "services": ["shop"], "impact": "10 % of users"})
        self.assertEqual(r.status, 201, r.text())
        iid = r.json()["id"]
        counts = node.get("/api/v1/status").json()["incidents"]
        self.assertEqual((counts["open"], counts["by_severity"]["SEV-2"]), (1, 1))
        self.assertEqual(self.post(node, f"/incidents/{iid}/ack", {"text": "on it"}).status, 200)
        self.assertEqual(self.post(node, f"/incidents/{iid}/update", {"text": "db looks fine"}).status, 200)
        r = self.post(node, f"/incidents/{iid}/resolve",
                      {"root_cause": "cold cache", "resolution": "warmed", "lessons_learned": "warm first",
                       "action_items": ["warm on deploy"]})
        self.assertEqual(r.status, 200, r.text())
        self.assertEqual(self.post(node, f"/incidents/{iid}/resolve", {"root_cause": "x", "resolution": "y"}).status, 409)
        report = node.get(f"/incidents/{iid}/report").text()
        self.assertIn("cold cache", report)
        self.assertIn("warm on deploy", report)
        self.assertIn("Manual", report)
        self.assertEqual(self.post(node, "/incidents", {"severity": "SEV-9"}).status, 400)
        self.assertEqual(node.get("/incidents/INC-19990101-0001").status, 404)

    def test_command_line_drives_releases_and_incidents(self):
        node = self.start_release_node()
        canary = self.start_origin(name="canary")
        url = f"http://127.0.0.1:{node.data_port}"
        r = self.run_cli("release", "start", "shop", "--candidate", canary.endpoint(),
                         "--steps", "10,100", "--interval", "60", "--analysis-window", "2",
                         "--node", url)
        self.assertEqual(r.returncode, 0, r.stderr)
        started = json.loads(r.stdout)
        self.assertEqual((started["weight_percent"], started["analysis_window_ms"]), (10, 2000))
        r = self.run_cli("release", "rollback", "shop", "--reason", "operator says no", "--node", url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["state"], "rolled_back")
        r = self.run_cli("release", "rollback", "shop", "--node", url)
        self.assertNotEqual(r.returncode, 0)  # nothing left to roll back
        opened = self.post(node, "/incidents", {"title": "cli drill", "severity": "SEV-4"}).json()
        r = self.run_cli("incident", "ack", opened["id"], "--node", url)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.run_cli("incident", "resolve", opened["id"], "--root-cause", "drill",
                         "--resolution", "none needed", "--node", url)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.run_cli("incident", "report", opened["id"], "--node", url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("none needed", r.stdout)
        r = self.run_cli("incident", "list", "--node", url)
        self.assertEqual(r.returncode, 0, r.stderr)
        header, row = r.stdout.splitlines()[:2]  # a table: newest first
        self.assertEqual(header.split(), ["ID", "SEVERITY", "STATUS", "OPENED", "TITLE"])
        self.assertEqual(row.split()[:3], [opened["id"], opened["severity"], "resolved"])
        r = self.run_cli("incident", "list", "--node", url, "--json", "true")
        self.assertEqual([i["id"] for i in json.loads(r.stdout)][:1], [opened["id"]])

    def test_alertmanager_alerts_become_incidents_and_sev1_escalates(self):
        node = self.start_release_node()
        hook = {"version": "4", "status": "firing", "alerts": [
            {"status": "firing", "labels": {"alertname": "X0TTA6BL4HighErrorRate", "severity": "critical",
                                           "service": "shop"},
             "annotations": {"summary": "error rate above 10 %"}, "startsAt": "2026-11-24T10:00:00Z"}]}
        r = self.post(node, "/alerts/alertmanager", hook)
        self.assertEqual(r.status, 200, r.text())
        ids = r.json()["incidents"]
        self.assertEqual(len(ids), 1)
        self.assertEqual(self.post(node, "/alerts/alertmanager", hook).json()["incidents"], ids)  # joined
        incident = node.get("/incidents/" + ids[0]).json()
        self.assertEqual(incident["severity"], "SEV-1")
        self.assertEqual(incident["detection_method"], "Alert")
        # SEV-1 goes to the team lead at once: the escalation tick records it within a second or two.
        wait_until(lambda: any(e["kind"] == "escalated" for e in
                               node.get("/incidents/" + ids[0]).json()["timeline"]), 5,
                   message="the SEV-1 escalation to be recorded")
        self.assertIn("escalated", node.log())
        hook["alerts"][0]["status"] = "resolved"
        self.assertEqual(self.post(node, "/alerts/alertmanager", hook).status, 200)
        texts = [e["text"] for e in node.get("/incidents/" + ids[0]).json()["timeline"]]
        self.assertTrue(any("resolved in Alertmanager" in t for t in texts), texts)
        self.assertEqual(self.post(node, "/alerts/alertmanager", {"nope": 1}).status, 400)


    def test_an_alerts_startsat_and_endsat_set_mttd_and_mttr(self):
        node = self.start_release_node()

        def stamp(offset_s):
            t = time.time() + offset_s
            return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".250Z"

        alert = {"status": "firing", "labels": {"alertname": "X0TTA6BL4HighLatency",
                                                "severity": "warning", "service": "shop"},
                 "annotations": {"summary": "P95 above 200 ms"}, "startsAt": stamp(-90),
                 "endsAt": "0001-01-01T00:00:00Z"}
        [opened] = self.post(node, "/alerts/alertmanager", {"alerts": [alert]}).json()["incidents"]
        incident = node.get("/incidents/" + opened).json()
        self.assertAlmostEqual(incident["mttd_seconds"], 90, delta=5)  # from startsAt, not arrival
        alert.update(status="resolved", endsAt=stamp(-10))
        self.post(node, "/alerts/alertmanager", {"alerts": [alert]})
        incident = node.get("/incidents/" + opened).json()
        self.assertEqual(incident["status"], "mitigated")
        self.assertAlmostEqual(incident["mttr_seconds"], 80, delta=5)  # ends at endsAt
        # a startsAt in the future (a skewed clock) is not believed
        future = dict(alert, status="firing", startsAt=stamp(3600),
                      labels=dict(alert["labels"], service="other"))
        [later] = self.post(node, "/alerts/alertmanager", {"alerts": [future]}).json()["incidents"]
        self.assertLess(node.get("/incidents/" + later).json()["mttd_seconds"] or 0, 5)

if __name__ == "__main__":
    unittest.main()
