# Issue 17 items 7 and 8 on a real node. Item 7: a canary at 7 % errors (stable 0 %) or +300 ms
# is rolled back by the candidate rule by default, and with canary_compare_action = "recommend" it
# gets the matrix's 5-10 % (200-500 ms) treatment instead: an incident at SEV-2 (SEV-3)
# recommending the rollback to the on-call, the release left in place; either way the incident says which rule and which
# statistic decided. Item 8: a canary answering 200 with an empty body is caught by the
# response-size comparison, and a healthy canary is still promoted.
import os
import re
import time
import unittest

import test_releases as releases  # the module, not its TestCase: its tests run in their own file
from harness import IntegrationTest, request, wait_until
from test_releases import Load

# The shipped canary rules and the error-rate bands they are placed in, windows scaled to
# seconds. min_samples 100: the rate the first significant window reads is what "recommend"
# places in a band, so it must rest on more than a handful of requests.
POLICY = """{choice}
[defaults]
min_samples = 10
cooldown_s = 60
window_s = 2
recovery_hold_s = 1
[[rules]]
name = "canary_error_rate"
scope = "candidate"
signal = "error_rate"
above_stable_by = 0.05
min_samples = 100
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
[[rules]]
name = "error_rate_elevated"
signal = "error_rate"
above = 0.05
at_most = 0.10
for_s = 30
severity = "SEV-2"
action = "rollback"
authority = "on_call"
{extra}
"""

# Item 8: the shipped silent-failure rule, and the opt-in size comparison.
EMPTY_RULE = """
[[rules]]
name = "canary_empty_responses"
scope = "candidate"
signal = "empty_response_rate"
above_stable_by = 0.05
severity = "SEV-2"
action = "rollback"
authority = "system"
"""
SIZE_RULE = """
[[rules]]
name = "canary_response_size"
scope = "candidate"
signal = "response_bytes"
below_stable_ratio = 0.5
min_samples = 50
severity = "SEV-2"
action = "rollback"
authority = "system"
"""
# Item 7's other case: the shipped latency comparison and the matrix's latency bands.
LATENCY_RULES = """
[[rules]]
name = "canary_latency"
scope = "candidate"
signal = "latency_p95_ms"
above_stable_ratio = 1.5
above_stable_by = 100
min_samples = 20
severity = "SEV-2"
action = "rollback"
authority = "system"
[[rules]]
name = "latency_p95_critical"
signal = "latency_p95_ms"
above = 500
for_s = 1
severity = "SEV-2"
action = "rollback"
authority = "system"
[[rules]]
name = "latency_p95_elevated"
signal = "latency_p95_ms"
above = 200
at_most = 500
for_s = 60
severity = "SEV-3"
action = "rollback"
authority = "on_call"
"""


class CanaryJudgementTest(IntegrationTest):
    # test_releases' node with two stable origins, its release and incident helpers.
    start_release_node = releases.ReleaseTest.start_release_node
    post = releases.ReleaseTest.post
    release_state = releases.ReleaseTest.release_state
    start_canary = releases.ReleaseTest.start_canary
    wait_rolled_back = releases.ReleaseTest.wait_rolled_back
    incident_for = releases.ReleaseTest.incident_for
    only_stable_now = releases.ReleaseTest.only_stable_now
    wait_mitigated = releases.ReleaseTest.wait_mitigated

    def setUp(self):
        super().setUp()
        self.policy = os.path.join(self.workdir, "policy.toml")

    def use_policy(self, action=None, extra=EMPTY_RULE):
        """action: canary_compare_action, or None to leave the key out (the default)."""
        choice = f'canary_compare_action = "{action}"' if action else ""
        with open(self.policy, "w") as f:
            f.write(POLICY.format(choice=choice, extra=extra))

    def timeline(self, incident):
        return "\n".join(e.get("text", "") for e in incident["timeline"])

    def wait_incident(self, node, rule, timeout=15):
        def found():
            matching = [i for i in node.get("/incidents").json() if i["rule"] == rule]
            return matching[0] if matching else None
        first = wait_until(found, timeout, message=f"an incident for {rule}")
        return node.get("/incidents/" + first["id"]).json()

    def test_seven_percent_canary_is_rolled_back_by_default(self):
        self.use_policy(extra="")
        node = self.start_release_node()
        canary = self.start_origin(name="canary", error_rate=0.07)
        load = Load(node.data_port)
        try:
            self.start_canary(node, canary)
            release = self.wait_rolled_back(node, timeout=20)
        finally:
            load.finish()
        self.assertIn("canary_error_rate", release["reason"])
        incident = self.incident_for(node, "canary_error_rate")
        self.assertEqual(incident["severity"], "SEV-2")
        self.assertEqual(incident["target"], "shop/candidate")
        text = self.timeline(incident)
        # Which statistic decided: both sides' figures and the rule's thresholds.
        self.assertRegex(text, r"candidate error_rate 0\.\d+ \(\d+ of \d+ requests\) vs stable 0 "
                               r"\(0 of \d+ requests\) over [\d.]+ s; rule canary_error_rate: "
                               r"above stable by 0\.05, z [\d.]+ >= 3\.09")
        self.assertIn("rolled back release", text)

    def test_seven_percent_canary_is_recommended_not_rolled_back_with_recommend(self):
        self.use_policy("recommend", extra="")
        node = self.start_release_node()
        canary = self.start_origin(name="canary", error_rate=0.07)
        load = Load(node.data_port)
        try:
            self.start_canary(node, canary)
            incident = self.wait_incident(node, "canary_error_rate", timeout=20)
            time.sleep(3)  # the release stays where it is: the on-call decides
            state = self.release_state(node)
            still = node.get("/incidents/" + incident["id"]).json()
        finally:
            load.finish()
        self.assertEqual(state["state"], "running", state)
        self.assertEqual(state["step"], 0, state)  # held at its first weight (analysis dirty)
        self.assertGreater(load.origins.get("canary", 0), 0)
        self.assertEqual(still["severity"], "SEV-2")  # the matrix's 5-10 % band
        self.assertEqual(still["status"], "open")
        text = self.timeline(still)
        self.assertIn("band error_rate_elevated (above 0.05, at most 0.1)", text)
        self.assertIn("recommended: rollback (authority on_call)", text)
        self.assertRegex(text, r"candidate error_rate 0\.\d+ \(\d+ of \d+ requests\) vs stable 0")
        kinds = [e["kind"] for e in still["timeline"]]
        self.assertNotIn("action_taken", kinds)

    def test_with_recommend_a_canary_that_gets_worse_is_rolled_back_inside_the_cooldown(self):
        self.use_policy("recommend", extra="")  # cooldown_s = 60
        # No passive ejection: at 50 % five 5xx in a row would eject the canary's only endpoint
        # and canary_down (not the comparison under test) would roll it back.
        node = self.start_release_node(passive_eject_failures=0)
        canary = self.start_origin(name="canary", error_rate=0.07)
        load = Load(node.data_port)
        try:
            self.start_canary(node, canary)
            self.wait_incident(node, "canary_error_rate", timeout=20)
            self.assertEqual(self.release_state(node)["state"], "running")
            canary.fault(error_rate=0.5)  # now in the > 10 % band the matrix acts on
            release = self.wait_rolled_back(node, timeout=15)
        finally:
            load.finish()
        self.assertIn("canary_error_rate", release["reason"])
        incident = self.incident_for(node, "canary_error_rate")
        self.assertEqual(incident["severity"], "SEV-1")  # raised from the 5-10 % band's SEV-2
        text = self.timeline(incident)
        self.assertIn("recommended: rollback (authority on_call)", text)
        self.assertIn("band error_rate_critical (above 0.1), which the node acts on", text)
        self.assertIn("rolled back release", text)

    def test_canary_300_ms_slower_is_rolled_back_by_default(self):
        self.use_policy(extra=LATENCY_RULES)
        node = self.start_release_node()
        canary = self.start_origin(name="canary", latency_ms=300)
        load = Load(node.data_port)
        try:
            self.start_canary(node, canary)
            release = self.wait_rolled_back(node, timeout=20)
        finally:
            load.finish()
        self.assertIn("canary_latency", release["reason"])
        self.assertEqual(self.incident_for(node, "canary_latency")["severity"], "SEV-2")

    def test_canary_300_ms_slower_is_a_sev3_recommendation_with_recommend(self):
        self.use_policy("recommend", extra=LATENCY_RULES)
        node = self.start_release_node()
        canary = self.start_origin(name="canary", latency_ms=300)
        load = Load(node.data_port)
        try:
            self.start_canary(node, canary)
            incident = self.wait_incident(node, "canary_latency", timeout=20)
            time.sleep(2)
            state = self.release_state(node)
            incident = node.get("/incidents/" + incident["id"]).json()
        finally:
            load.finish()
        self.assertEqual(state["state"], "running", state)
        self.assertEqual(incident["severity"], "SEV-3")  # the matrix's 200-500 ms band
        text = self.timeline(incident)
        self.assertIn("band latency_p95_elevated (above 200, at most 500)", text)
        self.assertIn("recommended: rollback (authority on_call)", text)
        self.assertRegex(text, r"candidate latency_p95_ms 3\d\d(\.\d+)? \(\d+ requests\) vs "
                               r"stable [\d.]+ \(\d+ requests\) over [\d.]+ s; rule canary_latency: "
                               r"above stable by 100, above stable x 1\.5")

    def start_empty_canary(self, node):
        canary = self.start_origin(name="canary")
        canary.fault(empty_body=1)  # 200 with no body; its health check still answers "ok"
        self.assertEqual(request(canary.port, "GET", "/x").body, b"")
        return canary

    def test_canary_answering_empty_bodies_is_rolled_back(self):
        self.use_policy()
        node = self.start_release_node()
        canary = self.start_empty_canary(node)
        load = Load(node.data_port)
        try:
            self.start_canary(node, canary)
            release = self.wait_rolled_back(node, timeout=20)
            # Mitigated once the traffic the canary had, now on the stable set, has bodies again.
            incident = self.wait_mitigated(node, "canary_empty_responses")
        finally:
            load.finish()
        self.assertEqual(load.statuses.keys(), {200})  # nothing a status code would have shown
        self.assertIn("canary_empty_responses", release["reason"])
        self.only_stable_now(node)
        statistic = re.search(
            r"candidate empty_response_rate [\d.]+ \((\d+) of (\d+) requests\) vs stable 0 "
            r"\(0 of \d+ requests\) over [\d.]+ s; rule canary_empty_responses: "
            r"above stable by 0\.05, z [\d.]+ >= 3\.09", self.timeline(incident))
        self.assertIsNotNone(statistic, self.timeline(incident))
        # Every candidate answer was empty. The sample reads a side's counters one after another
        # while the workers count, so a request a worker is recording at that instant can be in
        # the request count and not yet in the empty count: at most one per worker (2 here).
        empty, requests = int(statistic.group(1)), int(statistic.group(2))
        self.assertLessEqual(requests - empty, 2, statistic.group(0))
        self.assertGreater(empty, 0)
        sides = {s: node.metric_value("release_empty_responses_total", service="shop", side=s)
                 for s in ("stable", "candidate")}
        self.assertEqual(sides["stable"], 0)
        self.assertGreater(sides["candidate"], 0)

    def test_canary_answering_empty_bodies_is_recommended_with_recommend(self):
        self.use_policy("recommend")
        node = self.start_release_node()
        canary = self.start_empty_canary(node)
        load = Load(node.data_port)
        try:
            self.start_canary(node, canary)
            incident = self.wait_incident(node, "canary_empty_responses", timeout=20)
            time.sleep(2)
            state = self.release_state(node)
        finally:
            load.finish()
        self.assertEqual(state["state"], "running", state)
        self.assertEqual(state["step"], 0, state)
        text = self.timeline(node.get("/incidents/" + incident["id"]).json())
        self.assertIn("has no band in the matrix", text)
        self.assertIn("recommended: rollback (authority on_call)", text)

    def test_opt_in_response_size_rule_rolls_back_an_empty_canary(self):
        self.use_policy(extra=SIZE_RULE)
        node = self.start_release_node()
        canary = self.start_empty_canary(node)
        load = Load(node.data_port)
        try:
            self.start_canary(node, canary)
            release = self.wait_rolled_back(node, timeout=20)
            incident = self.wait_mitigated(node, "canary_response_size")
        finally:
            load.finish()
        self.assertIn("canary_response_size", release["reason"])
        self.assertRegex(self.timeline(incident),
                         r"candidate response_bytes 0 \(mean of \d+ requests\) vs stable 10\d(\.\d+)? "
                         r"\(mean of \d+ requests\) over [\d.]+ s; rule canary_response_size: "
                         r"below stable x 0\.5")

    def test_healthy_canary_is_promoted_with_the_response_rules_on(self):
        self.use_policy(extra=EMPTY_RULE + SIZE_RULE)
        node = self.start_release_node()
        canary = self.start_origin(name="canary")
        load = Load(node.data_port)
        try:
            self.start_canary(node, canary, steps=(50, 100), interval_s=1)
            wait_until(lambda: (self.release_state(node) or {}).get("state") == "promoted", 20,
                       message="the canary to be promoted")
        finally:
            load.finish()
        self.assertEqual(node.get("/incidents").json(), [])
        self.assertGreater(load.origins.get("canary", 0), 10)


if __name__ == "__main__":
    unittest.main()
