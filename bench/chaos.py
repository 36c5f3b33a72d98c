#!/usr/bin/env python3
# Chaos bench for canary releases and the autopilot: each fault scenario runs N times on a fresh
# node (own ports, own data dir, one worker, the integration tests' 1 s-window policy) with one
# stable and one canary origin under a steady open-loop load; it measures detection (the node's
# incident: MTTD, MTTR; and our own clock from fault injection to the rollback seen on
# GET /releases), requests failed during the fault, rollbacks, and false alarms on healthy runs.
# Python standard library only; reuses tests/integration/harness.py. Run it via bench/chaos.sh.
import argparse
import http.client
import json
import os
import queue
import random
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
from harness import Node, Origin, request, service, wait_until  # noqa: E402
from test_releases import TEST_POLICY  # noqa: E402  (the same 1 s-window policy as the tests)
from test_canary_judgement import EMPTY_RULE  # noqa: E402  (policy/default.toml's silent-failure rule)

SCENARIOS = ("errors", "latency", "killed", "degrading", "silent", "healthy", "stable_failing",
             "thin_dead", "band_edge")
# What the decision matrix asks of each scenario (issue 17): roll the canary back; hold the
# release (the stable side fails, the canary is fine: rolling it back would move everything onto
# the failing side); or leave it alone.
EXPECTED = {"errors": "rollback", "latency": "rollback", "killed": "rollback",
            "degrading": "rollback", "silent": "rollback", "healthy": "none",
            "stable_failing": "hold",
            "thin_dead": "rollback", "band_edge": "incident"}
THIN_RATE = 2.0  # thin_dead: req/s in total, a quarter of them to the canary
# band_edge: the service (its stable origin) alternates 12 % and 8 % errors every 3 s, about 10 %
# on average, under the matrix's two error bands each asking 5 s: above 10 % never lasts 5 s and
# neither does 5-10 %, so rules that restart their timers at every crossing never fire. The
# node must open an error-rate incident (the canary is healthy: held, never rolled back).
BAND_POLICY = """
[defaults]
min_samples = 10
cooldown_s = 5
window_s = 1
recovery_hold_s = 1
[[rules]]
name = "error_rate_critical"
signal = "error_rate"
above = 0.10
for_s = 5
severity = "SEV-1"
action = "rollback"
authority = "system"
[[rules]]
name = "error_rate_elevated"
signal = "error_rate"
above = 0.05
at_most = 0.10
for_s = 5
severity = "SEV-2"
action = "rollback"
authority = "on_call"
"""
BAND_RULES = ("error_rate_critical", "error_rate_elevated")
CANARY_STEPS = [25, 50, 100]  # as in test_releases.py
STEP_INTERVAL_S = 30


class LoadGen:
    """Open-loop GET load at a fixed offered rate: a scheduler thread queues one slot per request,
    worker threads (each with its own keep-alive http.client connection) send them. Every request
    is recorded as (scheduled, sent, done, status or None, error or None, X-Origin, body bytes)."""

    def __init__(self, port, rate, workers, path="/x", timeout=5.0):
        self.port, self.rate, self.path, self.timeout = port, rate, path, timeout
        self.records = []  # list.append is atomic under the GIL
        self.slots = queue.Queue()
        self.stop = threading.Event()
        self.started = None
        self.threads = [threading.Thread(target=self._worker, daemon=True) for _ in range(workers)]
        self.scheduler = threading.Thread(target=self._schedule, daemon=True)

    def start(self):
        for t in self.threads:
            t.start()
        self.started = time.time()
        self.scheduler.start()
        return self

    def _schedule(self):
        interval = 1.0 / self.rate
        next_t = self.started
        while not self.stop.is_set():
            now = time.time()
            while next_t <= now:
                self.slots.put(next_t)
                next_t += interval
            time.sleep(min(0.005, max(0.0, next_t - time.time())))

    def _worker(self):
        conn = None
        while True:
            slot = self.slots.get()
            if slot is None:
                break
            sent = time.time()
            status = error = origin = None
            size = 0
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                conn.request("GET", self.path)
                r = conn.getresponse()
                size = len(r.read())
                status, origin = r.status, r.getheader("X-Origin")
                if r.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                error = type(e).__name__
                if conn is not None:
                    conn.close()
                conn = None
            self.records.append((slot, sent, time.time(), status, error, origin, size))
        if conn is not None:
            conn.close()

    def finish(self):
        self.stop.set()
        self.scheduler.join(5)
        while True:  # drop slots nobody picked up yet
            try:
                self.slots.get_nowait()
            except queue.Empty:
                break
        for _ in self.threads:
            self.slots.put(None)
        for t in self.threads:
            t.join(self.timeout + 2)


def post(port, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    return request(port, "POST", path, body=data,
                   headers={"Content-Type": "application/json"} if data else None)


def release_state(node):
    releases = node.get("/releases", timeout=2).json()["releases"]
    return releases[0] if releases else None


def incidents(node):
    out = []
    for item in node.get("/incidents").json():
        out.append(node.get("/incidents/" + item["id"]).json())
    return out


def first_time(incident, kind):
    times = [e["time_ms"] for e in incident["timeline"] if e["kind"] == kind]
    return min(times) / 1000.0 if times else None


class Periodic:
    """Calls fn(step) every period_s on a thread until stopped or fn returns False."""

    def __init__(self, period_s, fn):
        self.period_s, self.fn = period_s, fn
        self.stop = threading.Event()
        self.errors = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        step = 0
        while not self.stop.is_set():
            try:
                if self.fn(step) is False:
                    return
            except (OSError, http.client.HTTPException, AssertionError) as e:
                self.errors.append(repr(e))
            step += 1
            self.stop.wait(self.period_s)

    def finish(self):
        self.stop.set()
        self.thread.join(5)


def run_once(scenario, index, args, policy_path):
    workdir = tempfile.mkdtemp(prefix=f"x0-chaos-{scenario}-")
    procs, helpers, load = [], [], None
    result = {"scenario": scenario, "run": index, "workdir": workdir}
    try:
        stable = Origin(workdir, name="stable")
        procs.append(stable)
        canary = Origin(workdir, name="canary")
        procs.append(canary)
        if scenario == "band_edge":
            policy_path = os.path.join(workdir, "band_policy.toml")
            with open(policy_path, "w") as f:
                f.write(BAND_POLICY)
        node = Node(workdir, [service("shop", [stable.endpoint()])],
                    api_gateway={"worker_threads": 1},
                    extra_sections={"autopilot": {"policy_file": policy_path}}, name="node")
        procs.append(node)
        node.wait_started()
        if scenario == "healthy":
            # Noise everywhere: 1 % errors on both sides and 0..50 ms latency jitter that changes
            # every 500 ms, independently on each origin.
            for o in (stable, canary):
                o.fault(error_rate=0.01)
            rng = random.Random(index)
            helpers.append(Periodic(0.5, lambda _s: [o.fault(latency_ms=rng.randint(0, 50))
                                                     for o in (stable, canary)]))
        thin = scenario == "thin_dead"
        load = LoadGen(node.data_port, THIN_RATE if thin else args.rate,
                       2 if thin else args.workers).start()
        time.sleep(args.warmup)
        r = post(node.data_port, "/releases/shop/start",
                 {"strategy": "canary", "candidate": [canary.endpoint()], "steps": CANARY_STEPS,
                  "step_interval_s": args.healthy_step_s if scenario == "healthy" else STEP_INTERVAL_S,
                  "header": "X-Canary"})
        if r.status != 200:
            raise RuntimeError(f"release start refused: {r.status} {r.text()}")
        release_started, release_id = time.time(), r.json()["id"]
        time.sleep(args.healthy_s if scenario == "healthy" else args.clean)
        t0 = time.time()
        result["clean_s"] = t0 - load.started  # fault-free time observed before T0
        inject(scenario, canary, stable, helpers)
        rolled_at, final = None, None
        # A dead canary at 2 req/s sees half a request a second: 20 of them take 40 s.
        timeout = args.fault_timeout * (6 if thin else 1)
        deadline = t0 + (0 if scenario == "healthy" else timeout)
        while True:
            final = release_state(node)
            if final and final["state"] == "rolled_back":
                rolled_at = time.time()
                break
            if scenario == "stable_failing" and time.time() >= t0 + 5:
                break  # held or not by now: the rules' 1 s windows have seen it five times
            if scenario == "band_edge" and (time.time() >= t0 + 20 or any(
                    i["rule"] in BAND_RULES for i in incidents(node))):
                break
            if time.time() >= deadline:
                break
            time.sleep(0.05)
        for h in helpers:
            h.finish()
        tail_end = (rolled_at or time.time()) + 1.0
        if rolled_at:
            # Mitigated means recovered: the rolled-back traffic has to stay fine on the stable
            # set for the policy's hold (1 s) first, so the load runs on until the incident the
            # rollback came from says so (or 5 s).
            rule = (final or {}).get("reason", "").removeprefix("autopilot: rule ").strip()
            give_up = rolled_at + 5.0
            while time.time() < give_up and not any(
                    i["rule"] == rule and i["status"] == "mitigated" for i in incidents(node)):
                time.sleep(0.1)
            tail_end = max(tail_end, time.time())
        time.sleep(max(0.0, tail_end - time.time()) + 0.2)
        load.finish()
        # (GET /releases/{service} answers only while the release is active: use the list)
        final = next((x for x in node.get("/releases").json()["releases"] if x["id"] == release_id),
                     final)
        result.update(measure(scenario, node, load, t0, rolled_at, tail_end, final,
                              release_started))
        result["helper_errors"] = [e for h in helpers for e in h.errors]
    except Exception as e:  # one broken run must not lose the others' figures; keep its logs
        result["error"] = f"{type(e).__name__}: {e}"[:300]
    finally:
        for h in helpers:
            h.finish()
        if load is not None and not load.stop.is_set():
            load.finish()
        for p in reversed(procs):
            p.kill()
        if not args.keep and "error" not in result:
            shutil.rmtree(workdir, ignore_errors=True)
    return result


def inject(scenario, canary, stable, helpers):
    if scenario == "stable_failing":
        stable.fault(error_rate=0.5)
    elif scenario == "band_edge":
        helpers.append(Periodic(3.0, lambda s: stable.fault(error_rate=0.12 if s % 2 == 0 else 0.08)))
    elif scenario == "thin_dead":
        canary.fault(error_rate=1.0)
    elif scenario == "errors":
        canary.fault(error_rate=0.5)
    elif scenario == "latency":
        canary.fault(latency_ms=800)
    elif scenario == "killed":
        os.kill(canary.proc.pid, signal.SIGKILL)
    elif scenario == "silent":
        canary.fault(empty_body=1)  # 200 with no body: every status-code comparison passes
    elif scenario == "degrading":
        # 2 % at T0, +2 % every 500 ms, held at 40 %; stopped once the release is rolled back.
        helpers.append(Periodic(0.5, lambda s: canary.fault(error_rate=min(0.40, 0.02 * (s + 1)))))


def measure(scenario, node, load, t0, rolled_at, tail_end, final, release_started):
    """What one run says: detection, incident figures, failed requests, false alarms."""
    fault = scenario != "healthy"
    # Healthy runs: every request from the canary's start; fault runs: from T0.
    window = [r for r in load.records if (t0 if fault else release_started) <= r[1] <= tail_end]
    # A 200 without a body counts as failed: the origins always send one (the silent scenario).
    failed = [r for r in window if r[4] is not None or not 200 <= r[3] < 300 or r[6] == 0]
    all_incidents = incidents(node)
    # Alarms before T0 (fault runs) or at any time (healthy runs) are false alarms.
    false_alarms = [i for i in all_incidents
                    if not fault or (first_time(i, "detected") or 1e18) < t0]
    out = {
        "rolled_back": rolled_at is not None or (final or {}).get("state") == "rolled_back",
        "state": final["state"] if final else None,
        "weight": final.get("weight_percent", 0) if final else 0,
        "reason": final.get("reason", "") if final else "",
        "own_detect_s": (rolled_at - t0) if rolled_at and fault else None,
        "failed": len(failed),
        "failed_errors": sum(1 for r in failed if r[4] is not None),
        "window_requests": len(window),
        "slow_over_500ms": sum(1 for r in window if r[2] - r[1] > 0.5),
        "false_alarms": len(false_alarms),
        "false_alarm_rules": [i["rule"] for i in false_alarms],
        # when (s after the canary started) and on what each false alarm fired
        "false_alarm_detail": [
            {"rule": i["rule"], "t_s": round(first_time(i, "detected") - release_started, 2),
             "text": next((e["text"] for e in i["timeline"] if e["kind"] == "detected"), ""),
             "action": next((e["text"] for e in i["timeline"] if e["kind"] == "action_taken"), "")}
            for i in false_alarms],
        "incidents": len(all_incidents),
        "healthy_s": (tail_end - release_started) if not fault else 0.0,
        "offered": len(load.records),
        "achieved_rps": len(load.records) / max(1e-9, load.records[-1][1] - load.started)
        if load.records else 0.0,
        "late_p99_ms": percentile([(r[1] - r[0]) * 1000 for r in load.records], 0.99),
    }
    cause = None
    if fault and rolled_at:
        rule = final.get("reason", "").removeprefix("autopilot: rule ").strip()
        matching = [i for i in all_incidents if i["rule"] == rule] or all_incidents
        after = [i for i in matching if i not in false_alarms] or matching
        cause = after[0] if after else None
    if cause:
        out.update({
            "incident": cause["id"], "rule": cause["rule"], "status": cause["status"],
            "mttd_s": cause.get("mttd_seconds"), "mttr_s": cause.get("mttr_seconds"),
            "anomalous_after_t0_s": rel(first_time(cause, "first_anomalous_sample"), t0),
            "detected_after_t0_s": rel(first_time(cause, "detected"), t0),
            "mitigated_after_t0_s": rel(first_time(cause, "mitigated"), t0),
        })
    expected = EXPECTED[scenario]
    band_incidents = [i for i in all_incidents if i["rule"] in BAND_RULES
                      and (first_time(i, "detected") or 0) >= t0]
    out["correct"] = (out["rolled_back"] if expected == "rollback" else
                      not out["rolled_back"] and out["state"] == "paused" if expected == "hold"
                      else not out["rolled_back"] and bool(band_incidents)
                      if expected == "incident" else not out["rolled_back"])
    if band_incidents:
        out["band_rule"] = band_incidents[0]["rule"]
        out["band_detected_after_t0_s"] = rel(first_time(band_incidents[0], "detected"), t0)
    out["wrong_side_rollback"] = expected == "hold" and out["rolled_back"]
    # Requests the canary answered from T0 to the rollback (the thin scenario's goal: <= 20).
    out["canary_requests_to_action"] = sum(
        1 for r in load.records if r[5] == "canary" and t0 <= r[1] <= (rolled_at or tail_end))
    # After the rollback (plus a settle margin), traffic should be on the stable origin only.
    if rolled_at:
        out["canary_after_rollback"] = sum(1 for r in load.records
                                           if r[1] > rolled_at + 0.2 and r[5] == "canary")
    return out


def rel(t, t0):
    return None if t is None else t - t0


def percentile(values, q):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return values[min(len(values) - 1, int(q * len(values)))]


def fmt(v, unit="s"):
    if v is None:
        return "n/a"
    return f"{v:.2f}{unit}" if isinstance(v, float) else f"{v}{unit}"


def p50_max(values, unit="s"):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    return f"{fmt(statistics.median(values), unit)} / {fmt(max(values), unit)}"


def report(results, args, header):
    lines = [header, ""]
    lines.append("| scenario | runs | matrix asks | correct | rolled back | "
                 "own clock T0→rolled back P50 / max | "
                 "node MTTD P50 / max | node MTTR P50 / max | T0→detected P50 / max | "
                 "T0→mitigated P50 / max | failed req mean / max | canary req to action max | "
                 "rules |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for sc in args.scenarios:
        rs = [r for r in results if r["scenario"] == sc and "error" not in r]
        if not rs:
            continue
        failed = [r["failed"] for r in rs]
        rules = sorted({r.get("rule") or r.get("band_rule") or ",".join(r["false_alarm_rules"])
                        or "-" for r in rs})
        lines.append(
            f"| {sc} | {len(rs)} | {EXPECTED[sc]} | {sum(r['correct'] for r in rs)}/{len(rs)} | "
            f"{sum(r['rolled_back'] for r in rs)}/{len(rs)} | "
            f"{p50_max([r['own_detect_s'] for r in rs])} | "
            f"{p50_max([r.get('mttd_s') for r in rs])} | {p50_max([r.get('mttr_s') for r in rs])} | "
            f"{p50_max([r.get('detected_after_t0_s') for r in rs])} | "
            f"{p50_max([r.get('mitigated_after_t0_s') for r in rs])} | "
            f"{statistics.mean(failed):.1f} / {max(failed)} | "
            f"{max(r['canary_requests_to_action'] for r in rs)} | {', '.join(rules)} |")
    ok = [r for r in results if "error" not in r]
    fault_runs = [r for r in ok if EXPECTED[r["scenario"]] == "rollback"]
    healthy_runs = [r for r in ok if r["scenario"] == "healthy"]
    held_runs = [r for r in ok if EXPECTED[r["scenario"]] == "hold"]
    recalled = sum(r["rolled_back"] for r in fault_runs)
    false_rollbacks = sum(r["rolled_back"] for r in healthy_runs)
    alarm_s = sum(r["healthy_s"] for r in healthy_runs) + sum(r["clean_s"] for r in fault_runs)
    alarms = sum(r["false_alarms"] for r in ok)
    mttd = [r.get("mttd_s") for r in fault_runs if r.get("mttd_s") is not None]
    mttr = [r.get("mttr_s") for r in fault_runs if r.get("mttr_s") is not None]
    own = [r["own_detect_s"] for r in fault_runs if r["own_detect_s"] is not None]
    lines += ["", "| overall | value | goal |", "|---|---|---|"]
    if fault_runs:
        lines.append(f"| event-level recall (fault runs rolled back) | {recalled}/{len(fault_runs)} = "
                     f"{recalled / len(fault_runs):.2f} | >= 0.96 |")
    lines.append(f"| false rollbacks on healthy runs | {false_rollbacks}/{len(healthy_runs)} | 0 |")
    if held_runs:
        wrong = sum(r["wrong_side_rollback"] for r in held_runs)
        lines.append(f"| wrong-side rollbacks (the stable side failing) | {wrong}/{len(held_runs)} "
                     f"| 0 |")
    thin = [r for r in ok if r["scenario"] == "thin_dead"]
    if thin:
        lines.append(f"| dead canary at {THIN_RATE:g} req/s: its requests before the rollback, max "
                     f"| {max(r['canary_requests_to_action'] for r in thin)} | <= 20 |")
    lines.append(f"| false alarms (incidents in healthy runs and clean pre-fault periods) | "
                 f"{alarms} in {alarm_s:.0f} s = {alarms / max(alarm_s, 1e-9) * 3600:.1f}/h | - |")
    lines.append(f"| node MTTD max over fault runs | {fmt(max(mttd)) if mttd else 'n/a'} | <= 1 s |")
    lines.append(f"| node MTTR max over fault runs | {fmt(max(mttr)) if mttr else 'n/a'} | <= 1 s |")
    lines.append(f"| own clock T0→rolled back max | {fmt(max(own)) if own else 'n/a'} | - |")
    errors = [r for r in results if "error" in r]
    if errors:
        lines.append(f"| runs that broke (harness error, not counted) | {len(errors)} | 0 |")
    lines += ["", "Per run:", "",
              "| scenario | run | state | rule | own T0→rb | MTTD | MTTR | T0→anomalous | "
              "T0→detected | T0→mitigated | failed (conn err) / requests | slow >500 ms | "
              "canary after rb | false alarms | rps | late p99 |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['scenario']} | {r['run']} | ERROR: {r['error']} |"
                         + " |" * 13)
            continue
        lines.append(
            f"| {r['scenario']} | {r['run']} | {r['state']} ({r['weight']} %) | "
            f"{r.get('rule', '-')} | "
            f"{fmt(r['own_detect_s'])} | {fmt(r.get('mttd_s'))} | {fmt(r.get('mttr_s'))} | "
            f"{fmt(r.get('anomalous_after_t0_s'))} | {fmt(r.get('detected_after_t0_s'))} | "
            f"{fmt(r.get('mitigated_after_t0_s'))} | {r['failed']} ({r['failed_errors']}) / "
            f"{r['window_requests']} | {r['slow_over_500ms']} | {r.get('canary_after_rollback', '-')} | "
            f"{r['false_alarms']}{' ' + ','.join(r['false_alarm_rules']) if r['false_alarms'] else ''} | "
            f"{r['achieved_rps']:.0f} | {fmt(r['late_p99_ms'], ' ms')} |")
    details = [(r, d) for r in ok for d in r.get("false_alarm_detail", [])]
    if details:
        lines += ["", "False alarms (s after the canary started; the incident's detected entry):", ""]
        lines += [f"- {r['scenario']} #{r['run']}: {d['rule']} at {d['t_s']} s, {d['text']}; "
                  f"{d['action'] or 'no action'}" for r, d in details]
    return "\n".join(lines) + "\n"


def header_text(args):
    load = os.getloadavg()
    note = (" **Load average above 3 at start: teammates were compiling; timings are noisier.**"
            if load[0] > 3 else "")
    return (f"# Chaos bench: canary faults vs the autopilot\n\n"
            f"`{' '.join(sys.argv)}` on {time.strftime('%Y-%m-%d %H:%M:%S')}, binary "
            f"`{harness.BINARY}`, {args.runs} runs per scenario, offered load {args.rate} req/s "
            f"({args.workers} keep-alive client threads), worker_threads=1, policy = "
            f"tests/integration/test_releases.py TEST_POLICY (1 s windows) and "
            f"test_canary_judgement.py EMPTY_RULE, canary steps "
            f"{CANARY_STEPS} every {STEP_INTERVAL_S} s (fault runs) or {args.healthy_step_s} s (healthy "
            f"runs, {args.healthy_s} s long: at the defaults the canary walks every step and is "
            f"promoted), "
            f"{args.clean} s clean before the fault. Load average at start: "
            f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.{note}\n\n"
            f"T0 = fault injected on the canary origin. *Own clock* = T0 → GET /releases shows "
            f"rolled_back (50 ms polling). Node MTTD/MTTR = the incident's own fields (first "
            f"anomalous sample → detected / mitigated). Failed = non-2xx, 2xx without a body or connection errors among "
            f"requests sent from T0 to rollback + 1 s.")


def main():
    ap = argparse.ArgumentParser(description="Canary fault scenarios vs the autopilot (see the top of this file).")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "5")))
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--rate", type=float, default=300.0, help="offered requests/s in total")
    ap.add_argument("--workers", type=int, default=96, help="client threads (connections)")
    ap.add_argument("--warmup", type=float, default=1.0, help="s of load before the canary")
    ap.add_argument("--clean", type=float, default=3.0, help="s of clean canary before the fault")
    ap.add_argument("--healthy-s", type=float, default=32.0, help="length of a healthy run")
    ap.add_argument("--healthy-step-s", type=int, default=10,
                    help="step interval of healthy runs (10 s: 25 -> 50 -> 100 %% -> promoted)")
    ap.add_argument("--fault-timeout", type=float, default=15.0, help="s to wait for a rollback")
    ap.add_argument("--out", default="/tmp/chaos_results.md")
    ap.add_argument("--json", default=None, help="also write every run's figures here")
    ap.add_argument("--keep", action="store_true", help="keep the runs' temp dirs and logs")
    args = ap.parse_args()
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        ap.error(f"unknown scenario(s) {sorted(unknown)}; known: {', '.join(SCENARIOS)}")
    if not os.access(harness.BINARY, os.X_OK):
        ap.error(f"binary not found: {harness.BINARY} (set X0_BINARY)")
    header = header_text(args)
    policy_dir = tempfile.mkdtemp(prefix="x0-chaos-policy-")
    policy_path = os.path.join(policy_dir, "policy.toml")
    with open(policy_path, "w") as f:
        f.write(TEST_POLICY + EMPTY_RULE)
    results, started = [], time.time()
    try:
        for sc in args.scenarios:
            for i in range(1, args.runs + 1):
                r = run_once(sc, i, args, policy_path)
                results.append(r)
                print(progress(r, time.time() - started), flush=True)
    finally:
        shutil.rmtree(policy_dir, ignore_errors=True)
    text = report(results, args, header)
    with open(args.out, "w") as f:
        f.write(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    print()
    print(text)
    print(f"written to {args.out} ({time.time() - started:.0f} s)")


def progress(r, elapsed):
    if "error" in r:
        return f"[{elapsed:5.0f}s] {r['scenario']} #{r['run']}: ERROR {r['error']} (dir {r.get('workdir')})"
    return (f"[{elapsed:5.0f}s] {r['scenario']} #{r['run']}: {r['state']} ({r['weight']} %)"
            f" own={fmt(r['own_detect_s'])} mttd={fmt(r.get('mttd_s'))} mttr={fmt(r.get('mttr_s'))}"
            f" rule={r.get('rule', '-')} failed={r['failed']}/{r['window_requests']}"
            f" false_alarms={r['false_alarms']} rps={r['achieved_rps']:.0f}")


if __name__ == "__main__":
    main()
