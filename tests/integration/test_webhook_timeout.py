# An incident notification webhook whose receiver accepts the connection and never answers. The
# post is a task on the control loop (net::Resolver for the name, http::Client with the
# [notify] webhook_timeout_ms deadline), so while it waits the control thread keeps working: the
# control tick keeps running (control_ticks_total rises), GET /releases answers in under 50 ms,
# and once the deadline passes the node logs WARN INCIDENT "notify webhook failed" with the url
# and the reason. A second webhook, named by host name (looked up on the resolver's thread) and
# answering 200, is delivered meanwhile. Before, the blocking post held the control thread: a
# second for the connect, another for the answer, and getaddrinfo without any bound.
import socket
import time

from harness import HoldingServer, IntegrationTest, service, wait_until

TIMEOUT_MS = 2000


def receiver(silent, family=socket.AF_INET, address="127.0.0.1"):
    """A webhook receiver on loopback: answers 200, or (silent) holds each request unanswered."""
    return HoldingServer(hold=lambda head: silent, family=family, address=address)


def localhost_receiver():
    """An answering receiver where "localhost" resolves first (the node takes the first answer
    of getaddrinfo, as Python's does with the same hints)."""
    family, _, _, _, sockaddr = socket.getaddrinfo("localhost", 0, type=socket.SOCK_STREAM)[0]
    return receiver(silent=False, family=family, address=sockaddr[0])


class WebhookTimeoutTest(IntegrationTest):
    def test_silent_webhook_leaves_the_control_thread_free_and_fails_after_its_deadline(self):
        silent = receiver(silent=True)
        self.addCleanup(silent.close)
        named = localhost_receiver()
        self.addCleanup(named.close)
        silent_url = f"http://127.0.0.1:{silent.port}/hook"
        named_url = f"http://localhost:{named.port}/hook"
        origin = self.start_origin(name="shop")
        node = self.start_node([service("shop", [origin.endpoint()])], extra_sections={
            "notify": {"webhooks": [silent_url, named_url], "webhook_timeout_ms": TIMEOUT_MS}})

        # A SEV-1 goes to the team lead at once: the next escalation pass (once a second) posts.
        r = node.post("/incidents", {"title": "webhook drill", "severity": "SEV-1",
                                     "services": ["shop"]})
        self.assertEqual(r.status, 201, r.text())
        self.assertTrue(silent.holding.wait(5), "the webhook post never reached the receiver")
        started = time.monotonic()

        # While the post waits on the silent receiver (TIMEOUT_MS from its start):
        ticks_before = node.metric_value("control_ticks_total")
        slowest = 0.0
        samples = 0
        while time.monotonic() - started < 1.2:
            t0 = time.monotonic()
            r = node.get("/releases")
            slowest = max(slowest, time.monotonic() - t0)
            samples += 1
            self.assertEqual(r.status, 200)
            time.sleep(0.05)
        ticks_during = node.metric_value("control_ticks_total") - ticks_before
        self.assertNotIn("notify webhook failed", node.log(), "failed before its deadline")
        self.assertGreater(samples, 3)
        self.assertLess(slowest, 0.050, f"GET /releases took {slowest * 1000:.0f} ms during the post")
        # Ticks are every 100 ms; over about a second a free control thread runs several.
        self.assertGreaterEqual(ticks_during, 3, "the control tick stood still during the post")

        # The named webhook was looked up off the control thread and delivered.
        self.assertTrue(named.answered.wait(5), "the webhook named by host name was never posted")
        wait_until(lambda: "notify webhook delivered" in node.log(), 5,
                   message="the delivered webhook to be logged")
        delivered = [l for l in node.log().splitlines() if "notify webhook delivered" in l]
        self.assertIn(named_url, delivered[0])

        # After the deadline: one WARN with the url and the reason.
        wait_until(lambda: "notify webhook failed" in node.log(), 10,
                   message="WARN notify webhook failed")
        failed = [l for l in node.log().splitlines() if "notify webhook failed" in l]
        self.assertEqual(len(failed), 1, failed)
        self.assertIn(" WARN INCIDENT ", failed[0])
        self.assertIn(silent_url, failed[0])
        self.assertIn("timed_out", failed[0])
        self.assertEqual(node.metric_value("notify_webhooks_total", result="failed"), 1)
        self.assertEqual(node.metric_value("notify_webhooks_total", result="delivered"), 1)
        # And the node is as responsive as before.
        self.assertEqual(node.get("/releases").status, 200)


if __name__ == "__main__":
    import unittest
    unittest.main()
