# SIGHUP reloads the autopilot policy with the configuration: after the policy file changes,
# the new rules decide (an incident under the new rule's name); a policy the node cannot parse
# refuses the reload with one ERROR naming the file and the reason, the node keeps serving and
# the old rules keep deciding.
import os
import signal
import unittest

from harness import IntegrationTest, service, wait_until

# One rule on the service's error rate with test-scaled windows; only the name changes.
POLICY = """
[defaults]
min_samples = 5
cooldown_s = 60
window_s = 1
[[rules]]
name = "{name}"
signal = "error_rate"
above = 0.2
for_s = 0
severity = "SEV-3"
action = "alert"
authority = "on_call"
"""


class PolicyReloadTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.bad = self.start_origin(name="bad", error_rate=1.0)
        self.policy = os.path.join(self.workdir, "policy.toml")
        self.write_policy(POLICY.format(name="before_reload"))
        self.node = self.start_node([service("demo", [self.bad.endpoint()])],
                                    extra_sections={"autopilot": {"policy_file": self.policy}})

    def write_policy(self, text):
        with open(self.policy, "w") as f:
            f.write(text)

    def incident_for(self, rule, timeout=10):
        def found():
            # Keep failing traffic coming: the windows only see requests after their first sample.
            for _ in range(5):
                self.node.get("/x")
            return [i for i in self.node.get("/incidents").json() if i["rule"] == rule] or None
        return wait_until(found, timeout, message=f"an incident for {rule}")

    def test_a_changed_policy_decides_after_sighup(self):
        self.incident_for("before_reload")
        self.write_policy(POLICY.format(name="after_reload"))
        self.node.signal(signal.SIGHUP)
        wait_until(lambda: self.node.metric_value("config_reloads_total", result="ok") == 1, 5,
                   message="the reload counted")
        self.assertIn("INFO AUTOPILOT policy reloaded", self.node.log())
        self.incident_for("after_reload")

    def test_a_bad_policy_is_refused_and_the_old_one_keeps_deciding(self):
        self.write_policy('[[rules]]\nname = "broken"\nsignal = "no_such_signal"\n')
        self.node.signal(signal.SIGHUP)
        wait_until(lambda: self.node.metric_value("config_reloads_total", result="failed") == 1, 5,
                   message="the refused reload counted")
        errors = [l for l in self.node.log().splitlines() if " ERROR AUTOPILOT " in l]
        self.assertEqual(len(errors), 1, self.node.log())
        self.assertIn("policy.toml", errors[0], "names the file")
        self.assertIn("no_such_signal", errors[0], "says why")
        self.assertTrue(self.node.alive())
        self.assertEqual(self.node.metric_value("config_reloads_total", result="ok"), 0)
        self.incident_for("before_reload")  # the old policy still decides


if __name__ == "__main__":
    unittest.main()
