#!/usr/bin/env bash
# Cache benchmark (issue 4): in one run and with the same pinning (servers on cpu 0, wrk on cpu 1,
# one worker each), wrk against nginx proxy_cache, Varnish and x0tta6bl4 with its response cache,
# every request a HIT of the small (100-byte) GET, at 50 and at 10 connections; then the node's
# memory per cached entry (RSS before/after filling N entries through distinct query strings).
# The peers are driven by ../shared/bench/peers.sh (noise detection, quiet-wait, ratios); the
# peers' origin sends no Cache-Control, so nginx uses proxy_cache_valid 1h, Varnish -t 3600 and
# the candidate's route cache_ttl_s = 3600.
#   bench/cache.sh                 full run (about 3 minutes)
#   DURATION=5 bench/cache.sh      shorter runs;  ENTRIES=10000 (memory phase)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${X0_BINARY:-$root/build/x0tta6bl4}
peers=${PEERS_SH:-$root/../shared/bench/peers.sh}
entries=${ENTRIES:-10000}
[[ -x "$bin" ]] || { echo "cache.sh: build first (make release): $bin"; exit 1; }
[[ -f "$peers" ]] || { echo "cache.sh: peers harness not found at $peers"; exit 1; }

export BASE_PORT=${BASE_PORT:-28080}
work=$(mktemp -d /tmp/x0-cache-bench.XXXXXX)
node_pid=""
origin_pid=""
cleanup() {
  [[ -n "$node_pid" ]] && kill -TERM "$node_pid" 2>/dev/null || true
  [[ -n "$origin_pid" ]] && kill -TERM "$origin_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# node_config FILE UPSTREAM_PORT CAPACITY
node_config() {
  cat > "$1" <<TOML
[node]
data_dir = "$work/data"
[listeners]
data = "127.0.0.1:28090"
health = "127.0.0.1:28091"
metrics = "127.0.0.1:28092"
[api_gateway]
worker_threads = 1
[cache]
capacity = $3
[[services]]
name = "bench"
endpoints = ["127.0.0.1:$2"]
cache_ttl_s = 3600
[services.health_check]
path = "/"
TOML
  "$bin" check-config "$1" >/dev/null
}
node_config "$work/node.toml" "$BASE_PORT" 10000

# The candidate runs in the foreground for peers.sh; before wrk starts it is warmed (one MISS
# stores the entry) and the X-Cache of the next request is recorded to show wrk measures HITs.
cat > "$work/candidate.sh" <<SH
"$bin" run --config "$work/node.toml" &
pid=\$!
trap 'kill -TERM \$pid 2>/dev/null' TERM INT
for _ in \$(seq 150); do
  [ "\$(curl -s -o /dev/null -m 1 -w '%{http_code}' http://127.0.0.1:28090/)" = 200 ] && break
  sleep 0.1
done
curl -s -o /dev/null http://127.0.0.1:28090/
curl -s -D - -o /dev/null http://127.0.0.1:28090/ | tr -d '\r' \
  | awk -F': ' 'tolower(\$1)=="x-cache"{print \$2}' >> "$work/x-cache.txt"
wait \$pid
SH

export CANDIDATE_NAME=x0tta6bl4-cache
export CANDIDATE_CMD="exec bash $work/candidate.sh"
export CANDIDATE_URL=http://127.0.0.1:28090/
export CANDIDATE_EXPECT_BODY=1

echo "## 50 connections"
WRK_CONNS=50 SCENARIOS="nginx-cache varnish-cache" bash "$peers"
echo
echo "## 10 connections"
WRK_CONNS=10 SCENARIOS="nginx-cache varnish-cache" bash "$peers"
echo
echo "# candidate X-Cache after warm-up (one line per run): $(tr '\n' ' ' < "$work/x-cache.txt" 2>/dev/null)"
grep -qv '^HIT$' "$work/x-cache.txt" 2>/dev/null && echo "cache.sh: WARNING: candidate was not answering HITs"

# ---------------------------------------------------------------- memory per cached entry
echo
echo "## memory per cached entry ($entries entries of the 100-byte body)"
origin_port=$((BASE_PORT + 5))
"$bin" origin --port "$origin_port" --name bench >"$work/origin.log" 2>&1 &
origin_pid=$!
node_config "$work/memory.toml" "$origin_port" $((entries * 2))
rm -rf "$work/data"
"$bin" run --config "$work/memory.toml" >"$work/memory-node.log" 2>&1 &
node_pid=$!
python3 - "$node_pid" "$entries" <<'PY'
import http.client, sys, time
pid, n = int(sys.argv[1]), int(sys.argv[2])

def rss_kib():
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))

def metric(name):
    c = http.client.HTTPConnection("127.0.0.1", 28092, timeout=5)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    c.close()
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
               if l.startswith(name + " ") or l.startswith(name + "{"))

for _ in range(150):  # up and its upstream healthy
    try:
        c = http.client.HTTPConnection("127.0.0.1", 28090, timeout=5)
        c.request("GET", "/warm")
        r = c.getresponse()
        r.read()
        if r.status == 200:
            break
    except OSError:
        pass
    time.sleep(0.1)
conn = http.client.HTTPConnection("127.0.0.1", 28090, timeout=10)
def fetch(path):
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    assert r.status == 200 and len(body) == 100, (r.status, len(body))
    return r.getheader("X-Cache")
for i in range(200):  # the connection, the pool and the allocator's first arenas
    fetch("/warm")
time.sleep(0.5)
entries0, before = metric("cache_entries"), rss_kib()
for i in range(n):
    fetch(f"/e?i={i:08d}")
time.sleep(0.5)
after, entries1, cache_bytes = rss_kib(), metric("cache_entries"), metric("cache_bytes")
hits = sum(fetch(f"/e?i={i:08d}") == "HIT" for i in range(0, n, max(1, n // 100)))
added = entries1 - entries0
print(f"entries added {added:.0f} (of {n}); RSS before {before} KiB, after {after} KiB")
print(f"RSS per entry: {(after - before) * 1024 / max(added, 1):.0f} bytes;"
      f" cache_bytes (accounted) per entry: {cache_bytes / max(entries1, 1):.0f} bytes;"
      f" re-read sample: {hits}/{len(range(0, n, max(1, n // 100)))} HIT")
PY
