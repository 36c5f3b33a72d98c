# The proxy layer's security release (issue 10), each hole reproduced end to end against the real
# binary with an origin that records the exact bytes it receives (recording_origin.py):
# smuggling through Connection, absolute-form Host, upstream reuse after bodyless responses,
# path normalisation and segment-boundary prefixes, one canonical authority for routing, cache
# key and Host, the request-body budget, and the smaller framing and header rules.
import json
import socket
import time
import unittest

from harness import IntegrationTest, service, wait_until
from recording_origin import RecordingOrigin, Reply, ok

NO_CHECKS = {"enabled": False}


def echo_host(req):
    """200 whose body names the Host the origin saw; cacheable for a minute."""
    body = ("host=" + str(req.all("Host"))).encode()
    return ok(body, [("Cache-Control", "public, max-age=60")])


class SecurityReleaseTest(IntegrationTest):
    def start(self, responder=None, api_gateway=None, **svc):
        self.origin = RecordingOrigin(responder)
        self.addCleanup(self.origin.stop)
        svc.setdefault("health_check", NO_CHECKS)
        self.node = self.start_node([service("app", [self.origin.endpoint()], **svc)],
                                    api_gateway=api_gateway)
        return self.node

    def exchange(self, raw, responses=1, head_request=False):
        c = self.raw(self.node.data_port)
        c.send(raw)
        return [c.read_response(head_request=head_request) for _ in range(responses)]

    # 1. Smuggling through Connection -------------------------------------------------------

    def test_connection_naming_content_length_is_refused_and_nothing_reaches_the_origin(self):
        self.start()
        smuggled = b"GET /private HTTP/1.1\r\nHost: internal\r\n\r\n"
        for named in (b"Content-Length", b"content-length", b"Transfer-Encoding", b"Host",
                      b"keep-alive, Content-Length"):
            with self.subTest(named=named):
                body = smuggled
                raw = (b"POST /upload HTTP/1.1\r\nHost: app\r\nConnection: " + named +
                       b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                r = self.exchange(raw)[0]
                self.assertEqual(r.status, 400, r.raw)
        self.assertEqual(self.origin.received(), b"", "no byte of a refused request reaches the origin")
        # The runbooks grep SECURITY: the first refusal of the second is logged there, with why.
        lines = [l for l in self.node.log().splitlines() if " SECURITY " in l and "request refused" in l]
        self.assertTrue(lines, self.node.log()[-2000:])
        self.assertIn("Connection names a framing header", lines[0])
        self.assertIn("WARN", lines[0])

    def test_connection_naming_the_proxys_own_headers_is_refused(self):
        self.start()
        for named in ("X-Forwarded-For", "Via", "X-Request-Id", "X-Real-IP"):
            with self.subTest(named=named):
                r = self.exchange(f"GET / HTTP/1.1\r\nHost: app\r\nConnection: {named}\r\n\r\n".encode())[0]
                self.assertEqual(r.status, 400, r.raw)
        self.assertEqual(self.origin.received(), b"")

    def test_origin_connection_naming_content_length_is_a_502(self):
        self.start(lambda req: Reply(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                                     b"Connection: Content-Length\r\n\r\nhello"))
        r = self.exchange(b"GET / HTTP/1.1\r\nHost: app\r\n\r\n")[0]
        self.assertEqual(r.status, 502, r.raw)
        self.assertIn(b"framing header", r.body)

    # 2. Absolute-form targets ----------------------------------------------------------------

    def test_absolute_form_replaces_host_with_the_targets_authority(self):
        self.start()
        self.exchange(b"GET http://App.Example/a?q=1 HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        self.exchange(b"GET http://app.example:8443/b HTTP/1.0\r\n\r\n")
        reqs = self.origin.wait_requests(2)
        self.assertEqual(len(reqs), 2)
        self.assertEqual(reqs[0].all("Host"), ["app.example"])
        self.assertEqual(reqs[0].target, "/a?q=1")
        self.assertEqual(reqs[1].all("Host"), ["app.example:8443"], "HTTP/1.0 absolute-form gets a Host")

    def test_http10_without_host_is_sent_with_the_endpoints_address(self):
        self.start()
        self.exchange(b"GET /x HTTP/1.0\r\n\r\n")
        reqs = self.origin.wait_requests(1)
        self.assertEqual(reqs[0].all("Host"), [self.origin.endpoint()])

    # 3. Upstream reuse after a bodyless response ---------------------------------------------

    def test_bytes_an_origin_sends_after_a_head_response_never_answer_the_next_request(self):
        def responder(req):
            if req.method == "HEAD":  # the origin bug: a HEAD answered with a body, a bit later
                return Reply(b"HTTP/1.1 200 OK\r\nContent-Length: 27\r\n\r\n",
                             late=b"HTTP/1.1 200 OK\r\nX-Poison: 1\r\nContent-Length: 4\r\n\r\nevil")
            return ok(b"real " + req.target.encode(), [("Cache-Control", "public, max-age=60")])
        self.start(responder)
        c = self.raw(self.node.data_port)
        c.send(b"HEAD /a HTTP/1.1\r\nHost: app\r\n\r\nGET /b HTTP/1.1\r\nHost: app\r\n\r\n")
        head = c.read_response(head_request=True)
        self.assertEqual(head.status, 200)
        get = c.read_response()
        self.assertEqual(get.body, b"real /b", get.raw)
        self.assertIsNone(get.header("X-Poison"))
        time.sleep(0.2)  # the late bytes have arrived on the pooled connection by now
        for target in ("/c", "/b"):
            r = self.exchange(f"GET {target} HTTP/1.1\r\nHost: app\r\n\r\n".encode())[0]
            self.assertEqual(r.body, b"real " + target.encode(), r.raw)
            self.assertIsNone(r.header("X-Poison"))

    def test_a_204_loses_its_content_length(self):
        self.start(lambda req: Reply(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"))
        r = self.exchange(b"DELETE /x HTTP/1.1\r\nHost: app\r\n\r\n")[0]
        self.assertEqual(r.status, 204)
        self.assertIsNone(r.header("Content-Length"), r.raw)

    def test_an_unsolicited_101_is_a_502(self):
        self.start(lambda req: Reply(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                     b"Connection: Upgrade\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"))
        r = self.exchange(b"GET / HTTP/1.1\r\nHost: app\r\n\r\n")[0]
        self.assertEqual(r.status, 502, r.raw)

    # 4. Paths ----------------------------------------------------------------------------------

    def test_paths_are_normalised_before_routing_and_forwarded_normalised(self):
        self.start(path_prefixes=["/public"])
        refused = {
            "/public/../private": 404, "/public/%2e%2e/private": 404, "/public/%2E%2E/private": 404,
            "/public/./../private": 404, "/publicXYZ": 404, "/public/..%2fprivate": 400,
            "/public%2f..%2fprivate": 400, "/public/%2f../private": 400,
            "/public/..\\private": 400, "/public/%5c../private": 400, "/public/%zz": 400,
            "/public/%00": 400, "/public/..;/private": 400, "/public/.;x/../../private": 400,
            "/public/%2e%2e;jsessionid=1/private": 400,
        }
        for path, status in refused.items():
            with self.subTest(path=path):
                r = self.exchange(f"GET {path} HTTP/1.1\r\nHost: app\r\n\r\n".encode())[0]
                self.assertEqual(r.status, status, r.raw)
        self.assertEqual(self.origin.received(), b"", "nothing outside /public reaches the origin")
        forwarded = {"/public": "/public", "/public/a/../b": "/public/b", "/public/%7Euser": "/public/~user",
                     "/public/x/./y?q=/../z": "/public/x/y?q=/../z", "/public/a%2a": "/public/a%2A"}
        for path in forwarded:
            r = self.exchange(f"GET {path} HTTP/1.1\r\nHost: app\r\n\r\n".encode())[0]
            self.assertEqual(r.status, 200, (path, r.raw))
        seen = [r.target for r in self.origin.wait_requests(len(forwarded))]
        self.assertEqual(seen, list(forwarded.values()))

    def test_a_field_hidden_by_connection_keeps_the_request_out_of_the_cache(self):
        def vary_on_origin(req):
            return ok(("origin=" + str(req.all("Origin"))).encode(),
                      [("Cache-Control", "public, max-age=60"), ("Vary", "Origin")])
        self.start(vary_on_origin)
        poison = self.exchange(b"GET /app.js HTTP/1.1\r\nHost: app\r\nOrigin: https://partner.example\r\n"
                               b"Connection: Origin\r\n\r\n")[0]
        self.assertEqual(poison.body, b"origin=[]")
        self.assertIsNone(poison.header("X-Cache"), "not cache-eligible")
        real = self.exchange(b"GET /app.js HTTP/1.1\r\nHost: app\r\nOrigin: https://partner.example\r\n\r\n")[0]
        self.assertEqual(real.body, b"origin=['https://partner.example']")
        self.assertEqual(real.header("X-Cache"), "MISS")

    def test_connect_closes_the_connection(self):
        self.start()
        c = self.raw(self.node.data_port)
        c.send(b"CONNECT app.example:443 HTTP/1.1\r\nHost: app.example:443\r\n\r\n"
               b"GET /tunnelled HTTP/1.1\r\nHost: app\r\n\r\n")
        self.assertEqual(c.read_response().status, 501)
        self.assertTrue(c.closed_by_peer())
        self.assertEqual(self.origin.received(), b"")

    def test_operator_paths_are_exact(self):
        self.start()
        r = self.exchange(b"POST /x/../admin/cache/clear HTTP/1.1\r\nHost: app\r\nContent-Length: 0\r\n\r\n")[0]
        self.assertEqual(r.status, 400, r.raw)
        self.assertEqual(self.origin.received(), b"")

    # 5. One canonical authority -----------------------------------------------------------------

    def test_authority_is_canonical_for_routing_cache_key_and_forwarded_host(self):
        self.start(echo_host, hosts=["app.example"])
        cases = [("App.Example.", "app.example"), ("app.example:80", "app.example"),
                 ("app.example:1234", "app.example:1234"), ("APP.EXAMPLE:01234", "app.example:1234")]
        for sent, canonical in cases:
            with self.subTest(host=sent):
                r = self.exchange(f"GET /page HTTP/1.1\r\nHost: {sent}\r\n\r\n".encode())[0]
                self.assertEqual(r.status, 200, r.raw)
                self.assertEqual(r.body, f"host=['{canonical}']".encode(),
                                 "the cached answer is the one for this authority")
        # The port variant never answers the plain authority: exactly two origin fetches.
        self.assertEqual([q.all("Host") for q in self.origin.wait_requests(2)],
                         [["app.example"], ["app.example:1234"]])

    # 6. Request-body budget -------------------------------------------------------------------

    def test_request_bodies_have_a_node_wide_memory_budget(self):
        mib = 1024 * 1024
        self.start(api_gateway={"memory_pool_size": 4 * mib, "max_body_bytes": 2 * mib})
        holders = []
        for _ in range(4):  # four uploads, each one byte short of complete, hold ~4 MiB
            c = self.raw(self.node.data_port)
            c.send(f"POST /up HTTP/1.1\r\nHost: app\r\nContent-Length: {mib}\r\n\r\n".encode()
                   + b"x" * (mib - 1))
            holders.append(c)
        wait_until(lambda: self.node.metric_value("request_body_bytes_buffered") >= 4 * (mib - 1),
                   message="four bodies buffered")
        # A fifth that asks first (Expect: 100-continue) is refused before it sends its body.
        over = self.exchange(f"POST /up HTTP/1.1\r\nHost: app\r\nContent-Length: {mib}\r\n"
                             "Expect: 100-continue\r\n\r\n".encode())[0]
        self.assertEqual(over.status, 503, over.raw)
        self.assertEqual(over.header("Retry-After"), "1")
        self.assertEqual(over.interim, [], "no 100 Continue before a refusal")
        # A head alone holds nothing: a client that never sends its body cannot take the budget.
        idle_heads = [self.raw(self.node.data_port) for _ in range(3)]
        for c in idle_heads:
            c.send(f"POST /up HTTP/1.1\r\nHost: app\r\nContent-Length: {mib}\r\n\r\n".encode())
        holders[0].send(b"x")  # one upload completes and gives its budget back
        self.assertEqual(holders[0].read_response().status, 200)
        # The budget comes back when the exchange ends, which may be just after its last byte
        # reached the client, and the next connection may land on another worker.
        wait_until(lambda: self.node.metric_value("request_body_bytes_buffered") < 4 * (mib - 1),
                   message="the finished upload's budget given back")
        again = self.raw(self.node.data_port)
        again.send(b"POST /up HTTP/1.1\r\nHost: app\r\nContent-Length: 10\r\n\r\n0123456789")
        self.assertEqual(again.read_response().status, 200)
        self.assertGreaterEqual(self.node.metric_value("request_body_budget_refused_total"), 1)

    # 8. The smaller ones ------------------------------------------------------------------------

    def test_listed_or_repeated_content_length_is_refused_both_ways(self):
        self.start(lambda req: Reply(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok"))
        for cl in (b"Content-Length: 5, 5\r\n", b"Content-Length: 5\r\nContent-Length: 5\r\n"):
            with self.subTest(cl=cl):
                r = self.exchange(b"POST / HTTP/1.1\r\nHost: app\r\n" + cl + b"\r\nhello")[0]
                self.assertEqual(r.status, 400, r.raw)
        self.assertEqual(self.origin.received(), b"")
        self.assertEqual(self.exchange(b"GET / HTTP/1.1\r\nHost: app\r\n\r\n")[0].status, 502)

    def test_bad_host_values_are_refused(self):
        self.start()
        for host in (b"", b"a:1:2", b"[::1:38080", b"h:", b"h:99999", b"user@h", b"a..b", b"h%41"):
            with self.subTest(host=host):
                r = self.exchange(b"GET / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")[0]
                self.assertEqual(r.status, 400, r.raw)
        self.assertEqual(self.origin.received(), b"")
        self.exchange(b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n")
        self.assertEqual(self.origin.wait_requests(1)[0].all("Host"), ["[::1]:8080"])

    def test_chunk_extensions_are_validated(self):
        self.start()
        for size_line in (b"5;a=b", b"5;a", b"5;a=\"q\\\"x\"", b"5;a;b=c"):
            with self.subTest(ok=size_line):
                r = self.exchange(b"POST / HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  + size_line + b"\r\nhello\r\n0\r\n\r\n")[0]
                self.assertEqual(r.status, 200, r.raw)
        for size_line in (b"5;", b"5;=x", b"5;a=", b"5;a=\"open", b"5;a b", b"5;a=b c", b"5;a\x7f",
                          b"5 ;a", b"5; a"):
            with self.subTest(bad=size_line):
                r = self.exchange(b"POST / HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  + size_line + b"\r\nhello\r\n0\r\n\r\n")[0]
                self.assertEqual(r.status, 400, r.raw)

    def test_request_id_is_validated_before_it_reaches_json_or_the_origin(self):
        self.origin = RecordingOrigin()
        self.addCleanup(self.origin.stop)
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        self.addCleanup(dead.close)
        self.node = self.start_node([
            service("app", [self.origin.endpoint()], health_check=NO_CHECKS),
            service("dead", [f"127.0.0.1:{dead.getsockname()[1]}"], path_prefixes=["/dead"],
                    health_check=NO_CHECKS, retries=0)])
        r = self.exchange(b'GET / HTTP/1.1\r\nHost: app\r\nX-Request-Id: a","x":"y\r\n\r\n')[0]
        self.assertRegex(r.header("X-Request-Id"), r"^[0-9a-f]{32}$")
        self.assertRegex(self.origin.wait_requests(1)[0].header("X-Request-Id"), r"^[0-9a-f]{32}$")
        r = self.exchange(b'GET /dead HTTP/1.1\r\nHost: app\r\nX-Request-Id: b"}\r\n\r\n')[0]
        self.assertEqual(r.status, 502, r.raw)
        self.assertRegex(json.loads(r.body)["request_id"], r"^[0-9a-f]{32}$")
        good = self.exchange(b"GET /dead HTTP/1.1\r\nHost: app\r\nX-Request-Id: trace-1.2:3_x\r\n\r\n")[0]
        self.assertEqual(json.loads(good.body)["request_id"], "trace-1.2:3_x")

    def test_connect_options_star_and_trace(self):
        self.start()
        cases = {b"CONNECT app.example:443 HTTP/1.1\r\nHost: app.example:443\r\n\r\n": 501,
                 b"OPTIONS * HTTP/1.1\r\nHost: app\r\n\r\n": 405,
                 b"TRACE / HTTP/1.1\r\nHost: app\r\nCookie: secret=1\r\n\r\n": 405}
        for raw, status in cases.items():
            with self.subTest(raw=raw[:20]):
                r = self.exchange(raw)[0]
                self.assertEqual(r.status, status, r.raw)
                self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(self.origin.received(), b"")

    def test_front_proxy_headers_from_an_untrusted_client_are_replaced(self):
        self.start()
        self.exchange(b"GET / HTTP/1.1\r\nHost: app\r\nX-Forwarded-For: 203.0.113.9\r\n"
                      b"X-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\n"
                      b"X-Real-IP: 203.0.113.9\r\nForwarded: for=203.0.113.9\r\n\r\n")
        req = self.origin.wait_requests(1)[0]
        self.assertEqual(req.all("X-Forwarded-For"), ["127.0.0.1"])
        self.assertEqual(req.all("X-Real-IP"), ["127.0.0.1"])
        for name in ("X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded"):
            self.assertEqual(req.all(name), [], name)

    def test_a_trusted_front_proxy_keeps_its_chain(self):
        self.start(api_gateway={"trusted_proxies": ["127.0.0.0/8"]})
        self.exchange(b"GET / HTTP/1.1\r\nHost: app\r\nX-Forwarded-For: 203.0.113.9\r\n"
                      b"X-Forwarded-Proto: https\r\nX-Real-IP: 203.0.113.9\r\n\r\n")
        req = self.origin.wait_requests(1)[0]
        self.assertEqual(req.all("X-Forwarded-For"), ["203.0.113.9, 127.0.0.1"])
        self.assertEqual(req.all("X-Forwarded-Proto"), ["https"])
        self.assertEqual(req.all("X-Real-IP"), ["203.0.113.9"])


if __name__ == "__main__":
    unittest.main()
