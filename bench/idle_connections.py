#!/usr/bin/env python3
"""RSS of a node holding N idle keep-alive client connections.

Starts an origin and a node (one worker), opens N client connections, sends one GET on each
(so every connection has been through a full request and is now an idle keep-alive
connection), then reads the node's VmRSS from /proc. Prints RSS before and after, and per
connection. Raises the fd limit as far as the hard limit allows.
"""
import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_port(port, deadline=10.0):
    end = time.time() + deadline
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"port {port} did not open")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--connections", type=int, default=10000)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.connections * 2 + 1000
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

    work = tempfile.mkdtemp(prefix="x0-idle-")
    cfg = os.path.join(work, "node.toml")
    with open(cfg, "w") as f:
        f.write(f"""[node]
data_dir = "{work}/data"
[listeners]
data = "127.0.0.1:28190"
health = "127.0.0.1:28191"
metrics = "127.0.0.1:28192"
[api_gateway]
worker_threads = 1
idle_timeout_ms = 600000
[[services]]
name = "idle"
endpoints = ["127.0.0.1:28189"]
""")
    origin = subprocess.Popen([args.binary, "origin", "--port", "28189"], stderr=subprocess.DEVNULL)
    node = subprocess.Popen([args.binary, "run", "--config", cfg], stderr=subprocess.DEVNULL)
    try:
        wait_port(28189)
        wait_port(28190)
        time.sleep(0.5)
        before = rss_kib(node.pid)
        conns = []
        request = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
        ok = 0
        bad = []
        # One request per connection, answered before the next connection opens: afterwards
        # every connection is an idle keep-alive connection, as a browser fleet leaves them.
        for i in range(args.connections):
            s = socket.create_connection(("127.0.0.1", 28190))
            s.sendall(request)
            data = s.recv(4096)
            ok += data.startswith(b"HTTP/1.1 200")
            if not data.startswith(b"HTTP/1.1 200"):
                bad.append(data[:200])
            conns.append(s)
        if bad:
            print(f"first unexpected answers: {bad[:3]}")
        time.sleep(0.5)
        after = rss_kib(node.pid)
        print(f"idle keep-alive connections: {len(conns)} (answered 200: {ok})")
        print(f"node RSS: {before / 1024:.1f} MiB before, {after / 1024:.1f} MiB with the connections open")
        print(f"per connection: {(after - before) * 1024 / max(1, len(conns)):.0f} bytes")
        for s in conns:
            s.close()
    finally:
        node.terminate()
        origin.terminate()
        node.wait()
        origin.wait()


if __name__ == "__main__":
    main()
