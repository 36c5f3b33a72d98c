# deploy/prometheus/alerts.yml as Prometheus reads it: `promtool check rules`, its unit tests
# (deploy/prometheus/alerts_test.yml: each alert fires at its threshold after its `for:`, not
# before, resolves, and stays quiet just under its threshold), checks that those tests can fail
# (each rule with its `for:` removed, or its threshold lowered by 2 %, must fail them), and every
# metric the rules use is one a node on its default config exports (up is Prometheus's own;
# metrics another issue is adding are in promql_names.PENDING).
import os
import re
import shutil
import subprocess
import unittest

from harness import SOURCE_DIR, IntegrationTest
from promql_names import PENDING, check_against, exported_names, metric_names

RULES_DIR = os.path.join(SOURCE_DIR, "deploy", "prometheus")
RULES = os.path.join(RULES_DIR, "alerts.yml")


def load_rules():
    import yaml  # python3-yaml, which promtool's tests and yamllint bring along
    with open(RULES) as f:
        return yaml.safe_load(f)


# "> 0.05" in an expression; a zero threshold ("> 0") has nothing below it to nudge to.
THRESHOLD = re.compile(r">\s*([0-9][0-9.e+]*)")


def lowered(expr):
    def nudge(m):
        value = float(m.group(1))
        return m.group(0) if value == 0 else f"> {value * 0.98!r}"
    return THRESHOLD.sub(nudge, expr)


def mutants():
    """(name, rules) for each rule with its `for:` removed and each with its threshold lowered."""
    import copy
    rules = load_rules()
    for g, group in enumerate(rules["groups"]):
        for r, rule in enumerate(group["rules"]):
            name = f"{rule['alert']} ({rule['labels']['severity']})"
            if "for" in rule:
                mutant = copy.deepcopy(rules)
                del mutant["groups"][g]["rules"][r]["for"]
                yield f"{name} without for: {rule['for']}", mutant
            if lowered(rule["expr"]) != rule["expr"]:
                mutant = copy.deepcopy(rules)
                mutant["groups"][g]["rules"][r]["expr"] = lowered(rule["expr"])
                yield f"{name} with its threshold 2 % lower", mutant


def metrics_in_rules():
    rules = load_rules()
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

    def test_the_unit_tests_fail_without_a_for_or_with_a_lower_threshold(self):
        import yaml
        shutil.copy(os.path.join(RULES_DIR, "alerts_test.yml"), self.workdir)
        # Control: the rules as they are, dumped the same way, pass; so a mutant's failure is
        # its tests failing, not a file promtool cannot load.
        with open(os.path.join(self.workdir, "alerts.yml"), "w") as f:
            yaml.safe_dump(load_rules(), f)
        control = subprocess.run(["promtool", "test", "rules", "alerts_test.yml"],
                                 capture_output=True, text=True, timeout=60, cwd=self.workdir)
        self.assertEqual(control.returncode, 0, control.stdout + control.stderr)
        count = 0
        for name, mutant in mutants():
            count += 1
            with self.subTest(name):
                with open(os.path.join(self.workdir, "alerts.yml"), "w") as f:
                    yaml.safe_dump(mutant, f)
                tested = subprocess.run(["promtool", "test", "rules", "alerts_test.yml"],
                                        capture_output=True, text=True, timeout=60,
                                        cwd=self.workdir)
                self.assertNotEqual(tested.returncode, 0, "the unit tests still pass")
                self.assertIn("FAILED", tested.stdout + tested.stderr, "a test failed, not the load")
        self.assertEqual(count, 20, "11 rules with a for:, 9 with a threshold above 0")

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
