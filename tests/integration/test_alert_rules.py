# deploy/prometheus/alerts.yml as Prometheus reads it: `promtool check rules`, its unit tests
# (deploy/prometheus/alerts_test.yml: each alert fires at its threshold after its `for:`, not
# before, and resolves), and every metric the rules use is one a node on its default config
# exports (up is Prometheus's own).
import os
import re
import shutil
import subprocess
import unittest

from harness import SOURCE_DIR, IntegrationTest

RULES_DIR = os.path.join(SOURCE_DIR, "deploy", "prometheus")
RULES = os.path.join(RULES_DIR, "alerts.yml")
PROMETHEUS_OWN = {"up"}
PROMQL_WORDS = {"sum", "by", "rate", "increase", "changes", "histogram_quantile", "or", "and",
                "le", "instance", "job", "code", "result", "bool"}


def metrics_in_rules():
    with open(RULES) as f:
        text = f.read()
    names = set()
    for expr in re.findall(r"expr: >?\n?((?:.*\n)+?)\s+(?:for|labels):", text):
        for name in re.findall(r"\b([a-z_][a-z0-9_]*)\s*\{", expr):
            if name not in PROMQL_WORDS:
                names.add(name)
    return names


@unittest.skipUnless(shutil.which("promtool"), "promtool is not installed (apt-get install prometheus)")
class AlertRulesTest(IntegrationTest):
    def promtool(self, *args):
        return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=60,
                              cwd=RULES_DIR)

    def test_the_rules_are_valid_and_their_unit_tests_pass(self):
        checked = self.promtool("check", "rules", "alerts.yml")
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        tested = self.promtool("test", "rules", "alerts_test.yml")
        self.assertEqual(tested.returncode, 0, tested.stdout + tested.stderr)

    def test_every_metric_the_rules_use_is_exported_by_a_default_node(self):
        used = metrics_in_rules()
        self.assertGreaterEqual(len(used), 8, used)  # the parse found the expressions
        node = self.start_node()  # embedded defaults
        node.get("/")  # one request through the data plane, so per-code counters exist
        exported = set()
        for line in node.metrics().splitlines():
            if line and not line.startswith("#"):
                exported.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
        missing = sorted(m for m in used - PROMETHEUS_OWN if m not in exported)
        self.assertEqual(missing, [], f"used by alerts.yml, not exported: {missing}")


if __name__ == "__main__":
    unittest.main()
