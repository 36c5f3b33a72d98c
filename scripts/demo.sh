#!/usr/bin/env bash
# make demo: two demo origins on 127.0.0.1:9001 and :9002, and a node on its embedded defaults
# in front of them. Prints what to try; Ctrl-C stops everything this script started.
set -euo pipefail
bin=${1:-build/x0tta6bl4}
[[ -x "$bin" ]] || { echo "demo: $bin not built (run: make release)"; exit 1; }

for port in 8080 8081 9090 9001 9002; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "demo: port $port is already in use; stop whatever listens there first"; exit 1
  fi
done

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "demo: stopped"
}
trap cleanup EXIT INT TERM

"$bin" origin --port 9001 --name demo-a & pids+=($!)
"$bin" origin --port 9002 --name demo-b & pids+=($!)
"$bin" run & pids+=($!)

for _ in $(seq 1 100); do
  curl -fs http://127.0.0.1:8081/health/startup >/dev/null 2>&1 && break
  sleep 0.1
done

cat <<'MSG'

x0tta6bl4 is running on its embedded defaults (examples/x0tta6bl4.toml):
  data plane + operator API   http://localhost:8080/
  health and probes           http://localhost:8081/health
  metrics                     http://localhost:9090/metrics
  demo origins                http://localhost:9001/ and http://localhost:9002/

Try:
  curl -i http://localhost:8080/                      # proxied, round-robin over both origins
  curl -s http://localhost:8080/health | jq .dependencies
  curl -s http://localhost:8081/health | jq '.components[] | select(.name=="memory")'
  curl -s http://localhost:8080/metrics | grep http_requests_total
  curl -s -X POST 'http://localhost:9001/__fault?health=fail'   # break one origin ...
  curl -s http://localhost:8080/health | jq .dependencies.demo  # ... and watch it leave the pool
  curl -s -X POST 'http://localhost:9001/__fault?health=ok'     # heal it

Ctrl-C stops the node and the origins.
MSG
wait -n "${pids[@]}"
