#!/usr/bin/env bash
# make demo: two demo origins on 127.0.0.1:9001 and :9002, and a node on its embedded defaults
# in front of them. Prints what to try; Ctrl-C stops everything this script started.
set -euo pipefail
bin=${1:-build/x0tta6bl4}
[[ -x "$bin" ]] || { echo "demo: $bin not built (run: make release)"; exit 1; }

for port in 8080 8081 9090 9001 9002 9003; do
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
"$bin" origin --port 9003 --name demo-canary & pids+=($!)
"$bin" run & pids+=($!)

for _ in $(seq 1 100); do
  curl -fs http://127.0.0.1:8081/health/startup >/dev/null 2>&1 && break
  sleep 0.1
done

cat <<'MSG'

x0tta6bl4 is running on its embedded defaults (examples/x0tta6bl4.toml, policy/default.toml):
  data plane + operator API   http://localhost:8080/
  health and probes           http://localhost:8081/health
  metrics                     http://localhost:9090/metrics
  demo origins                http://localhost:9001/ and :9002/ (stable), :9003/ (canary)

== A canary release that goes bad and rolls itself back ==
MSG
load() { while :; do curl -s -o /dev/null http://127.0.0.1:8080/; done; }
load & pids+=($!)
load & pids+=($!)
echo "\$ x0tta6bl4 release start demo --candidate 127.0.0.1:9003 --steps 10,50,100 --interval 30"
"$bin" release start demo --candidate 127.0.0.1:9003 --steps 10,50,100 --interval 30 >/dev/null
sleep 3
echo "10 % of the traffic now goes to the canary. Breaking it: half its requests fail."
echo "\$ curl -X POST 'http://localhost:9003/__fault?error_rate=0.5'"
curl -s -X POST 'http://127.0.0.1:9003/__fault?error_rate=0.5' >/dev/null
state=""
for _ in $(seq 1 150); do
  state=$("$bin" release list | sed -n 's/.*"state": "\(rolled_back\|promoted\|running\)".*/\1/p' | head -1)
  [[ "$state" == "rolled_back" ]] && break
  sleep 0.2
done
echo "release state: ${state:-unknown}"
id=$("$bin" incident list --json true | sed -n 's/.*"id": "\(INC-[0-9-]*\)".*/\1/p' | head -1)
if [[ -n "$id" ]]; then
  echo "\$ x0tta6bl4 incident report $id"
  "$bin" incident report "$id"
fi
cat <<'MSG'
Try:
  curl -i http://localhost:8080/                      # proxied, round-robin over the stable origins
  curl -s http://localhost:8080/health | jq .dependencies
  curl -s http://localhost:8081/health | jq '.components[] | select(.name=="memory")'
  curl -s http://localhost:8080/metrics | grep http_requests_total
  build/x0tta6bl4 release list ; build/x0tta6bl4 incident list
  curl -s -X POST 'http://localhost:9001/__fault?health=fail'   # break a stable origin ...
  curl -s http://localhost:8080/health | jq .dependencies.demo  # ... and watch it leave the pool
  curl -si 'http://localhost:8080/page?cc=max-age%3D60' | grep -i x-cache   # twice: MISS, then HIT
  curl -s -X POST http://localhost:8080/admin/cache/snapshot ; curl -s -X POST http://localhost:8080/admin/data/verify

Ctrl-C stops the node, the origins and the load.
MSG
wait -n "${pids[@]}"
