# Proxying through a real node to real origins: pass-through of status and body, forwarding
# headers (X-Forwarded-For, Via, X-Request-Id), hop-by-hop removal, keep-alive reuse on both
# sides, HTTP/1.0, pipelining, chunked bodies both ways, Expect: 100-continue, POST bodies.
import json
import threading
import unittest

from harness import IntegrationTest, request, service, wait_until


class ProxyTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.origin = self.start_origin(name="alpha")
        self.node = self.start_node([service("app", [self.origin.endpoint()])])

    def echo(self, headers=None, method="GET", body=None):
        r = request(self.node.data_port, method, "/echo", headers=headers, body=body)
        self.assertEqual(r.status, 200, r.text())
        return r, r.json()

    def test_status_and_body_pass_through(self):
        r = self.node.get("/anything")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.body.startswith(b"x0tta6bl4 origin alpha"), r.body)
        self.assertEqual(len(r.body), 100)
        self.assertEqual(r.header("X-Origin"), "alpha")
        r = self.node.get("/status/418")
        self.assertEqual(r.status, 418)
        self.assertEqual(r.body, b"status 418\n")
        r = self.node.get("/status/503")
        self.assertEqual(r.status, 503, "an origin's own 503 must be passed through")

    def test_x_forwarded_for_is_appended_and_via_added(self):
        r, echo = self.echo()
        self.assertEqual(echo["headers"].get("X-Forwarded-For"), "127.0.0.1")
        self.assertIn("1.1 x0tta6bl4", echo["headers"].get("Via", ""))
        self.assertIn("x0tta6bl4", r.header("Via", ""), "Via on the response too")
        # An untrusted client's chain is replaced (test_security_release covers trusted peers).
        _, echo = self.echo({"X-Forwarded-For": "203.0.113.7", "Via": "1.1 edge"})
        self.assertEqual(echo["headers"].get("X-Forwarded-For"), "127.0.0.1")
        self.assertEqual(echo["headers"].get("Via"), "1.1 edge, 1.1 x0tta6bl4")

    def test_request_id_generated_or_passed_on(self):
        r, echo = self.echo()
        generated = echo["headers"].get("X-Request-Id", "")
        self.assertRegex(generated, r"^[0-9a-f]{32}$")
        self.assertEqual(r.header("X-Request-Id"), generated, "client sees the id the origin saw")
        r2, echo2 = self.echo()
        self.assertNotEqual(echo2["headers"]["X-Request-Id"], generated, "ids are unique")
        r3, echo3 = self.echo({"X-Request-Id": "trace-abc-123"})
        self.assertEqual(echo3["headers"].get("X-Request-Id"), "trace-abc-123")
        self.assertEqual(r3.header("X-Request-Id"), "trace-abc-123")

    def test_hop_by_hop_headers_not_forwarded(self):
        _, echo = self.echo({"Connection": "keep-alive, X-Hop-Secret", "X-Hop-Secret": "1",
                             "Keep-Alive": "timeout=5", "Proxy-Connection": "keep-alive",
                             "TE": "trailers", "Proxy-Authorization": "Basic Zm9vOmJhcg==",
                             "X-End-To-End": "kept"})
        names = {k.lower() for k in echo["headers"]}
        for hop in ("x-hop-secret", "keep-alive", "proxy-connection", "te", "proxy-authorization"):
            self.assertNotIn(hop, names, f"{hop} must not reach the origin")
        self.assertNotIn("x-hop-secret", (echo["headers"].get("Connection") or "").lower())
        self.assertEqual(echo["headers"].get("X-End-To-End"), "kept")

    def test_post_body_with_content_length(self):
        body = b"a=1&b=" + b"x" * 5000
        _, echo = self.echo({"Content-Type": "application/x-www-form-urlencoded"}, "POST", body)
        self.assertEqual(echo["method"], "POST")
        self.assertEqual(echo["body_bytes"], len(body))
        self.assertEqual(echo["body"], body[:4096].decode())

    def test_many_requests_over_one_client_connection(self):
        c = self.raw(self.node.data_port)
        for i in range(30):
            c.send(f"GET /status/{200 + i % 7} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            r = c.read_response()
            self.assertEqual(r.status, 200 + i % 7)
            self.assertIsNone(r.header("Connection"), "keep-alive by default on HTTP/1.1")
        self.assertFalse(c.closed_by_peer(0.2), "connection must stay open")
        c.close()

    def test_http10_client(self):
        c = self.raw(self.node.data_port)
        c.send(b"GET /status/200 HTTP/1.0\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"status 200\n")
        self.assertTrue(c.closed_by_peer(), "HTTP/1.0 without keep-alive: closed after response")
        # HTTP/1.0 keep-alive, and a chunked origin response is de-chunked for a 1.0 client.
        c = self.raw(self.node.data_port)
        c.send(b"GET /chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.header("Transfer-Encoding"), "no chunked framing to a 1.0 client")
        self.assertTrue(c.closed_by_peer(), "body delimited by close")
        self.assertEqual(r.body + c.buf, b"hello world")
        c = self.raw(self.node.data_port)
        c.send(b"GET /status/204 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 204)
        self.assertEqual((r.header("Connection") or "").lower(), "keep-alive")
        c.send(b"GET /status/201 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        self.assertEqual(c.read_response().status, 201)

    def test_pipelined_requests_answered_in_order(self):
        c = self.raw(self.node.data_port)
        c.send(b"GET /status/201 HTTP/1.1\r\nHost: t\r\n\r\n"
               b"GET /echo HTTP/1.1\r\nHost: t\r\nX-N: 2\r\n\r\n"
               b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
               b"GET /status/202 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        self.assertEqual(c.read_response().status, 201)
        r = c.read_response()
        self.assertEqual(json.loads(r.body)["headers"]["X-N"], "2")
        r = c.read_response()
        self.assertEqual(json.loads(r.body)["body"], "abc")
        self.assertEqual(c.read_response().status, 202)
        self.assertTrue(c.closed_by_peer())

    def test_chunked_request_body_forwarded(self):
        chunked = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        c = self.raw(self.node.data_port)
        c.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
        r = c.read_response()
        self.assertEqual(r.status, 200)
        echo = json.loads(r.body)
        self.assertEqual(echo["headers"].get("Transfer-Encoding"), "chunked")
        self.assertEqual(echo["body"].encode(), chunked, "chunked body forwarded byte for byte")
        c.send(b"GET /status/200 HTTP/1.1\r\nHost: t\r\n\r\n")
        self.assertEqual(c.read_response().status, 200, "connection usable after a chunked body")

    def test_chunked_response_relayed(self):
        c = self.raw(self.node.data_port)
        c.send(b"GET /chunked HTTP/1.1\r\nHost: t\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual((r.header("Transfer-Encoding") or "").lower(), "chunked")
        self.assertEqual(r.body, b"hello world")
        self.assertEqual(r.chunked_raw, b"5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n")
        c.send(b"GET /status/200 HTTP/1.1\r\nHost: t\r\n\r\n")
        self.assertEqual(c.read_response().status, 200)

    def test_expect_100_continue(self):
        c = self.raw(self.node.data_port)
        c.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n"
               b"Expect: 100-continue\r\n\r\n")
        interim = c.read_some(3.0)
        self.assertTrue(interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), interim)
        c.send(b"hello world")
        r = c.read_response()
        self.assertEqual(r.status, 200)
        echo = json.loads(r.body)
        self.assertEqual(echo["body"], "hello world")
        self.assertNotIn("Expect", echo["headers"], "Expect is answered by the node, not forwarded")

    def test_pipelined_mix_of_operator_and_proxied_requests(self):
        c = self.raw(self.node.data_port)
        c.send(b"GET /health/live HTTP/1.1\r\nHost: t\r\n\r\n"
               b"GET /status/203 HTTP/1.1\r\nHost: t\r\n\r\n"
               b"GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"
               b"GET /status/404 HTTP/1.1\r\nHost: t\r\n\r\n"
               b"GET /chunked HTTP/1.1\r\nHost: t\r\n\r\n"
               b"GET /api/v1/status HTTP/1.1\r\nHost: t\r\n\r\n")
        responses = [c.read_response() for _ in range(6)]
        self.assertEqual([r.status for r in responses], [200, 203, 200, 404, 200, 200])
        self.assertIn(b"http_requests_total", responses[2].body)
        self.assertEqual(responses[4].body, b"hello world")

    def test_clients_that_leave_mid_request_do_not_hurt_the_node(self):
        self.origin.fault(latency_ms=300)
        for _ in range(20):
            c = self.raw(self.node.data_port)
            c.send(b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
            c.close()
        wait_until(lambda: self.node.metric_value("queue_depth") == 0, 5,
                   message="abandoned requests to finish")
        self.origin.fault(latency_ms=0)
        self.assertEqual(self.node.get("/x").status, 200)
        self.assertTrue(self.node.alive())

    def test_concurrent_clients(self):
        statuses = []

        def client():
            for _ in range(15):
                statuses.append(request(self.node.data_port, "GET", "/x").status)
        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(statuses, [200] * 120)

    def test_head_request_has_no_body(self):
        c = self.raw(self.node.data_port)
        c.send(b"HEAD /anything HTTP/1.1\r\nHost: t\r\n\r\nGET /status/202 HTTP/1.1\r\nHost: t\r\n\r\n")
        r = c.read_response(head_request=True)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Length"), "100")
        self.assertEqual(c.read_response().status, 202, "no body bytes after the HEAD response")


class RoutingTest(IntegrationTest):
    def test_host_and_path_prefix_routes(self):
        # Exact host before wildcard before any host; path prefixes are plain string prefixes
        # (as Envoy's `prefix`), host matching ignores case and port.
        api = self.start_origin(name="api")
        wild = self.start_origin(name="wild")
        static = self.start_origin(name="static")
        default = self.start_origin(name="default")
        node = self.start_node([
            service("api", [api.endpoint()], hosts=["api.example.com"]),
            service("wild", [wild.endpoint()], hosts=["*.example.com"]),
            service("static", [static.endpoint()], path_prefixes=["/static"]),
            service("default", [default.endpoint()]),
        ])
        cases = [("api.example.com", "/x", "api"), ("API.Example.com:8080", "/x", "api"),
                 ("shop.example.com", "/x", "wild"), ("other.org", "/static/a.css", "static"),
                 ("other.org", "/static", "static"), ("other.org", "/stat", "default"),
                 ("other.org", "/", "default")]
        for host, path, expected in cases:
            with self.subTest(host=host, path=path):
                r = node.get(path, headers={"Host": host})
                self.assertEqual(r.status, 200)
                self.assertEqual(r.header("X-Origin"), expected)


class UpstreamReuseTest(IntegrationTest):
    """Health checks off so the origin's connection count is only the proxy's own traffic."""

    def test_upstream_connections_are_reused(self):
        origin = self.start_origin(name="pooled")
        node = self.start_node([service("app", [origin.endpoint()],
                                        health_check={"enabled": False})])
        before = origin.stats()
        for _ in range(10):  # 10 client connections, 8 requests each
            c = self.raw(node.data_port)
            for _ in range(8):
                c.send(b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
                self.assertEqual(c.read_response().status, 200)
            c.close()
        after = origin.stats()
        requests = after["requests"] - before["requests"]
        connections = after["connections"] - before["connections"]
        self.assertGreaterEqual(requests, 80)
        # One stats call of ours, plus at most one pooled connection per worker (2 workers).
        self.assertLessEqual(connections, 3, f"{connections} upstream connections for {requests}")


if __name__ == "__main__":
    unittest.main()
