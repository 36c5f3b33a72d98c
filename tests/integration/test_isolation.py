# The security runbook's isolation, end to end: the node runs in a network namespace of its own
# (netns.py), so the test's requests from the bridge are external clients and a client run
# inside the namespace is on the node's loopback. `x0tta6bl4 isolate on` (POST /admin/isolate,
# with the admin token, audited) blocks external clients (503 isolated) while loopback and the
# operator keep access, takes the node out of rotation (/health/ready 503), logs every request,
# opens a SEV-1 security incident with the reason, survives a SIGHUP reload, and `isolate off`
# lifts it, audited, and marks the incident mitigated.
import json
import shutil
import signal
import subprocess
import time

from harness import IntegrationTest, free_port, request, service, wait_until
from netns import NetnsLab

TOKEN = "isolation-test-token"


class IsolationTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        if shutil.which("curl") is None:
            self.skipTest("curl is not installed (scripts/install-deps.sh installs it): the "
                          "loopback client inside the node's namespace is curl")
        self.lab = NetnsLab(self, [2])
        ip = self.lab.address(2)
        bridge = f"{self.lab.subnet}.1"
        # The origin listens on the bridge's address, which the namespace reaches.
        self.origin_port = free_port()
        self.start_process([self.binary(), "origin", "--port", str(self.origin_port), "--host",
                            bridge, "--name", "origin-iso"], "origin")
        wait_until(lambda: self._origin_up(bridge), 10, message="the origin on the bridge")
        # The data listener on every address of the namespace: its bridge side for the test's
        # external requests, its 127.0.0.1 for the loopback client.
        data_port = free_port()
        self.node = self.start_node(
            [service("app", [f"{bridge}:{self.origin_port}"])], host=ip,
            exec_prefix=self.lab.exec_prefix(self.lab.namespace(2)),
            listeners={"data": f"0.0.0.0:{data_port}"},
            extra_sections={"security": {"admin_token": TOKEN}})
        self.node.data_port = data_port

    @staticmethod
    def binary():
        from harness import BINARY
        return BINARY

    def _origin_up(self, bridge):
        try:
            return request(self.origin_port, "GET", "/health", host=bridge, timeout=1).status == 200
        except OSError:
            return False

    def cli(self, *args):
        p = self.run_cli("isolate", *args, "--node", f"http://{self.node.host}:{self.node.data_port}",
                         "--token", TOKEN)
        return p.returncode, p.stdout, p.stderr

    def from_loopback(self, path):
        """A GET from inside the node's namespace, to its 127.0.0.1: the node's own loopback."""
        p = subprocess.run([*self.lab.exec_prefix(self.lab.namespace(2)), "curl", "-s", "-o",
                            "/dev/null", "-w", "%{http_code}",
                            f"http://127.0.0.1:{self.node.data_port}{path}"],
                           capture_output=True, text=True, timeout=10)
        return int(p.stdout or 0)

    def incident(self, rule):
        # from outside, with the token: while isolated an outsider needs it even to read
        found = [i for i in self.node.get("/incidents", headers={"Authorization": f"Bearer {TOKEN}"})
                 .json() if i.get("rule") == rule]
        return found[0] if found else None

    def test_isolate_blocks_external_clients_keeps_operators_and_lifts_audited(self):
        self.assertEqual(self.node.get("/x").status, 200)
        self.assertEqual(self.from_loopback("/x"), 200)

        code, out, err = self.cli("on", "--reason", "breach drill")
        self.assertEqual(code, 0, out + err)
        state = json.loads(out)
        self.assertTrue(state["isolated"])
        self.assertEqual((state["latched"]["by"], state["latched"]["reason"]),
                         ("operator", "breach drill"))

        r = self.node.get("/x")
        self.assertEqual(r.status, 503)
        self.assertEqual(r.json()["error"], "isolated")
        self.assertEqual(self.from_loopback("/x-from-loopback"), 200, "loopback keeps access")
        ready = request(self.node.health_port, "GET", "/health/ready", host=self.node.host)
        self.assertEqual(ready.status, 503, "out of rotation")
        self.assertIn("isolated", ready.text())
        # an outsider learns nothing of the node without the token; the operator keeps access
        r = self.node.get("/incidents")
        self.assertEqual(r.status, 401, "no incidents (with the isolation's reason) for outsiders")
        code, out, err = self.cli("status")
        self.assertEqual(code, 0, out + err)
        self.assertTrue(json.loads(out)["isolated"])

        sev1 = wait_until(lambda: self.incident("operator_isolation"), 5, message="the SEV-1")
        self.assertIn("AUDIT admin call", self.node.log(), "an outsider's call while isolated")
        self.assertEqual(sev1["severity"], "SEV-1")
        self.assertIn("breach drill", sev1["title"])
        log = self.node.log()
        self.assertIn("AUDIT node isolated by an operator", log)
        self.assertIn("SECURITY node isolated: external clients refused", log)
        wait_until(lambda: "/x-from-loopback" in self.node.log(), 5,
                   message="an ACCESS line for a request while isolated")

        # a reload keeps an operator's isolation
        self.node.signal(signal.SIGHUP)
        wait_until(lambda: (self.node.metric_value("config_reloads_total", result="ok") or 0) >= 1,
                   10, message="the reload")
        self.assertEqual(self.node.get("/x").status, 503, "a reload does not lift it")

        # isolating twice keeps the first reason; lifting is audited and mitigates the incident
        code, out, _ = self.cli("on", "--reason", "second")
        self.assertEqual(json.loads(out)["latched"]["reason"], "breach drill")
        code, out, err = self.cli("off", "--reason", "drill over")
        self.assertEqual(code, 0, out + err)
        self.assertFalse(json.loads(out)["isolated"])
        self.assertEqual(self.node.get("/x").status, 200)
        ready = request(self.node.health_port, "GET", "/health/ready", host=self.node.host)
        self.assertEqual(ready.status, 200)
        self.assertIn("isolation lifted by an operator", self.node.log())
        self.assertEqual(self.node.get(f"/incidents/{sev1['id']}").json()["status"], "mitigated")
        self.assertEqual(self.node.get("/incidents").status, 200, "lifted: readable again")

    def test_isolating_needs_the_admin_token_from_outside(self):
        r = request(self.node.data_port, "POST", "/admin/isolate", host=self.node.host,
                    body=b'{"isolate": true}', headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 401)
        self.assertEqual(self.node.get("/x").status, 200, "still serving")
        bad = request(self.node.data_port, "POST", "/admin/isolate", host=self.node.host,
                      body=b'{"isolate": "yes"}',
                      headers={"Content-Type": "application/json",
                               "Authorization": f"Bearer {TOKEN}"})
        self.assertEqual(bad.status, 400)
        self.assertEqual(self.node.get("/x").status, 200)
