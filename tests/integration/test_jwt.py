# The jwt filter on a real node (issue 15), with tokens and keys made at test time by an independent
# implementation (PyJWT and cryptography, Debian's python3-jwt / python3-cryptography): a valid
# token of each algorithm passes and its header never reaches the origin; every kind of bad token
# is a 401 with RFC 6750's WWW-Authenticate, the node's JSON error body and a reason in
# jwt_validation_total; claims become headers a client cannot forge; routes opt in and out; keys
# reload on SIGHUP; a burst of bad tokens feeds the security_breach rule.
import base64
import hashlib
import hmac
import json
import os
import signal
import time
import unittest

try:
    import jwt as pyjwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from jwt.algorithms import OKPAlgorithm, RSAAlgorithm
except ImportError as e:  # fail loudly: a skipped security test is one that cannot fail
    raise ImportError(f"{e}: test_jwt needs Debian's python3-jwt and python3-cryptography "
                      "(scripts/install-deps.sh) in the Python ctest runs (configure with "
                      "-DPython3_EXECUTABLE=/usr/bin/python3 when another python3 comes first "
                      "on PATH)") from e

from harness import IntegrationTest, service, wait_until

ISSUER = "https://issuer.test"
AUDIENCE = "gateway"


def pem_public(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def ec_jwk(public_key, **extra):
    """A P-256 JWK with each coordinate the full 32 bytes (RFC 7518 section 6.2.1.2). PyJWT 2.6's
    ECAlgorithm.to_jwk drops leading zero bytes (one key in 128), which the node rightly refuses."""
    n = public_key.public_numbers()
    return dict(kty="EC", crv="P-256", x=b64url(n.x.to_bytes(32, "big")),
                y=b64url(n.y.to_bytes(32, "big")), **extra)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**over):
    now = int(time.time())
    c = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 300}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def hs256_by_hand(payload, secret, header=None):
    """HS256 computed here, for tokens PyJWT refuses to make (an HMAC over a PEM public key)."""
    h = b64url(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    p = b64url(json.dumps(payload).encode())
    mac = hmac.new(secret, f"{h}.{p}".encode(), hashlib.sha256).digest()
    return f"{h}.{p}.{b64url(mac)}"


class Keys:
    """One key of each type, in the files a provider names, in the test's temp dir."""

    def __init__(self, workdir):
        self.dir = workdir
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.rsa_other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.ed = ed25519.Ed25519PrivateKey.generate()
        self.secret = os.urandom(32).hex().encode()  # 64 bytes of text
        jwks = {"keys": [
            dict(json.loads(RSAAlgorithm.to_jwk(self.rsa.public_key())), kid="rsa-1", use="sig"),
            dict(json.loads(OKPAlgorithm.to_jwk(self.ed.public_key())), kid="ed-1"),
            ec_jwk(self.ec.public_key(), kid="ec-1", alg="ES256"),
        ]}
        self.jwks_file = self.write("jwks.json", json.dumps(jwks).encode())
        self.rsa_pem_file = self.write("rsa.pem", pem_public(self.rsa))
        self.ec_pem_file = self.write("ec.pem", pem_public(self.ec))
        self.secret_file = self.write("hs.secret", self.secret + b"\n")

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def rs256(self, payload, kid="rsa-1", key=None):
        return pyjwt.encode(payload, key or self.rsa, algorithm="RS256", headers={"kid": kid})

    def es256(self, payload, kid=None):
        return pyjwt.encode(payload, self.ec, algorithm="ES256", headers={"kid": kid} if kid else None)

    def eddsa(self, payload, kid="ed-1"):
        return pyjwt.encode(payload, self.ed, algorithm="EdDSA", headers={"kid": kid})

    def hs256(self, payload, secret=None):
        return pyjwt.encode(payload, secret or self.secret, algorithm="HS256")


def provider(name, **keys):
    p = {"name": name, "issuer": ISSUER, "audiences": [AUDIENCE]}
    p.update(keys)
    return p


class JwtTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.keys = Keys(self.workdir)
        self.origin = self.start_origin()

    def node(self, services, providers=(), security=None, **kw):
        sections = {"jwt.providers": list(providers)} if providers else {}
        if security:
            sections["security"] = security
        sections.update(kw.pop("extra_sections", {}))
        return self.start_node(services, extra_sections=sections, **kw)

    def svc(self, name, prefix, **keys):
        """A service reached as /<name>/<path> in these tests: by Host <name>.test (the origin
        answers /echo only at that path)."""
        return service(name, [self.origin.endpoint()], hosts=[prefix.strip("/") + ".test"],
                       **keys)

    def four_providers_node(self, **rs_keys):
        k = self.keys
        return self.node(
            [self.svc("rs", "/rs", jwt="jwks"), self.svc("es", "/es", jwt="pem-ec"),
             self.svc("hs", "/hs", jwt="secret"), self.svc("open", "/open")],
            providers=[provider("jwks", jwks_file=k.jwks_file, **rs_keys),
                       provider("pem-ec", public_key_file=k.ec_pem_file, clock_skew_seconds=60),
                       provider("secret", secret_file=k.secret_file)])

    def get(self, node, path, token=None, headers=None):
        """GET /<service>/<rest>: <rest> of the service's host, with the token as a Bearer."""
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        _, name, rest = path.split("/", 2)
        h["Host"] = f"{name}.test"
        return node.get("/" + rest, headers=h)

    def assert_refused(self, r, reason, described=True):
        self.assertEqual(r.status, 401, r.text())
        challenge = r.header("WWW-Authenticate")
        self.assertIsNotNone(challenge)
        self.assertTrue(challenge.startswith('Bearer realm="'), challenge)
        if described:
            self.assertIn('error="invalid_token"', challenge)
            self.assertIn("error_description=", challenge)
        else:
            self.assertNotIn("error=", challenge, "a request without a token gets no error code")
        body = r.json()
        self.assertEqual(body["error"], "unauthorized")
        self.assertIn("request_id", body)
        return challenge

    def test_a_valid_token_of_each_algorithm_passes_and_its_header_is_stripped(self):
        node = self.four_providers_node()
        k = self.keys
        for path, token in [("/rs/echo", k.rs256(claims())), ("/rs/echo", k.eddsa(claims())),
                            ("/rs/echo", k.es256(claims(), kid="ec-1")),
                            ("/es/echo", k.es256(claims())), ("/hs/echo", k.hs256(claims()))]:
            r = self.get(node, path, token)
            self.assertEqual(r.status, 200, f"{path}: {r.text()}")
            seen = r.json()["headers"]
            self.assertNotIn("Authorization", seen, "the token reached the origin")
        self.assertEqual(node.metric_value("jwt_validation_total", service="rs", result="ok"), 3)
        r = self.get(node, "/open/echo")
        self.assertEqual(r.status, 200, "a route without jwt is open")

    def test_bad_tokens_are_refused_with_their_reason(self):
        node = self.four_providers_node()
        k = self.keys
        now = int(time.time())
        good = k.rs256(claims())
        head, payload, sig = good.split(".")
        other_key = k.rs256(claims(), key=k.rsa_other)
        cases = [
            ("expired", k.rs256(claims(exp=now - 120)), "expired"),
            ("not yet valid", k.rs256(claims(nbf=now + 600)), "not_yet_valid"),
            ("no exp", k.rs256(claims(exp=None)), "no_exp"),
            ("wrong issuer", k.rs256(claims(iss="https://evil.test")), "issuer"),
            ("wrong audience", k.rs256(claims(aud="other")), "audience"),
            ("no audience", k.rs256(claims(aud=None)), "audience"),
            ("wrong key", other_key, "signature"),
            ("unknown kid", k.rs256(claims(), kid="rsa-9"), "unknown_kid"),
            ("alg none", pyjwt.encode(claims(), None, algorithm="none", headers={"kid": "rsa-1"}),
             "algorithm"),
            ("alg none, signature kept",
             b64url(json.dumps({"alg": "none", "kid": "rsa-1"}).encode()) + f".{payload}.{sig}",
             "algorithm"),
            ("HS256 with the JWKS's RSA key as secret",
             hs256_by_hand(claims(), pem_public(k.rsa), {"alg": "HS256", "kid": "rsa-1"}),
             "algorithm"),
            ("tampered payload", f"{head}.{b64url(json.dumps(claims(sub='root')).encode())}.{sig}",
             "signature"),
            ("truncated", good[:-10], "signature"),
            ("two parts", f"{head}.{payload}", "malformed"),
            ("garbage", "not-a-token", "malformed"),
            ("bad base64", f"{head}.{payload}.!!!", "malformed"),
        ]
        for name, token, reason in cases:
            with self.subTest(name):
                before = node.metric_value("jwt_validation_total", service="rs", result=reason)
                challenge = self.assert_refused(self.get(node, "/rs/echo", token), reason)
                self.assertNotIn(token, challenge)
                self.assertEqual(
                    node.metric_value("jwt_validation_total", service="rs", result=reason),
                    before + 1, f"{name}: counted as {reason}")
        # Alg confusion against a PEM provider too: its RSA... here EC key as an HMAC secret.
        confused = hs256_by_hand(claims(), pem_public(k.ec))
        self.assert_refused(self.get(node, "/es/echo", confused), "algorithm")
        self.assertEqual(node.metric_value("jwt_validation_total", service="es", result="algorithm"),
                         1)
        # Skew: 60 s on pem-ec, so a token expired 30 s ago or valid in 30 s still passes.
        self.assertEqual(self.get(node, "/es/echo", k.es256(claims(exp=now - 30))).status, 200)
        self.assertEqual(self.get(node, "/es/echo", k.es256(claims(nbf=now + 30))).status, 200)
        self.assert_refused(self.get(node, "/es/echo", k.es256(claims(exp=now - 90))), "expired")
        # An audience array passes when one of its entries is ours.
        self.assertEqual(self.get(node, "/rs/echo", k.rs256(claims(aud=["x", AUDIENCE]))).status,
                         200)
        # None of the refused requests reached the origin.
        self.assertEqual(self.origin.count("/echo"), 3, "only the 3 valid tokens reached it")
        # Logged under SECURITY with the client and reason, never the token.
        log = node.log()
        lines = [l for l in log.splitlines() if "invalid bearer token" in l]
        self.assertTrue(lines, log[-2000:])
        self.assertTrue(all("SECURITY" in l and "peer=127.0.0.1" in l for l in lines), lines[:3])
        # At most 5 lines a second per worker are logged (a flood of bad tokens is not a flood of
        # lines), so which of the cases above were logged depends on timing; each names its reason.
        reasons = {line.split("reason=")[1].split()[0] for line in lines}
        self.assertTrue(reasons <= {reason for _, _, reason in cases}, reasons)
        self.assertNotIn(good[:-10], log)
        self.assertNotIn(other_key, log)

    def test_a_missing_token_is_asked_for_without_an_error_code(self):
        node = self.four_providers_node()
        self.assert_refused(self.get(node, "/rs/echo"), "missing", described=False)
        self.assert_refused(self.get(node, "/rs/echo", headers={"Authorization": "Basic YTpi"}), "missing",
                            described=False)
        self.assertEqual(node.metric_value("jwt_validation_total", service="rs", result="missing"), 2)
        self.assertNotIn("invalid bearer token", node.log(), "no token is not a SECURITY event")
        self.assertEqual(self.origin.count("/echo"), 0)

    def test_claims_become_headers_and_forged_ones_are_dropped(self):
        k = self.keys
        node = self.node(
            [self.svc("api", "/api", jwt=True)],
            providers=[provider("default", secret_file=k.secret_file,
                                forward_claims={"sub": "X-User", "scope": "X-Scope",
                                                "roles": "X-Roles"})])
        r = self.get(node, "/api/echo", k.hs256(claims(roles=["a", "b"])),
                     headers={"X-User": "root", "X-Scope": "admin"})
        self.assertEqual(r.status, 200, r.text())
        seen = r.json()["headers"]
        self.assertEqual(seen.get("X-User"), "alice")
        self.assertEqual(seen.get("X-Roles"), '["a","b"]')
        self.assertNotIn("X-Scope", seen, "the client's own X-Scope (no such claim) was forwarded")
        self.assertNotIn("Authorization", seen)

    def test_forward_token_and_another_header(self):
        k = self.keys
        node = self.node(
            [self.svc("kept", "/kept", jwt="kept"), self.svc("hdr", "/hdr", jwt="hdr")],
            providers=[provider("kept", secret_file=k.secret_file, forward_token=True),
                       provider("hdr", secret_file=k.secret_file, from_header="X-Api-Token")])
        token = k.hs256(claims())
        r = self.get(node, "/kept/echo", token)
        self.assertEqual(r.status, 200, r.text())
        self.assertEqual(r.json()["headers"].get("Authorization"), f"Bearer {token}")
        r = self.get(node, "/hdr/echo", headers={"X-Api-Token": token})
        self.assertEqual(r.status, 200, r.text())
        self.assertNotIn("X-Api-Token", r.json()["headers"])
        self.assert_refused(self.get(node, "/hdr/echo", token), "missing", described=False)

    def test_the_node_wide_default_and_a_route_that_opts_out(self):
        k = self.keys
        node = self.node([self.svc("closed", "/closed"), self.svc("open", "/open", jwt=False)],
                         security={"enable_jwt_validation": True,
                                   "jwt_secret_file": k.secret_file})
        self.assert_refused(self.get(node, "/closed/echo"), "missing", described=False)
        self.assertEqual(self.get(node, "/closed/echo", k.hs256(claims(iss=None, aud=None))).status,
                         200)
        self.assertEqual(self.get(node, "/open/echo").status, 200)
        # Probes and operator endpoints are not the services' traffic.
        self.assertEqual(node.get("/health/live", port=node.health_port).status, 200)
        self.assertEqual(node.get("/api/v1/status").status, 200)
        self.assertIn("jwt_validation_total", node.metrics())
        self.assertNotIn("not built yet: requests are NOT checked", node.log())

    def test_cached_responses_never_reach_another_or_an_unauthenticated_client(self):
        k = self.keys
        node = self.node(
            [self.svc("hdr", "/hdr", jwt="hdr", cache_ttl_s=60),
             self.svc("bearer", "/bearer", jwt="bearer", cache_ttl_s=60)],
            providers=[provider("hdr", secret_file=k.secret_file, from_header="X-Api-Token",
                                forward_claims={"sub": "X-User"}),
                       provider("bearer", secret_file=k.secret_file,
                                forward_claims={"sub": "X-User"})])
        for prefix, as_header in [("/hdr", "X-Api-Token"), ("/bearer", None)]:
            def get(user):
                token = k.hs256(claims(sub=user))
                h = {as_header: token} if as_header else {"Authorization": f"Bearer {token}"}
                return self.get(node, f"{prefix}/echo", headers=h)
            alice = get("alice")
            self.assertEqual(alice.status, 200, alice.text())
            bob = get("bob")
            self.assertEqual(bob.json()["headers"].get("X-User"), "bob", f"{prefix}: alice's page")
            self.assertNotEqual(bob.header("X-Cache"), "HIT")
            self.assert_refused(self.get(node, f"{prefix}/echo"), "missing", described=False)
            self.assertEqual(self.origin.count("/echo"), 2 if prefix == "/hdr" else 4)
        self.assertEqual(node.metric_value("cache_entries"), 0)

    def test_keys_reload_on_sighup_and_a_broken_key_keeps_the_old(self):
        k = self.keys
        node = self.node([self.svc("api", "/api", jwt=True)],
                         providers=[provider("default", secret_file=k.secret_file)])
        old = k.hs256(claims())
        self.assertEqual(self.get(node, "/api/echo", old).status, 200)
        new_secret = os.urandom(32).hex().encode()
        k.write("hs.secret", new_secret)
        node.signal(signal.SIGHUP)
        wait_until(lambda: node.metric_value("config_reloads_total", result="ok") >= 1,
                   message="the reload")
        self.assert_refused(self.get(node, "/api/echo", old), "signature")
        new = k.hs256(claims(), secret=new_secret)
        self.assertEqual(self.get(node, "/api/echo", new).status, 200)
        k.write("hs.secret", b"short")  # refused: under 32 bytes
        node.signal(signal.SIGHUP)
        wait_until(lambda: "reload refused" in node.log(), message="the refused reload")
        self.assertIn("at least 32 are needed", node.log())
        self.assertEqual(self.get(node, "/api/echo", new).status, 200, "the old key keeps working")

    def test_a_burst_of_bad_tokens_fires_the_security_breach_rule(self):
        policy = os.path.join(self.workdir, "policy.toml")
        with open(policy, "w") as f:
            f.write('[[rules]]\nname = "security_breach"\nsignal = "auth_failures"\nabove = 20\n'
                    'for_s = 0\nwindow_s = 10\nseverity = "SEV-1"\naction = "isolate"\n'
                    'authority = "cto"\nmin_samples = 0\n')
        k = self.keys
        node = self.node([self.svc("api", "/api", jwt=True)],
                         providers=[provider("default", secret_file=k.secret_file)],
                         extra_sections={"autopilot": {"policy_file": policy}})
        bad = k.hs256(claims(), secret=b"x" * 40)

        def incident():
            for _ in range(10):
                self.get(node, "/api/echo", bad)
            found = [i for i in node.get("/incidents").json() if i["rule"] == "security_breach"]
            return found[0] if found else None
        found = wait_until(incident, 15, message="a security_breach incident")
        self.assertEqual(found["severity"], "SEV-1")
        # A flood is not a flood of log lines: at most 5 a second per worker (2 workers).
        for _ in range(100):
            self.get(node, "/api/echo", bad)
        lines = [l for l in node.log().splitlines() if "invalid bearer token" in l]
        self.assertLess(len(lines), 100, "every refusal was logged")
        self.assertIn("not_logged_since_last=", lines[-1])

    def test_check_config_names_the_problem(self):
        k = self.keys
        cases = [
            ('jwt = "nope"', "", 'unknown provider "nope"'),
            ("jwt = true", '[[jwt.providers]]\nname = "default"\nsecret_file = "/nonexistent/k"\n',
             "cannot read"),
            ("jwt = true", f'[[jwt.providers]]\nname = "default"\npublic_key_file = '
                           f'{json.dumps(k.rsa_pem_file)}\nalgorithms = ["HS256"]\n',
             "HS256 needs a secret key"),
            ("jwt = true", f'[[jwt.providers]]\nname = "default"\njwks_file = '
                           f'{json.dumps(k.jwks_file)}\nalgorithms = ["none"]\n',
             "is not accepted"),
            ("jwt = true", "", "no default provider"),
        ]
        for n, (service_key, providers, expected) in enumerate(cases):
            path = os.path.join(self.workdir, f"bad{n}.toml")
            with open(path, "w") as f:
                f.write(f'{providers}\n[[services]]\nname = "api"\nendpoints = ["127.0.0.1:1"]\n'
                        f"{service_key}\n")
            p = self.run_cli("check-config", path)
            self.assertEqual(p.returncode, 1, p.stdout)
            self.assertIn(expected, p.stderr)


if __name__ == "__main__":
    unittest.main()
