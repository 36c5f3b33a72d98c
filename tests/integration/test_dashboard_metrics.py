# Every metric deploy/grafana/x0tta6bl4.json queries is one a node on its default config exports
# on its metrics listener and on the probe port's /metrics, after one request and one release
# promoted then rolled back (the release series appear with their first event). Metrics another
# issue is adding are in promql_names.PENDING: their panels are allowed until a node exports them,
# and then this test fails so the entry is removed.
import json
import os
import re
import unittest

from harness import SOURCE_DIR, IntegrationTest
from promql_names import PENDING, check_against, exported_names, metric_names

DASHBOARD = os.path.join(SOURCE_DIR, "deploy", "grafana", "x0tta6bl4.json")


def dashboard_expressions():
    with open(DASHBOARD) as f:
        dashboard = json.load(f)
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    for v in dashboard["templating"]["list"]:
        if isinstance(v.get("query"), dict):  # label_values(SELECTOR, label): the selector
            exprs.append(re.sub(r"^label_values\((.*),\s*\w+\)$", r"\1", v["query"]["query"]))
    return exprs


class DashboardMetricsTest(IntegrationTest):
    def test_every_metric_the_dashboard_queries_is_exported_by_a_default_node(self):
        used = set().union(*(metric_names(e) for e in dashboard_expressions()))
        self.assertGreaterEqual(len(used), 20, used)  # the parse found the queries
        node = self.start_node()  # embedded defaults
        node.get("/")
        # A live candidate: a dead one would be rolled back by the autopilot (canary_down)
        # before the operator's own rollback below.
        candidate = self.start_origin(name="candidate")
        start = {"strategy": "canary", "candidate": [candidate.endpoint()], "steps": [100]}
        for path, body in (("/releases/demo/start", start), ("/releases/demo/promote", None),
                           ("/releases/demo/rollback", {"reason": "test"})):
            r = node.post(path, body)
            self.assertEqual(r.status, 200, f"{path}: {r.text()}")
        exported = exported_names(node.metrics())
        probe = exported_names(node.metrics(port=node.health_port))
        self.assertEqual(exported, probe, "the probe port's /metrics serves the same metrics")
        missing, landed = check_against(used, exported)
        self.assertEqual(missing, [], f"queried by the dashboard, not exported: {missing}")
        self.assertEqual(landed, [], "now exported: remove from promql_names.PENDING: "
                         + ", ".join(f"{n} ({PENDING[n]})" for n in landed))
        self.assertLessEqual(set(PENDING), used, "every pending entry is still used somewhere")


if __name__ == "__main__":
    unittest.main()
