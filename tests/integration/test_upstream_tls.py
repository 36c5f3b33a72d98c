# Upstream TLS: services whose endpoints are https://. The origins are independent TLS servers:
# Python's ssl module (OpenSSL 3.0, classical: our hybrid-first ClientHello gets a
# HelloRetryRequest for X25519) and another x0tta6bl4 node's HTTPS listener (X25519MLKEM768 end
# to end). Certificates come from a CA made here with the openssl command; the node verifies them
# against tls_ca_file, checks the name, and sends SNI.
import hashlib
import json
import os
import socket
import ssl
import subprocess
import threading
import time
import unittest

from harness import IntegrationTest, free_port, request, service, wait_until


def make_ca_and_leaf(directory, names=("DNS:origin.test", "IP:127.0.0.1")):
    """A P-256 CA and a leaf it signed for `names`; returns (ca_cert, leaf_cert, leaf_key)."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=upstream test CA", "-days", "2")
    run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=origin.test")
    with open(os.path.join(directory, "leaf.ext"), "w") as f:
        f.write("subjectAltName=" + ",".join(names) + "\n")
    run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "leaf.ext")
    return tuple(os.path.join(directory, n) for n in ("ca.pem", "leaf.pem", "leaf.key"))


class TlsOrigin:
    """An HTTPS origin on Python's ssl: keep-alive, Content-Length bodies; answers every request
    with JSON (path, body length and SHA-256, the SNI it was reached by). Counts connections."""

    def __init__(self, cert, key):
        self.read_delay = 0  # seconds between the handshake and the first read
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.server_names = []
        self.context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
        self.listener = socket.socket()
        # A small receive window (accepted sockets inherit it): a paused origin soon stops taking
        # an upload, as a busy one would.
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def endpoint(self):
        return f"https://127.0.0.1:{self.port}"

    def _accept_loop(self):
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw):
        raw.settimeout(10)
        try:
            conn = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        self.connections += 1
        time.sleep(self.read_delay)
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, _, buf = buf.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                length = 0
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    if k.strip().lower() == "content-length":
                        length = int(v)
                while len(buf) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                body, buf = buf[:length], buf[length:]
                answer = json.dumps({"path": lines[0].split(" ")[1], "body_bytes": len(body),
                                     "sha256": hashlib.sha256(body).hexdigest()}).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(answer) + answer)
        except (ssl.SSLError, OSError):
            pass
        finally:
            conn.close()

    def close(self):
        self.listener.close()


class UpstreamTlsTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.ca, self.cert, self.key = make_ca_and_leaf(self.workdir)
        self.origin = TlsOrigin(self.cert, self.key)
        self.addCleanup(self.origin.close)

    def start(self, **service_keys):
        keys = {"tls_ca_file": self.ca, "cache": False}
        keys.update(service_keys)
        return self.start_node([service("app", [self.origin.endpoint()], **keys)])

    def handshakes(self, node, group, result="ok"):
        return node.metric_value("upstream_tls_handshakes_total", group=group, result=result)

    def test_an_https_endpoint_is_verified_checked_and_reused(self):
        node = self.start()
        r = node.get("/api/orders?id=7")
        self.assertEqual(r.status, 200, r.text())
        self.assertEqual(r.json()["path"], "/api/orders?id=7")
        for _ in range(3):
            self.assertEqual(node.get("/again").status, 200)
        # The origin has no hybrid group: a HelloRetryRequest, then X25519.
        self.assertGreaterEqual(self.handshakes(node, "X25519"), 1)
        self.assertEqual(self.handshakes(node, "none", "failed"), 0)
        # Health checks run over TLS too, and requests reuse pooled TLS connections.
        self.assertLessEqual(self.origin.connections,
                             self.handshakes(node, "X25519"), "every connection shook hands once")
        self.assertEqual(node.health()["status"], "healthy", node.health())
        # No SNI for an IP literal (RFC 6066); the address is checked against the certificate's.
        self.assertNotIn("127.0.0.1", self.origin.server_names)

    def test_an_upload_on_a_fresh_tls_connection_arrives_whole(self):
        # The origin's session tickets arrive while the request is still being written (the
        # origin reads nothing for a while, so the write blocks): they must not be taken for an
        # early answer.
        self.origin.read_delay = 0.3
        node = self.start(health_check={"enabled": False})
        body = os.urandom(9 * 1024 * 1024)  # more than the node's socket can hold (4 MiB)
        r = request(node.data_port, "POST", "/upload", body=body, timeout=20)
        self.assertEqual(r.status, 200, r.text())
        self.assertEqual(r.json()["body_bytes"], len(body))
        self.assertEqual(r.json()["sha256"], hashlib.sha256(body).hexdigest())

    def test_the_server_name_is_sent_as_sni_and_checked(self):
        node = self.start(tls_server_name="origin.test")
        self.assertEqual(node.get("/").status, 200)
        self.assertIn("origin.test", self.origin.server_names)

    def test_a_certificate_for_another_name_is_refused_with_a_security_line(self):
        node = self.start(tls_server_name="other.test", health_check={"enabled": False},
                          retries=0, passive_eject_failures=0)
        r = node.get("/")
        self.assertEqual(r.status, 502, r.text())
        wait_until(lambda: self.handshakes(node, "none", "failed") >= 1,
                   message="the failed handshake counted")
        wait_until(lambda: "hostname mismatch" in node.log(), message="the reason logged")
        lines = [l for l in node.log().splitlines() if "SECURITY" in l and "TLS handshake" in l]
        self.assertTrue(lines, node.log()[-3000:])
        self.assertIn("side=upstream", lines[0])

    def test_a_certificate_from_another_ca_is_refused(self):
        other_dir = os.path.join(self.workdir, "other")
        os.mkdir(other_dir)
        other_ca, _, _ = make_ca_and_leaf(other_dir)
        node = self.start(tls_ca_file=other_ca, health_check={"enabled": False}, retries=0)
        self.assertEqual(node.get("/").status, 502)
        wait_until(lambda: "certificate verify failed" in node.log(), message="the reason logged")

    def test_verification_off_is_accepted_and_said_at_start(self):
        node = self.start(tls_ca_file="", tls_verify=False, tls_server_name="anything.test")
        self.assertEqual(node.get("/").status, 200)
        self.assertIn("upstream TLS certificates are not verified", node.log())

    def test_a_missing_ca_file_stops_the_start_with_the_file_named(self):
        node = self.start_node([service("app", [self.origin.endpoint()],
                                        tls_ca_file=os.path.join(self.workdir, "nope.pem"))],
                               wait=False)
        wait_until(lambda: not node.alive(), 10, message="the node to exit")
        self.assertNotEqual(node.proc.returncode, 0)
        self.assertIn("nope.pem", node.log())

    def test_another_node_as_a_post_quantum_origin(self):
        # Node B serves HTTPS with a certificate of our CA; node A proxies to it over
        # X25519MLKEM768, which both ends count.
        site = self.start_origin(name="site")
        b_port = free_port()
        b = self.start_node([service("site", [site.endpoint()], cache=False)], name="b",
                            listeners={"https": f"127.0.0.1:{b_port}"},
                            extra_sections={"tls": {"cert_file": self.cert, "key_file": self.key}})
        a = self.start_node([service("app", [f"https://127.0.0.1:{b_port}"], tls_ca_file=self.ca,
                                     cache=False)], name="a")
        r = a.get("/api/v1/users")
        self.assertEqual(r.status, 200, r.text())
        self.assertEqual(r.header("X-Origin"), "site")
        self.assertGreaterEqual(self.handshakes(a, "X25519MLKEM768"), 1)
        self.assertGreaterEqual(
            b.metric_value("pqc_client_handshakes_total", listener="https", kex="hybrid"), 1)


if __name__ == "__main__":
    unittest.main()
