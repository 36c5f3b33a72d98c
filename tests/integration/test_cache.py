# The response cache (issue 4) against real origins: MISS then HIT, what is not stored, per-route
# switches and TTLs, Vary, request no-cache, coalescing of concurrent misses, stale-if-error,
# capacity and eviction, the admin endpoints (clear, verify, snapshot/restore, warm, data verify),
# a restart that restores the snapshot before /health/startup says 200, and damaged snapshots
# (a flipped byte, a truncated file, a node killed while writing one).
# The origin's X-Origin-Count header and /__stats?target= tell whether a request reached it.
import glob
import os
import signal
import struct
import threading
import time
import unittest
from urllib.parse import quote, urlencode

from harness import all_at_once, IntegrationTest, request, service, wait_until

CACHE_METRICS = ("cache_hits_total", "cache_misses_total", "cache_hit_rate", "cache_evictions_total",
                 "cache_entries", "cache_bytes", "cache_warming_in_progress",
                 "cache_warming_progress", "cache_corrupt_entries_total", "cache_stale_served_total")


def target(path, **params):
    """path?query with values percent-encoded the way the origin decodes them."""
    return path + ("?" + urlencode(params, quote_via=quote) if params else "")


def find(obj, key):
    """The first value of `key` anywhere in a JSON object (breadth first), else None."""
    queue = [obj]
    while queue:
        o = queue.pop(0)
        if isinstance(o, dict):
            if key in o:
                return o[key]
            queue += list(o.values())
        elif isinstance(o, list):
            queue += o
    return None


def file_reports(obj):
    """Every per-file report (a dict whose "path" names a .snap file) in a JSON answer."""
    out, queue = [], [obj]
    while queue:
        o = queue.pop(0)
        if isinstance(o, dict):
            if str(o.get("path", "")).endswith(".snap"):
                out.append(o)
            queue += list(o.values())
        elif isinstance(o, list):
            queue += o
    return out


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def snapshot_frames(data):
    """(frame offset, payload length) of each entry of a snapshot image (docs/CACHE.md)."""
    magic, version, header_size, entries, _created, _flags, _crc = struct.unpack_from("<8sIIQqII", data)
    assert magic == b"X0CACHE\0" and version == 1 and header_size == 40, (magic, version, header_size)
    frames, off = [], 40
    while off + 16 <= len(data) and len(frames) < entries:
        assert data[off:off + 4] == b"X0CE", f"no frame magic at {off}"
        length = struct.unpack_from("<I", data, off + 4)[0]
        frames.append((off, length))
        off += 16 + length
    return frames


# The cache key keeps the authority's port (docs/SECURITY.md) and a restarted node listens on
# another port: tests that read entries across a restart send one fixed Host.
FIXED_HOST = {"Host": "cache.test"}


class CacheTest(IntegrationTest):
    def cache_node(self, origin, cache=None, name="node", data_dir=None, api_gateway=None,
                   services=None, wait=True, **service_keys):
        sections = {"cache": {"verify_sample_rate": 1.0, **(cache or {})}}
        if data_dir:
            sections["node"] = {"id": name, "data_dir": data_dir}
        return self.start_node(services or [service("app", [origin.endpoint()], **service_keys)],
                               extra_sections=sections, name=name, api_gateway=api_gateway, wait=wait)

    def get(self, node, path, status=200, cache=None, headers=None):
        """GET through the node; checks the status and (if given) X-Cache."""
        r = node.get(path, headers=headers)
        self.assertEqual(r.status, status, f"GET {path}: {r.status} {r.text()[:300]}")
        if cache is not None:
            self.assertEqual(r.header("X-Cache"), cache, f"GET {path}: X-Cache, headers {r.headers}")
        return r

    def admin(self, node, path, body=None, status=200):
        r = node.post(path, body)
        self.assertEqual(r.status, status, f"POST {path}: {r.text()[:500]}")
        return r.json()

    def data_dir(self, node):
        return node.sections["node"]["data_dir"]

    def snapshots(self, node):
        return sorted(glob.glob(os.path.join(self.data_dir(node), "cache-*.snap")))

    # ------------------------------------------------------------------ HTTP rules
    def test_miss_then_hit_with_max_age_and_age_grows(self):
        o = self.start_origin()
        node = self.cache_node(o)
        t = target("/a", cc="max-age=60")
        first = self.get(node, t, cache="MISS")
        self.assertEqual(first.header("X-Origin-Count"), "1")
        hit = self.get(node, t, cache="HIT")
        self.assertEqual(hit.body, first.body)
        self.assertEqual(len(hit.body), 100, "the origin's 100-byte body")
        self.assertEqual(hit.header("Cache-Control"), "max-age=60")
        age1 = int(hit.header("Age"))
        time.sleep(2.2)
        age2 = int(self.get(node, t, cache="HIT").header("Age"))
        self.assertGreaterEqual(age2, age1 + 2, "Age counts the time the entry was resident")
        self.assertEqual(o.count(t), 1, "only the first request reached the origin")
        head1 = request(node.data_port, "HEAD", t)
        self.assertIn(head1.header("X-Cache"), ("MISS", "HIT"))
        head2 = request(node.data_port, "HEAD", t)
        self.assertEqual((head2.status, head2.header("X-Cache"), head2.body), (200, "HIT", b""))
        self.assertGreaterEqual(node.metric_value("cache_hits_total"), 3)
        self.assertGreaterEqual(node.metric_value("cache_misses_total"), 1)
        metrics = node.metrics()
        for name in CACHE_METRICS:
            self.assertIn(name, metrics)

    def test_no_store_private_no_cache_are_not_stored(self):
        o = self.start_origin()
        node = self.cache_node(o)
        for cc in ("no-store", "private", "no-cache", "max-age=60, no-store", "max-age=60, private",
                   "max-age=60, no-cache"):
            with self.subTest(cc=cc):
                t = target("/n", cc=cc)
                self.get(node, t)
                second = self.get(node, t)
                self.assertNotEqual(second.header("X-Cache"), "HIT")
                self.assertEqual(second.header("X-Origin-Count"), "2")
                self.assertEqual(o.count(t), 2)
        self.assertEqual(node.metric_value("cache_entries"), 0)
        stored = target("/n", cc="max-age=60")  # the control: the same route does store this
        self.get(node, stored, cache="MISS")
        self.get(node, stored, cache="HIT")

    def test_route_switch_and_route_ttl(self):
        o = self.start_origin()
        node = self.cache_node(o, services=[
            service("off", [o.endpoint()], path_prefixes=["/off"], cache=False),
            service("ttl", [o.endpoint()], path_prefixes=["/ttl"], cache_ttl_s=60),
            service("app", [o.endpoint()])])
        off = target("/off/x", cc="max-age=60")
        for _ in range(3):
            self.assertNotEqual(self.get(node, off).header("X-Cache"), "HIT")
        self.assertEqual(o.count(off), 3, "cache = false: every request goes to the origin")
        self.get(node, "/ttl/plain", cache="MISS")
        self.get(node, "/ttl/plain", cache="HIT")
        self.assertEqual(o.count("/ttl/plain"), 1, "cache_ttl_s stores a response without Cache-Control")
        self.get(node, "/plain")
        self.assertNotEqual(self.get(node, "/plain").header("X-Cache"), "HIT")
        self.assertEqual(o.count("/plain"), 2, "no freshness and no route TTL: not stored")

    def test_vary_keeps_variants_apart(self):
        o = self.start_origin()
        node = self.cache_node(o)
        t = target("/echo", cc="max-age=60", vary="X-Variant")
        for v in ("a", "b"):
            r = self.get(node, t, cache="MISS", headers={"X-Variant": v})
            self.assertEqual(r.json()["headers"].get("X-Variant"), v)
        for v in ("a", "b", "a", "b"):
            r = self.get(node, t, cache="HIT", headers={"X-Variant": v})
            self.assertEqual(r.json()["headers"].get("X-Variant"), v, "the variant of this request")
            self.assertEqual(r.header("Vary"), "X-Variant")
        self.assertEqual(o.count(t), 2)
        self.get(node, t, cache="MISS", headers={"X-Variant": "c"})
        self.assertEqual(o.count(t), 3)

    def test_request_no_cache_goes_to_the_origin(self):
        o = self.start_origin()
        node = self.cache_node(o)
        t = target("/r", cc="max-age=60")
        self.get(node, t, cache="MISS")
        self.get(node, t, cache="HIT")
        r = self.get(node, t, headers={"Cache-Control": "no-cache"})
        self.assertNotEqual(r.header("X-Cache"), "HIT")
        self.assertEqual(r.header("X-Origin-Count"), "2")
        self.assertEqual(o.count(t), 2)

    # ------------------------------------------------------------------ coalescing, stale, capacity
    def test_concurrent_misses_are_coalesced(self):
        o = self.start_origin()
        node = self.cache_node(o, api_gateway={"worker_threads": 1},
                               health_check={"enabled": False})
        o.fault(latency_ms=500)
        t = target("/slow", cc="max-age=60")
        results = all_at_once(lambda _: node.get(t, timeout=15), range(20))
        for r in results:
            self.assertEqual(r.status, 200, r.text())
            self.assertEqual(len(r.body), 100)
            self.assertEqual(r.header("X-Origin-Count"), "1")
        self.assertEqual(o.count(t), 1, "one upstream fetch for 20 concurrent misses on one worker")

    def stale_if_error(self, break_origin, **service_keys):
        o = self.start_origin()
        node = self.cache_node(o, cache={"stale_if_error_s": 3}, **service_keys)
        t = target("/s", cc="max-age=1")
        fresh = self.get(node, t, cache="MISS")
        stored_at = time.monotonic()
        time.sleep(2.2)  # past max-age=1, within max-age + stale_if_error_s = 4 s
        stale_before = node.metric_value("cache_stale_served_total")
        break_origin(o)
        r = node.get(t)
        self.assertEqual((r.status, r.header("X-Cache")), (200, "STALE"), f"{r.status} {r.text()[:200]}")
        self.assertEqual(r.body, fresh.body)
        self.assertGreater(node.metric_value("cache_stale_served_total"), stale_before)
        time.sleep(max(0.0, stored_at + 5.5 - time.monotonic()))  # past 1 + 3 s
        r = node.get(t)
        self.assertGreaterEqual(r.status, 500, "past stale-if-error: the error, not the entry")
        self.assertNotEqual(r.header("X-Cache"), "STALE")

    def test_stale_if_error_on_origin_500(self):
        self.stale_if_error(lambda o: o.fault(error_rate=1.0), passive_eject_failures=0)

    def test_stale_if_error_on_dead_origin(self):
        self.stale_if_error(lambda o: o.kill())

    def test_bodies_being_copied_are_bounded_per_worker(self):
        # max_bytes 800 KB on one shard: an entry may be up to 800 KB, but one worker may hold
        # only max_bytes / 4 = 200 KB of bodies being copied at once. A 300 KB response passes
        # through uncopied (a later GET is a MISS again); a 100 KB one is stored.
        o = self.start_origin()
        node = self.cache_node(o, cache={"max_bytes": 800000, "shard_count": 1},
                               api_gateway={"worker_threads": 1})
        big, small = target("/big", cc="max-age=60", size=300000), target("/small", cc="max-age=60", size=100000)
        self.assertEqual(len(self.get(node, big, cache="MISS").body), 300000)
        self.assertEqual(len(self.get(node, big, cache="MISS").body), 300000)
        self.get(node, small, cache="MISS")
        self.assertEqual(len(self.get(node, small, cache="HIT").body), 100000)

    def test_capacity_bounds_entries_and_evicts(self):
        o = self.start_origin()
        node = self.cache_node(o, cache={"capacity": 5, "shard_count": 1})
        for i in range(20):
            self.get(node, target("/c", i=i, cc="max-age=60"), cache="MISS")
            self.assertLessEqual(node.metric_value("cache_entries"), 5)
        self.assertGreaterEqual(node.metric_value("cache_entries"), 1)
        self.assertGreaterEqual(node.metric_value("cache_evictions_total"), 15)
        self.get(node, target("/c", i=19, cc="max-age=60"), cache="HIT")

    # ------------------------------------------------------------------ admin API
    def test_admin_clear_verify_and_status(self):
        o = self.start_origin()
        node = self.cache_node(o)
        paths = [target(p, cc="max-age=60") for p in ("/p/a", "/p/b", "/q/c")]
        for p in paths:
            self.get(node, p, cache="MISS")
        self.assertEqual(find(self.admin(node, "/admin/cache/verify"), "checked"), 3)
        self.assertEqual(find(self.admin(node, "/admin/cache/verify"), "corrupt"), 0)
        self.assertEqual(find(self.admin(node, "/admin/cache/clear?prefix=/p"), "cleared"), 2)
        self.get(node, paths[2], cache="HIT")
        self.get(node, paths[0], cache="MISS")
        self.assertEqual(o.count(paths[0]), 2)
        self.assertEqual(find(self.admin(node, "/admin/cache/clear"), "cleared"), 2)
        self.assertEqual(node.metric_value("cache_entries"), 0)
        self.get(node, paths[2], cache="MISS")
        self.assertEqual(node.get("/admin/cache/clear").status, 405)
        self.assertIn("cache", node.health()["dependencies"])
        status = node.get("/api/v1/status").json()
        self.assertIsInstance(status.get("cache"), dict, status)
        self.assertNotEqual(status["cache"].get("enabled"), False)

    def test_admin_snapshot_clear_restore_and_data_verify(self):
        o = self.start_origin()
        node = self.cache_node(o)
        paths = [target(f"/k/{i}", cc="max-age=600") for i in range(3)]
        for p in paths:
            self.get(node, p, cache="MISS")
        snap = self.admin(node, "/admin/cache/snapshot")
        self.assertEqual(snap["entries"], 3, snap)
        self.assertTrue(os.path.exists(snap["path"]), snap)
        self.assertEqual(self.snapshots(node), [snap["path"]])
        self.admin(node, "/admin/cache/clear")
        restored = self.admin(node, "/admin/cache/restore")
        self.assertEqual(find(restored, "inserted"), 3, restored)
        for p in paths:
            self.get(node, p, cache="HIT")
            self.assertEqual(o.count(p), 1, "restored entries answer without the origin")
        verify = self.admin(node, "/admin/data/verify")
        files = file_reports(verify)
        self.assertEqual([os.path.basename(f["path"]) for f in files],
                         [os.path.basename(snap["path"])], verify)
        self.assertEqual((files[0]["ok"], files[0].get("truncated")), (3, False), files[0])

    def test_periodic_snapshots_are_written_by_the_disk_thread(self):
        # snapshot_interval_s: no admin call, the cache's disk thread writes them on its timer
        # (armed before that thread starts, re-armed there: docs/ARCHITECTURE.md, Threads).
        o = self.start_origin()
        node = self.cache_node(o, cache={"snapshot_interval_s": 1})
        self.get(node, target("/periodic", cc="max-age=600"), cache="MISS")

        def holds_the_entry():
            files = file_reports(self.admin(node, "/admin/data/verify"))
            return any(f.get("ok") == 1 for f in files)
        wait_until(holds_the_entry, 15, message="a periodic snapshot holding the entry")

    def test_admin_warm(self):
        o = self.start_origin()
        node = self.cache_node(o)
        paths = [target(f"/w/{i}", cc="max-age=600") for i in range(5)]
        # Full URLs are fetched with their Host; a bare path with Host: localhost (docs/CACHE.md).
        urls = [f"http://127.0.0.1:{node.data_port}{p}" for p in paths[:4]] + [paths[4]]
        r = node.post("/admin/cache/warm", urls)
        self.assertIn(r.status, (200, 202), r.text())
        wait_until(lambda: node.metric_value("cache_warming_in_progress") == 0
                   and node.metric_value("cache_entries") >= 5, 10, message="warming to finish")
        self.assertEqual(node.metric_value("cache_warming_progress"), 1.0)
        for p in paths[:4]:
            self.get(node, p, cache="HIT")
        self.get(node, paths[4], cache="HIT", headers={"Host": "localhost"})
        for p in paths:
            self.assertEqual(o.count(p), 1)
        self.assertEqual(node.post("/admin/cache/warm", ["ftp://x/"]).status, 400)

    # ------------------------------------------------------------------ restart and damage
    def test_restart_restores_before_startup_is_ready(self):
        o = self.start_origin()
        node = self.cache_node(o, cache={"enable_preloading": True})
        a, b = target("/keep/a", cc="max-age=600"), target("/keep/b", cc="max-age=600")
        self.get(node, a, cache="MISS", headers=FIXED_HOST)
        self.admin(node, "/admin/cache/snapshot")
        self.get(node, b, cache="MISS", headers=FIXED_HOST)  # only in the snapshot written at SIGTERM
        node.signal(signal.SIGTERM)
        self.assertEqual(node.wait(20), 0, node.log()[-2000:])
        self.assertGreaterEqual(len(self.snapshots(node)), 2, "a last snapshot at shutdown")

        o.fault(error_rate=1.0)
        node2 = self.cache_node(o, cache={"enable_preloading": True}, name="node2",
                                data_dir=self.data_dir(node), wait=False)
        node2.wait_started(15)
        # The first 200 from /health/startup comes after the restore: everything is there.
        self.assertEqual(node2.metric_value("cache_entries"), 2)
        for p in (a, b):
            self.get(node2, p, cache="HIT", headers=FIXED_HOST)
            self.assertEqual(o.count(p), 1, "a HIT without touching the origin")
        o.kill()
        self.get(node2, a, cache="HIT", headers=FIXED_HOST)

    def test_flipped_byte_costs_exactly_that_entry(self):
        o = self.start_origin()
        node = self.cache_node(o)
        paths = [target(f"/d/{i}", cc="max-age=600", size=2000) for i in range(5)]
        for p in paths:
            self.get(node, p, cache="MISS")
        path = self.admin(node, "/admin/cache/snapshot")["path"]
        data = bytearray(read_bytes(path))
        frames = snapshot_frames(data)
        self.assertEqual(len(frames), 5)
        victim = next(i for i, (off, n) in enumerate(frames)
                      if b"/d/2?" in data[off + 16:off + 16 + n])
        off, n = frames[victim]
        data[off + 16 + n // 2] ^= 0xFF
        with open(path, "wb") as f:
            f.write(bytes(data))

        self.admin(node, "/admin/cache/clear")
        restored = self.admin(node, "/admin/cache/restore")
        self.assertEqual((find(restored, "inserted"), find(restored, "corrupt")), (4, 1), restored)
        self.get(node, paths[2], cache="MISS")
        for i in (0, 1, 3, 4):
            self.get(node, paths[i], cache="HIT")
        report = file_reports(self.admin(node, "/admin/data/verify"))
        self.assertEqual(len(report), 1, report)
        bad = report[0]["corrupt"]
        bad = bad if isinstance(bad, list) else report[0].get("corrupt_entries", [])
        self.assertEqual(len(bad), 1, report)
        self.assertEqual(bad[0]["index"], victim, bad)
        self.assertEqual(bad[0]["offset"], off, bad)
        self.assertIn("/d/2", str(bad[0]), "the damaged entry is named")

    def test_truncated_newest_snapshot_falls_back_to_the_older_one(self):
        o = self.start_origin()
        node = self.cache_node(o)
        a, b = target("/t/a", cc="max-age=600"), target("/t/b", cc="max-age=600")
        self.get(node, a, cache="MISS")
        older = self.admin(node, "/admin/cache/snapshot")["path"]
        time.sleep(0.01)  # file names carry the time in ms
        self.get(node, b, cache="MISS")
        newest = self.admin(node, "/admin/cache/snapshot")["path"]
        self.assertNotEqual(older, newest)
        size = os.path.getsize(newest)
        with open(newest, "r+b") as f:
            f.truncate(size - 10)
        self.admin(node, "/admin/cache/clear")
        restored = self.admin(node, "/admin/cache/restore")
        text = str(restored)
        self.assertIn(os.path.basename(older), text, restored)
        self.assertIn("truncated", text, "the newer file is reported with its error")
        self.assertEqual(find(restored, "inserted"), 1, restored)
        self.get(node, a, cache="HIT")
        self.get(node, b, cache="MISS")

    def test_kill_during_a_big_snapshot_keeps_the_previous_one(self):
        o = self.start_origin()
        node = self.cache_node(o, cache={"enable_preloading": True, "max_bytes": 512 * 1024 * 1024},
                               cache_ttl_s=3600)
        small = [target(f"/small/{i}", cc="max-age=600") for i in range(3)]
        for p in small:
            self.get(node, p, cache="MISS", headers=FIXED_HOST)
        previous = self.admin(node, "/admin/cache/snapshot")["path"]
        previous_bytes = read_bytes(previous)

        def fill(start):
            for i in range(start, 2000, 4):
                r = node.get(target(f"/big/{i}", size=50 * 1024), timeout=10)
                assert r.status == 200 and len(r.body) == 50 * 1024, r.status
        fillers = [threading.Thread(target=fill, args=(k,)) for k in range(4)]
        for th in fillers:
            th.start()
        for th in fillers:
            th.join(120)
        self.assertGreaterEqual(node.metric_value("cache_entries"), 2003)

        client = self.raw(node.data_port, timeout=60)
        client.send(b"POST /admin/cache/snapshot HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        pattern = os.path.join(self.data_dir(node), "cache-*.snap.tmp*")

        def half_written():  # a temp file with at least 1 MiB of the ~100 MiB written
            sizes = {}
            for f in glob.glob(pattern):
                try:
                    sizes[f] = os.path.getsize(f)
                except OSError:
                    pass
            if len(self.snapshots(node)) > 1:
                raise AssertionError("the snapshot finished before the test could kill the node")
            return [(f, n) for f, n in sizes.items() if n >= 1 << 20]
        caught = wait_until(half_written, 60, interval=0.001, message="the snapshot's temp file")
        node.signal(signal.SIGKILL)
        node.wait(10)
        print(f"\nkilled while writing {caught}")
        self.assertEqual(read_bytes(previous), previous_bytes, "the previous snapshot is intact")
        for f in self.snapshots(node):
            if f != previous:
                self.fail(f"a half-written snapshot under a final name: {f}")

        o.fault(error_rate=1.0)
        node2 = self.cache_node(o, cache={"enable_preloading": True}, name="node2",
                                data_dir=self.data_dir(node), cache_ttl_s=3600)
        for p in small:
            self.get(node2, p, cache="HIT", headers=FIXED_HOST)
            self.assertEqual(o.count(p), 1)
        self.assertEqual(node2.metric_value("cache_entries"), 3)
        files = file_reports(self.admin(node2, "/admin/data/verify"))
        self.assertNotIn(".tmp", str(files), "temp files are not snapshots")
        self.admin(node2, "/admin/cache/snapshot")
        self.assertEqual(glob.glob(pattern), [], "a new snapshot removes the killed writer's temp file")


if __name__ == "__main__":
    unittest.main()
