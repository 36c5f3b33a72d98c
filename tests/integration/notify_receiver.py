"""Local HTTPS receivers for the notification tests: a CA and a server certificate made at test
time with openssl, and a threaded http.server that records every request and answers from a
per-path script (status, body, headers), falling back to each service's success answer."""
import http.server
import json
import os
import socket
import ssl
import subprocess
import threading
import time


def make_ca(directory):
    """CA certificate and a server certificate for 127.0.0.1/localhost signed by it."""
    ca_key, ca_crt = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.pem")
    key, csr, crt = (os.path.join(directory, n) for n in ("srv.key", "srv.csr", "srv.pem"))
    ext = os.path.join(directory, "san.ext")
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", ca_key, "-out", ca_crt, "-subj", "/CN=x0 notify test CA", "-days", "2")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
        "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext)
    return ca_crt, crt, key


def success_for(path):
    if path.startswith("/pd/"):
        return 202, {"status": "success", "dedup_key": "x"}, {}
    if path.startswith("/slack/"):
        return 200, "ok", {}
    if path.startswith("/tg/"):
        return 200, {"ok": True, "result": {"message_id": 1}}, {}
    if path.startswith("/sp/"):
        return 201, {"id": "sp-1", "status": "investigating"}, {}
    return 200, {"received": True}, {}


class Receiver:
    def __init__(self, cert, key):
        self.requests = []  # dicts: method, path, headers, body (bytes), json, status
        self.script = {}    # path prefix -> list of (status, body, headers), consumed in order
        self.hang = set()   # path prefixes that are read and never answered
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_any(self):
                arrived = time.monotonic()  # the request's head is in (bench/oncall.py)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if any(self.path.startswith(p) for p in receiver.hang):
                    with receiver.lock:
                        receiver.requests.append({"method": self.command, "path": self.path,
                                                  "headers": dict(self.headers), "body": body,
                                                  "json": None, "status": None})
                        receiver.changed.notify_all()
                    threading.Event().wait(60)
                    return
                status, answer, headers = receiver.answer_for(self.path)
                data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                with receiver.lock:
                    receiver.requests.append({"method": self.command, "path": self.path,
                                              "headers": dict(self.headers), "body": body,
                                              "json": parsed, "status": status,
                                              "arrived": arrived, "at": time.monotonic()})
                    receiver.changed.notify_all()

            do_POST = do_PATCH = do_PUT = handle_any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def base(self, prefix):
        return f"https://127.0.0.1:{self.port}{prefix}"

    def answer_for(self, path):
        with self.lock:
            for prefix, answers in self.script.items():
                if path.startswith(prefix) and answers:
                    return answers.pop(0)
        return success_for(path)

    def wait_for(self, predicate, count=1, timeout=15):
        """Waits until `count` recorded requests satisfy predicate; returns them."""
        with self.changed:
            ok = self.changed.wait_for(
                lambda: len([r for r in self.requests if predicate(r)]) >= count, timeout)
            matching = [r for r in self.requests if predicate(r)]
        if not ok:
            raise AssertionError(f"{len(matching)} of {count} expected requests; got "
                                 + ", ".join(f"{r['method']} {r['path']} {r['status']}"
                                             for r in self.requests))
        return matching

    def close(self):
        self.server.shutdown()
        self.server.server_close()
