# The node's /metrics against the Prometheus tools from the Debian `prometheus` package:
# `promtool check metrics` finds nothing to complain about, and a real Prometheus server scrapes
# the metrics listener and can query http_requests_total. Skipped when the tools are missing.
import os
import shutil
import subprocess
import unittest
import urllib.parse

from harness import IntegrationTest, free_port, request, service, wait_until


class PrometheusTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.origin = self.start_origin()
        self.node = self.start_node([service("app", [self.origin.endpoint()])])
        # Traffic of every kind, so that every series family has samples.
        for path in ("/x", "/status/404", "/status/500", "/echo"):
            self.node.get(path)
        self.node.get("/health")

    def test_promtool_check_metrics_is_clean(self):
        promtool = shutil.which("promtool")
        if promtool is None:
            self.skipTest("promtool not installed (apt-get install -y prometheus)")
        for port in (self.node.metrics_port, self.node.data_port, self.node.health_port):
            text = self.node.metrics(port=port)
            p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertEqual(p.stdout + p.stderr, "", "promtool lint findings")

    def test_prometheus_scrapes_the_node(self):
        prometheus = shutil.which("prometheus")
        if prometheus is None:
            self.skipTest("prometheus not installed (apt-get install -y prometheus)")
        config = os.path.join(self.workdir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: x0tta6bl4\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{self.node.metrics_port}']\n")
        port = free_port()
        prom = self.start_process(
            [prometheus, f"--config.file={config}",
             f"--storage.tsdb.path={os.path.join(self.workdir, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{port}"], "prometheus")

        def api(path):
            if not prom.alive():
                raise AssertionError(f"prometheus exited:\n{prom.log()[-3000:]}")
            r = request(port, "GET", path, timeout=2)
            return r.json() if r.status == 200 else None

        def target_up():
            targets = (api("/api/v1/targets") or {}).get("data", {}).get("activeTargets", [])
            return targets and targets[0]["health"] == "up" and targets[0]
        target = wait_until(target_up, 60, 0.5, message="prometheus to scrape the node")
        self.assertEqual(target["lastError"], "")

        def query(q):
            data = api("/api/v1/query?query=" + urllib.parse.quote(q))
            return data and data["status"] == "success" and data["data"]["result"]
        up = wait_until(lambda: query('up{job="x0tta6bl4"}'), 20, 0.5, message="up series")
        self.assertEqual(up[0]["value"][1], "1")
        series = wait_until(lambda: query("http_requests_total"), 20, 0.5,
                            message="http_requests_total in prometheus")
        codes = {s["metric"].get("code") for s in series}
        self.assertTrue({"200", "404", "500"} <= codes, codes)
        hist = wait_until(lambda: query("http_request_duration_seconds_bucket"), 20, 0.5,
                          message="histogram buckets")
        self.assertTrue(any(s["metric"].get("le") == "+Inf" for s in hist))


if __name__ == "__main__":
    unittest.main()
