#!/usr/bin/env bash
# TLS benchmark (issue 12): in one run, with the same pinning (servers on cpu 0, wrk on cpu 1,
# one worker each), nginx and x0tta6bl4 as HTTPS reverse proxies in front of the same plain
# nginx origin (`return 200`, 100-byte body), same certificate type (ECDSA P-256):
#   keep-alive   wrk -c 50 over HTTPS: requests per second once connections are up
#   handshakes   wrk -c 50 with "Connection: close": every request a new connection and a full
#                TLS 1.3 handshake (no resumption: wrk keeps no sessions)
# nginx offers X25519 (OpenSSL 3.0 has no hybrid group); x0tta6bl4 runs once with X25519 and
# once with X25519MLKEM768 only. For the hybrid rows wrk offers X25519MLKEM768 through an
# OPENSSL_CONF that loads our provider module (build/x0tta6bl4-pq.so) and sets its groups, and
# the node's tls_handshakes_total confirms which group each run negotiated.
#   bench/tls.sh                  full run (about 2 minutes)
#   DURATION=5 bench/tls.sh       shorter runs
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${X0_BINARY:-$root/build/x0tta6bl4}
module_dir=$(dirname "$bin")
DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
SERVER_CPUS=${SERVER_CPUS:-0}
WRK_CPUS=${WRK_CPUS:-1}
BASE=${BASE_PORT:-29080}
ORIGIN=$BASE NGINX_TLS=$((BASE + 1)) NODE_HTTPS=$((BASE + 10)) NODE_HTTP=$((BASE + 11))
for b in nginx wrk openssl curl taskset; do
  command -v "$b" >/dev/null || { echo "tls.sh: missing $b (scripts/install-deps.sh --bench)"; exit 1; }
done
[[ -x "$bin" && -f "$module_dir/x0tta6bl4-pq.so" ]] || { echo "tls.sh: build first (make release)"; exit 1; }

work=$(mktemp -d /tmp/x0-tls-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
  [[ -n "${KEEP_TMP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -subj /CN=localhost -days 2 2>/dev/null

body=$(printf 'peers-bench-origin-payload-%072d' 0)
# The origin and the nginx proxy are separate nginx processes (as the node and the origin are):
# one process serving both would skip the proxy-to-origin context switch nobody else can.
nginx_conf() {  # $1 name, $2 server block(s)
  cat > "$work/$1.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/$1.pid;
error_log $work/$1-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  upstream origin { server 127.0.0.1:$ORIGIN; keepalive 64; }
  $2
}
NGINX
}
nginx_conf origin "server { listen 127.0.0.1:$ORIGIN; location / { return 200 \"$body\\n\"; } }"
nginx_conf proxy "server {
    listen 127.0.0.1:$NGINX_TLS ssl;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.3;
    ssl_ecdh_curve X25519;
    ssl_session_tickets off;
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
  }"

node_config() {  # $1: groups (TOML array)
  cat > "$work/node.toml" <<TOML
[node]
data_dir = "$work/data"
[listeners]
data = "127.0.0.1:$NODE_HTTP"
health = "127.0.0.1:$((BASE + 12))"
metrics = "127.0.0.1:$((BASE + 13))"
https = "127.0.0.1:$NODE_HTTPS"
[tls]
cert_file = "$work/cert.pem"
key_file = "$work/key.pem"
groups = $1
session_tickets = false
[api_gateway]
worker_threads = 1
[cache]
enabled = false
[[services]]
name = "bench"
endpoints = ["127.0.0.1:$ORIGIN"]
[services.health_check]
path = "/"
TOML
}

# wrk's OpenSSL reads this: our provider for the hybrid group, and the groups it offers.
wrk_openssl_conf() {  # $1: groups, colon-separated
  cat > "$work/openssl-$1.cnf" <<CNF
openssl_conf = init
[init]
providers = providers
ssl_conf = ssl
[providers]
default = active
x0tta6bl4-pq = pq
[active]
activate = 1
[pq]
module = $module_dir/x0tta6bl4-pq.so
activate = 1
[ssl]
system_default = client
[client]
Groups = $1
CNF
  echo "$work/openssl-$1.cnf"
}

wait_url() {  # (curl has no hybrid group: the node is asked on its plain probe listener)
  for _ in $(seq 100); do curl -skf -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "tls.sh: nothing answers at $1"; exit 1
}

start() {  # $@: command; pinned to the server cpus, in its own process group
  setsid taskset -c "$SERVER_CPUS" "$@" >> "$work/servers.log" 2>&1 &
  pids+=($!)
}

rps() {  # $1 url, $2 openssl conf, $3 "close" for a new connection per request
  local headers=()
  [[ "${3:-}" == close ]] && headers=(-H "Connection: close")
  OPENSSL_CONF=$2 taskset -c "$WRK_CPUS" wrk -t1 -c "$CONNS" -d "${DURATION}s" "${headers[@]}" "$1" \
    | awk '/Requests\/sec/ {print $2} /Non-2xx|Socket errors/ {print "WRK: " $0 > "/dev/stderr"}'
}

metric() {  # $1 group: the node's successful handshakes with it
  curl -s "http://127.0.0.1:$((BASE + 13))/metrics" |
    awk -v g="$1" '$1 ~ /^tls_handshakes_total/ && $1 ~ "group=\"" g "\"" && $1 ~ /result="ok"/ {s += $2} END {print s + 0}'
}

classical=$(wrk_openssl_conf X25519)
hybrid=$(wrk_openssl_conf X25519MLKEM768)

start nginx -c "$work/origin.conf"
start nginx -c "$work/proxy.conf"
wait_url "https://127.0.0.1:$NGINX_TLS/"
echo "| scenario | nginx (X25519) | x0tta6bl4 X25519 | x0tta6bl4 X25519MLKEM768 | ratios to nginx |"
echo "|---|---|---|---|---|"
declare -A result
result[nginx_keepalive]=$(rps "https://127.0.0.1:$NGINX_TLS/" "$classical")
result[nginx_handshakes]=$(rps "https://127.0.0.1:$NGINX_TLS/" "$classical" close)

for groups in X25519 X25519MLKEM768; do
  node_config "[\"$groups\"]"
  "$bin" check-config "$work/node.toml" > /dev/null
  start "$bin" run --config "$work/node.toml"
  wait_url "http://127.0.0.1:$((BASE + 12))/health/startup"
  conf=$classical
  [[ $groups == X25519MLKEM768 ]] && conf=$hybrid
  before=$(metric "$groups")
  result[${groups}_keepalive]=$(rps "https://127.0.0.1:$NODE_HTTPS/" "$conf")
  result[${groups}_handshakes]=$(rps "https://127.0.0.1:$NODE_HTTPS/" "$conf" close)
  echo "# x0tta6bl4 with $groups: $(( $(metric "$groups") - before )) handshakes negotiated $groups" >&2
  kill -- "-${pids[-1]}"
  wait "${pids[-1]}" 2>/dev/null || true
  unset 'pids[-1]'
done

for s in keepalive handshakes; do
  n=${result[nginx_$s]} c=${result[X25519_$s]} h=${result[X25519MLKEM768_$s]}
  ratios=$(awk -v n="$n" -v c="$c" -v h="$h" 'BEGIN {printf "%.2f× / %.2f×", c / n, h / n}')
  label="keep-alive GET, $CONNS conn (req/s)"
  [[ $s == handshakes ]] && label="full handshakes, new connection per request (/s)"
  echo "| $label | $n | $c | $h | $ratios |"
done
