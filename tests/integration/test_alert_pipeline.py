# End to end with the real Prometheus and Alertmanager (Debian's prometheus and
# prometheus-alertmanager) on loopback: Prometheus scrapes a node with the shipped
# X0TTA6BL4HealthCheckFailed rule (its expression as shipped, its `for:` cut to 1 s in a copy made
# here), the demo origin's health checks are made to fail, the rule fires, Alertmanager delivers
# it with deploy/alertmanager/alertmanager.yml's receiver (pointed at this node, the admin token
# from a file as in staging) to /alerts/alertmanager, and an incident opens with Detection Method
# "Alert"; once the origin is fixed the alert resolves and the incident is marked mitigated.
import json
import os
import shutil
import unittest

from harness import SOURCE_DIR, IntegrationTest, free_port, request, service, wait_until

ALERT = "X0TTA6BL4HealthCheckFailed"
TOKEN = "alert-pipeline-token-93d2"


def tool(name):
    return shutil.which(name)


@unittest.skipUnless(tool("prometheus") and tool("prometheus-alertmanager"),
                     "prometheus or prometheus-alertmanager is not installed (scripts/install-deps.sh): "
                     "the alert pipeline is not checked end to end")
class AlertPipelineTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        import yaml
        self.yaml = yaml
        self.token_file = os.path.join(self.workdir, "admin-token")
        with open(self.token_file, "w") as f:
            f.write(TOKEN)
        self.origin = self.start_origin(name="demo")
        self.node = self.start_node(
            [service("demo", [self.origin.endpoint()])],
            extra_sections={"security": {"admin_token": TOKEN, "admin_loopback_trusted": False}})

    def write(self, name, data):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            self.yaml.safe_dump(data, f)
        return path

    def test_origin_failure_fires_the_alert_opens_an_incident_and_resolves(self):
        with open(os.path.join(SOURCE_DIR, "deploy", "prometheus", "alerts.yml")) as f:
            shipped = self.yaml.safe_load(f)
        rules = [dict(r, **{"for": "1s"}) for g in shipped["groups"] for r in g["rules"]
                 if r.get("alert") == ALERT]
        self.assertEqual(len(rules), 1)
        rules_file = self.write("rules.yml", {"groups": [{"name": "x0tta6bl4", "rules": rules}]})

        with open(os.path.join(SOURCE_DIR, "deploy", "alertmanager", "alertmanager.yml")) as f:
            am_config = self.yaml.safe_load(f)
        am_config["route"].update(group_wait="1s", group_interval="1s", repeat_interval="1h")
        hook = am_config["receivers"][0]["webhook_configs"][0]
        hook["url"] = f"http://127.0.0.1:{self.node.data_port}/alerts/alertmanager"
        hook["http_config"]["authorization"]["credentials_file"] = self.token_file
        am_port = free_port()
        am = self.start_process(
            [tool("prometheus-alertmanager"), f"--config.file={self.write('alertmanager.yml', am_config)}",
             f"--storage.path={os.path.join(self.workdir, 'am')}",
             f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="], "alertmanager")

        prom_config = self.write("prometheus.yml", {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "rule_files": [rules_file],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
            "scrape_configs": [{"job_name": "x0tta6bl4", "static_configs": [
                {"targets": [f"127.0.0.1:{self.node.metrics_port}"]}]}]})
        prom_port = free_port()
        prom = self.start_process(
            [tool("prometheus"), f"--config.file={prom_config}",
             f"--storage.tsdb.path={os.path.join(self.workdir, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{prom_port}", "--rules.alert.resend-delay=1s"],
            "prometheus")

        def alert_state():
            for p in (prom, am):
                if not p.alive():
                    raise AssertionError(f"{p.args[0]} exited:\n{p.log()[-3000:]}")
            r = request(prom_port, "GET", "/api/v1/alerts", timeout=2)
            alerts = r.json()["data"]["alerts"] if r.status == 200 else []
            return next((a["state"] for a in alerts if a["labels"]["alertname"] == ALERT), "inactive")

        def alert_incidents():
            return [i for i in self.node.get("/incidents").json() if i.get("rule") == ALERT]

        wait_until(lambda: request(prom_port, "GET", "/-/ready", timeout=2).status == 200, 30, 0.2,
                   message="prometheus to be ready")
        wait_until(lambda: self.node.get("/health/ready").status == 200, 5, message="node ready")
        up = wait_until(lambda: request(prom_port, "GET", "/api/v1/query?query=node_ready").json()
                        ["data"]["result"], 20, 0.2, message="the first scrape")
        self.assertEqual(up[0]["value"][1], "1")
        self.assertEqual(alert_state(), "inactive")
        self.assertEqual(alert_incidents(), [])

        self.origin.fault(health="fail")
        wait_until(lambda: self.node.metric_value("node_ready") == 0, 5,
                   message="node_ready 0 while the only required service has no healthy endpoint")
        wait_until(lambda: alert_state() == "firing", 30, 0.2, message=f"{ALERT} to fire")
        (listed,) = wait_until(alert_incidents, 30, 0.2, message="Alertmanager's delivery to open an incident")
        incident = self.node.get(f"/incidents/{listed['id']}").json()
        self.assertEqual(incident["detection_method"], "Alert")
        self.assertEqual(incident["severity"], "SEV-1")
        self.assertEqual(incident["title"], f"x0tta6bl4 127.0.0.1:{self.node.metrics_port} is down or not ready")
        report = self.node.get(f"/incidents/{listed['id']}/report").text()
        self.assertIn("| Detection Method | Alert |", report)

        self.origin.fault(health="ok")
        wait_until(lambda: alert_state() == "inactive", 30, 0.2, message=f"{ALERT} to resolve")
        mitigated = wait_until(
            lambda: (lambda i: i if i["status"] == "mitigated" else None)(
                self.node.get(f"/incidents/{listed['id']}").json()), 30, 0.2,
            message="Alertmanager's resolution to reach the incident")
        texts = [e.get("text", "") for e in mitigated["timeline"]]
        self.assertTrue(any(f"alert {ALERT} resolved in Alertmanager" in t for t in texts), texts)
        self.assertEqual(len(alert_incidents()), 1, "one incident for the one alert")
        self.assertNotIn("SECURITY", self.node.log(), "Alertmanager's calls carried the token")


if __name__ == "__main__":
    unittest.main()
