# `x0tta6bl4 pki init|issue|show` on real directories: the CA and node files with their modes,
# the refusal to overwrite, `pki show` (both kinds, with verification), stock `openssl x509` and
# `openssl verify` on the output, and the node's HTTPS listener serving node.ed25519.crt/key to
# curl and openssl s_client that trust only ca.ed25519.crt.
import os
import re
import signal
import stat
import subprocess
import unittest

from harness import IntegrationTest, free_port, service, wait_until


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def fields(text):
    """`key: value` lines as a dict of lists."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            out.setdefault(key, []).append(value)
    return out


class PkiTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.ca = os.path.join(self.workdir, "etc", "certs")
        self.node = os.path.join(self.workdir, "node-1")

    def pki(self, *args):
        return self.run_cli("pki", *args, timeout=30)

    def init_and_issue(self):
        p = self.pki("init", "--dir", self.ca)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.pki("issue", "--ca", self.ca, "--node", "node-1", "--out", self.node,
                     "--address", "127.0.0.1", "--address", "::1", "--days", "30")
        self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def test_init_and_issue_write_the_files_with_private_modes(self):
        self.init_and_issue()
        self.assertEqual(mode(self.ca), 0o700)
        self.assertEqual(mode(self.node), 0o700)
        for d, names in ((self.ca, ["ca.ed25519", "ca.composite"]),
                         (self.node, ["node.ed25519", "node.composite"])):
            for name in names:
                self.assertEqual(mode(os.path.join(d, name + ".key")), 0o600, name)
                self.assertEqual(mode(os.path.join(d, name + ".crt")), 0o644, name)
        for name in ("ca.ed25519.crt", "ca.composite.crt"):  # copied next to the node's
            with open(os.path.join(self.ca, name)) as a, open(os.path.join(self.node, name)) as b:
                self.assertEqual(a.read(), b.read())
            self.assertFalse(os.path.exists(os.path.join(self.node, name.replace(".crt", ".key"))))

    def test_show_prints_both_certificates_alike_and_verifies_them(self):
        self.init_and_issue()
        shown = {}
        for kind in ("ed25519", "composite"):
            p = self.pki("show", os.path.join(self.node, f"node.{kind}.crt"))
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            shown[kind] = fields(p.stdout)
            self.assertEqual(shown[kind]["subject"], ["CN=node-1"])
            self.assertEqual(shown[kind]["issuer"], ["CN=x0tta6bl4 mesh CA"])
            self.assertEqual(shown[kind]["san"], ["DNS:node-1", "IP:127.0.0.1", "IP:::1"])
            self.assertIn(shown[kind]["days_left"], (["29"], ["30"]))
            self.assertEqual(shown[kind]["validity"], ["valid"])
            self.assertTrue(shown[kind]["verified"][0].startswith("yes"), p.stdout)
            self.assertRegex(shown[kind]["serial"][0], r"^[0-9A-F]{32}$")
        self.assertEqual(shown["ed25519"]["algorithm"], ["Ed25519"])
        self.assertEqual(shown["composite"]["algorithm"], ["id-MLDSA65-Ed25519-SHA512"])
        for key in ("serial", "not_before", "not_after", "subject"):
            self.assertEqual(shown["ed25519"][key], shown["composite"][key], key)

        p = self.pki("show", os.path.join(self.ca, "ca.composite.crt"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(fields(p.stdout)["ca"], ["yes"])

        # Against another CA, verification fails and says why; without a CA it is unknown.
        other = os.path.join(self.workdir, "other")
        self.assertEqual(self.pki("init", "--dir", other).returncode, 0)
        for kind in ("ed25519", "composite"):
            p = self.pki("show", os.path.join(self.node, f"node.{kind}.crt"), "--ca", other)
            self.assertEqual(p.returncode, 1, p.stdout)
            self.assertRegex(p.stdout, r"verified: no .*verif", p.stdout)
        lonely = os.path.join(self.workdir, "lonely.crt")
        with open(os.path.join(self.node, "node.composite.crt")) as f, open(lonely, "w") as g:
            g.write(f.read())
        p = self.pki("show", lonely)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("verified: unknown", p.stdout)

    def test_never_overwrites_without_force(self):
        self.init_and_issue()
        key = os.path.join(self.ca, "ca.composite.key")
        with open(key) as f:
            before = f.read()
        p = self.pki("init", "--dir", self.ca)
        self.assertEqual(p.returncode, 1)
        self.assertIn("already exists", p.stderr)
        self.assertIn("ca.ed25519.key", p.stderr)
        with open(key) as f:
            self.assertEqual(f.read(), before)
        p = self.pki("issue", "--ca", self.ca, "--node", "node-1", "--out", self.node)
        self.assertEqual(p.returncode, 1)
        self.assertIn("node.ed25519.key already exists", p.stderr)
        p = self.pki("init", "--dir", self.ca, "--force")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(key) as f:
            self.assertNotEqual(f.read(), before)
        self.assertEqual(mode(key), 0o600)
        # The node directory holds the old CA's certificates: only --force replaces them too.
        for name in os.listdir(self.node):
            if name.startswith("node."):
                os.unlink(os.path.join(self.node, name))
        p = self.pki("issue", "--ca", self.ca, "--node", "node-1", "--out", self.node)
        self.assertEqual(p.returncode, 1)
        self.assertIn("ca.ed25519.crt already exists", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.node, "node.ed25519.key")))
        p = self.pki("issue", "--ca", self.ca, "--node", "node-1", "--out", self.node, "--force")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.pki("show", os.path.join(self.node, "node.composite.crt"))
        self.assertIn("verified: yes", p.stdout)

    def test_usage_and_input_errors(self):
        for args, code in ((["pki"], 2), (["pki", "frobnicate"], 2),
                           (["pki", "issue", "--node", "n"], 2),
                           (["pki", "init", "--days", "0"], 2),
                           (["pki", "show"], 2),
                           (["pki", "show", "/nonexistent.crt"], 1)):
            p = self.run_cli(*args)
            self.assertEqual(p.returncode, code, f"{args}: {p.stderr}")
            self.assertTrue(p.stderr.strip(), args)
        self.assertEqual(self.pki("init", "--dir", self.ca).returncode, 0)
        p = self.pki("issue", "--ca", self.ca, "--node", "bad,id", "--out", self.node)
        self.assertEqual(p.returncode, 1)
        self.assertIn("node id", p.stderr)
        p = self.pki("issue", "--ca", self.ca, "--node", "n", "--out", self.node,
                     "--address", "300.1.1.1")
        self.assertEqual(p.returncode, 1)
        self.assertIn("not an IP address", p.stderr)

    def test_stock_openssl_prints_both_and_verifies_the_ed25519_chain(self):
        self.init_and_issue()
        for kind in ("ed25519", "composite"):
            p = subprocess.run(["openssl", "x509", "-in", os.path.join(self.node, f"node.{kind}.crt"),
                                "-text", "-noout"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("Subject: CN = node-1", p.stdout)
            self.assertIn("DNS:node-1", p.stdout)
            self.assertIn("Digital Signature", p.stdout)
        p = subprocess.run(["openssl", "x509", "-in", os.path.join(self.ca, "ca.composite.crt"),
                            "-text", "-noout"], capture_output=True, text=True)
        self.assertIn("Signature Algorithm: 1.3.6.1.5.5.7.6.48", p.stdout)  # OpenSSL 3.0's name
        self.assertIn("CA:TRUE", p.stdout)
        for strict in ([], ["-x509_strict", "-purpose", "sslserver"],
                       ["-x509_strict", "-purpose", "sslclient"]):
            p = subprocess.run(["openssl", "verify", *strict, "-CAfile",
                                os.path.join(self.ca, "ca.ed25519.crt"),
                                os.path.join(self.node, "node.ed25519.crt")], capture_output=True,
                               text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn(": OK", p.stdout)
        # The key files are PKCS#8 that stock OpenSSL reads (Ed25519) or parses (composite).
        p = subprocess.run(["openssl", "pkey", "-in", os.path.join(self.node, "node.ed25519.key"),
                            "-noout"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = subprocess.run(["openssl", "asn1parse", "-in",
                            os.path.join(self.node, "node.composite.key")], capture_output=True,
                           text=True)
        self.assertIn("1.3.6.1.5.5.7.6.48", p.stdout)
        self.assertRegex(p.stdout, r"prim: OCTET STRING +\[HEX DUMP\]:[0-9A-F]{128}\n")

    def test_the_https_listener_serves_the_node_certificate(self):
        self.init_and_issue()
        origin = self.start_origin(name="site")
        port = free_port()
        tls = {"cert_file": os.path.join(self.node, "node.ed25519.crt"),
               "key_file": os.path.join(self.node, "node.ed25519.key")}
        node = self.start_node([service("app", [origin.endpoint()], cache=False)],
                               listeners={"https": f"127.0.0.1:{port}"},
                               extra_sections={"tls": tls})
        ca = os.path.join(self.ca, "ca.ed25519.crt")
        # curl checks the chain and the name: the node id (DNS SAN) and the address (IP SAN).
        for url, extra in ((f"https://node-1:{port}/api/v1/users", ["--resolve",
                                                                    f"node-1:{port}:127.0.0.1"]),
                           (f"https://127.0.0.1:{port}/api/v1/users", [])):
            p = subprocess.run(["curl", "-sS", "--max-time", "5", "--cacert", ca, "-D", "-", *extra,
                                url], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("X-Origin: site", p.stdout)
        p = subprocess.run(["curl", "-sS", "--max-time", "5", "--cacert",
                            os.path.join(self.node, "ca.composite.crt"),
                            f"https://127.0.0.1:{port}/"], capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0, "a wrong trust anchor must fail")
        p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", ca,
                            "-verify_return_error", "-brief"], input=b"", capture_output=True,
                           timeout=10)
        err = p.stderr.decode("latin-1")
        self.assertIn("Verification: OK", err)
        self.assertRegex(err, r"Signature type: [Ee][Dd]25519")
        status = node.get("/security/pqc/status").json()["https"]
        self.assertEqual(status["certificate"]["subject"], "/CN=node-1")



    def test_the_node_reports_its_identity_and_its_expiry(self):
        # 5 days left: /security/pqc/status.identity shows it, and the policy opens a SEV-3.
        p = self.pki("init", "--dir", self.ca)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.pki("issue", "--ca", self.ca, "--node", "node-1", "--out", self.node, "--days", "5")
        self.assertEqual(p.returncode, 0, p.stderr)
        node = self.start_node([service("app", ["127.0.0.1:9"], required=False)],
                               extra_sections={"mesh": {"cert_dir": self.node}})
        identity = node.get("/security/pqc/status").json()["identity"]
        self.assertTrue(identity["present"], identity)
        self.assertTrue(identity["verified"], identity)
        self.assertIsNone(identity["problem"])
        self.assertEqual(identity["subject"], "CN=node-1")
        self.assertIn(identity["days_left"], (4, 5))
        self.assertEqual(identity["tls"]["algorithm"], "Ed25519")
        self.assertEqual(identity["pq"]["algorithm"], "id-MLDSA65-Ed25519-SHA512")
        self.assertTrue(identity["pq"]["verified"])
        wait_until(lambda: [i for i in node.get("/incidents").json()
                            if i.get("rule") == "node_certificate_expiring"],
                   message="the SEV-3 incident")
        incident = [i for i in node.get("/incidents").json()
                    if i.get("rule") == "node_certificate_expiring"][0]
        self.assertEqual(incident["severity"], "SEV-3")
        self.assertIn("node certificate expires soon", node.log())
        # Renewed and reloaded: a year left, and the incident is not opened again.
        p = self.pki("issue", "--ca", self.ca, "--node", "node-1", "--out", self.node,
                     "--days", "365", "--force")
        self.assertEqual(p.returncode, 0, p.stderr)
        node.signal(signal.SIGHUP)
        wait_until(lambda: node.get("/security/pqc/status").json()["identity"]["days_left"] >= 364,
                   message="the renewed identity")
        self.assertEqual(len([i for i in node.get("/incidents").json()
                              if i.get("rule") == "node_certificate_expiring"]), 1)

    def test_a_node_without_an_identity_says_where_it_looked(self):
        node = self.start_node([service("app", ["127.0.0.1:9"], required=False)],
                               extra_sections={"mesh": {"cert_dir": self.node}})
        identity = node.get("/security/pqc/status").json()["identity"]
        self.assertFalse(identity["present"])
        self.assertIn("pki issue", identity["problem"])
        self.assertEqual(identity["dir"], self.node)


if __name__ == "__main__":
    unittest.main()
