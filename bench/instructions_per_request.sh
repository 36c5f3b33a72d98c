#!/usr/bin/env bash
# Instructions the worker thread spends per proxied request, counted by callgrind (counts, not
# time: valid on a noisy machine). Usage: bench/instructions_per_request.sh [binary]
# Runs a one-worker node under callgrind twice, proxying 1,000 and then 3,000 keep-alive GETs
# to the test origin from one client, and divides the worker thread's difference by 2,000:
# start-up, the idle clock and the client's pace cancel out. KEEP=dir keeps the callgrind files
# (callgrind_annotate them to see where the instructions go).
set -euo pipefail
BIN=$(realpath "${1:-build/x0tta6bl4}")
WORK=$(mktemp -d)
ORIGIN_PID=
trap '[[ -n "$ORIGIN_PID" ]] && kill "$ORIGIN_PID" 2> /dev/null; rm -rf "$WORK"' EXIT
. "$(dirname "$0")/one_worker.sh"
one_worker_config "$WORK" 19400
"$BIN" origin --port 19401 > "$WORK/origin.log" 2>&1 &
ORIGIN_PID=$!
# run <requests> -> "thread instructions" lines, one per thread
run() {
  rm -f "$WORK"/cg.out*
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$WORK/cg.out" \
    "$BIN" run --config "$WORK/cfg.toml" > "$WORK/node.log" 2>&1 &
  local node=$!  # valgrind, which is the node: signals reach it
  for _ in $(seq 300); do curl -sf -o /dev/null localhost:19481/health/live && break; sleep 0.1; done
  keep_alive_gets 19480 "$1"
  kill -TERM "$node"
  wait "$node" || true
  for f in "$WORK"/cg.out-*; do echo "${f##*-} $(grep -m1 '^summary:' "$f" | awk '{print $2}')"; done
}
run 1000 > "$WORK/small"
run 3000 > "$WORK/large"
# The worker is the thread whose count grows with the requests; the others tick or sleep.
if [[ -n "${KEEP:-}" ]]; then mkdir -p "$KEEP" && cp "$WORK"/cg.out-* "$KEEP"/; fi
join "$WORK/small" "$WORK/large" | awk '{ d = $3 - $2; if (d > best) { best = d; t = $1 } }
  END { printf "worker thread %s: %d instructions per request\n", t, best / 2000 }'
