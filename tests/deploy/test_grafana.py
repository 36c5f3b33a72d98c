# deploy/grafana/x0tta6bl4.json against Grafana's own types: the JSON as an object literal of
# @grafana/schema's Dashboard, compiled by tsc in strict mode (unknown keys and wrong enum values
# fail). What the types leave open (queries are `any`), checked here: every target is a
# Prometheus query of the dashboard's data source whose PromQL promtool accepts, ids and
# refIds are unique, panels do not overlap, and the panels the runbooks need are there. That the
# metrics exist on a node is tests/integration/test_dashboard_metrics.py.
import json
import os
import re
import tempfile
import unittest

from tools import NODE_MODULES, repo_path, require, require_npm, run

DASHBOARD = repo_path("deploy", "grafana", "x0tta6bl4.json")
PANELS = ["Request rate", "Error rate", "Latency P50 / P95 / P99", "Cache hit rate", "Upstream health",
          "Releases and rollbacks", "Open incidents by severity", "Autopilot decisions", "MTTD / MTTR",
          "Mesh peers", "PQC handshakes"]
TARGET_KEYS = {"datasource", "expr", "legendFormat", "refId", "range", "instant", "interval", "format"}
PANEL_TYPES = {"row", "timeseries", "stat", "bargauge", "gauge", "table"}
# Grafana's variables, as Prometheus would see them once Grafana substituted them.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "1h", "$__interval": "15s", "$instance": ".*"}

# A string enum's members as JSON writes them: ThresholdsMode.Absolute is "absolute".
TYPESCRIPT = """import type { Dashboard } from '@grafana/schema';
type Json<T> = T extends string ? `${T}` : T extends (infer U)[] ? Json<U>[]
  : T extends object ? { [K in keyof T]: Json<T[K]> } : T;
export const dashboard: Json<Dashboard> = %s;
"""


def load():
    with open(DASHBOARD) as f:
        return json.load(f)


def targets(dashboard):
    return [(p, t) for p in dashboard["panels"] for t in p.get("targets", [])]


class GrafanaSchemaTest(unittest.TestCase):
    def test_tsc_accepts_the_dashboard_as_grafana_schema_dashboard(self):
        require_npm("@grafana/schema", "the dashboard against Grafana's types")
        tsc = require("tsc", "the dashboard against Grafana's types (npm typescript)")
        with tempfile.TemporaryDirectory() as d:
            os.symlink(NODE_MODULES, os.path.join(d, "node_modules"))
            with open(DASHBOARD) as f, open(os.path.join(d, "dashboard.ts"), "w") as out:
                out.write(TYPESCRIPT % f.read())
            with open(os.path.join(d, "tsconfig.json"), "w") as f:
                json.dump({"compilerOptions": {"strict": True, "noEmit": True, "module": "esnext",
                                               "moduleResolution": "bundler", "target": "es2022",
                                               "skipLibCheck": True, "types": []},
                           "files": ["dashboard.ts"]}, f)
            out = run([tsc, "-p", d], cwd=d, timeout=120)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)


class DashboardContentTest(unittest.TestCase):
    def test_the_runbooks_panels_are_there(self):
        titles = [p["title"] for p in load()["panels"]]
        for title in PANELS:
            self.assertIn(title, titles)

    def test_panels_have_unique_ids_known_types_and_do_not_overlap(self):
        panels = load()["panels"]
        self.assertEqual(len({p["id"] for p in panels}), len(panels))
        cells = {}
        for p in panels:
            self.assertIn(p["type"], PANEL_TYPES, p["title"])
            g = p["gridPos"]
            self.assertLessEqual(g["x"] + g["w"], 24, p["title"])
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    self.assertNotIn((x, y), cells, f"{p['title']} overlaps {cells.get((x, y))}")
                    cells[(x, y)] = p["title"]

    def test_every_query_is_prometheus_on_the_dashboards_data_source(self):
        dashboard = load()
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        self.assertEqual(variables["datasource"]["query"], "prometheus")
        # staging's provisioned data source has the uid the variable defaults to
        with open(repo_path("staging", "grafana", "provisioning", "datasources", "prometheus.yml")) as f:
            self.assertIn(f"uid: {variables['datasource']['current']['value']}", f.read())
        for panel in dashboard["panels"]:
            refs = [t["refId"] for t in panel.get("targets", [])]
            self.assertEqual(len(refs), len(set(refs)), panel["title"])
            if panel["type"] != "row":
                self.assertTrue(refs, f"{panel['title']} has no query")
        for panel, target in targets(dashboard):
            self.assertLessEqual(set(target), TARGET_KEYS, f"{panel['title']}: unknown target keys")
            self.assertEqual(target["datasource"], {"type": "prometheus", "uid": "${datasource}"})
            self.assertIn('job="x0tta6bl4"', target["expr"], panel["title"])

    def test_promtool_parses_every_query(self):
        promtool = require("promtool", "the dashboard's PromQL (prometheus)")
        rules = []
        for i, (panel, target) in enumerate(targets(load())):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            self.assertNotIn("$", expr, f"{panel['title']}: a variable the check does not know")
            rules.append({"record": f"dashboard:query_{i}", "expr": expr})
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "queries.yml")
            with open(path, "w") as f:
                json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)  # JSON is YAML
            out = run([promtool, "check", "rules", path])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn(f"SUCCESS: {len(rules)} rules found", out.stdout)


if __name__ == "__main__":
    unittest.main()
