#!/usr/bin/env bash
# Heap allocations per proxied request in steady state, counted by heaptrack (counts, not time:
# valid on a noisy machine). Usage: bench/alloc_per_request.sh [binary] [requests]
# Runs one worker proxying to the test origin, sends `requests` keep-alive GETs over one
# connection, and compares with an idle node held up for the same wall time: the node allocates
# on its own clock (control tick, health checks, host sampler), which is not per request.
set -euo pipefail
BIN=$(realpath "${1:-build/x0tta6bl4}")
N=${2:-25000}
WORK=$(mktemp -d)
trap 'pkill -f "origin --port 19301" || true; rm -rf "$WORK"' EXIT
. "$(dirname "$0")/one_worker.sh"
one_worker_config "$WORK" 19300
"$BIN" origin --port 19301 > "$WORK/origin.log" 2>&1 &
# run <requests> <seconds to stay up after them> -> "allocations seconds"
run() {
  heaptrack -o "$WORK/ht" "$BIN" run --config "$WORK/cfg.toml" > "$WORK/node.log" 2>&1 &
  for _ in $(seq 100); do curl -sf -o /dev/null localhost:19381/health/live && break; sleep 0.1; done
  local start=$(date +%s.%N)
  keep_alive_gets 19380 "$1"
  sleep "$2"
  local took=$(echo "$(date +%s.%N) - $start" | bc)
  pkill -TERM -f "$BIN run --config $WORK/cfg.toml"; wait %2 2>/dev/null || true
  while pgrep -f "$BIN run --config $WORK/cfg.toml" > /dev/null; do sleep 0.1; done
  echo "$(grep -E '^\s+allocations:' "$WORK/node.log" | awk '{print $2}') $took"
  rm -f "$WORK"/ht*
}
read -r busy busy_s < <(run "$N" 0.3)
read -r idle idle_s < <(run 1 "$busy_s")
echo "busy: $busy allocations in ${busy_s}s for $N requests"
echo "idle: $idle allocations in ${idle_s}s"
echo "per request: $(echo "scale=3; ($busy - $idle) / $N" | bc)"
