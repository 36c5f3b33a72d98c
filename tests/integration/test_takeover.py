# Restart hand-over (`x0tta6bl4 run --takeover`, src/app/takeover.h): under a continuous client
# load (fresh connections, and keep-alive), a second process on the same config takes the
# listening sockets over, the old one drains and exits, and not one request is refused or fails;
# also with another worker count and a moved listener, a canary in progress (the release carries
# over), the cache (its last snapshot carries over) and the mesh listener (the peer sees the node
# up, never `left`). --takeover with no node running, or a socket that never answers, starts
# normally; the hand-over socket is 0600, refuses other users (SO_PEERCRED) and garbage; a new
# process that dies half-way leaves the old node serving with its control plane running again;
# a second node on the same data dir without --takeover fails clearly.
import http.client
import os
import socket
import subprocess
import threading
import time
import unittest

from test_mesh import MeshFixture
from harness import (BINARY, TLS_PORTS, IntegrationTest, Process, free_port, port_open, request,
                     service, tls_client_context, wait_until)

HELLO = b"x0tta6bl4 takeover 1"


class ClientLoop:
    """Requests one after another until stop() (`interval` s apart), on fresh connections
    (keep_alive False) or on one reused connection. A reused connection that the server closed
    while it was idle may fail the next request before any byte of answer: a client then retries
    it once on a new connection (RFC 9112 9.3.1: GET is idempotent; browsers, curl and Go do so).
    Those are counted apart; a refused connect, a failure on a fresh connection or a non-200
    answer is a failure."""

    def __init__(self, port, keep_alive, interval=0.0):
        self.port, self.keep_alive, self.interval = port, keep_alive, interval
        self.ok, self.failures, self.stale_retries, self.origins = 0, [], 0, set()
        self.failure_times = []  # time.monotonic() of each failure
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(30)

    def _connect(self):
        if self.port in TLS_PORTS:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=10,
                                               context=tls_client_context())
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def _one(self, conn):
        conn.request("GET", "/x", headers={} if self.keep_alive else {"Connection": "close"})
        r = conn.getresponse()
        r.read()
        return r

    def _fail(self, what):
        self.failures.append(what)
        self.failure_times.append(time.monotonic())

    def _run(self):
        conn = None
        while not self._stop.is_set():
            if self.interval:
                time.sleep(self.interval)
            reused = conn is not None and conn.sock is not None
            if conn is None or not self.keep_alive:
                conn = self._connect()
            try:
                r = self._one(conn)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                conn.close()
                if not reused:
                    self._fail(repr(e))
                    continue
                self.stale_retries += 1
                try:
                    r = self._one(conn)
                except (OSError, http.client.HTTPException) as e2:
                    self._fail("retry: " + repr(e2))
                    conn.close()
                    continue
            except (OSError, http.client.HTTPException) as e:
                self._fail(repr(e))
                conn.close()
                continue
            if r.status == 200:
                self.ok += 1
                self.origins.add(r.getheader("X-Origin"))
            else:
                self._fail(f"status {r.status}")
            if not self.keep_alive:
                conn.close()
        if conn is not None:
            conn.close()


class TakeoverTest(IntegrationTest):
    def start_pair_node(self, api_gateway=None, **kw):
        self.origin = self.start_origin(name="alpha")
        return self.start_node([service("app", [self.origin.endpoint()])],
                               api_gateway={"drain_timeout_ms": 5000, **(api_gateway or {})}, **kw)

    def start_takeover(self, node, name="node-new"):
        p = Process([BINARY, "run", "--config", node.config_path, "--takeover"],
                    os.path.join(self.workdir, f"{name}.log"))
        self._processes.append(p)
        return p

    def socket_path(self, node):
        return os.path.join(self.workdir, "node-data", "takeover.sock")

    def test_takeover_under_load_refuses_nothing(self):
        node = self.start_pair_node()
        loops = [ClientLoop(node.data_port, keep_alive=False).start(),
                 ClientLoop(node.data_port, keep_alive=False).start(),
                 ClientLoop(node.data_port, keep_alive=True).start(),
                 ClientLoop(node.data_port, keep_alive=True).start()]
        time.sleep(1.0)
        before = sum(l.ok for l in loops)
        new = self.start_takeover(node)
        self.assertEqual(node.wait(15), 0, "the old node drains and exits 0")
        self.assertTrue(new.alive(), new.log())
        served_by_new_from = sum(l.ok for l in loops)
        time.sleep(1.0)
        for l in loops:
            l.stop()
        after = sum(l.ok for l in loops)
        failures = [f for l in loops for f in l.failures]
        self.assertEqual(failures, [], f"refused or failed requests across the takeover\n"
                                       f"--- old ---\n{node.log()[-3000:]}\n--- new ---\n{new.log()[-3000:]}")
        self.assertGreater(before, 20, "the load ran before the takeover")
        self.assertGreater(after - served_by_new_from, 20, "the new process serves")
        self.assertIn("handed over to the new process: draining", node.log())
        self.assertIn("stopped: handed over", node.log())
        self.assertIn("takeover complete", new.log())
        self.assertNotIn(" ERROR ", new.log())
        # The new process has a hand-over socket of its own, for the next restart.
        self.assertEqual(request(node.health_port, "GET", "/health/live").status, 200)
        wait_until(lambda: "takeover complete" in new.log() and os.path.exists(self.socket_path(node)),
                   5, message="the new process's hand-over socket")
        newer = self.start_takeover(node, name="node-newer")
        self.assertEqual(new.wait(15), 0, newer.log())
        self.assertEqual(node.get("/x").status, 200)
        stale = sum(l.stale_retries for l in loops)
        print(f"\ntakeover under load: {after} requests, 0 failed, {stale} keep-alive retries")

    def test_other_workers_and_a_moved_listener_with_a_release_in_progress(self):
        node = self.start_pair_node()
        canary = self.start_origin(name="beta")
        r = node.post("/releases/app/start", {"strategy": "canary", "candidate": [canary.endpoint()],
                                              "steps": [25, 50, 100], "step_interval_s": 60})
        self.assertEqual(r.status, 200, r.text())
        release = node.get("/releases").json()["releases"][0]
        loop = ClientLoop(node.data_port, keep_alive=True).start()
        old_metrics = node.metrics_port
        # 3 workers where the old node had 2, and the metrics listener on another port.
        node.sections["api_gateway"]["worker_threads"] = 3
        node.metrics_port = free_port()
        node.sections["listeners"]["metrics"] = f"127.0.0.1:{node.metrics_port}"
        node.write_config([service("app", [self.origin.endpoint()])])
        new = self.start_takeover(node)
        self.assertEqual(node.wait(15), 0, new.log())
        time.sleep(0.5)
        loop.stop()
        self.assertEqual(loop.failures, [], new.log())
        closed = [line for line in new.log().splitlines() if "not configured here" in line]
        self.assertEqual(len(closed), 1, closed)
        self.assertIn(f"127.0.0.1:{old_metrics}", closed[0], "only the moved listener's sockets")
        self.assertFalse(port_open(old_metrics), "the old metrics socket is closed with the old node")
        self.assertIn("requests_total", node.metrics())
        self.assertEqual(request(node.health_port, "GET", "/health/live").status, 200)
        after = node.get("/releases").json()["releases"][0]
        self.assertEqual((after["id"], after["state"], after.get("weight_percent")),
                         (release["id"], release["state"], release.get("weight_percent")),
                         "the new process runs the release the old one had")
        self.assertEqual(loop.origins - {"alpha", "beta"}, set())

    def test_the_cache_carries_over_in_the_last_snapshot(self):
        self.origin = self.start_origin(name="alpha")
        node = self.start_node([service("app", [self.origin.endpoint()])],
                               extra_sections={"cache": {"enable_preloading": True}})
        path = "/keep?cc=max-age%3D600"
        self.assertEqual(node.get(path).header("X-Cache"), "MISS")
        new = self.start_takeover(node)
        self.assertEqual(node.wait(15), 0, new.log())
        self.assertIn("takeover complete", new.log())
        wait_until(lambda: "start-up restore finished" in new.log(), 10, message="the restore")
        r = node.get(path)
        self.assertEqual((r.status, r.header("X-Cache")), (200, "HIT"), new.log())
        self.assertEqual(self.origin.count(path), 1, "served from the old node's last snapshot")

    def test_takeover_without_a_running_node_starts_normally(self):
        self.origin = self.start_origin(name="alpha")
        node = self.start_node([service("app", [self.origin.endpoint()])],
                               run_args=("--takeover",))
        self.assertEqual(node.get("/x").status, 200)
        self.assertIn("takeover: no running node handed its listeners over", node.log())
        self.assertTrue(os.path.exists(self.socket_path(node)))

    def test_a_hand_over_socket_that_never_answers_is_given_up_in_seconds(self):
        self.origin = self.start_origin(name="alpha")
        os.makedirs(os.path.join(self.workdir, "node-data"))
        mute = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.addCleanup(mute.close)
        mute.bind(os.path.join(self.workdir, "node-data", "takeover.sock"))
        mute.listen(4)  # and never accepts
        t0 = time.monotonic()
        node = self.start_node([service("app", [self.origin.endpoint()])],
                               run_args=("--takeover",))
        self.assertLess(time.monotonic() - t0, 6, "the fallback comes within a few seconds")
        self.assertEqual(node.get("/x").status, 200)
        self.assertIn("takeover: no running node handed its listeners over", node.log())
        self.assertIn("timed out", node.log())

    def test_hand_over_socket_is_0600_and_the_owners(self):
        node = self.start_pair_node()
        st = os.stat(self.socket_path(node))
        self.assertEqual(st.st_mode & 0o777, 0o600)
        self.assertEqual(st.st_uid, os.geteuid())

    @unittest.skipUnless(os.geteuid() == 0, "needs root to connect as another user")
    def test_another_user_is_refused(self):
        node = self.start_pair_node()
        path = self.socket_path(node)
        script = ("import socket,sys\n"
                  "s=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET)\n"
                  "try:\n s.connect(sys.argv[1])\nexcept PermissionError:\n print('denied');sys.exit(0)\n"
                  "s.send(b'x0tta6bl4 takeover 1');s.settimeout(3)\n"
                  "print('answer', s.recv(100))\n")

        def as_nobody(argv):
            return subprocess.run(["python3", "-c", script, *argv], capture_output=True, text=True,
                                  timeout=10, user=65534, group=65534).stdout
        os.chmod(self.workdir, 0o755)  # (the test's own directory is 0700)
        os.chmod(os.path.dirname(path), 0o755)
        self.assertIn("denied", as_nobody([path]), "mode 0600 keeps other users out")
        # Even with the mode opened up (root could connect anyway), SO_PEERCRED refuses.
        os.chmod(path, 0o666)
        out = as_nobody([path])
        self.assertNotIn("listener", out)
        wait_until(lambda: "takeover refused: the peer is not this node's user" in node.log(), 5,
                   message="the refusal logged")
        self.assertEqual(node.get("/x").status, 200)

    def test_garbage_and_silence_are_refused_and_the_node_serves(self):
        node = self.start_pair_node()
        path = self.socket_path(node)
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            s.connect(path)
            s.send(b"GET / HTTP/1.1\r\n\r\n" + b"\xff" * 500)
            s.settimeout(5)
            self.assertTrue(s.recv(200).startswith(b"refused"))
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            s.connect(path)
            s.settimeout(5)
            t0 = time.monotonic()
            self.assertTrue(s.recv(200).startswith(b"refused"), "a silent peer is dropped")
            self.assertLess(time.monotonic() - t0, 4)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:  # the wrong kind of socket
            with self.assertRaises(OSError):
                s.connect(path)
        self.assertEqual(node.get("/x").status, 200)
        self.assertIn("takeover refused: not a hand-over request", node.log())
        self.assertEqual(node.post("/admin/data/verify", timeout=5).status, 200)

    def test_new_process_dying_half_way_leaves_the_old_node_running(self):
        node = self.start_pair_node()
        path = self.socket_path(node)
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            s.connect(path)
            s.send(HELLO)
            s.settimeout(10)
            fds = []
            while True:
                msg, received, _, _ = socket.recv_fds(s, 1024, 64)
                fds += received
                if msg.startswith(b"ready") or not msg:
                    break
            self.assertTrue(msg.startswith(b"ready"), msg)
            self.assertGreaterEqual(len(fds), 6, "2 workers x data, health, metrics")
            for fd in fds:
                os.close(fd)
            # ... and the "new process" goes away without saying drain.
        wait_until(lambda: "takeover abandoned: the control plane runs again" in node.log(), 5,
                   message="the old node to resume")
        self.assertIn("takeover failed: the new process did not take over", node.log())
        self.assertTrue(node.alive())
        self.assertEqual(node.get("/x").status, 200)
        self.assertEqual(node.post("/admin/data/verify", timeout=5).status, 200,
                         "the control and disk threads answer again")
        # And a real takeover still works afterwards.
        new = self.start_takeover(node)
        self.assertEqual(node.wait(15), 0)
        self.assertEqual(node.get("/x").status, 200)
        self.assertIn("takeover complete", new.log())

    def test_second_node_on_the_same_data_dir_without_takeover_fails_clearly(self):
        node = self.start_pair_node(api_gateway={"drain_timeout_ms": 100})
        p = Process([BINARY, "run", "--config", node.config_path],
                    os.path.join(self.workdir, "second.log"))
        self._processes.append(p)
        self.assertNotEqual(p.wait(15), 0)
        self.assertIn("the data dir is in use", p.log())
        self.assertEqual(node.get("/x").status, 200)


class MeshTakeoverTest(MeshFixture):
    def test_a_mesh_node_takes_over_and_its_peer_keeps_it_up(self):
        a, a_addr = self.mesh_node(2)
        b, b_addr = self.mesh_node(3, seeds=[a_addr])
        self.wait_states(a, {"node-3": "up"})
        self.wait_states(b, {"node-2": "up"})
        new = Process([BINARY, "run", "--config", b.config_path, "--takeover"],
                      os.path.join(self.workdir, "node-3-new.log"))
        self._processes.append(new)
        self.assertEqual(b.wait(15), 0, new.log())
        self.assertIn("takeover complete", new.log())
        self.assertIn("mesh started", new.log())
        # The mesh listener is the old one's socket: the peer reaches the new process there.
        wait_until(lambda: self.peers(a)["node-3"]["state"] == "up"
                   and self.peers(a)["node-3"]["pq_identity_verified"], 20,
                   message="node-3 up and linked again on node-2")
        self.assertNotIn("peer is left", a.log(), "the old process did not gossip `left`")
        ping = a.get("/mesh/ping").json()
        self.assertTrue(all(p["ok"] for p in ping if p["id"] == "node-3"), ping)
        self.assertEqual(a.get("/mesh/peers").status, 200)


if __name__ == "__main__":
    unittest.main()
