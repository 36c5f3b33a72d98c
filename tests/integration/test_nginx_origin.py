# The smuggling and path-escape cases of the security release against a real, independent
# origin: nginx 1.22 (Debian's nginx-light) serves /public/ and a /private location that the
# node's only route (/public) must never expose. Whatever the client sends, nginx's access log
# must show no /private request and no client may ever see its body.
import os
import shutil
import time
import unittest

from harness import IntegrationTest, free_port, port_open, service, wait_until

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SECRET = b"SECRET-private-body"

CONFIG = """
daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log info;
events {{ worker_connections 256; }}
http {{
  access_log {dir}/access.log;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location /public {{ return 200 "public $uri\\n"; }}
    location /private {{ return 200 "{secret}\\n"; }}
    location / {{ return 404 "nginx 404\\n"; }}
  }}
}}
"""


class NginxOriginTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        if not os.path.exists(NGINX):
            self.fail(f"nginx not found at {NGINX}: scripts/install-deps.sh installs nginx-light")
        port = free_port()
        conf = os.path.join(self.workdir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(CONFIG.format(dir=self.workdir, port=port, secret=SECRET.decode()))
        self.start_process([NGINX, "-p", self.workdir, "-c", conf], "nginx")
        wait_until(lambda: port_open(port), 5, message="nginx to listen")
        self.node = self.start_node([service("pub", [f"127.0.0.1:{port}"], path_prefixes=["/public"],
                                             health_check={"enabled": False})])

    def access_log(self):
        with open(os.path.join(self.workdir, "access.log"), "rb") as f:
            return f.read()

    def send(self, raw):
        c = self.raw(self.node.data_port)
        c.send(raw)
        out = b""
        while True:
            chunk = c.read_some(0.3)
            if not chunk:
                return out
            out += chunk

    def test_path_escapes_never_reach_private(self):
        for path in ("/public/../private", "/public/%2e%2e/private", "/public/%2E%2E/private",
                     "/public/..%2fprivate", "/public%2f..%2fprivate", "/public/%2f../private",
                     "/public/..\\private", "/public/%5c..%5cprivate", "/public/.%2e/private",
                     "/publicXYZ/../private", "/public/./../private", "/public//../../private"):
            with self.subTest(path=path):
                answer = self.send(f"GET {path} HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n".encode())
                self.assertTrue(answer.startswith(b"HTTP/1.1 4"), answer[:200])
                self.assertNotIn(SECRET, answer)
        answer = self.send(b"GET /public/a/../b HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n")
        self.assertIn(b"public /public/b", answer)
        time.sleep(0.2)
        self.assertNotIn(b"/private", self.access_log())

    def test_smuggling_through_connection_never_reaches_private(self):
        smuggled = b"GET /private HTTP/1.1\r\nHost: internal\r\n\r\n"
        for named in (b"Content-Length", b"Host", b"Transfer-Encoding"):
            with self.subTest(named=named):
                answer = self.send(b"POST /public/x HTTP/1.1\r\nHost: app\r\nConnection: " + named +
                                   b"\r\nContent-Length: " + str(len(smuggled)).encode() + b"\r\n\r\n" + smuggled)
                self.assertTrue(answer.startswith(b"HTTP/1.1 400"), answer[:200])
                self.assertNotIn(SECRET, answer)
        # The same body without the Connection trick is an ordinary upload to /public/x.
        answer = self.send(b"POST /public/x HTTP/1.1\r\nHost: app\r\nContent-Length: " +
                           str(len(smuggled)).encode() + b"\r\n\r\n" + smuggled)
        self.assertIn(b"public /public/x", answer)
        self.assertNotIn(SECRET, answer)
        time.sleep(0.2)
        log = self.access_log()
        self.assertNotIn(b"/private", log)
        self.assertEqual(log.count(b'"POST /public/x'), 1, log)


if __name__ == "__main__":
    unittest.main()
