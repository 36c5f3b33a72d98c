# The legacy [notify] webhooks, now `webhook` channels of notify's delivery thread (issue 14),
# with a receiver that accepts the connection and never answers. The control thread never
# touches the network for a notification (it only records the incident; the outbox row commits
# with it), so while the attempt waits the control tick keeps running (control_ticks_total
# rises) and GET /releases answers in under 50 ms; once the channel's timeout
# ([notify] webhook_timeout_ms) passes, the node logs WARN NOTIFY "notification attempt failed,
# will retry" naming the channel and the reason, and tries again later. A second webhook, named
# by host name (libcurl's resolver) and answering 200, is delivered meanwhile on its own lane.
import socket
import time

from harness import HoldingServer, IntegrationTest, service, wait_until

TIMEOUT_MS = 2000


def receiver(silent, family=socket.AF_INET, address="127.0.0.1"):
    """A webhook receiver on loopback: answers 200, or (silent) holds each request unanswered."""
    return HoldingServer(hold=lambda head: silent, family=family, address=address)


def localhost_receiver():
    """An answering receiver where "localhost" resolves first."""
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

        r = node.post("/incidents", {"title": "webhook drill", "severity": "SEV-1",
                                     "services": ["shop"]})
        self.assertEqual(r.status, 201, r.text())
        self.assertTrue(silent.holding.wait(5), "the webhook post never reached the receiver")
        started = time.monotonic()

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
        self.assertNotIn("channel=webhook-1", node.log(), "failed before its deadline")
        self.assertGreater(samples, 3)
        self.assertLess(slowest, 0.050, f"GET /releases took {slowest * 1000:.0f} ms during the post")
        self.assertGreaterEqual(ticks_during, 3, "the control tick stood still during the post")

        # The named webhook was delivered meanwhile: each channel has a lane (thread) of its own.
        self.assertTrue(named.answered.is_set(),
                        "the webhook named by host name waited for the silent one")
        wait_until(lambda: "notification delivered channel=webhook-2" in node.log(), 5,
                   message="the delivered webhook to be logged")

        # After the deadline: a WARN naming the channel and the timeout, and a retry later.
        wait_until(lambda: "will retry channel=webhook-1" in node.log(), 10,
                   message="WARN notification attempt failed for webhook-1")
        failed = [l for l in node.log().splitlines()
                  if "will retry" in l and "channel=webhook-1" in l]
        self.assertGreaterEqual(len(failed), 1, node.log())
        self.assertIn(" WARN NOTIFY ", failed[0])
        self.assertIn("Timeout", failed[0])
        self.assertGreaterEqual(node.metric_value("notifications_total", channel="webhook-1",
                                                  result="retry"), 1)
        self.assertGreaterEqual(node.metric_value("notifications_total", channel="webhook-2",
                                                  result="delivered"), 1)
        self.assertEqual(node.health()["dependencies"]["notify"]["channels"]["webhook-1"]["status"],
                         "degraded")
        self.assertEqual(node.get("/releases").status, 200)


if __name__ == "__main__":
    import unittest
    unittest.main()
