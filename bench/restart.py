#!/usr/bin/env python3
# Restart under load (issue 17 item 10): a node with a canary release in progress (25 % to the
# candidate, 30 s steps) serves client loops (fresh connections and keep-alive ones) while it is
# restarted, N times per mode, and the requests refused or failed across the restart are counted:
#   plain     SIGTERM, then the new process started at once (it waits for the data dir lock)
#   wait      SIGTERM, wait for the old process to exit, then start (what a supervisor does)
#   takeover  `run --takeover` beside the running node, no signal (src/app/takeover.h)
# Also checked after each restart: the release is still in progress at the same weight on the
# new process. Python standard library only; reuses tests/integration (harness.py and
# test_takeover.ClientLoop). Run it via bench/chaos.sh --restart or directly.
import argparse
import json
import os
import signal
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
from harness import Node, Origin, Process, request, service, wait_until  # noqa: E402
from test_takeover import ClientLoop  # noqa: E402

MODES = ("plain", "wait", "takeover")


def post(port, path, body):
    return request(port, "POST", path, body=json.dumps(body).encode(),
                   headers={"Content-Type": "application/json"})


def release_weight(port):
    releases = request(port, "GET", "/releases", timeout=2).json()["releases"]
    return (releases[0]["state"], releases[0].get("weight_percent")) if releases else None


def run_once(mode, index, args):
    workdir = tempfile.mkdtemp(prefix=f"x0-restart-{mode}-")
    procs = []
    try:
        stable = Origin(workdir, name="stable")
        canary = Origin(workdir, name="canary")
        procs += [stable, canary]
        node = Node(workdir, [service("shop", [stable.endpoint()])],
                    api_gateway={"worker_threads": args.workers, "drain_timeout_ms": 5000})
        procs.append(node)
        node.wait_started()
        r = post(node.data_port, "/releases/shop/start",
                 {"strategy": "canary", "candidate": [canary.endpoint()], "steps": [25, 50, 100],
                  "step_interval_s": 30, "header": "X-Canary"})
        if r.status != 200:
            raise RuntimeError(f"release start refused: {r.status} {r.text()}")
        before = release_weight(node.data_port)
        loops = [ClientLoop(node.data_port, keep_alive=(i % 2 == 1), interval=args.interval).start()
                 for i in range(args.clients)]
        time.sleep(args.warmup)
        new_args = [harness.BINARY, "run", "--config", node.config_path]
        t0 = time.monotonic()
        if mode == "takeover":
            new = Process(new_args + ["--takeover"], os.path.join(workdir, "new.log"))
        else:
            node.signal(signal.SIGTERM)
            if mode == "wait":
                node.wait(15)
            new = Process(new_args, os.path.join(workdir, "new.log"))
        procs.append(new)
        node.wait(15)
        old_exit_s = time.monotonic() - t0
        wait_until(lambda: request(node.health_port, "GET", "/health/live", timeout=1).status == 200,
                   15, message="the new process to serve")
        time.sleep(args.after)
        for lp in loops:
            lp.stop()
        after = release_weight(node.data_port)
        failures = [f for lp in loops for f in lp.failures]
        times = sorted(t for lp in loops for t in lp.failure_times)
        return {"mode": mode, "run": index, "requests": sum(lp.ok for lp in loops) + len(failures),
                "refused": sum("ConnectionRefused" in f for f in failures),
                "failed": sum("ConnectionRefused" not in f for f in failures),
                "retries": sum(lp.stale_retries for lp in loops), "old_exit_s": old_exit_s,
                "window_s": times[-1] - times[0] if times else 0.0,
                "release_kept": before == after, "release": after}
    finally:
        for p in reversed(procs):
            p.kill()


def main():
    ap = argparse.ArgumentParser(description="Requests refused across a restart (see the top).")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--clients", type=int, default=4, help="client loops (half keep-alive)")
    ap.add_argument("--workers", type=int, default=2, help="the node's worker_threads")
    ap.add_argument("--interval", type=float, default=0.01,
                    help="s between two requests of a loop (0.01: about 100 req/s per loop)")
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--after", type=float, default=1.0)
    ap.add_argument("--out", default="/tmp/restart_results.md")
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    if set(modes) - set(MODES):
        ap.error(f"modes are {', '.join(MODES)}")
    results = []
    for mode in modes:
        for i in range(args.runs):
            r = run_once(mode, i, args)
            results.append(r)
            print(f"{mode} #{i}: {r['requests']} requests, {r['refused']} refused, "
                  f"{r['failed']} other failures over {r['window_s']:.2f} s, {r['retries']} keep-alive "
                  f"retries, old process "
                  f"gone after {r['old_exit_s']:.2f} s, release kept: {r['release_kept']}",
                  flush=True)
    lines = [f"`bench/chaos.sh --restart --runs {args.runs}` ({args.clients} client loops, half "
             f"keep-alive, each a request every {args.interval * 1000:.0f} ms or less; "
             f"{args.workers} workers; a canary at 25 % in progress):", "",
             "| mode | requests (all runs) | refused (per run) | other failures | failure window "
             "per run (s) | keep-alive retries | release state kept |",
             "|---|---|---|---|---|---|---|"]
    for mode in modes:
        rs = [r for r in results if r["mode"] == mode]
        windows = ", ".join(f"{r['window_s']:.2f}" for r in rs)
        lines.append(f"| {mode} | {sum(r['requests'] for r in rs)} | "
                     f"{sum(r['refused'] for r in rs)} ({', '.join(str(r['refused']) for r in rs)}) | "
                     f"{sum(r['failed'] for r in rs)} | "
                     f"{windows} | "
                     f"{sum(r['retries'] for r in rs)} | "
                     f"{sum(r['release_kept'] for r in rs)}/{len(rs)} |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
