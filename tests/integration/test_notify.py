# On-call notifications end to end (issue 14): a node with one channel of each type, all pointed
# (base_url, url) at a local HTTPS receiver whose certificate chains to a CA made for the test
# (the channels' ca_file). Checks each service's payload fields, the answers that mean success,
# retry (429 with its hints, 500) and permanent failure (400), the `notified` timeline entries
# with channel and attempts, the metrics and /health dependencies.notify; that queued messages
# survive kill -9 and are delivered once each after the restart; and that a receiver that never
# answers does not delay the operator API.
import hashlib
import hmac
import os
import signal
import socket
import threading
import time

from harness import HoldingServer, IntegrationTest, service, wait_until
from notify_receiver import Receiver, make_ca


class ConnectProxy:
    """An HTTP CONNECT proxy on loopback (what https_proxy names): records each tunnel's target
    and pipes the bytes both ways."""

    def __init__(self):
        self.targets = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, conn):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                return conn.close()
            head += chunk
        method, target, _ = head.split(b"\r\n")[0].decode().split(" ", 2)
        if method != "CONNECT":
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return conn.close()
        self.targets.append(target)
        host, port = target.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pipe(a, b):
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=pipe, args=(upstream, conn), daemon=True).start()
        pipe(conn, upstream)

    def close(self):
        self.listener.close()


class NotifyTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.ca, cert, key = make_ca(self.workdir)
        self.receiver = Receiver(cert, key)
        self.addCleanup(self.receiver.close)
        self.secrets = {}
        for name, value in (("pd", "PDKEY123"), ("slack", "T000/B000/XXXX"),
                            ("tg", "42:TGTOKEN"), ("sp", "SPKEY"), ("hook", "hmac-secret")):
            path = os.path.join(self.workdir, f"{name}.secret")
            with open(path, "w") as f:
                f.write(value + "\n")
            self.secrets[name] = (path, value)

    def channels(self, only=None):
        r, s = self.receiver, self.secrets
        all_channels = [
            {"name": "pd", "type": "pagerduty", "routing_key_file": s["pd"][0],
             "base_url": r.base("/pd"), "ca_file": self.ca},
            {"name": "slack", "type": "slack", "token_file": s["slack"][0],
             "base_url": r.base("/slack"), "ca_file": self.ca},
            {"name": "tg", "type": "telegram", "token_file": s["tg"][0], "chat_id": "-1001",
             "base_url": r.base("/tg"), "ca_file": self.ca},
            {"name": "sp", "type": "statuspage", "token_file": s["sp"][0], "page_id": "pg1",
             "component_ids": ["cmp1"], "base_url": r.base("/sp"), "ca_file": self.ca},
            {"name": "hook", "type": "webhook", "url": r.base("/hook"),
             "secret_file": s["hook"][0], "ca_file": self.ca},
        ]
        return [c for c in all_channels if only is None or c["name"] in only]

    def node(self, channels, name="node", env=None):
        origin = self.start_origin(name=f"shop-{name}-{time.monotonic_ns()}")
        return self.start_node([service("shop", [origin.endpoint()])], name=name, env=env,
                               extra_sections={"notify": {"public_url": "https://gw.example"},
                                               "notify.channels": channels})

    def open_incident(self, node, severity="SEV-3", title="checkout failing"):
        r = node.post("/incidents", {"title": title, "severity": severity, "services": ["shop"]})
        self.assertEqual(r.status, 201, r.text())
        return r.json()["id"]

    def notified(self, node, incident_id, channel):
        timeline = node.get(f"/incidents/{incident_id}").json()["timeline"]
        return [e for e in timeline if e["kind"] == "notified"
                and e.get("fields", {}).get("channel") == channel]

    def test_every_channel_type_sends_the_documented_payload(self):
        node = self.node(self.channels())
        opened_at = time.monotonic()
        inc = self.open_incident(node)
        rx = self.receiver
        firsts = {c: rx.wait_for(lambda q, c=c: q["path"].startswith(f"/{c}"))[0]["at"]
                  for c in ("pd", "slack", "tg", "sp", "hook")}
        print("\nmeasured: incident opened -> request at the receiver: " + ", ".join(
            f"{c} {(t - opened_at) * 1000:.0f} ms" for c, t in firsts.items()))

        pd = rx.wait_for(lambda q: q["path"] == "/pd/v2/enqueue")[0]["json"]
        self.assertEqual(pd["routing_key"], "PDKEY123")
        self.assertEqual(pd["event_action"], "trigger")
        self.assertEqual(pd["dedup_key"], inc)
        p = pd["payload"]
        self.assertIn("checkout failing", p["summary"])
        self.assertLessEqual(len(p["summary"]), 1024)
        self.assertEqual(p["source"], "node")
        self.assertEqual(p["severity"], "warning")
        self.assertRegex(p["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        for key in ("component", "group", "class", "custom_details"):
            self.assertIn(key, p)
        self.assertEqual(pd["links"][0]["href"], f"https://gw.example/incidents/{inc}/report")

        slack = rx.wait_for(lambda q: q["path"] == "/slack/T000/B000/XXXX")[0]["json"]
        self.assertIn("checkout failing", slack["text"])
        self.assertEqual(slack["blocks"][0]["type"], "header")
        self.assertEqual([f["text"].split("\n")[0] for f in slack["blocks"][1]["fields"]],
                         ["*Severity*", "*Target*", "*State*", "*Level*"])

        tg = rx.wait_for(lambda q: q["path"] == "/tg/bot42:TGTOKEN/sendMessage")[0]["json"]
        self.assertEqual(tg["chat_id"], "-1001")
        self.assertEqual(tg["parse_mode"], "HTML")
        self.assertLessEqual(len(tg["text"]), 4096)
        self.assertTrue(tg["text"].startswith("<b>"))

        sp = rx.wait_for(lambda q: q["path"] == "/sp/v1/pages/pg1/incidents")[0]
        self.assertEqual(sp["method"], "POST")
        self.assertEqual(sp["headers"]["Authorization"], "OAuth SPKEY")
        self.assertEqual(sp["json"]["incident"]["status"], "investigating")
        self.assertEqual(sp["json"]["incident"]["impact_override"], "minor")
        self.assertEqual(sp["json"]["incident"]["components"], {"cmp1": "degraded_performance"})

        hook = rx.wait_for(lambda q: q["path"] == "/hook")[0]
        body = hook["json"]
        self.assertEqual(body["schema"], "x0tta6bl4.notification/v1")
        self.assertEqual(body["event"], "opened")
        self.assertEqual(body["incident"]["id"], inc)
        ts = hook["headers"]["X-X0tta6bl4-Timestamp"]
        want = hmac.new(b"hmac-secret", ts.encode() + b"." + hook["body"], hashlib.sha256).hexdigest()
        self.assertEqual(hook["headers"]["X-X0tta6bl4-Signature"], "sha256=" + want)
        self.assertEqual(hook["headers"]["X-X0tta6bl4-Delivery"], body["id"])

        # Acknowledged: PagerDuty's acknowledge on the same dedup key, Statuspage's update of the
        # incident its create answered.
        self.assertEqual(node.post(f"/incidents/{inc}/ack", {"actor": "alice"}).status, 200)
        ack = rx.wait_for(lambda q: q["path"] == "/pd/v2/enqueue" and q["json"]
                          and q["json"]["event_action"] == "acknowledge")[0]["json"]
        self.assertEqual(ack["dedup_key"], inc)
        patch = rx.wait_for(lambda q: q["path"] == "/sp/v1/pages/pg1/incidents/sp-1")[0]
        self.assertEqual(patch["method"], "PATCH")
        self.assertEqual(patch["json"]["incident"]["status"], "identified")

        for channel in ("pd", "slack", "tg", "sp", "hook"):
            wait_until(lambda: self.notified(node, inc, channel), 10,
                       message=f"a notified entry for {channel}")
            entry = self.notified(node, inc, channel)[0]
            self.assertEqual(entry["fields"]["attempts"], 1)
            self.assertEqual(entry["fields"]["result"], "delivered")
        self.assertEqual(node.metric_value("notifications_total", channel="pd", event="opened",
                                           result="delivered"), 1)
        self.assertGreater(node.metric_value("notification_delivery_seconds_count"), 0)
        notify = node.health()["dependencies"]["notify"]
        self.assertEqual(notify["status"], "healthy", notify)
        self.assertNotIn("PDKEY123", node.log())
        self.assertNotIn("TGTOKEN", node.log())

    def test_retry_hints_server_errors_and_permanent_failures(self):
        rx = self.receiver
        rx.script = {
            "/pd/": [(429, {"status": "throttled"}, {"Retry-After": "1"})],
            "/slack/": [(500, "oops", {})],
            "/tg/": [(429, {"ok": False, "error_code": 429, "parameters": {"retry_after": 1}}, {})],
            "/hook": [(400, {"error": "bad"}, {})],
        }
        node = self.node(self.channels(only={"pd", "slack", "tg", "hook"}))
        inc = self.open_incident(node)

        pd = rx.wait_for(lambda q: q["path"] == "/pd/v2/enqueue", count=2)
        tg = rx.wait_for(lambda q: q["path"].startswith("/tg/"), count=2)
        rx.wait_for(lambda q: q["path"].startswith("/slack/"), count=2)
        self.assertEqual([q["status"] for q in pd[:2]], [429, 202])
        self.assertEqual([q["status"] for q in tg[:2]], [429, 200])
        for channel in ("pd", "slack", "tg"):
            wait_until(lambda: self.notified(node, inc, channel), 10,
                       message=f"a notified entry for {channel}")
            self.assertEqual(self.notified(node, inc, channel)[0]["fields"]["attempts"], 2)

        # 400: one attempt, then a timeline entry saying why, and the channel degraded.
        wait_until(lambda: self.notified(node, inc, "hook"), 10, message="the webhook's failure")
        failed = self.notified(node, inc, "hook")[0]
        self.assertEqual(failed["fields"]["result"], "failed")
        self.assertIn("answered 400", failed["fields"]["reason"])
        self.assertEqual(len([q for q in rx.requests if q["path"] == "/hook"]), 1)
        self.assertEqual(node.metric_value("notifications_total", channel="hook",
                                           result="failed"), 1)
        self.assertEqual(node.metric_value("notifications_total", channel="pd", result="retry"), 1)
        health = node.health()
        self.assertEqual(health["dependencies"]["notify"]["status"], "degraded")
        self.assertEqual(health["dependencies"]["notify"]["channels"]["hook"]["status"], "degraded")
        self.assertEqual(health["dependencies"]["notify"]["channels"]["pd"]["status"], "healthy")

    def test_kill_9_with_queued_messages_then_restart_delivers_each_once(self):
        rx = self.receiver
        rx.script = {"/hook": [(503, "down", {})] * 1000}
        node = self.node(self.channels(only={"hook"}))
        ids = [self.open_incident(node, title=f"incident {i}") for i in range(3)]
        rx.wait_for(lambda q: q["path"] == "/hook", count=3)
        wait_until(lambda: node.metric_value("notification_queue_depth") >= 3, 5,
                   message="three queued notifications")
        node.signal(signal.SIGKILL)
        node.wait(5)

        rx.script = {}
        restarted = self.node(self.channels(only={"hook"}))
        delivered = rx.wait_for(lambda q: q["path"] == "/hook" and q["status"] == 200, count=3)
        time.sleep(1.5)  # anything sent twice would arrive by now
        delivered = [q for q in rx.requests if q["path"] == "/hook" and q["status"] == 200]
        keys = [q["headers"]["X-X0tta6bl4-Delivery"] for q in delivered]
        self.assertEqual(len(keys), 3, keys)
        self.assertEqual(len(set(keys)), 3, keys)
        self.assertEqual(sorted(q["json"]["incident"]["id"] for q in delivered), sorted(ids))
        attempts = []
        for inc in ids:
            entry = self.notified(restarted, inc, "hook")
            self.assertEqual(len(entry), 1, entry)
            attempts.append(entry[0]["fields"]["attempts"])
        # Attempts made before the kill count (an answer the kill cut off may not).
        self.assertGreaterEqual(max(attempts), 2, attempts)
        self.assertEqual(restarted.metric_value("notification_queue_depth"), 0)

    def test_an_l2_channel_hears_an_incident_from_its_escalation_on(self):
        lead = dict(self.channels(only={"tg"})[0], name="lead", levels=["L2"])
        node = self.node(self.channels(only={"pd"}) + [lead])
        inc = self.open_incident(node, severity="SEV-1")  # SEV-1: the team lead at once
        rx = self.receiver
        msgs = rx.wait_for(lambda q: q["path"].startswith("/tg/"), timeout=10)
        self.assertIn("escalated to L2", msgs[0]["json"]["text"])
        pd = rx.wait_for(lambda q: q["path"] == "/pd/v2/enqueue", count=2)
        self.assertEqual([q["json"]["payload"]["custom_details"]["event"] for q in pd[:2]],
                         ["opened", "escalated"])
        self.assertEqual(node.post(f"/incidents/{inc}/resolve",
                                   {"root_cause": "drill", "resolution": "done"}).status, 200)
        msgs = rx.wait_for(lambda q: q["path"].startswith("/tg/"), count=2)
        self.assertIn("resolved", msgs[1]["json"]["text"])
        time.sleep(0.5)
        texts = [q["json"]["text"] for q in rx.requests if q["path"].startswith("/tg/")]
        self.assertFalse([t for t in texts if " opened:" in t], texts)  # never the L1 page

    def test_the_proxy_environment_is_honoured(self):
        proxy = ConnectProxy()
        self.addCleanup(proxy.close)
        env = {"https_proxy": f"http://127.0.0.1:{proxy.port}", "HTTPS_PROXY": "",
               "no_proxy": "", "NO_PROXY": "", "all_proxy": "", "ALL_PROXY": ""}
        node = self.node(self.channels(only={"pd"}), env=env)
        inc = self.open_incident(node)
        self.receiver.wait_for(lambda q: q["path"] == "/pd/v2/enqueue")
        wait_until(lambda: self.notified(node, inc, "pd"), 10, message="the delivery through the proxy")
        self.assertIn(f"127.0.0.1:{self.receiver.port}", proxy.targets)

    def test_a_receiver_whose_certificate_does_not_verify_is_refused(self):
        untrusted = self.channels(only={"pd"})[0]
        del untrusted["ca_file"]  # the system store does not know the test CA
        trusted = dict(self.channels(only={"slack"})[0])
        node = self.node([untrusted, trusted])
        self.open_incident(node)
        self.receiver.wait_for(lambda q: q["path"].startswith("/slack/"))
        wait_until(lambda: "will retry channel=pd" in node.log(), 10,
                   message="the refused certificate to be logged")
        line = [l for l in node.log().splitlines() if "will retry channel=pd" in l][0]
        self.assertIn("certificate", line.lower())
        self.assertFalse([q for q in self.receiver.requests if q["path"].startswith("/pd/")],
                         "a request went to a server whose certificate did not verify")
        self.assertEqual(node.health()["dependencies"]["notify"]["channels"]["pd"]["status"],
                         "degraded")

    def test_a_storm_of_100_incidents_reaches_each_chat_as_a_few_paced_digests(self):
        # Slack at its 1/s, a Telegram group at 20/min (its limit for groups), PagerDuty at a
        # pace set in the config: every incident named exactly once on every channel, chats in a
        # handful of messages, and never faster than the pace.
        channels = self.channels(only={"slack", "tg", "pd"})
        for c in channels:
            if c["name"] == "pd":
                c.update(rate_per_minute=1200, burst=5)
        node = self.node(channels)
        ids = [None] * 100

        def open_some(start):
            for i in range(start, 100, 4):
                ids[i] = self.open_incident(node, title=f"storm {i}")

        started = time.monotonic()
        workers = [threading.Thread(target=open_some, args=(k,)) for k in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        opened_s = time.monotonic() - started
        rx = self.receiver
        named = lambda prefix: [i for q in rx.requests if q["path"].startswith(prefix)
                                for i in ids if f"{i} opened" in q["body"].decode()]
        wait_until(lambda: set(named("/slack/")) == set(ids), 20, message="slack names all 100")
        wait_until(lambda: set(named("/tg/")) == set(ids), 30, message="telegram names all 100")
        pd = rx.wait_for(lambda q: q["path"] == "/pd/v2/enqueue", count=100, timeout=20)
        time.sleep(1.5)  # anything sent twice would arrive by now
        for prefix, interval, most in (("/slack/", 1.0, 5), ("/tg/", 3.0, 6)):
            msgs = [q for q in rx.requests if q["path"].startswith(prefix)]
            print(f"\nmeasured: 100 incidents opened in {opened_s:.2f} s reached {prefix} as "
                  f"{len(msgs)} messages over {msgs[-1]['at'] - msgs[0]['at']:.1f} s")
            self.assertLessEqual(len(msgs), most, [q["json"]["text"][:80] for q in msgs])
            self.assertEqual(sorted(named(prefix)), sorted(ids))  # each once: none lost, none twice
            gaps = [b["at"] - a["at"] for a, b in zip(msgs, msgs[1:])]
            self.assertGreaterEqual(min(gaps), interval * 0.8, gaps)
        pd = [q for q in rx.requests if q["path"] == "/pd/v2/enqueue"]
        self.assertEqual(sorted(q["json"]["dedup_key"] for q in pd), sorted(ids))
        # 1200/min with a burst of 5: request k comes at least (k - 4) * 50 ms after the first.
        for k in range(5, len(pd)):
            self.assertGreaterEqual(pd[k]["at"] - pd[0]["at"], (k - 4) * 0.05 - 0.02, k)
        entry = self.notified(node, ids[-1], "slack")
        self.assertEqual(len(entry), 1, entry)
        self.assertEqual(entry[0]["fields"]["result"], "delivered")

    def test_a_receiver_that_never_answers_does_not_delay_the_operator_api(self):
        silent = HoldingServer(hold=lambda head: True)
        self.addCleanup(silent.close)
        channel = {"name": "silent", "type": "webhook",
                   "url": f"http://127.0.0.1:{silent.port}/hook", "timeout_ms": 3000}
        node = self.node([channel])
        self.open_incident(node)
        self.assertTrue(silent.holding.wait(5), "the notification never reached the receiver")
        started = time.monotonic()
        ticks_before = node.metric_value("control_ticks_total")
        slowest, samples = 0.0, 0
        while time.monotonic() - started < 1.5:
            t0 = time.monotonic()
            r = node.get("/api/v1/status")
            slowest = max(slowest, time.monotonic() - t0)
            samples += 1
            self.assertEqual(r.status, 200)
            time.sleep(0.05)
        t0 = time.monotonic()
        self.open_incident(node, title="second one while the first hangs")
        post_s = time.monotonic() - t0
        ticks = node.metric_value("control_ticks_total") - ticks_before
        print(f"\nmeasured: GET /api/v1/status slowest {slowest * 1000:.1f} ms over {samples} "
              f"requests, POST /incidents {post_s * 1000:.1f} ms, {ticks:.0f} control ticks in "
              f"{time.monotonic() - started:.1f} s while the receiver hangs")
        self.assertLess(slowest, 0.050, f"GET /api/v1/status took {slowest * 1000:.0f} ms")
        self.assertLess(post_s, 0.5)
        self.assertGreaterEqual(ticks, 5, "the control tick stood still")
        # The attempt ends at its timeout and is retried later.
        wait_until(lambda: "notification attempt failed, will retry" in node.log(), 10,
                   message="the timed-out attempt to be logged")
        line = [l for l in node.log().splitlines() if "will retry" in l][0]
        self.assertIn("channel=silent", line)
        self.assertIn(" WARN NOTIFY ", line)


if __name__ == "__main__":
    import unittest
    unittest.main()
