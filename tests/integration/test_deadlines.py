# Every exchange that waits on a peer has a deadline: an upstream that stops reading an upload
# ends in 504 after the route timeout (request_timeout_ms); an upstream that stalls mid-body is
# cut off after read_timeout_ms; a client that stops reading its response is cut off after
# send_timeout_ms and everything it held (the exchange, its upstream, its buffers) is freed.
import socket
import threading
import time

from harness import IntegrationTest, free_port, service, wait_until


class SilentOrigin:
    """Accepts connections and never reads from them (tiny receive buffer): an upstream that
    stops reading. With `head`, it answers that many bytes at once and then nothing more."""

    def __init__(self, head=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.head = head
        self.accepted = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)
            if self.head is not None:
                threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        buf = b""
        while b"\r\n\r\n" not in buf:
            data = conn.recv(4096)
            if not data:
                return
            buf += data
        conn.sendall(self.head)

    def peer_closed(self):
        """True once the node closed every connection it opened here."""
        if not self.accepted:
            return False
        for conn in self.accepted:
            conn.setblocking(False)
            try:
                while True:
                    data = conn.recv(1 << 20)  # drain what the node sent
                    if not data:
                        break
            except BlockingIOError:
                return False
            except OSError:
                pass
        return True

    def stop(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


class DeadlineTest(IntegrationTest):
    def origin(self, **kw):
        o = SilentOrigin(**kw)
        self.addCleanup(o.stop)
        return o

    def test_upload_to_an_upstream_that_stops_reading_ends_in_504(self):
        upstream = self.origin()
        body_size = 12 * 1024 * 1024
        node = self.start_node(
            [service("app", [f"127.0.0.1:{upstream.port}"], health_check={"enabled": False},
                     request_timeout_ms=1500, retries=0, cache=False)],
            api_gateway={"worker_threads": 1, "max_body_bytes": 16 * 1024 * 1024,
                         "memory_pool_size": 64 * 1024 * 1024})
        client = self.raw(node.data_port, timeout=20)
        client.send(b"POST /upload HTTP/1.1\r\nHost: app\r\nContent-Length: %d\r\n\r\n" % body_size)
        chunk = b"u" * (1 << 20)
        for _ in range(body_size // len(chunk)):
            client.send(chunk)
        sent_at = time.monotonic()
        response = client.read_response()
        waited = time.monotonic() - sent_at
        self.assertEqual(response.status, 504, response.body[:200])
        self.assertIn("request_timeout_ms", response.text())
        self.assertGreaterEqual(waited, 1.0, "answered before the route timeout")
        wait_until(upstream.peer_closed, 5, message="the node to close the stalled upstream")
        self.assertEqual(node.metric_value("queue_depth"), 0)

    def test_upstream_that_stalls_mid_body_is_cut_off_after_read_timeout(self):
        upstream = self.origin(head=b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial")
        node = self.start_node(
            [service("app", [f"127.0.0.1:{upstream.port}"], health_check={"enabled": False},
                     read_timeout_ms=1000, retries=0, cache=False)],
            api_gateway={"worker_threads": 1})
        client = socket.create_connection(("127.0.0.1", node.data_port), timeout=10)
        self.addCleanup(client.close)
        client.sendall(b"GET /stall HTTP/1.1\r\nHost: app\r\n\r\n")
        received = b""
        started = time.monotonic()
        while True:
            data = client.recv(65536)
            if not data:
                break
            received += data
        self.assertTrue(received.startswith(b"HTTP/1.1 200 "), received[:100])
        self.assertTrue(received.endswith(b"partial"), received[-100:])
        self.assertGreaterEqual(time.monotonic() - started, 0.9)
        wait_until(lambda: "upstream stalled mid-response" in node.log(), 5,
                   message="the stall to be logged")
        wait_until(upstream.peer_closed, 5, message="the node to close the stalled upstream")
        self.assertEqual(node.metric_value("queue_depth"), 0)

    def test_client_that_stops_reading_is_cut_off_and_its_memory_returned(self):
        origin = self.start_origin()
        node = self.start_node(
            [service("app", [origin.endpoint()], cache=False)],
            api_gateway={"worker_threads": 1, "send_timeout_ms": 1000})
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        client.settimeout(10)
        client.connect(("127.0.0.1", node.data_port))
        self.addCleanup(client.close)
        client.sendall(b"GET /big?size=8000000 HTTP/1.1\r\nHost: app\r\n\r\n")
        # The exchange is streaming, paused on the full client: it holds an upstream connection.
        wait_until(lambda: node.metric_value("queue_depth") == 1, 5, message="the exchange to start")
        stopped_reading = time.monotonic()
        wait_until(lambda: node.metric_value("queue_depth") == 0, 10,
                   message="the stalled client's exchange to end")
        self.assertGreaterEqual(time.monotonic() - stopped_reading, 0.5,
                                "cut off before send_timeout_ms")
        wait_until(lambda: node.metric_value("http_connections_open", listener="data") == 0, 5,
                   message="the stalled client's connection to be freed")
        self.assertIn("client took none of its response within send_timeout_ms", node.log())
        # The client gets what was in flight and then the end of the connection, not 8 MB.
        received = 0
        try:
            while True:
                data = client.recv(1 << 20)
                if not data:
                    break
                received += len(data)
        except ConnectionResetError:
            pass
        self.assertLess(received, 8000000)
        # The node still serves.
        from harness import request
        self.assertEqual(request(node.data_port, path="/after", headers={"Host": "app"}).status, 200)
