# A blue/green candidate that accepts the smoke check's connection and never answers. The smoke
# check is a task on the control loop (http::Client with a deadline), so while it waits the
# control thread keeps working: GET /releases answers in under 50 ms (the bound issue 11 states),
# the control tick keeps running (control_ticks_total, bumped every 100 ms tick, keeps rising),
# and when the check's 2 s deadline passes the switch is refused with the reason. Before, the
# blocking check held the control thread for the whole 2 s: /releases waited about 1.8 s and the
# tick count stood still.
import json
import os
import threading
import time

from harness import HoldingServer, IntegrationTest, request, service, wait_until
from test_releases import TEST_POLICY

SMOKE_PATH = "/smoke-silent"


def silent_smoke_candidate():
    """A candidate origin that answers health probes (and any other request) with 200, but holds
    a request for SMOKE_PATH open without a byte of answer until the test ends."""
    return HoldingServer(hold=lambda head: head.startswith(f"GET {SMOKE_PATH} ".encode()), body=b"ok")


class SmokeTimeoutTest(IntegrationTest):
    def test_silent_candidate_leaves_the_control_thread_free_and_the_switch_is_refused(self):
        policy = os.path.join(self.workdir, "policy.toml")
        with open(policy, "w") as f:
            f.write(TEST_POLICY)
        stable = [self.start_origin(name="stable-a"), self.start_origin(name="stable-b")]
        node = self.start_node([service("shop", [o.endpoint() for o in stable])],
                               extra_sections={"autopilot": {"policy_file": policy}})
        green = silent_smoke_candidate()
        self.addCleanup(green.close)
        r = node.post("/releases/shop/start",
                      {"strategy": "blue_green", "candidate": [green.endpoint()], "header": "X-Canary",
                       "smoke": {"path": SMOKE_PATH, "expect_status": 200}})
        self.assertEqual(r.status, 200, r.text())

        answer = {}

        def promote():
            answer["response"] = node.post("/releases/shop/promote", timeout=15)
            answer["done_at"] = time.monotonic()

        started = time.monotonic()
        promoter = threading.Thread(target=promote, daemon=True)
        promoter.start()
        self.assertTrue(green.holding.wait(5), "the smoke check never reached the candidate")

        # While the check waits on the silent candidate (about 2 s from its start):
        ticks_before = node.metric_value("control_ticks_total")
        slowest = 0.0
        samples = 0
        while time.monotonic() - started < 1.5:
            t0 = time.monotonic()
            r = node.get("/releases")
            slowest = max(slowest, time.monotonic() - t0)
            samples += 1
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json()["releases"][0]["state"], "running")
            time.sleep(0.05)
        ticks_during = node.metric_value("control_ticks_total") - ticks_before
        self.assertFalse("response" in answer, "promote answered before the smoke deadline")
        self.assertGreater(samples, 3)
        self.assertLess(slowest, 0.050, f"GET /releases took {slowest * 1000:.0f} ms during the check")
        # Ticks are every 100 ms; over about a second a free control thread runs several. A
        # blocked one runs none.
        self.assertGreaterEqual(ticks_during, 3, "the control tick stood still during the check")

        promoter.join(15)
        self.assertIn("response", answer, "promote never answered")
        r = answer["response"]
        self.assertEqual(r.status, 424, r.text())
        body = r.json()
        self.assertEqual(body["error"], "smoke_failed")
        self.assertIn("no complete response", body["detail"])
        self.assertIn(green.endpoint(), body["detail"])
        # Refused after the check's deadline, not before it.
        self.assertGreaterEqual(answer["done_at"] - started, 1.9)

        # Nothing switched: the release still runs at 0 % and traffic stays on stable.
        state = node.get("/releases").json()["releases"][0]
        self.assertEqual(state["state"], "running")
        for _ in range(10):
            self.assertIn(node.get("/x").header("X-Origin"), {"stable-a", "stable-b"})


if __name__ == "__main__":
    import unittest
    unittest.main()
