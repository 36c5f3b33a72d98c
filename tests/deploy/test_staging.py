# staging/ and the Alertmanager config, checked by the tools that run them: `docker-compose
# config` (the services, ports and mounts the runbooks use), `amtool check-config`,
# `promtool check config` on the staging Prometheus with the shipped rules, `x0tta6bl4
# check-config` on the staging node's TOML, and shellcheck on the operator scripts.
import os
import shutil
import tempfile
import unittest

from tools import BINARY, repo_path, require, run

COMPOSE = repo_path("staging", "docker-compose.staging.yml")
ALERTMANAGER = repo_path("deploy", "alertmanager", "alertmanager.yml")
OPERATOR_SCRIPTS = ["scripts/production_toolkit.sh", "staging/smoke_tests.sh", "staging/rollback.sh",
                    "staging/deploy_staging.sh"]
GENERATED = {repo_path("staging", ".admin-token")}  # written by deploy_staging.sh, not committed


def compose_config(env_extra):
    compose = require("docker-compose", "staging/docker-compose.staging.yml")
    env = {k: v for k, v in os.environ.items() if k != "X0_ADMIN_TOKEN"}
    env.update(env_extra)
    # --project-directory keeps a developer's own staging/.env (with its token) out of the check.
    with tempfile.TemporaryDirectory() as empty:
        env_file = os.path.join(empty, "empty.env")
        open(env_file, "w").close()
        return run([compose, "-f", COMPOSE, "--project-directory", os.path.dirname(COMPOSE),
                    "--env-file", env_file, "config"], env=env)


class ComposeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        out = compose_config({"X0_ADMIN_TOKEN": "test-token"})
        if out.returncode != 0:
            raise AssertionError(f"docker-compose config failed:\n{out.stdout}{out.stderr}")
        import yaml  # python3-yaml: docker-compose and yamllint depend on it
        cls.config = yaml.safe_load(out.stdout)
        cls.services = cls.config["services"]

    def test_control_plane_is_the_node_as_x0tta6bl4_staging(self):
        node = self.services["control-plane"]
        self.assertEqual(node["container_name"], "x0tta6bl4-staging")
        self.assertEqual(node["build"]["dockerfile"], "Dockerfile")
        self.assertEqual(node["build"]["context"], repo_path())
        self.assertEqual(node["environment"]["X0TTA6BL4_SECURITY_ADMIN_TOKEN"], "test-token")
        published = {(p["published"], p["target"]) for p in node["ports"]}
        self.assertLessEqual({(8080, 8080), (8081, 8081), (9090, 9090)}, published)
        mounts = {v.split(":")[1]: v.split(":")[0] for v in node["volumes"] if v.startswith("/")}
        self.assertEqual(mounts["/etc/x0tta6bl4/x0tta6bl4.toml"], repo_path("staging", "x0tta6bl4.toml"))

    def test_two_demo_origins_from_the_same_image(self):
        for name, port in (("origin-a", "9001"), ("origin-b", "9002")):
            origin = self.services[name]
            self.assertEqual(origin["image"], self.services["control-plane"]["image"])
            self.assertEqual(origin["command"][:3], ["origin", "--host", "0.0.0.0"])
            self.assertIn(port, origin["command"])

    def test_prometheus_on_9091_with_the_rules_alertmanager_and_grafana_on_3000(self):
        prometheus = self.services["prometheus"]
        self.assertIn((9091, 9090), {(p["published"], p["target"]) for p in prometheus["ports"]})
        self.assertIn(repo_path("deploy", "prometheus", "alerts.yml") + ":/etc/prometheus/alerts.yml:ro",
                      prometheus["volumes"])
        self.assertIn(ALERTMANAGER + ":/etc/alertmanager/alertmanager.yml:ro",
                      self.services["alertmanager"]["volumes"])
        grafana = self.services["grafana"]
        self.assertIn((3000, 3000), {(p["published"], p["target"]) for p in grafana["ports"]})
        self.assertIn(repo_path("deploy", "grafana", "x0tta6bl4.json")
                      + ":/var/lib/grafana/dashboards/x0tta6bl4.json:ro", grafana["volumes"])

    def test_every_mounted_file_exists(self):
        for name, service in self.services.items():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if source.startswith("/") and source not in GENERATED:
                    self.assertTrue(os.path.exists(source), f"{name} mounts {source}, which is missing")

    def test_without_the_admin_token_compose_refuses_and_says_how(self):
        out = compose_config({})
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("deploy_staging.sh", out.stdout + out.stderr)


class AlertmanagerTest(unittest.TestCase):
    def test_amtool_check_config(self):
        amtool = require("amtool", "deploy/alertmanager/alertmanager.yml (prometheus-alertmanager)")
        out = run([amtool, "check-config", ALERTMANAGER])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("SUCCESS", out.stdout)

    def test_every_alert_goes_to_the_nodes_webhook_receiver_with_resolves(self):
        import yaml
        with open(ALERTMANAGER) as f:
            config = yaml.safe_load(f)
        receiver = next(r for r in config["receivers"] if r["name"] == config["route"]["receiver"])
        hook = receiver["webhook_configs"][0]
        self.assertEqual(hook["url"], "http://control-plane:8080/alerts/alertmanager")
        self.assertTrue(hook["send_resolved"])
        self.assertEqual(hook["http_config"]["authorization"]["credentials_file"],
                         "/etc/alertmanager/admin-token")


class StagingPrometheusTest(unittest.TestCase):
    def test_promtool_check_config_with_the_shipped_rules(self):
        promtool = require("promtool", "staging/prometheus.yml (prometheus)")
        with tempfile.TemporaryDirectory() as d:  # the layout the compose file mounts
            shutil.copy(repo_path("staging", "prometheus.yml"), d)
            shutil.copy(repo_path("deploy", "prometheus", "alerts.yml"), d)
            out = run([promtool, "check", "config", os.path.join(d, "prometheus.yml")])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertRegex(out.stdout + out.stderr, r"SUCCESS: \d+ rules found")


class StagingNodeConfigTest(unittest.TestCase):
    def test_check_config_accepts_the_staging_toml(self):
        out = run([BINARY, "check-config", repo_path("staging", "x0tta6bl4.toml")])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)


class OperatorScriptsTest(unittest.TestCase):
    def test_shellcheck(self):
        shellcheck = require("shellcheck", "the operator scripts (toolkit, staging/*.sh)")
        out = run([shellcheck, "-x", *OPERATOR_SCRIPTS], cwd=repo_path())
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_help_and_usage_errors(self):
        for script in OPERATOR_SCRIPTS:
            if script == "staging/rollback.sh":
                continue  # passes its arguments to the toolkit
            out = run(["bash", repo_path(script), "--help"])
            self.assertEqual(out.returncode, 0, script + out.stderr)
            self.assertIn(script.split("/")[-1], out.stdout, script)
            bad = run(["bash", repo_path(script), "--no-such-flag"])
            self.assertEqual(bad.returncode, 2, script + bad.stdout + bad.stderr)


if __name__ == "__main__":
    unittest.main()
