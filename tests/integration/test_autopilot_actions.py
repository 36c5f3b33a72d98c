# What autopilot actions do on a real node: a rule's `exec` hook runs with the incident context
# in its environment (no shell quoting of ours: a single quote in the command is fine), its exit
# code and output land in the incident timeline, a hook past its deadline is cut off; and
# `eject_endpoint` takes the failing endpoint of a service out of rotation.
import os
import signal
import time
import unittest

from harness import IntegrationTest, service, wait_until

# One rule on the service's error rate with test-scaled windows; {extra} adds action keys.
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
authority = "system"
{extra}
"""


def toml_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class AutopilotActionsTest(IntegrationTest):
    def start(self, rule_name, extra, origins, **service_keys):
        policy = os.path.join(self.workdir, "policy.toml")
        with open(policy, "w") as f:
            f.write(POLICY.format(name=rule_name, extra=extra))
        return self.start_node([service("demo", [o.endpoint() for o in origins], **service_keys)],
                               extra_sections={"autopilot": {"policy_file": policy}})

    def incident_for(self, node, rule, timeout=10):
        def found():
            # Keep the failing traffic coming: the autopilot's windows only see requests made
            # after its first sample, which may come after a first burst on a slow machine.
            self.fire(node, 5)
            matching = [i for i in node.get("/incidents").json() if i["rule"] == rule]
            return matching[0] if matching else None
        incident = wait_until(found, timeout, message=f"an incident for {rule}")
        return node.get("/incidents/" + incident["id"]).json()

    def timeline_text(self, incident):
        return "\n".join(e.get("text", "") for e in incident["timeline"])

    def hook_text(self, node, rule, timeout=15):
        """The timeline text once the rule's hook result has joined it (hooks run off the
        control thread, so the incident is there first and the hook's line comes later)."""
        incident = self.incident_for(node, rule)
        def done():
            text = self.timeline_text(node.get("/incidents/" + incident["id"]).json())
            return text if "hook exit=" in text else None
        return wait_until(done, timeout, message=f"the hook result of {rule}")

    def fire(self, node, count=30):
        """Sends requests until the rule has had a chance to fire (the origin fails them)."""
        for _ in range(count):
            node.get("/x")

    def hooked_node(self, rule_name, command, timeout_s=None):
        bad = self.start_origin(name="bad", error_rate=1.0)
        extra = 'action = "alert"\nexec = ' + toml_string(command)
        if timeout_s is not None:
            extra += f"\nexec_timeout_s = {timeout_s}"
        return self.start(rule_name, extra, [bad])

    def test_hook_with_a_single_quote_sees_the_incident_context(self):
        # (The old `sh -c '<command>'` wrapping broke on the single quote inside the double quotes.)
        node = self.hooked_node("hook_rule",
                                'echo "it\'s hooked $X0_RULE on $X0_TARGET: $X0_ACTION $X0_SEVERITY"')
        self.fire(node)
        text = self.hook_text(node, "hook_rule")
        self.assertIn("hook exit=0", text)
        self.assertIn("it's hooked hook_rule on demo: alert SEV-3", text)
        self.assertNotIn("(timed out)", text)

    def test_hook_past_its_deadline_is_cut_off(self):
        node = self.hooked_node("slow_hook", "echo started; sleep 30; echo never", timeout_s=1.5)
        self.fire(node)
        # The incident is opened at once: a hook running into its timeout must not delay it.
        self.incident_for(node, "slow_hook", timeout=5)
        text = self.hook_text(node, "slow_hook")
        self.assertIn("hook exit=124 (timed out)", text)
        self.assertIn("started", text)
        self.assertNotIn("never", text)

    def test_hook_with_large_output_is_drained_and_truncated(self):
        # 200 KB is far more than a pipe holds: the hook only exits if the node keeps reading.
        node = self.hooked_node("chatty_hook", "head -c 200000 /dev/zero | tr '\\0' x; echo; exit 3",
                                timeout_s=10)
        self.fire(node)
        text = self.hook_text(node, "chatty_hook")
        self.assertIn("hook exit=3 output=" + "x" * 512, text)
        self.assertNotIn("x" * 513, text)

    def test_failing_endpoint_is_ejected_and_traffic_recovers(self):
        good = self.start_origin(name="good")
        bad = self.start_origin(name="bad", error_rate=1.0)
        # Passive ejection off, so only the rule can eject. Health checks stay on with a short
        # interval: the bad origin's /health answers 200, and a passing check must NOT end an
        # ejection the policy decided (it ends only a passive one).
        node = self.start("eject_bad", 'action = "eject_endpoint"', [good, bad],
                          passive_eject_failures=0, health_check={"interval_ms": 100})
        self.fire(node)
        incident = self.incident_for(node, "eject_bad")
        text = self.timeline_text(incident)
        self.assertRegex(text, r"ejected endpoint " + bad.endpoint().replace(".", r"\.") +
                         r" of demo for 30 s \(failure ratio 1\.00 over \d+ requests\)")
        states = self.endpoint_health(node)
        self.assertTrue(states[bad.endpoint()]["ejected"], states)
        self.assertFalse(states[good.endpoint()]["ejected"], states)
        statuses = [node.get("/x").status for _ in range(20)]
        self.assertEqual(statuses, [200] * 20)
        time.sleep(0.5)  # several passing health checks of the bad endpoint
        self.assertTrue(self.endpoint_health(node)[bad.endpoint()]["ejected"])

    def test_a_rollback_with_no_release_is_not_taken_and_mitigates_nothing(self):
        bad = self.start_origin(name="bad", error_rate=1.0)
        node = self.start("errors_no_release", 'action = "rollback"', [bad])
        incident = self.incident_for(node, "errors_no_release")
        self.assertIn("nothing to roll back", self.timeline_text(incident))
        kinds = [e["kind"] for e in incident["timeline"]]
        self.assertNotIn("action_taken", kinds)
        self.assertNotIn("mitigated", kinds, "the failure goes on: nothing was mitigated")
        self.assertEqual(incident["status"], "open")
        self.assertIsNone(incident["mttr_seconds"])

    def test_mitigated_means_recovered_for_the_hold_and_is_dated_where_the_recovery_began(self):
        # Issue 17 items 4 and 11: an alert-only rule on a half-failing service. Nothing the node
        # does fixes it, so the incident stays open while it fails; fixed, it is mitigated once
        # the service stayed fine for the hold (2 s), dated at the fix, with the impact counted.
        bad = self.start_origin(name="bad", error_rate=0.5)
        node = self.start("errors_alert", 'action = "alert"\nrecovery_hold_s = 2', [bad])
        incident = self.incident_for(node, "errors_alert")
        self.fire(node, 60)
        incident = node.get("/incidents/" + incident["id"]).json()
        self.assertEqual(incident["status"], "open", "still failing: not mitigated")
        fixed_at = time.time()
        bad.fault(error_rate=0)

        def mitigated():
            self.fire(node, 10)  # recovery needs evidence: requests that succeed
            return node.get("/incidents/" + incident["id"]).json()["status"] == "mitigated"
        wait_until(mitigated, 15, message="the incident mitigated after the hold")
        seen_at = time.time()
        incident = node.get("/incidents/" + incident["id"]).json()
        entry = next(e for e in incident["timeline"] if e["kind"] == "mitigated")
        recovered_at = entry["time_ms"] / 1000
        self.assertGreater(recovered_at, fixed_at - 0.5, entry)
        self.assertLess(recovered_at, fixed_at + 1.0, entry)  # the fix, not the end of the hold
        self.assertGreater(seen_at - recovered_at, 1.9, "the status changed only after the hold")
        self.assertIn("stayed so for 2 s", entry["text"])
        report = node.get(f"/incidents/{incident['id']}/report").text()
        self.assertRegex(report, r"\| Impact \| measured by the node: [1-9]\d* of \d+ requests "
                                 r"to demo failed \(\d+\.\d %\), over ")

    def test_frequent_restarts_open_an_incident(self):
        # The default policy's frequent_restarts: more than 3 restarts in 15 minutes, SEV-2,
        # escalate (on-call authority: recommended). The count survives the restarts it counts.
        origin = self.start_origin(name="o")
        services = [service("demo", [origin.endpoint()])]
        for _ in range(4):
            node = self.start_node(services)
            self.assertEqual(node.get("/incidents").json(), [])
            node.signal(signal.SIGTERM)
            self.assertEqual(node.wait(10), 0)
        node = self.start_node(services)  # the fourth restart
        incident = self.incident_for(node, "frequent_restarts")
        self.assertEqual((incident["severity"], incident["target"]), ("SEV-2", "node"))
        self.assertIn("recommended: escalate", self.timeline_text(incident))

    def endpoint_health(self, node):
        """{address: endpoint entry} from GET /health, wherever the service's entry sits."""
        found = {}

        def walk(v):
            if isinstance(v, dict):
                if "address" in v and "ejected" in v:
                    found[v["address"]] = v
                for x in v.values():
                    walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
        walk(node.health())
        return found


if __name__ == "__main__":
    unittest.main()
