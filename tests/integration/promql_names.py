# The metric names a PromQL expression reads, for the checks that every name in
# deploy/prometheus/alerts.yml and deploy/grafana/x0tta6bl4.json is one a node exports. Strings,
# label matchers, range selectors and grouping clauses are removed first; what is left that is an
# identifier, is not a function call and not a keyword, is a metric name.
import re

KEYWORDS = {"sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
            "count_values", "group", "by", "without", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "offset", "bool", "inf", "nan", "atan2"}

# Metrics another issue is adding while a panel or an alert already names them ("pending:
# issue N" beside each). test_dashboard_metrics and test_alert_rules fail as soon as a default node
# exports one: remove its entry then. mesh_peers and mesh_partitioned (pending: issue 13) have
# landed with the mesh; empty for now.
PENDING = {}

PROMETHEUS_OWN = {"up"}


def metric_names(expr):
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    names = set()
    for m in re.finditer(r"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", e):
        if m.group(2) or m.group(1).lower() in KEYWORDS:
            continue
        names.add(m.group(1))
    return names


def exported_names(metrics_text):
    """The metric names of the samples in a Prometheus text exposition."""
    names = set()
    for line in metrics_text.splitlines():
        if line and not line.startswith("#"):
            names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return names


def check_against(used, exported):
    """(missing, landed): names used but not exported and not pending; pending names now exported."""
    missing = sorted(n for n in used - PROMETHEUS_OWN if n not in exported and n not in PENDING)
    landed = sorted(n for n in PENDING if n in exported)
    return missing, landed
