# yamllint, with the repository's .yamllint, over every YAML file of the repository (Helm's
# templates excepted: they are Go templates, checked by helm lint and the rendered manifests).
import unittest

from tools import repo_path, require, run, tracked_files


class YamlLintTest(unittest.TestCase):
    def test_every_yaml_file_passes_yamllint(self):
        yamllint = require("yamllint", "the repository's YAML files")
        files = [f for f in tracked_files("*.yml", "*.yaml") if "/templates/" not in f]
        self.assertGreaterEqual(len(files), 10, files)  # rules, staging, alertmanager, grafana, helm
        out = run([yamllint, "--strict", "-c", repo_path(".yamllint"), *files], cwd=repo_path())
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)


if __name__ == "__main__":
    unittest.main()
