# The public status page (docs/ONCALL.md, "Status page"): a real node with an open incident
# (POST /incidents, with a <script> in its title and an address in an update) and a degraded
# service (one of its two upstreams is down). /status.json is checked field by field, /status is
# loaded in headless Chromium and asserted on through the DOM Chromium rendered, and a
# screenshot is saved (X0_STATUS_SCREENSHOT names where; docs/images/status-page.png is one).
# The uptime history is checked to survive kill -9 and a restart, on disk and on the page.
import os
import shutil
import signal
import sqlite3
import subprocess
import unittest
from html.parser import HTMLParser

from harness import IntegrationTest, free_port, request, service, wait_until

TITLE = "<script>alert(1)</script> Checkout payments failing"


def chromium(args, workdir):
    """Runs headless Chromium; repeats a run Chromium abandoned with ERR_NETWORK_CHANGED (tests
    beside this one add loopback addresses and namespaces; see test_https.py)."""
    for _ in range(4):
        p = subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={workdir}/chrome", *args],
            capture_output=True, text=True, timeout=90)
        if "ERR_NETWORK_CHANGED" not in p.stderr:
            return p
    return p


class Dom(HTMLParser):
    """The rendered DOM's elements that carry data-* states, with their text, and script tags."""

    def __init__(self):
        super().__init__()
        self.stack, self.elements, self.scripts = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        if tag not in ("meta", "link", "br", "img", "input"):
            self.stack.append(element)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for element in self.stack:
            element["text"] += data

    def find(self, **attrs):
        return [e for e in self.elements
                if all(e["attrs"].get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def by_class(self, name):
        return [e for e in self.elements if name in (e["attrs"].get("class") or "").split()]


class StatusPageTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.origin = self.start_origin(name="site")
        self.down = f"127.0.0.1:{free_port()}"  # nothing listens there
        self.node = self.start_node(self.services(), extra_sections=self.sections())

    def services(self):
        return [service("shop", [self.origin.endpoint()]),
                service("pay", [self.origin.endpoint(), self.down], path_prefixes=["/pay"])]

    def sections(self, **status):
        return {"status": {"page_name": "Shop status", "sample_interval_s": 1, **status}}

    def open_incident(self):
        r = self.node.post("/incidents", {"title": TITLE, "severity": "SEV-2",
                                          "services": ["shop"],
                                          "text": "Customers see errors at checkout"})
        self.assertEqual(r.status, 201, r.text())
        iid = r.json()["id"]
        r = self.node.post(f"/incidents/{iid}/ack", {"text": "card processor at 10.0.0.9:443 "
                                                             "times out; failing over"})
        self.assertEqual(r.status, 200, r.text())
        r = self.node.post(f"/incidents/{iid}/update", {"text": "Failover done, watching"})
        self.assertEqual(r.status, 200, r.text())
        # The page is rebuilt at most once a second (admin/status_page_cache.h).
        wait_until(lambda: [len(i["incident_updates"]) for i in self.summary()["incidents"]
                            if i["id"] == iid] == [3], 5,
                   message="the page to show the incident and its updates")
        return iid

    def summary(self):
        r = self.node.get("/status.json")
        self.assertEqual(r.status, 200, r.text())
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(r.header("Cache-Control"), "no-cache")
        return r.json()

    def wait_degraded(self):
        def pay_degraded():
            pay = self.node.health()["dependencies"]["pay"]
            return pay["status"] == "degraded"
        wait_until(pay_degraded, 10, message="the pay service to be degraded")

    def test_status_json_is_shaped_like_statuspage_summary(self):
        self.wait_degraded()
        iid = self.open_incident()
        s = self.summary()
        self.assertEqual(s["page"]["name"], "Shop status")
        self.assertEqual(s["page"]["id"], "node")
        self.assertEqual(s["status"], {"indicator": "major", "description": "Partial System Outage"})
        components = {c["id"]: c for c in s["components"]}
        # Services by name, then the node's own parts.
        self.assertEqual(list(components), ["service-pay", "service-shop", "node", "mesh", "pqc",
                                            "cache"])
        self.assertEqual(components["service-pay"]["status"], "degraded_performance")
        self.assertEqual(components["service-pay"]["status_detail"], "1 of 2 endpoints healthy")
        self.assertEqual(components["service-shop"]["status"], "partial_outage")  # the SEV-2
        self.assertEqual(components["node"]["status"], "operational")
        self.assertEqual(components["cache"]["uptime"]["days"], 90)
        self.assertEqual(len(components["cache"]["uptime"]["history"]), 90)
        [inc] = s["incidents"]
        self.assertEqual((inc["id"], inc["name"], inc["status"], inc["impact"]),
                         (iid, TITLE, "identified", "major"))
        self.assertEqual([c["id"] for c in inc["components"]], ["service-shop"])
        updates = inc["incident_updates"]
        self.assertEqual([u["status"] for u in updates], ["identified", "identified", "investigating"])
        self.assertEqual([u["body"] for u in updates],
                         ["Failover done, watching",
                          "card processor at [address] times out; failing over",
                          "Customers see errors at checkout"])
        self.assertEqual([i["id"] for i in s["recent_incidents"]], [iid])
        self.assertEqual(s["scheduled_maintenances"], [])
        text = str(s)
        for secret in (self.down, "10.0.0.9", self.origin.endpoint(), self.node.workdir):
            self.assertNotIn(secret, text)

    def test_head_methods_and_no_token_needed(self):
        r = request(self.node.data_port, "HEAD", "/status")
        self.assertEqual((r.status, r.body), (200, b""))
        self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8")
        self.assertGreater(int(r.header("Content-Length")), 1000)
        self.assertEqual(request(self.node.data_port, "HEAD", "/status.json").status, 200)
        r = request(self.node.data_port, "POST", "/status")
        self.assertEqual((r.status, r.header("Allow")), (405, "GET, HEAD"))
        # The site's own paths next to it are still the site's.
        r = request(self.node.data_port, "GET", "/status/x")
        self.assertEqual(r.header("X-Origin"), "site")

    @unittest.skipUnless(shutil.which("chromium"), "chromium is not installed")
    def test_chromium_renders_banner_components_incident_and_updates(self):
        self.wait_degraded()
        iid = self.open_incident()
        wait_until(lambda: self.summary()["components"][2]["uptime"]["percent"] is not None, 10,
                   message="a first uptime sample")
        url = f"http://127.0.0.1:{self.node.data_port}/status"
        p = chromium(["--dump-dom", url], self.workdir)
        self.assertIn("</html>", p.stdout, p.stderr[-2000:])
        dom = Dom()
        dom.feed(p.stdout)
        self.assertEqual(dom.scripts, 0)  # the title's <script> is text, nothing runs
        [banner] = dom.find(id="banner")
        self.assertEqual(banner["attrs"]["data-indicator"], "major")
        self.assertIn("Partial System Outage", banner["text"])
        states = {e["attrs"]["data-component"]: e["attrs"]["data-status"]
                  for e in dom.by_class("component")}
        self.assertEqual(states, {"service-shop": "partial_outage",
                                  "service-pay": "degraded_performance", "node": "operational",
                                  "mesh": "operational", "pqc": "operational",
                                  "cache": "operational"})
        [pay] = dom.find(data_component="service-pay")
        self.assertIn("Degraded Performance", pay["text"])
        self.assertIn("1 of 2 endpoints healthy", pay["text"])
        self.assertEqual(len([e for e in dom.elements if e["tag"] == "rect"]), 6 * 90)
        [incident] = dom.find(id=iid)
        self.assertEqual(incident["attrs"]["data-status"], "identified")
        [name] = [e for e in dom.by_class("incident-name")]
        self.assertEqual(name["text"], TITLE)
        updates = [e for e in dom.by_class("update")]
        self.assertEqual([u["attrs"]["data-status"] for u in updates],
                         ["identified", "identified", "investigating"])
        self.assertIn("card processor at [address] times out", updates[1]["text"])
        self.assertIn("Customers see errors at checkout", updates[2]["text"])
        self.assertNotIn("10.0.0.9", p.stdout)
        [recent] = dom.by_class("recent-incident")
        self.assertEqual(recent["attrs"]["data-incident"], iid)

        shot = os.environ.get("X0_STATUS_SCREENSHOT") or os.path.join(self.workdir, "status.png")
        p = chromium([f"--screenshot={shot}", "--window-size=1000,1500", url], self.workdir)
        self.assertTrue(os.path.exists(shot), p.stderr[-2000:])
        with open(shot, "rb") as f:
            png = f.read()
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        self.assertGreater(len(png), 20000)  # a page, not a blank

    def test_uptime_history_survives_kill_9_and_restart(self):
        def node_samples():
            [node] = [c for c in self.summary()["components"] if c["id"] == "node"]
            return sum(node["uptime"]["history"][-1]["samples"].values())
        wait_until(lambda: node_samples() >= 4, 15, message="four uptime samples")
        self.node.signal(signal.SIGKILL)
        self.node.wait(5)
        db = sqlite3.connect(os.path.join(self.workdir, "node-data", "incidents.db"))
        on_disk = dict(db.execute("SELECT component, operational + degraded_performance + "
                                  "partial_outage + major_outage FROM uptime_days").fetchall())
        version = db.execute("PRAGMA user_version").fetchone()[0]
        db.close()
        self.assertEqual(version, 4)
        self.assertGreaterEqual(on_disk["node"], 4, on_disk)
        self.assertGreaterEqual(on_disk["service-pay"], 4, on_disk)
        self.node = self.start_node(self.services(), extra_sections=self.sections())
        self.assertGreaterEqual(node_samples(), on_disk["node"])
        [pay] = [c for c in self.summary()["components"] if c["id"] == "service-pay"]
        samples = pay["uptime"]["history"][-1]["samples"]
        self.assertGreaterEqual(sum(samples.values()), on_disk["service-pay"])


class StatusPageDisabledTest(IntegrationTest):
    def test_disabled_gives_the_paths_to_the_services(self):
        origin = self.start_origin(name="site")
        node = self.start_node([service("shop", [origin.endpoint()])],
                               extra_sections={"status": {"enabled": False}})
        for path in ("/status", "/status.json"):
            r = node.get(path)
            self.assertEqual((r.status, r.header("X-Origin")), (200, "site"), path)
        p = self.run_cli("check-config", node.config_path)
        self.assertEqual(p.returncode, 0, p.stderr)


if __name__ == "__main__":
    unittest.main()
