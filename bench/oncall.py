#!/usr/bin/env python3
# On-call bench (issue 14): a node with one channel of each type pointed at a local HTTPS
# receiver (tests/integration/notify_receiver.py, a CA made for the run), measuring
#   healthy  time from POST /incidents sent to the request's head at the receiver, per channel,
#            P50/P99 over --count incidents opened every --interval s;
#   429      the same while PagerDuty answers 429 (Retry-After: 1) for --throttle-s: how long the
#            throttled pages wait, and how many attempts the node made meanwhile;
#   storm    --storm incidents opened at once: messages per channel, the most requests in any
#            1 s and 60 s, and each incident's loss or duplication per channel.
# Python standard library only; run it via bench/oncall.sh.
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from harness import Node, Origin, service, wait_until  # noqa: E402
from notify_receiver import Receiver, make_ca  # noqa: E402

CHANNELS = ("pd", "slack", "tg", "sp", "hook")


def channels(workdir, rx, ca, tg_chat):
    secrets = {}
    for name in ("pd", "slack", "tg", "sp", "hook"):
        path = os.path.join(workdir, f"{name}.secret")
        with open(path, "w") as f:
            f.write({"slack": "T0/B0/X", "tg": "1:TG"}.get(name, "KEY") + "\n")
        secrets[name] = path
    return [
        {"name": "pd", "type": "pagerduty", "routing_key_file": secrets["pd"],
         "base_url": rx.base("/pd"), "ca_file": ca},
        {"name": "slack", "type": "slack", "token_file": secrets["slack"],
         "base_url": rx.base("/slack"), "ca_file": ca},
        {"name": "tg", "type": "telegram", "token_file": secrets["tg"], "chat_id": tg_chat,
         "base_url": rx.base("/tg"), "ca_file": ca},
        {"name": "sp", "type": "statuspage", "token_file": secrets["sp"], "page_id": "pg",
         "base_url": rx.base("/sp"), "ca_file": ca, "severities": ["SEV-1", "SEV-2"]},
        {"name": "hook", "type": "webhook", "url": rx.base("/hook"), "secret_file": secrets["hook"],
         "ca_file": ca},
    ]


def names(q, incident_id, title):
    """Whether request q tells of incident_id's opening (a digest line, a message, an event)."""
    return f"{incident_id} opened" in q["body"].decode(errors="replace") or (
        q["path"].startswith("/hook") and q["json"] and q["json"]["incident"]["id"] == incident_id
        and q["json"]["event"] == "opened") or (
        q["path"].startswith("/pd/") and q["json"] and q["json"].get("dedup_key") == incident_id
        and q["json"]["payload"]["custom_details"]["event"] == "opened") or (
        q["path"].startswith("/sp/") and q["method"] == "POST" and q["json"]
        and q["json"]["incident"]["name"] == title)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def first_delivery(run, prefix, incident_id):
    times = [q["arrived"] for q in run.rx.requests if q["path"].startswith(prefix)
             and (q["status"] or 0) < 300 and names(q, incident_id, run.titles[incident_id])]
    return min(times) if times else None


class Run:
    def __init__(self, args, tg_chat="4242"):
        self.workdir = tempfile.mkdtemp(prefix="x0-oncall-")
        ca, cert, key = make_ca(self.workdir)
        self.rx = Receiver(cert, key)
        self.origin = Origin(self.workdir, name="shop")
        self.node = Node(self.workdir, [service("shop", [self.origin.endpoint()])],
                         extra_sections={"notify": {"public_url": "https://gw.example"},
                                         "notify.channels": channels(self.workdir, self.rx, ca,
                                                                     tg_chat)})
        self.node.wait_started()
        self.titles = {}

    def open(self, title, severity="SEV-3"):
        t = time.monotonic()
        r = self.node.post("/incidents", {"title": title, "severity": severity,
                                          "services": ["shop"]})
        assert r.status == 201, r.text()
        self.titles[r.json()["id"]] = title
        return r.json()["id"], t

    def close(self):
        for p in (self.node, self.origin):
            p.kill()
        self.rx.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def latencies(run, opened, prefix):
    out = []
    for incident_id, t in opened:
        wait_until(lambda: first_delivery(run, prefix, incident_id) is not None, 120,
                   message=f"{prefix} to hear of {incident_id}")
        out.append((first_delivery(run, prefix, incident_id) - t) * 1000)
    return out


def healthy(args):
    run = Run(args)
    try:
        opened = []
        for i in range(args.count):
            opened.append(run.open(f"healthy {i}"))
            time.sleep(args.interval)
        rows = []
        for c in CHANNELS:
            # Statuspage only hears SEV-1/2; these are SEV-3.
            if c == "sp":
                continue
            ms = latencies(run, opened, f"/{c}")
            rows.append((c, statistics.median(ms), pct(ms, 99), max(ms)))
        return rows
    finally:
        run.close()


def throttled(args):
    run = Run(args)
    try:
        run.rx.script = {"/pd/": [(429, {"status": "throttled"}, {"Retry-After": "1"})] * 100000}
        t0 = time.monotonic()
        threading.Timer(args.throttle_s, lambda: run.rx.script.clear()).start()
        opened = []
        while time.monotonic() - t0 < args.throttle_s:
            opened.append(run.open(f"throttled {len(opened)}"))
            time.sleep(args.interval)
        ms = latencies(run, opened, "/pd/")
        attempts = [q for q in run.rx.requests if q["path"].startswith("/pd/")
                    and q["arrived"] - t0 <= args.throttle_s]
        return {"incidents": len(opened), "p50": statistics.median(ms), "p99": pct(ms, 99),
                "max": max(ms), "attempts_while_throttled": len(attempts),
                "throttle_s": args.throttle_s}
    finally:
        run.close()


def max_in_window(times, window):
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:  # the window is [t - window, t), open at its start
            j += 1
        best = max(best, i - j + 1)
    return best


def storm(args):
    run = Run(args, tg_chat="-1001")  # a group: Telegram's 20 a minute
    try:
        sev = ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]
        ids = [None] * args.storm
        started = time.monotonic()

        def opener(k):
            for i in range(k, args.storm, 4):
                ids[i] = run.open(f"storm {i}", sev[i % 4])[0]

        threads = [threading.Thread(target=opener, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        opened_s = time.monotonic() - started
        want = {"pd": ids, "slack": ids, "tg": ids, "hook": ids,
                "sp": [i for n, i in enumerate(ids) if n % 4 in (0, 1)]}
        rows = []
        for c in CHANNELS:
            prefix = f"/{c}"
            wait_until(lambda: all(first_delivery(run, prefix, i) for i in want[c]),
                       300, message=f"{c} to hear of every incident")
        time.sleep(2)  # a duplicate would arrive by now
        for c in CHANNELS:
            msgs = [q for q in run.rx.requests if q["path"].startswith(f"/{c}")]
            counts = [sum(1 for q in msgs if names(q, i, run.titles[i])) for i in want[c]]
            times = [q["arrived"] for q in msgs]
            rows.append({"channel": c, "incidents": len(want[c]), "messages": len(msgs),
                         "lost": sum(1 for n in counts if n == 0),
                         "duplicated": sum(1 for n in counts if n > 1),
                         "max_1s": max_in_window(times, 1.0), "max_60s": max_in_window(times, 60.0),
                         "span_s": max(times) - min(times)})
        return opened_s, rows
    finally:
        run.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=200, help="incidents in the healthy run")
    # Slower than every channel's pace (Slack 1/s), so that the healthy figures are the path's
    # own; a shorter interval adds the pace's wait on the chat channels.
    ap.add_argument("--interval", type=float, default=1.1, help="seconds between them")
    ap.add_argument("--throttle-s", type=float, default=10.0)
    ap.add_argument("--storm", type=int, default=100)
    ap.add_argument("--only", default="healthy,429,storm")
    ap.add_argument("--out", default="/tmp/oncall_results.md")
    args = ap.parse_args()
    only = set(args.only.split(","))
    lines = [f"# bench/oncall.sh ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", ""]
    if "healthy" in only:
        rows = healthy(args)
        lines += [f"Healthy receivers: {args.count} incidents, one every {args.interval} s; "
                  "POST /incidents sent -> the request's head at the receiver (ms).", "",
                  "| channel | P50 | P99 | max |", "|---|---|---|---|"]
        lines += [f"| {c} | {a:.1f} | {b:.1f} | {m:.1f} |" for c, a, b, m in rows]
        lines.append("")
    if "429" in only:
        r = throttled(args)
        lines += [f"PagerDuty answering 429 (Retry-After: 1) for {r['throttle_s']:.0f} s: "
                  f"{r['incidents']} incidents opened meanwhile; until the first accepted page: "
                  f"P50 {r['p50']:.0f} ms, P99 {r['p99']:.0f} ms, max {r['max']:.0f} ms; "
                  f"{r['attempts_while_throttled']} attempts during the 429s.", ""]
    if "storm" in only:
        opened_s, rows = storm(args)
        lines += [f"Storm: {args.storm} incidents opened in {opened_s:.2f} s (4 threads).", "",
                  "| channel | incidents | messages | lost | duplicated | most in 1 s | "
                  "most in 60 s | over (s) |", "|---|---|---|---|---|---|---|---|"]
        lines += [f"| {r['channel']} | {r['incidents']} | {r['messages']} | {r['lost']} | "
                  f"{r['duplicated']} | {r['max_1s']} | {r['max_60s']} | {r['span_s']:.1f} |"
                  for r in rows]
        lines.append("")
    text = "\n".join(lines)
    print(text)
    with open(args.out, "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
