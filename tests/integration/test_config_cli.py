# The command line around configuration: `check-config FILE` accepts the shipped example and
# refuses unknown keys and bad values naming file:line and the key; `run --config` refuses to
# start on a bad file; `--version`.
import os
import unittest

from harness import BINARY, SOURCE_DIR, IntegrationTest

VALID = """[node]
id = "cli-test"

[api_gateway]
worker_threads = 2

[[services]]
name = "app"
endpoints = ["127.0.0.1:9001"]
"""


class ConfigCliTest(IntegrationTest):
    def write(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_shipped_example_is_valid(self):
        path = os.path.join(SOURCE_DIR, "examples", "x0tta6bl4.toml")
        p = self.run_cli("check-config", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("ok", p.stdout)
        self.assertIn(path, p.stdout)

    def test_small_valid_file(self):
        p = self.run_cli("check-config", self.write("ok.toml", VALID))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^ok: .*ok\.toml \(1 service")

    def test_unknown_key_names_file_line_and_key(self):
        path = self.write("unknown.toml", VALID.replace("worker_threads = 2",
                                                        "worker_threads = 2\nworker_thread = 3"))
        p = self.run_cli("check-config", path)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f"{path}:6", p.stderr)  # line 6 holds the misspelt key
        self.assertIn("worker_thread", p.stderr)
        self.assertIn("unknown", p.stderr)
        self.assertEqual(p.stdout, "")

    def test_bad_values_name_file_line_and_key(self):
        cases = [
            ("worker_threads = 2", "worker_threads = -4", 5, "worker_threads"),
            ("worker_threads = 2", 'worker_threads = "many"', 5, "worker_threads"),
            ('endpoints = ["127.0.0.1:9001"]', 'endpoints = ["127.0.0.1:99999"]', 9, "endpoints"),
            ('name = "app"', 'name = "app"\nbalance = "random"', 9, "balance"),
        ]
        for old, new, line, key in cases:
            with self.subTest(new):
                path = self.write("bad.toml", VALID.replace(old, new))
                p = self.run_cli("check-config", path)
                self.assertNotEqual(p.returncode, 0, p.stdout)
                self.assertIn(f"{path}:{line}", p.stderr)
                self.assertIn(key, p.stderr)

    def test_missing_file_and_toml_syntax_error(self):
        p = self.run_cli("check-config", os.path.join(self.workdir, "nope.toml"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("nope.toml", p.stderr)
        path = self.write("syntax.toml", "[node\nid = 1\n")
        p = self.run_cli("check-config", path)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f"{path}:1", p.stderr)

    def test_run_refuses_a_bad_config(self):
        path = self.write("unknown.toml", VALID + "\n[cache]\nbogus = true\n")
        node = self.start_process([BINARY, "run", "--config", path], "bad-node")
        self.assertNotEqual(node.wait(10), 0)
        self.assertIn("bogus", node.log())
        self.assertIn(" ERROR ", node.log())

    def test_version(self):
        p = self.run_cli("--version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^x0tta6bl4 \d+\.\d+\.\d+")


if __name__ == "__main__":
    unittest.main()
