# Sourced by the per-request benchmarks (alloc_per_request.sh, instructions_per_request.sh): a
# one-worker node proxying to the test origin, and a client sending keep-alive GETs to it.
# one_worker_config <dir> <port base>: writes <dir>/cfg.toml (data on base+80, health +81,
# metrics +90, the origin on base+1) with the autopilot and the cache off. RATE_LIMIT=<n> turns
# the rate_limit filter on at n requests per second (and burst), for its cost per request.
one_worker_config() {
  local dir=$1 base=$2
  : > "$dir/cfg.toml"
  if [[ -n "${RATE_LIMIT:-}" ]]; then
    printf '[security]\nrate_limit_requests_per_second = %s\nrate_limit_burst = %s\n' \
      "$RATE_LIMIT" "$RATE_LIMIT" > "$dir/cfg.toml"
  fi
  cat >> "$dir/cfg.toml" <<TOML
[listeners]
data = "127.0.0.1:$((base + 80))"
health = "127.0.0.1:$((base + 81))"
metrics = "127.0.0.1:$((base + 90))"
[node]
data_dir = "$dir/data"
[api_gateway]
worker_threads = 1
[autopilot]
enabled = false
[cache]
enabled = false
[[services]]
name = "app"
path_prefixes = ["/"]
endpoints = ["127.0.0.1:$((base + 1))"]
TOML
}

# keep_alive_gets <port> <n>: n GETs over one keep-alive connection, each must answer 200.
keep_alive_gets() {
  python3 - "$1" "$2" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for _ in range(int(sys.argv[2])):
    c.request("GET", "/item", headers={"Host": "app"}); r = c.getresponse(); r.read()
    assert r.status == 200
PY
}
