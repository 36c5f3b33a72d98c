#!/usr/bin/env bash
# Proxy benchmark (issue 2): in one run and with the same pinning (servers on cpu 0, wrk on
# cpu 1, one worker each), wrk against the origin direct, nginx as proxy, HAProxy as proxy and
# x0tta6bl4 as proxy, small GET, at 50 and at 10 connections; then the node's RSS holding
# 10,000 idle keep-alive client connections. The peers are driven by ../shared/bench/peers.sh
# (noise detection, quiet-wait, ratios), with x0tta6bl4 as its candidate.
#   bench/proxy.sh                 full run (about 3 minutes)
#   DURATION=5 bench/proxy.sh      shorter runs
#   bench/proxy.sh --rate-limit    the rate_limit filter's cost (issue 15): x0tta6bl4 alone, the
#                                  filter off, on with a limit never reached, off, on (same
#                                  pinning), then the on/off ratio of the means
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${X0_BINARY:-$root/build/x0tta6bl4}
peers=${PEERS_SH:-$root/../shared/bench/peers.sh}
[[ -x "$bin" ]] || { echo "proxy.sh: build first (make release): $bin"; exit 1; }
[[ -f "$peers" ]] || { echo "proxy.sh: peers harness not found at $peers"; exit 1; }

export BASE_PORT=${BASE_PORT:-28080}
work=$(mktemp -d /tmp/x0-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/node.toml" <<TOML
[node]
data_dir = "$work/data"
[listeners]
data = "127.0.0.1:28090"
health = "127.0.0.1:28091"
metrics = "127.0.0.1:28092"
[api_gateway]
worker_threads = 1
[[services]]
name = "bench"
endpoints = ["127.0.0.1:$BASE_PORT"]
[services.health_check]
path = "/"
TOML
"$bin" check-config "$work/node.toml" >/dev/null
# The same node with the rate_limit filter on every request: one client address, so every
# request takes the same bucket (the most contended case), a limit wrk never reaches.
# RATE_LIMIT_HEADERS=always: the RateLimit fields on every response (the default: on 429s only).
{ echo "[security]"; echo "rate_limit_requests_per_second = 1000000"
  echo "rate_limit_burst = 1000000"; echo "rate_limit_headers = \"${RATE_LIMIT_HEADERS:-limited}\""
  cat "$work/node.toml"; } > "$work/node-rl.toml"
"$bin" check-config "$work/node-rl.toml" >/dev/null

export CANDIDATE_NAME=x0tta6bl4
export CANDIDATE_CMD="exec $bin run --config $work/node.toml"
export CANDIDATE_URL=http://127.0.0.1:28090/
export CANDIDATE_EXPECT_BODY=1

if [[ "${1:-}" == "--rate-limit" ]]; then
  export RESULTS_TSV="$work/results.tsv" SCENARIOS=" " WRK_CONNS=${WRK_CONNS:-50}
  for round in 1 2; do
    for mode in off on; do
      config="$work/node.toml"
      [[ $mode == on ]] && config="$work/node-rl.toml"
      echo "## rate_limit $mode, round $round"
      CANDIDATE_NAME="rate_limit_$mode" CANDIDATE_CMD="exec $bin run --config $config" \
        bash "$peers"
    done
  done
  awk -F'\t' '{ n[$2]++; s[$2] += $3 } END {
    off = s["rate_limit_off"] / n["rate_limit_off"]; on = s["rate_limit_on"] / n["rate_limit_on"]
    printf "rate_limit off: %.0f req/s, on: %.0f req/s (means of %d runs each): on/off = %.3f\n",
      off, on, n["rate_limit_on"], on / off }' "$RESULTS_TSV"
  exit 0
fi

export SCENARIOS=${SCENARIOS:-"direct nginx-proxy haproxy-proxy"}

echo "## 50 connections"
WRK_CONNS=50 bash "$peers"
echo
echo "## 10 connections"
WRK_CONNS=10 SCENARIOS="nginx-proxy haproxy-proxy" bash "$peers"
echo
echo "## idle keep-alive connections"
python3 "$root/bench/idle_connections.py" --binary "$bin" --connections "${IDLE_CONNECTIONS:-10000}"
