# Connection budgets under a flood of idle data-plane connections: the health and metrics
# listeners keep answering (their budgets are their own), `max_connections` caps the data plane
# per node (all workers together), connections over the cap are answered 503 and closed, counted
# and logged, and the node serves again once the flood leaves.
import http.client
import select
import socket
import time
import unittest

from harness import IntegrationTest, request, service, wait_until

CAP = 50
FLOOD = 200


def closed_by_node(sockets):
    """The sockets the node has answered or closed (readable: a 503 and/or EOF waiting)."""
    readable = []
    for i in range(0, len(sockets), 256):
        r, _, _ = select.select(sockets[i:i + 256], [], [], 0)
        readable += r
    return readable


def read_all(sock, timeout=5.0):
    sock.settimeout(timeout)
    out = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    return out


class ConnectionFloodTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        origin = self.start_origin(name="app")
        # Long timeouts: the flood's idle connections must stay open for the whole test.
        self.node = self.start_node([service("app", [origin.endpoint()])],
                                    api_gateway={"worker_threads": 2, "max_connections": CAP,
                                                 "idle_timeout_ms": 120000,
                                                 "header_timeout_ms": 120000})
        self.assertEqual(self.node.get("/x").status, 200)
        self.flood = []
        self.addCleanup(self._close_flood)

    def _close_flood(self):
        for s in self.flood:
            s.close()
        self.flood = []

    def probe(self, port, path):
        try:
            return request(port, "GET", path, timeout=5).status
        except (OSError, http.client.HTTPException) as e:
            self.fail(f"{path} on port {port} refused during a data-plane flood: {e!r}")

    def test_probes_answer_and_the_data_cap_is_per_node(self):
        started = time.monotonic()
        for _ in range(FLOOD):
            self.flood.append(socket.create_connection(("127.0.0.1", self.node.data_port),
                                                       timeout=5))
        # Whatever the cap, at least FLOOD - 2 * CAP are refused once both workers are full.
        wait_until(lambda: len(closed_by_node(self.flood)) >= FLOOD - 2 * CAP, 10,
                   message="the node to take in the flood")

        # Probes have budgets of their own: a data flood never makes an orchestrator restart us.
        self.assertEqual(self.probe(self.node.health_port, "/health/live"), 200)
        self.assertEqual(self.probe(self.node.health_port, "/health"), 200)
        self.assertEqual(self.probe(self.node.metrics_port, "/metrics"), 200)

        # The cap is per node, not per worker: exactly FLOOD - CAP of the flood are refused.
        wait_until(lambda: len(closed_by_node(self.flood)) >= FLOOD - CAP, 10,
                   message=f"{FLOOD - CAP} of {FLOOD} idle connections refused "
                           f"(max_connections = {CAP} for the node, not per worker)")
        wait_until(lambda: self.node.metric_value("http_connections_open", listener="data") == CAP,
                   10, message=f"the node to hold {CAP} data connections")
        refused = closed_by_node(self.flood)
        self.assertEqual(len(refused), FLOOD - CAP, "the node holds at most CAP data connections")

        # Refused connections are told why, then closed.
        answer = read_all(refused[0])
        self.assertTrue(answer.startswith(b"HTTP/1.1 503 "), answer[:200])
        self.assertIn(b"Connection: close\r\n", answer)
        self.assertIn(b'"error":"connection_limit"', answer)
        late = self.raw(self.node.data_port)
        r = late.read_response()
        self.assertEqual(r.status, 503)
        self.assertEqual(r.json()["error"], "connection_limit")
        self.assertTrue(late.closed_by_peer())

        # Operators see it: a counter by listener and a WARN at most once a second.
        self.assertGreaterEqual(
            self.node.metric_value("http_connections_refused_total", listener="data"),
            FLOOD - CAP + 1)
        self.assertEqual(
            self.node.metric_value("http_connections_refused_total", listener="health"), 0)
        self.assertEqual(
            self.node.metric_value("http_connections_refused_total", listener="metrics"), 0)
        self.assertEqual(self.node.metric_value("http_connections_limit", listener="data"), CAP)
        warns = [l for l in self.node.log().splitlines()
                 if " WARN " in l and "connection limit reached" in l]
        self.assertGreaterEqual(len(warns), 1, self.node.log()[-2000:])
        self.assertLessEqual(len(warns), int(time.monotonic() - started) + 1,
                             "refusals are logged at most once a second")
        self.assertIn("listener=data", warns[0])

        # The flood leaves: the node serves new data connections again.
        self._close_flood()
        wait_until(lambda: self.node.get("/x").status == 200, 10, message="data served again")
        wait_until(lambda: self.node.metric_value("http_connections_open", listener="data") == 0,
                   10, message="every data connection given back")


if __name__ == "__main__":
    unittest.main()
