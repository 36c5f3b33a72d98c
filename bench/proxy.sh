#!/usr/bin/env bash
# Proxy benchmark (issue 2): in one run and with the same pinning (servers on cpu 0, wrk on
# cpu 1, one worker each), wrk against the origin direct, nginx as proxy, HAProxy as proxy and
# x0tta6bl4 as proxy, small GET, at 50 and at 10 connections; then the node's RSS holding
# 10,000 idle keep-alive client connections. The peers are driven by ../shared/bench/peers.sh
# (noise detection, quiet-wait, ratios), with x0tta6bl4 as its candidate.
#   bench/proxy.sh                 full run (about 3 minutes)
#   DURATION=5 bench/proxy.sh      shorter runs
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

export CANDIDATE_NAME=x0tta6bl4
export CANDIDATE_CMD="exec $bin run --config $work/node.toml"
export CANDIDATE_URL=http://127.0.0.1:28090/
export CANDIDATE_EXPECT_BODY=1
export SCENARIOS=${SCENARIOS:-"direct nginx-proxy haproxy-proxy"}

echo "## 50 connections"
WRK_CONNS=50 bash "$peers"
echo
echo "## 10 connections"
WRK_CONNS=10 SCENARIOS="nginx-proxy haproxy-proxy" bash "$peers"
echo
echo "## idle keep-alive connections"
python3 "$root/bench/idle_connections.py" --binary "$bin" --connections "${IDLE_CONNECTIONS:-10000}"
