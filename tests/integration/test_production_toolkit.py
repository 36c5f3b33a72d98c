# scripts/production_toolkit.sh against a real node whose admin calls need the token (loopback is
# not trusted), the token in a file: `status` summarises it, `rollback` rolls back a running
# canary through the API, `smoke` runs staging/smoke_tests.sh (passing, then failing once the
# origin is gone), and `diagnose` writes one archive with health, metrics, releases, incidents
# with their reports, mesh/PQC status, config with secrets redacted, the node's log, process and
# host facts, and not one copy of the token. Plus --help and the exit codes.
import os
import subprocess
import tarfile
import unittest

from harness import SOURCE_DIR, IntegrationTest, request, service, wait_until

TOOLKIT = os.path.join(SOURCE_DIR, "scripts", "production_toolkit.sh")
TOKEN = "s3cr3t-toolkit-token-4f1c9a"


class ToolkitTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.token_file = os.path.join(self.workdir, "admin-token")
        with open(self.token_file, "w") as f:
            f.write(TOKEN + "\n")
        self.origin = self.start_origin(name="stable")
        self.canary = self.start_origin(name="canary")
        self.node = self.start_node(
            [service("web", [self.origin.endpoint()])],
            extra_sections={"security": {"admin_token": TOKEN, "admin_loopback_trusted": False}},
            env={"X0TTA6BL4_SECURITY_ADMIN_TOKEN": TOKEN, "X0TTA6BL4_LOGGING_LEVEL": "info"})
        wait_until(lambda: self.node.get("/health/ready").status == 200, 5, message="ready")
        self.url = f"http://127.0.0.1:{self.node.data_port}"

    def toolkit(self, *args, token=True, env=None):
        full = [*args, "--node", self.url] + (["--token-file", self.token_file] if token else [])
        return subprocess.run(["bash", TOOLKIT, *full], capture_output=True, text=True, timeout=60,
                              cwd=self.workdir, env={**os.environ, **(env or {})})

    def admin(self, method, path, body=None):
        import json
        r = request(self.node.data_port, method, path, body=json.dumps(body).encode() if body else None,
                    headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        self.assertIn(r.status, (200, 201), f"{method} {path}: {r.status} {r.text()}")
        return r.json()

    def start_canary(self):
        self.admin("POST", "/releases/web/start", {"strategy": "canary", "candidate": [self.canary.endpoint()],
                                                     "steps": [50, 100], "step_interval_s": 3600})

    def test_status_summarises_health_releases_incidents_mesh_and_pqc(self):
        self.start_canary()
        out = self.toolkit("status")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        for text in ("status healthy", "web: healthy", "web: canary running at 50%", "open incidents",
                     "peers 0/0 up", "mode required, fallback_enabled false"):
            self.assertIn(text, out.stdout)

    def test_rollback_rolls_back_the_running_canary_through_the_api(self):
        self.start_canary()
        refused = self.toolkit("rollback", token=False)
        self.assertEqual(refused.returncode, 1, refused.stdout + refused.stderr)
        self.assertIn("401", refused.stderr)
        out = self.toolkit("rollback")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("web rolled back (rolled_back)", out.stdout)
        self.assertIn("deployment left as is", out.stdout)
        releases = self.node.get("/releases").json()["releases"]
        self.assertEqual(releases[0]["state"], "rolled_back")
        self.assertEqual(self.node.metric_value("rollbacks_total", service="web", reason="toolkit"), 1)
        again = self.toolkit("rollback")
        self.assertEqual(again.returncode, 0)
        self.assertIn("no active release", again.stdout)
        bad = self.toolkit("rollback", env={"X0_TOOLKIT_ROLLBACK": "ftp"})
        self.assertEqual(bad.returncode, 1)
        self.assertIn("is not compose, helm or kubectl", bad.stderr)

    def test_rollback_of_the_deployment_runs_compose_helm_or_kubectl(self):
        # Stand-ins on PATH record what the toolkit runs (no Docker engine or cluster here).
        bin_dir = os.path.join(self.workdir, "bin")
        os.makedirs(bin_dir)
        calls = os.path.join(self.workdir, "calls")
        for name in ("docker", "docker-compose", "helm", "kubectl"):
            with open(os.path.join(bin_dir, name), "w") as f:
                f.write(f'#!/bin/sh\necho "{name} $*" >> {calls}\n')
            os.chmod(os.path.join(bin_dir, name), 0o755)
        env = {"PATH": bin_dir + os.pathsep + os.environ["PATH"], "X0_K8S_NAMESPACE": "ns1"}
        expected = {
            "compose": ["docker image inspect x0tta6bl4:staging-previous",
                        "docker tag x0tta6bl4:staging-previous x0tta6bl4:staging",
                        f"docker-compose -f {os.path.join(SOURCE_DIR, 'staging', 'docker-compose.staging.yml')}"
                        " up -d --no-build --scale control-plane=1"],
            "helm": ["helm rollback x0tta6bl4-staging -n ns1 --wait"],
            "kubectl": ["kubectl rollout undo deployment/x0tta6bl4-blue -n ns1",
                        "kubectl rollout status deployment/x0tta6bl4-blue -n ns1 --timeout=300s"],
        }
        for mode, commands in expected.items():
            if os.path.exists(calls):
                os.unlink(calls)
            out = self.toolkit("rollback", env={**env, "X0_TOOLKIT_ROLLBACK": mode,
                                                "X0_K8S_DEPLOYMENT": "x0tta6bl4-blue"})
            self.assertEqual(out.returncode, 0, mode + out.stdout + out.stderr)
            with open(calls) as f:
                self.assertEqual(f.read().splitlines(), commands, mode)

    def test_smoke_passes_on_a_healthy_node_and_fails_without_its_origin(self):
        out = self.toolkit("smoke")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertRegex(out.stdout, r"smoke: all \d+ checks passed")
        self.assertNotIn("FAIL", out.stdout)
        self.origin.kill()
        wait_until(lambda: self.node.get("/health/ready").status == 503, 5, message="not ready")
        out = self.toolkit("smoke")
        self.assertEqual(out.returncode, 1, out.stdout)
        self.assertIn("FAIL  ready", out.stdout)
        self.assertRegex(out.stdout, r"smoke: \d+ of \d+ checks failed")

    def test_diagnose_writes_one_archive_with_the_evidence_and_no_token(self):
        self.node.get("/")
        opened = self.admin("POST", "/incidents", {"title": "toolkit test", "severity": "SEV-3",
                                                   "services": ["web"]})
        out = self.toolkit("diagnose", "--out", self.workdir)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        path = out.stdout.strip().splitlines()[-1]
        self.assertRegex(os.path.basename(path),
                         r"^x0tta6bl4-diagnose-127\.0\.0\.1_\d+-\d{8}T\d{6}Z\.tar\.gz$")
        with tarfile.open(path) as tar:
            members = {m.name.split("/", 1)[1]: tar.extractfile(m).read()
                       for m in tar.getmembers() if m.isfile()}
        for name in ("MANIFEST.txt", "health.json", "metrics.txt", "status.json", "releases.json",
                     "incidents.json", "mesh-status.json", "mesh-peers.json", "pqc-status.json",
                     "config.toml", "environment.txt", "process.txt", "host.txt", "logs/node.log",
                     f"incidents/{opened['id']}.json", f"incidents/{opened['id']}-report.md"):
            self.assertIn(name, members, f"missing {name}; has {sorted(members)}")
        self.assertIn(b"http_requests_total", members["metrics.txt"])
        self.assertIn(b"Incident ID", members[f"incidents/{opened['id']}-report.md"])
        self.assertIn(b'admin_token = "<redacted>"', members["config.toml"])
        self.assertIn(b"X0TTA6BL4_SECURITY_ADMIN_TOKEN=<redacted>", members["environment.txt"])
        self.assertIn(b"X0TTA6BL4_LOGGING_LEVEL=info", members["environment.txt"])
        self.assertIn(b"NODE started", members["logs/node.log"])
        self.assertIn(f"pid {self.node.proc.pid}".encode(), members["process.txt"])
        for name, data in members.items():
            self.assertNotIn(TOKEN.encode(), data, f"{name} holds the admin token")

    def test_help_usage_and_an_unreachable_node(self):
        helped = subprocess.run(["bash", TOOLKIT, "--help"], capture_output=True, text=True)
        self.assertEqual(helped.returncode, 0)
        for word in ("status", "rollback", "smoke", "diagnose", "--token-file", "X0_TOOLKIT_ROLLBACK"):
            self.assertIn(word, helped.stdout)
        self.assertEqual(subprocess.run(["bash", TOOLKIT, "restart"], capture_output=True).returncode, 2)
        self.assertEqual(subprocess.run(["bash", TOOLKIT], capture_output=True).returncode, 2)
        gone = subprocess.run(["bash", TOOLKIT, "status", "--node", "http://127.0.0.1:9"],
                              capture_output=True, text=True)
        self.assertEqual(gone.returncode, 3, gone.stderr)
        self.assertIn("no answer from http://127.0.0.1:9", gone.stderr)


if __name__ == "__main__":
    unittest.main()
