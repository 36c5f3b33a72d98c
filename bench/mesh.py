#!/usr/bin/env python3
# Mesh bench (issue 13's bench/mesh.sh, the parts that exist today): real nodes on loopback
# addresses with identities made by `x0tta6bl4 pki`, the integration tests' harness.
#  (2) link set-up: for each [pqc] mode (required: X25519MLKEM768; disabled: X25519), a node
#      whose peer restarts N times; the set-up time is the peer-side client's own histogram
#      pqc_handshake_duration_seconds (TLS handshake + composite identity exchange, both
#      signatures and verifications), reported as its mean;
#  (3) dead-peer detection: `kill -9` of one of three nodes, RUNS times per timer profile, from
#      the kill to the last survivor showing it `down` (polled every 10 ms on /mesh/peers);
#      and the same with SIGSTOP instead: a frozen process (or a host that vanished) closes no
#      connection, so only the probes can find it.
#  (1) one mesh hop: wrk (cpu 1) against node A (cpu 0) for a service A proxies to the origin
#      itself, then for one whose local endpoint is dead and which A sends over a mesh link to
#      node B (cpu 0), which proxies it to the same origin (cpu 0); one worker each, small GET,
#      keep-alive. Reported: req/s and P50/P99 of both, the ratio, and what the hop adds to P50.
#      All three processes share one core, so the hop's req/s also pays for B's proxying there;
#      --b-cpu 1 puts B beside wrk instead, as the core of a second host would be.
#  (4) false `down` verdicts under 5 % loss on every link: tests/integration/test_mesh_loss.py
#      (a minute in `make test`) run for --loss-seconds (300 for the five minutes); it
#      fails on the first `down`, and says how many suspicions were refuted.
import argparse
import os
import signal
import statistics
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
from harness import Node, free_port, wait_until  # noqa: E402


class Rig:
    def __init__(self, workdir):
        self.workdir = workdir
        self.ca = os.path.join(workdir, "ca")
        self.cli("pki", "init", "--dir", self.ca)
        self.nodes = []  # every process the rig started (nodes and origins), killed by close()

    def cli(self, *args):
        import subprocess
        p = subprocess.run([harness.BINARY, *args], capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise SystemExit(f"x0tta6bl4 {' '.join(args)}: {p.stderr}")

    def node(self, index, address=None, seeds=(), mode="required", profile="test", services=()):
        node_id = f"node-{index}"
        cert_dir = os.path.join(self.workdir, f"{node_id}-certs")
        if not os.path.exists(cert_dir):
            self.cli("pki", "issue", "--ca", self.ca, "--node", node_id, "--out", cert_dir,
                     "--address", f"127.0.0.{index}")
        address = address or f"127.0.0.{index}:{free_port()}"
        n = Node(self.workdir, services=list(services), name=node_id, listeners={"mesh": address},
                 api_gateway={"worker_threads": 1},
                 extra_sections={"mesh": {"enabled": True, "cert_dir": cert_dir,
                                          "profile": profile, "peers": list(seeds)},
                                 "pqc": {"mode": mode}, "logging": {"level": "warn"}})
        self.nodes.append(n)
        n.wait_started()
        return n, address

    def close(self):
        for n in self.nodes:
            n.kill()


def states(node):
    return {p["id"]: p["state"] for p in node.get("/mesh/peers").json()}


def link_setup(workdir, mode, restarts):
    rig = Rig(workdir)
    try:
        a, a_addr = rig.node(31, mode=mode)
        b_addr = None
        for _ in range(restarts):
            b, b_addr = rig.node(32, address=b_addr, seeds=[a_addr], mode=mode)
            wait_until(lambda: states(a).get("node-32") == "up", 20, message="b up")
            wait_until(lambda: b.metric_value("pqc_handshake_duration_seconds_count") >= 1, 20,
                       message="b's link")
            total = b.metric_value("pqc_handshake_duration_seconds_sum")
            count = b.metric_value("pqc_handshake_duration_seconds_count")
            yield total / count * 1000.0, count
            b.signal(15)
            b.wait(10)
    finally:
        rig.close()


def detection(workdir, profile, runs, death):
    rig = Rig(workdir)
    out = []
    try:
        a, a_addr = rig.node(41, profile=profile)
        b, _ = rig.node(42, seeds=[a_addr], profile=profile)
        c_addr = None
        for _ in range(runs):
            c, c_addr = rig.node(43, address=c_addr, seeds=[a_addr], profile=profile)
            for n in (a, b):
                wait_until(lambda: states(n).get("node-43") == "up"
                           and len(states(n)) == 2, 30, message="c up")
            time.sleep(0.5)
            killed = time.monotonic()
            if death == "stop":
                c.signal(signal.SIGSTOP)
            else:
                c.kill()
            seen = set()
            while len(seen) < 2:
                for name, n in (("a", a), ("b", b)):
                    if name not in seen and states(n).get("node-43") == "down":
                        seen.add(name)
                time.sleep(0.01)
            out.append(time.monotonic() - killed)
            if death == "stop":
                c.kill()
    finally:
        rig.close()
    return out


def pin(process, cpu):
    """Every thread of a started process onto one cpu."""
    for tid in os.listdir(f"/proc/{process.proc.pid}/task"):
        os.sched_setaffinity(int(tid), {cpu})


def wrk(port, path, seconds, connections):
    import re
    import shutil
    import subprocess
    if shutil.which("wrk") is None:
        raise SystemExit("mesh.py: wrk is not installed (scripts/install-deps.sh --bench)")
    p = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
                        "--latency", f"http://127.0.0.1:{port}{path}"],
                       capture_output=True, text=True, timeout=seconds + 30)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", p.stdout).group(1))
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    def latency(label):
        m = re.search(label + r"\s+([\d.]+)(us|ms|s)", p.stdout)
        return float(m.group(1)) * unit[m.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
    return rps, latency("50%"), latency("99%"), int(errors.group(1)) if errors else 0


def one_hop(workdir, seconds, connections, b_cpu):
    rig = Rig(workdir)
    try:
        origin = harness.Origin(workdir, name="bench-origin")
        rig.nodes.append(origin)  # stopped with the nodes
        dead = harness.free_port()
        b_services = [harness.service("hop", [origin.endpoint()], path_prefixes=["/hop"],
                                      mesh_failover=True)]
        a_services = [harness.service("local", [origin.endpoint()], path_prefixes=["/local"]),
                      harness.service("hop", [f"127.0.0.1:{dead}"], path_prefixes=["/hop"],
                                      mesh_failover=True)]
        a, a_addr = rig.node(51, services=a_services)
        b, _ = rig.node(52, seeds=[a_addr], services=b_services)
        wait_until(lambda: any(r["serving"] == "mesh" for r in
                               a.get("/mesh/routes").json()["routes"]), 30,
                   message="the hop service served through b")
        for process in (origin, a):
            pin(process, 0)
        pin(b, b_cpu)  # 1: beside wrk, as a second host's core would be
        wrk(a.data_port, "/local", 2, connections)  # warm both paths' pools and links
        wrk(a.data_port, "/hop", 2, connections)
        local = wrk(a.data_port, "/local", seconds, connections)
        hop = wrk(a.data_port, "/hop", seconds, connections)
        return local, hop
    finally:
        rig.close()


def loss(seconds):
    import re
    import subprocess
    env = dict(os.environ, X0_MESH_LOSS_SECONDS=str(seconds), X0_BINARY=harness.BINARY)
    p = subprocess.run([sys.executable, "-m", "unittest", "test_mesh_loss"], env=env,
                       cwd=os.path.join(ROOT, "tests", "integration"), capture_output=True,
                       text=True, timeout=seconds + 300)
    said = re.search(r"(\d+) suspect verdicts, all refuted, 0 down", p.stdout + p.stderr)
    if "skipped" in p.stderr:
        return "skipped: " + p.stderr.strip().splitlines()[-1]
    if p.returncode == 0 and said:
        return f"0 false downs ({said.group(1)} suspicions, all refuted)"
    failure = re.search(r"AssertionError: (.*)", p.stdout + p.stderr)
    return "FAILED: " + (failure.group(1) if failure else (p.stdout + p.stderr)[-300:])


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20, help="kill -9s per profile")
    ap.add_argument("--restarts", type=int, default=10, help="link set-ups per mode")
    ap.add_argument("--profiles", default="test,lan")
    ap.add_argument("--deaths", default="kill,stop", help="kill: kill -9; stop: SIGSTOP")
    ap.add_argument("--hop-seconds", type=int, default=10, help="wrk run per path; 0 skips (1)")
    ap.add_argument("--connections", type=int, default=10)
    ap.add_argument("--b-cpu", type=int, default=0,
                    help="cpu of the hop's node B (0: with A and the origin; 1: beside wrk)")
    ap.add_argument("--loss-seconds", type=int, default=0, help="part (4); 0 skips it")
    args = ap.parse_args()
    print("| measurement | value |\n|---|---|")
    if args.hop_seconds > 0:
        with tempfile.TemporaryDirectory(prefix="x0-mesh-bench-") as d:
            local, hop = one_hop(d, args.hop_seconds, args.connections, args.b_cpu)
        for name, (rps, p50, p99, bad) in (("proxied locally", local), ("over one mesh hop", hop)):
            print(f"| {name}, {args.connections} connections, B on cpu {args.b_cpu}: "
                  f"req/s, P50 / P99 "
                  f"| {rps:.0f}, {p50:.3f} / {p99:.3f} ms{f' ({bad} non-2xx)' if bad else ''} |")
        print(f"| one mesh hop / local: req/s ratio, P50 added "
              f"| {hop[0] / local[0]:.2f}, +{(hop[1] - local[1]) * 1000:.0f} us |")
    for mode in ("required", "disabled"):
        with tempfile.TemporaryDirectory(prefix="x0-mesh-bench-") as d:
            means = [m for m, _ in link_setup(d, mode, args.restarts)]
        group = "X25519MLKEM768" if mode == "required" else "X25519"
        print(f"| link set-up, {group} (TLS + composite identity), mean of {len(means)} "
              f"| {statistics.mean(means):.2f} ms |")
    if args.loss_seconds > 0:
        print(f"| 5 % loss on every link for {args.loss_seconds} s, test profile, 500 ms probe "
              f"timeout | {loss(args.loss_seconds)} |")
    deaths = {"kill": "kill -9s", "stop": "SIGSTOPs"}
    for profile in filter(None, args.profiles.split(",")):
        for death in filter(None, args.deaths.split(",")):
            with tempfile.TemporaryDirectory(prefix="x0-mesh-bench-") as d:
                t = detection(d, profile, args.runs, death)
            print(f"| dead-peer detection, {profile} profile, {len(t)} {deaths[death]}: "
                  f"P50 / P99 / max | {pct(t, 50):.2f} / {pct(t, 99):.2f} / {max(t):.2f} s |")


if __name__ == "__main__":
    main()
