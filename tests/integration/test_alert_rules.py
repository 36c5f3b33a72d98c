# deploy/prometheus/alerts.yml as Prometheus reads it: `promtool check rules`, its unit tests
# (deploy/prometheus/alerts_test.yml: each alert fires at its threshold after its `for:`, not
# before, and resolves), and every metric the rules use is one a node on its default config
# exports (up is Prometheus's own; metrics another issue is adding are in promql_names.PENDING).
import os
import shutil
import subprocess
import unittest

from harness import SOURCE_DIR, IntegrationTest
from promql_names import PENDING, check_against, exported_names, metric_names

RULES_DIR = os.path.join(SOURCE_DIR, "deploy", "prometheus")
RULES = os.path.join(RULES_DIR, "alerts.yml")


def metrics_in_rules():
    import yaml  # python3-yaml, which promtool's tests and yamllint bring along
    with open(RULES) as f:
        rules = yaml.safe_load(f)
    names = set()
    for group in rules["groups"]:
        for rule in group["rules"]:
            names |= metric_names(rule["expr"])
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
        missing, landed = check_against(used, exported_names(node.metrics()))
        self.assertEqual(missing, [], f"used by alerts.yml, not exported: {missing}")
        self.assertEqual(landed, [], "now exported: remove from promql_names.PENDING: "
                         + ", ".join(f"{n} ({PENDING[n]})" for n in landed))


if __name__ == "__main__":
    unittest.main()
