# Malformed, oversized and smuggling requests: each gets its status, a JSON error body and a
# closed connection, and the node keeps serving; slowloris clients are cut off after
# header_timeout_ms without holding up other clients; idle keep-alive connections are closed.
import json
import select
import time
import unittest

from harness import IntegrationTest, service

LIMITS = {"max_header_bytes": 4096, "max_headers": 20, "max_body_bytes": 1000,
          "header_timeout_ms": 1000, "idle_timeout_ms": 1500}

BAD_REQUESTS = [
    ("content-length with transfer-encoding", 400,
     b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\n"),
    ("transfer-encoding with content-length", 400,
     b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
     b"0\r\n\r\n"),
    ("conflicting content-lengths", 400,
     b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
    ("content-length list", 400,
     b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 6\r\n\r\nhello!"),
    ("bad chunk size", 400,
     b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
    ("negative chunk size", 400,
     b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"),
    ("header section too large", 431,
     b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n"),
    ("too many headers", 431,
     b"GET / HTTP/1.1\r\nHost: t\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(30)) + b"\r\n"),
    ("body over max_body_bytes", 413,
     b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\n\r\n" + b"x" * 2000),
    ("chunked body over max_body_bytes", 413,
     b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" + b"x" * 2000
     + b"\r\n0\r\n\r\n"),
    ("HTTP/1.1 without Host", 400, b"GET / HTTP/1.1\r\nUser-Agent: t\r\n\r\n"),
    ("bare LF line endings", 400, b"GET / HTTP/1.1\nHost: t\n\n"),
    ("unsupported version 2.0", 505, b"GET / HTTP/2.0\r\nHost: t\r\n\r\n"),
    ("unsupported version 3.0", 505, b"GET / HTTP/3.0\r\nHost: t\r\n\r\n"),
]


class BadRequestTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.origin = self.start_origin()
        self.node = self.start_node(
            [service("app", [self.origin.endpoint()], health_check={"enabled": False})],
            api_gateway=LIMITS)  # no health checks: the origin counts only proxied requests

    def assert_serving(self):
        r = self.node.get("/status/200")
        self.assertEqual(r.status, 200, "the node must keep serving normal requests")

    def test_each_bad_request_gets_its_status_json_and_a_closed_connection(self):
        origin_before = self.origin.stats()["requests"]
        for name, status, raw in BAD_REQUESTS:
            with self.subTest(name):
                c = self.raw(self.node.data_port)
                try:
                    c.send(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the node may close before it has read everything we send
                r = c.read_response()
                self.assertEqual(r.status, status, r.raw)
                body = json.loads(r.body)
                self.assertIn("error", body)
                self.assertIn("detail", body)
                self.assertEqual((r.header("Connection") or "").lower(), "close")
                self.assertTrue(c.closed_by_peer(), "connection must be closed after the error")
                c.close()
                self.assert_serving()
        # None of the refused requests reached the origin (the stats call and our 200s did).
        served = self.origin.stats()["requests"] - origin_before
        self.assertEqual(served, len(BAD_REQUESTS) + 1)
        self.assertGreaterEqual(self.node.metric_value("http_bad_requests_total", code="400"), 8)
        self.assertGreaterEqual(self.node.metric_value("http_bad_requests_total", code="431"), 2)

    def test_smuggled_request_after_bad_framing_is_not_served(self):
        # If the node trusted Content-Length, the "GET /status/299" would be a second request.
        c = self.raw(self.node.data_port)
        c.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked"
               b"\r\n\r\n0\r\n\r\nGET /status/299 HTTP/1.1\r\nHost: t\r\n\r\n")
        self.assertEqual(c.read_response().status, 400)
        self.assertTrue(c.closed_by_peer())
        self.assertNotIn(b"299", c.buf)

    def test_expect_continue_with_a_body_over_the_limit_gets_413_not_100(self):
        c = self.raw(self.node.data_port)
        c.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n"
               b"Expect: 100-continue\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 413)
        self.assertEqual(r.interim, [], "no 100 Continue for a body that will be refused")
        self.assertTrue(c.closed_by_peer())

    def test_slowloris_is_cut_off_and_others_are_served_meanwhile(self):
        c = self.raw(self.node.data_port)
        trickle = b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 200
        start = time.monotonic()
        served_meanwhile = 0
        closed_at = None
        for byte in trickle:
            readable, _, _ = select.select([c.sock], [], [], 0.2)
            if readable:
                closed_at = time.monotonic() - start
                break
            try:
                c.send(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed_at = time.monotonic() - start
                break
            self.assert_serving()
            served_meanwhile += 1
            if time.monotonic() - start > 6:
                break
        self.assertIsNotNone(closed_at, "slowloris connection still open after 6 s")
        self.assertGreaterEqual(closed_at, 0.9, "cut off before header_timeout_ms")
        self.assertGreater(served_meanwhile, 3)
        self.assertTrue(c.closed_by_peer())
        self.assertTrue(c.buf == b"" or c.buf.startswith(b"HTTP/1.1 408 "), c.buf[:200])
        self.assert_serving()

    def test_slowloris_gets_408_with_json(self):
        c = self.raw(self.node.data_port)
        c.send(b"GET / HTTP/1.1\r\nHost: t\r\n")
        r = c.read_response(timeout=5)
        self.assertEqual(r.status, 408)
        self.assertIn("error", json.loads(r.body))
        self.assertTrue(c.closed_by_peer())

    def test_idle_keep_alive_connection_is_closed(self):
        c = self.raw(self.node.data_port)
        start = time.monotonic()
        c.send(b"GET /status/200 HTTP/1.1\r\nHost: t\r\n\r\n")
        self.assertEqual(c.read_response().status, 200)
        self.assertTrue(c.closed_by_peer(5.0), "idle connection not closed after idle_timeout_ms")
        self.assertGreaterEqual(time.monotonic() - start, 1.4, "closed before idle_timeout_ms")
        self.assertEqual(c.buf, b"", "idle close is silent")
        self.assert_serving()

    def test_connection_that_never_sends_is_closed(self):
        c = self.raw(self.node.data_port)
        self.assertTrue(c.closed_by_peer(4.0))

    def test_unknown_operator_path_is_json_404_on_the_health_port(self):
        # On the data port such a path is the service's (test_reserved_paths.py).
        r = self.node.get("/api/v1/nope", port=self.node.health_port)
        self.assertEqual(r.status, 404)
        self.assertEqual(json.loads(r.body)["error"], "not_found")
        r = self.node.get("/nope", port=self.node.health_port)
        self.assertEqual(r.status, 404)
        self.assertIn("error", json.loads(r.body))


if __name__ == "__main__":
    unittest.main()
