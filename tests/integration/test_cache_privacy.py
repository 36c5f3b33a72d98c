# The cache never mixes up users (issue 10, item 8): a request with a `Cookie` is neither stored
# nor answered from the cache (nor from another request's in-flight fetch) unless its route sets
# `cache_ignore_cookies = true`; a response with `Set-Cookie` is never stored, whatever its
# Cache-Control or the route TTL say. The origin's /echo answers the request headers it got, so a
# body names the user it was made for; ?set_cookie= makes the origin send a Set-Cookie.
import unittest
from urllib.parse import quote, urlencode

from harness import all_at_once, IntegrationTest, service


def target(path, **params):
    """path?query with values percent-encoded the way the origin decodes them."""
    return path + ("?" + urlencode(params, quote_via=quote) if params else "")


def cookie_seen(response):
    """The Cookie the origin received for the request that made this /echo body."""
    return response.json()["headers"].get("Cookie")


class CachePrivacyTest(IntegrationTest):
    def node(self, origin, api_gateway=None, **service_keys):
        return self.start_node([service("app", [origin.endpoint()], **service_keys)],
                               api_gateway=api_gateway)

    def get(self, node, path, cookie=None, headers=None):
        h = dict(headers or {})
        if cookie is not None:
            h["Cookie"] = cookie
        r = node.get(path, headers=h)
        self.assertEqual(r.status, 200, f"GET {path}: {r.status} {r.text()[:300]}")
        return r

    def test_route_ttl_does_not_serve_alice_page_to_bob(self):
        o = self.start_origin()
        node = self.node(o, cache_ttl_s=60)
        t = "/echo"
        alice = self.get(node, t, cookie="session=alice")
        self.assertEqual(cookie_seen(alice), "session=alice")
        for _ in range(2):  # a second try: nothing was stored by the first either
            bob = self.get(node, t, cookie="session=bob")
            self.assertEqual(cookie_seen(bob), "session=bob", "bob got another user's page")
            self.assertEqual(bob.header("X-Cache"), "MISS")
        self.assertEqual(o.count(t), 3, "every cookie-bearing request reaches the origin")
        self.assertEqual(node.metric_value("cache_entries"), 0)

    def test_cookie_request_is_not_answered_from_a_stored_entry(self):
        o = self.start_origin()
        node = self.node(o, cache_ttl_s=60)
        t = "/echo"
        anonymous = self.get(node, t)
        self.assertEqual(anonymous.header("X-Cache"), "MISS")
        self.assertEqual(self.get(node, t).header("X-Cache"), "HIT", "the control: it is stored")
        alice = self.get(node, t, cookie="session=alice")
        self.assertEqual(alice.header("X-Cache"), "MISS")
        self.assertEqual(cookie_seen(alice), "session=alice", "alice got the anonymous page")
        self.assertEqual(o.count(t), 2)

    def test_cookie_requests_do_not_share_an_in_flight_fetch(self):
        # One worker and a slow origin: without the rule the first request leads a fetch and the
        # others wait for it and are answered with its (stored) response.
        o = self.start_origin()
        node = self.node(o, api_gateway={"worker_threads": 1}, health_check={"enabled": False},
                         cache_ttl_s=60)
        o.fault(latency_ms=300)
        t = "/echo"
        users = [f"user{i}" for i in range(6)]
        answers = all_at_once(lambda user: node.get(t, headers={"Cookie": f"session={user}"}, timeout=15),
                              users)
        results = dict(zip(users, answers))
        for user, r in results.items():
            self.assertEqual(r.status, 200, r.text())
            self.assertEqual(cookie_seen(r), f"session={user}", f"{user} got another user's page")
            self.assertNotEqual(r.header("X-Cache"), "HIT")
        self.assertEqual(o.count(t), len(users))

    def test_set_cookie_is_never_stored(self):
        o = self.start_origin()
        node = self.node(o, cache_ttl_s=60)
        cases = [("public, max-age=60", "public"), ("s-maxage=60", "smax"),
                 ("max-age=60", "maxage"), (None, "route-ttl")]
        for cc, name in cases:
            with self.subTest(cc=cc):
                params = {"set_cookie": f"session={name}; Path=/"}
                if cc is not None:
                    params["cc"] = cc
                t = target(f"/sc/{name}", **params)
                for i in (1, 2):
                    r = self.get(node, t)
                    self.assertEqual(r.header("X-Cache"), "MISS", f"request {i}: {r.headers}")
                    self.assertEqual(r.header("X-Origin-Count"), str(i))
                    self.assertEqual(r.header("Set-Cookie"), f"session={name}; Path=/",
                                     "the origin's own Set-Cookie, for this response only")
                self.assertEqual(o.count(t), 2)
        self.assertEqual(node.metric_value("cache_entries"), 0)
        # Never replayed: a request that could be answered from the cache gets no Set-Cookie.
        stored = target("/sc/control", cc="public, max-age=60")
        self.assertEqual(self.get(node, stored).header("X-Cache"), "MISS")
        hit = self.get(node, stored)
        self.assertEqual(hit.header("X-Cache"), "HIT", "the control: the same route does store")
        self.assertIsNone(hit.header("Set-Cookie"))

    def test_cache_ignore_cookies_caches_cookie_requests(self):
        o = self.start_origin()
        node = self.node(o, cache_ttl_s=60, cache_ignore_cookies=True)
        t = target("/page", cc="max-age=60")
        first = self.get(node, t, cookie="session=alice")
        self.assertEqual(first.header("X-Cache"), "MISS")
        second = self.get(node, t, cookie="session=bob")
        self.assertEqual(second.header("X-Cache"), "HIT", "the route said its pages ignore cookies")
        self.assertEqual(second.body, first.body)
        self.assertEqual(self.get(node, t).header("X-Cache"), "HIT")
        self.assertEqual(o.count(t), 1)
        # Set-Cookie is still never stored on such a route.
        sc = target("/page", cc="public, max-age=60", set_cookie="session=alice")
        for _ in range(2):
            r = self.get(node, sc, cookie="session=alice")
            self.assertEqual(r.header("X-Cache"), "MISS")
        self.assertEqual(o.count(sc), 2)


if __name__ == "__main__":
    unittest.main()
