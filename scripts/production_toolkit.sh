#!/usr/bin/env bash
# The runbooks' operator toolkit for an x0tta6bl4 node (docs/RUNBOOKS.md):
#   production_toolkit.sh status   [--node URL] [--token-file F]   health, releases, incidents, mesh, PQC
#   production_toolkit.sh rollback [--node URL] [--token-file F]   roll back every active release,
#                                  then the deployment itself when X0_TOOLKIT_ROLLBACK says so
#   production_toolkit.sh smoke    [--node URL] [--token-file F]   staging/smoke_tests.sh
#   production_toolkit.sh diagnose [--node URL] [--token-file F] [--config F] [--pid N] [--out DIR]
#                                  one evidence archive x0tta6bl4-diagnose-<node>-<time>.tar.gz
# Exit codes: 0 done; 1 the node is unhealthy, a rollback or smoke check failed, or diagnose could
# not collect everything (the archive is still written and lists what is missing); 2 usage;
# 3 the node did not answer; 4 curl or jq is missing.
# Environment: X0_NODE (default http://localhost:8080), X0_TOKEN_FILE, X0_TOOLKIT_ROLLBACK
# (compose|helm|kubectl), X0_COMPOSE_FILE, X0_HELM_RELEASE, X0_K8S_NAMESPACE, X0_K8S_DEPLOYMENT
# (docs/CONFIG.md, "Operator tools").
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
node=${X0_NODE:-http://localhost:8080}
token_file=${X0_TOKEN_FILE:-}
config_file="" pid="" out_dir=.

usage() { sed -n '2,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
die() { echo "toolkit: $2" >&2; exit "$1"; }

command=${1:-}
[[ -n "$command" ]] || { usage >&2; exit 2; }
shift
case "$command" in
  -h|--help|help) usage; exit 0 ;;
  status|rollback|smoke|diagnose) ;;
  *) die 2 "unknown command: $command (status|rollback|smoke|diagnose; see --help)" ;;
esac
while [[ $# -gt 0 ]]; do
  case "$1" in
    --node) node=${2:?--node needs a URL}; shift 2 ;;
    --token-file) token_file=${2:?--token-file needs a file}; shift 2 ;;
    --config) config_file=${2:?--config needs a file}; shift 2 ;;
    --pid) pid=${2:?--pid needs a process id}; shift 2 ;;
    --out) out_dir=${2:?--out needs a directory}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die 2 "unknown argument: $1 (see --help)" ;;
  esac
done
node=${node%/}
for tool in curl jq; do command -v "$tool" >/dev/null || die 4 "$tool is not installed"; done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
auth=()
token=""
if [[ -n "$token_file" ]]; then
  [[ -r "$token_file" ]] || die 2 "cannot read token file $token_file"
  token=$(tr -d '\r\n' < "$token_file")
  # In a header file, so the token never appears on a command line.
  (umask 077; printf 'Authorization: Bearer %s\n' "$token" > "$work/auth")
  auth=(-H "@$work/auth")
fi

# api METHOD PATH [OUTFILE]: the body to OUTFILE (default $work/body); prints the status code,
# 000 when the node did not answer.
api() {
  local out=${3:-$work/body} code data=()
  [[ -n "${body:-}" ]] && data=(-H 'Content-Type: application/json' --data "$body")
  code=$(curl -s -o "$out" -w '%{http_code}' --max-time 10 -X "$1" "${auth[@]}" "${data[@]}" \
    "$node$2") || true
  echo "${code:-000}"
}

reachable() {
  [[ "$(api GET /health/live)" != 000 ]] || die 3 "no answer from $node (is the node running? --node URL)"
}

# ---- status -------------------------------------------------------------------------------
cmd_status() {
  reachable
  local code rc=0
  code=$(api GET /health "$work/health")
  echo "node $node"
  jq -r '"  \(.node_id)  version \(.version)  status \(.status)  up \(.uptime_seconds)s"' \
    "$work/health" 2>/dev/null || echo "  /health answered $code"
  [[ "$code" == 503 ]] && rc=1
  echo "dependencies"
  jq -r '.dependencies // {} | to_entries[] | "  \(.key): \(.value.status)"' "$work/health" 2>/dev/null
  echo "components"
  jq -r '.components // [] | .[] | "  \(.name): \(.status)"' "$work/health" 2>/dev/null
  echo "releases"
  api GET /releases >/dev/null
  jq -r '.releases | map(select(.state == "running" or .state == "paused"
            or (.state == "promoted" and (.adopted | not))))
         | if length == 0 then "  none active" else .[] |
           "  \(.service): \(.strategy) \(.state) at \(.weight_percent)% (\(.id))" end' \
    "$work/body" 2>/dev/null || echo "  /releases did not answer JSON"
  echo "open incidents"
  api GET "/incidents?status=open" >/dev/null
  jq -r 'if length == 0 then "  none" else
           (group_by(.severity) | map("  \(.[0].severity): \(length)") | .[]),
           (.[] | "  \(.id) \(.severity) \(.title)") end' "$work/body" 2>/dev/null \
    || echo "  /incidents did not answer JSON"
  echo "mesh"
  api GET /mesh/status >/dev/null
  jq -r '"  peers \(.peers_up // 0)/\(.peers_total // 0) up, partitioned \(.partitioned // false)"' \
    "$work/body" 2>/dev/null || echo "  /mesh/status did not answer JSON"
  echo "pqc"
  api GET /security/pqc/status >/dev/null
  jq -r '"  mode \(.mode), fallback_enabled \(.fallback_enabled)"' "$work/body" 2>/dev/null \
    || echo "  /security/pqc/status did not answer JSON"
  if jq -e '.fallback_enabled == true' "$work/body" >/dev/null 2>&1; then
    echo "  WARNING: a link runs without PQC (SEV-1, docs/RUNBOOKS.md)"
    rc=1
  fi
  return $rc
}

# ---- rollback -----------------------------------------------------------------------------
rollback_releases() {
  local code services service failed=0
  code=$(api GET /releases)
  [[ "$code" == 200 ]] || { echo "rollback: GET /releases answered $code" >&2; return 1; }
  services=$(jq -r '.releases[] | select(.state == "running" or .state == "paused"
                     or (.state == "promoted" and (.adopted | not))) | .service' "$work/body")
  if [[ -z "$services" ]]; then echo "rollback: no active release on $node"; return 0; fi
  for service in $services; do
    code=$(body='{"reason":"toolkit: operator rollback"}' api POST "/releases/$service/rollback")
    if [[ "$code" == 200 ]]; then
      echo "rollback: $service rolled back ($(jq -r '.state // empty' "$work/body"))"
    else
      echo "rollback: $service FAILED: $code $(head -c 300 "$work/body")" >&2
      failed=1
    fi
  done
  return $failed
}

# The deployment: back to the image before the last staging/deploy_staging.sh (compose), the
# previous Helm revision, or the Deployment's previous ReplicaSet.
rollback_deployment() {
  local ns=${X0_K8S_NAMESPACE:-x0tta6bl4-staging}
  case "${X0_TOOLKIT_ROLLBACK:-}" in
    "") echo "rollback: deployment left as is (X0_TOOLKIT_ROLLBACK=compose|helm|kubectl to roll it back too)" ;;
    compose)
      local file=${X0_COMPOSE_FILE:-$repo/staging/docker-compose.staging.yml}
      command -v docker-compose >/dev/null || { echo "rollback: docker-compose is not installed" >&2; return 1; }
      docker image inspect x0tta6bl4:staging-previous >/dev/null 2>&1 \
        || { echo "rollback: no previous image x0tta6bl4:staging-previous to return to" >&2; return 1; }
      echo "rollback: docker-compose: x0tta6bl4:staging <- x0tta6bl4:staging-previous"
      docker tag x0tta6bl4:staging-previous x0tta6bl4:staging &&
        docker-compose -f "$file" up -d --no-build --scale control-plane=1 ;;
    helm)
      command -v helm >/dev/null || { echo "rollback: helm is not installed" >&2; return 1; }
      echo "rollback: helm rollback ${X0_HELM_RELEASE:-x0tta6bl4-staging} -n $ns"
      helm rollback "${X0_HELM_RELEASE:-x0tta6bl4-staging}" -n "$ns" --wait ;;
    kubectl)
      command -v kubectl >/dev/null || { echo "rollback: kubectl is not installed" >&2; return 1; }
      local deployment=${X0_K8S_DEPLOYMENT:-x0tta6bl4-staging}
      echo "rollback: kubectl rollout undo deployment/$deployment -n $ns"
      kubectl rollout undo "deployment/$deployment" -n "$ns" &&
        kubectl rollout status "deployment/$deployment" -n "$ns" --timeout=300s ;;
    *) echo "rollback: X0_TOOLKIT_ROLLBACK=${X0_TOOLKIT_ROLLBACK} is not compose, helm or kubectl" >&2; return 2 ;;
  esac
}

cmd_rollback() {
  local rc=0
  reachable
  rollback_releases || rc=1
  rollback_deployment || rc=1
  [[ $rc -eq 0 ]] && echo "rollback: done" || echo "rollback: not everything was rolled back" >&2
  return $rc
}

# ---- smoke --------------------------------------------------------------------------------
cmd_smoke() {
  local args=(--node "$node")
  [[ -n "$token_file" ]] && args+=(--token-file "$token_file")
  bash "$repo/staging/smoke_tests.sh" "${args[@]}"
}

# ---- diagnose -----------------------------------------------------------------------------
# Secrets never enter the archive: values of keys named like token/secret/password/credential
# are replaced in config and environment, and the token itself is scrubbed from every file.
redact_toml() {
  sed -E 's/^([[:space:]]*[A-Za-z0-9_]*(token|secret|password|passphrase|credential)[A-Za-z0-9_]*[[:space:]]*=[[:space:]]*).*/\1"<redacted>"/I'
}
redact_env() {
  sed -E 's/^([A-Za-z0-9_]*(TOKEN|SECRET|PASSWORD|PASSPHRASE|CREDENTIAL)[A-Za-z0-9_]*=).*/\1<redacted>/I'
}

# The node's process when it runs on this host: the one listening on the node URL's port.
find_pid() {
  [[ -n "$pid" ]] && { echo "$pid"; return; }
  local port
  port=$(sed -E 's#^[a-z]+://([^/]*\]|[^/:]*)(:([0-9]+))?.*#\3#' <<<"$node")
  [[ -n "$port" ]] || port=80
  command -v ss >/dev/null || return 0
  ss -Htlnp "sport = :$port" 2>/dev/null | sed -nE 's/.*pid=([0-9]+).*/\1/p' | head -1
}

cmd_diagnose() {
  local host stamp name dir missing=() code p file
  host=$(sed -E 's#^[a-z]+://##; s#/.*##; s#[^A-Za-z0-9._-]+#_#g' <<<"$node")
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  name="x0tta6bl4-diagnose-$host-$stamp"
  dir="$work/$name"
  mkdir -p "$dir/incidents" "$dir/logs"
  : > "$dir/MANIFEST.txt"
  note() { echo "$*" >> "$dir/MANIFEST.txt"; }
  note "x0tta6bl4 diagnose archive of $node, taken $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
  note ""

  # The node's own view, endpoint by endpoint.
  local endpoints=(
    "health.json /health" "health-live.txt /health/live" "health-ready.json /health/ready"
    "health-startup.json /health/startup" "metrics.txt /metrics" "status.json /api/v1/status"
    "releases.json /releases" "incidents.json /incidents" "mesh-status.json /mesh/status"
    "mesh-peers.json /mesh/peers" "pqc-status.json /security/pqc/status"
  )
  for p in "${endpoints[@]}"; do
    file=${p%% *}; code=$(api GET "${p#* }" "$dir/$file")
    note "$file: GET ${p#* } -> $code"
    [[ "$code" == 000 ]] && missing+=("${p#* }")
  done
  if jq -e 'type == "array"' "$dir/incidents.json" >/dev/null 2>&1; then
    for id in $(jq -r '.[].id' "$dir/incidents.json"); do
      [[ "$id" =~ ^INC-[0-9-]+$ ]] || continue
      api GET "/incidents/$id" "$dir/incidents/$id.json" >/dev/null
      api GET "/incidents/$id/report" "$dir/incidents/$id-report.md" >/dev/null
    done
    note "incidents/: $(jq length "$dir/incidents.json") incidents with timeline and report"
  fi

  # Process, config and logs: from the local process when the node runs on this host.
  p=$(find_pid)
  if [[ -n "$p" && -r /proc/$p/cmdline ]]; then
    {
      echo "pid $p"
      echo "cmdline: $(tr '\0' ' ' < "/proc/$p/cmdline")"
      grep -E '^(Name|State|VmPeak|VmRSS|VmHWM|Threads|voluntary_ctxt|nonvoluntary_ctxt)' "/proc/$p/status"
      echo "open fds: $(find "/proc/$p/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
      echo; cat "/proc/$p/limits" 2>/dev/null
      echo; ps -o pid,ppid,user,etime,pcpu,pmem,rss,nlwp,cmd -p "$p" 2>/dev/null
    } > "$dir/process.txt"
    tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep '^X0TTA6BL4_' | redact_env > "$dir/environment.txt"
    note "process.txt, environment.txt: pid $p (X0TTA6BL4_* variables, secrets redacted)"
    if [[ -z "$config_file" ]]; then
      config_file=$(tr '\0' '\n' < "/proc/$p/cmdline" | sed -n '/^--config$/{n;p;}' | head -1)
      [[ -n "$config_file" && "$config_file" != /* ]] && config_file="$(readlink "/proc/$p/cwd")/$config_file"
    fi
    local stderr_target
    stderr_target=$(readlink "/proc/$p/fd/2" 2>/dev/null)
    if [[ -f "$stderr_target" ]]; then
      tail -n 5000 "$stderr_target" > "$dir/logs/node.log"
      note "logs/node.log: last 5000 lines of the node's stderr ($stderr_target)"
    fi
  else
    note "process.txt: no local process found listening for $node (give --pid on the node's host)"
    missing+=(process)
  fi
  if [[ -n "$config_file" && -r "$config_file" ]]; then
    redact_toml < "$config_file" > "$dir/config.toml"
    note "config.toml: $config_file (secrets redacted)"
    local log_file
    log_file=$(sed -nE 's/^[[:space:]]*file[[:space:]]*=[[:space:]]*"([^"]+)".*/\1/p' "$config_file" | head -1)
    if [[ -n "$log_file" && -r "$log_file" ]]; then
      tail -n 5000 "$log_file" > "$dir/logs/node-file.log"
      note "logs/node-file.log: last 5000 lines of [logging] file $log_file"
    fi
  elif [[ -n "$config_file" ]]; then
    note "config.toml: cannot read $config_file"; missing+=(config)
  else
    note "config.toml: the node runs on its embedded defaults (examples/x0tta6bl4.toml) or its config is unknown (--config F)"
  fi
  if command -v journalctl >/dev/null \
     && journalctl -u x0tta6bl4 -n 1 -q --no-pager 2>/dev/null | grep -q .; then
    journalctl -u x0tta6bl4 -n 5000 --no-pager > "$dir/logs/journal.log" 2>&1
    note "logs/journal.log: journalctl -u x0tta6bl4"
  fi
  if command -v docker >/dev/null && docker inspect x0tta6bl4-staging >/dev/null 2>&1; then
    docker logs --tail 5000 x0tta6bl4-staging > "$dir/logs/docker.log" 2>&1
    note "logs/docker.log: docker logs x0tta6bl4-staging"
  fi
  if ! ls "$dir/logs"/* >/dev/null 2>&1; then
    note "logs/: none found (stderr not a file, no [logging] file, no journal unit, no container); collect them with docker logs / kubectl logs"
    echo "toolkit: no logs found on this host (MANIFEST.txt says where they were looked for)" >&2
  fi

  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"; uname -a; echo
    cat /etc/os-release 2>/dev/null; echo
    echo "cpus: $(nproc 2>/dev/null)"; uptime; echo
    free -m 2>/dev/null; echo; df -h 2>/dev/null; echo
    ss -Htlnp 2>/dev/null | grep -E 'x0tta6bl4' || true; echo
    ldconfig -p 2>/dev/null | grep -E 'libssl|libcrypto|liboqs|libsqlite' || true
  } > "$dir/host.txt" 2>&1
  note "host.txt: kernel, OS, CPUs, memory, disks, the node's sockets, crypto libraries"

  if [[ -n "$token" ]]; then
    # Defence in depth: whatever a log or an endpoint echoed, the token leaves no trace.
    grep -rlF -- "$token" "$dir" 2>/dev/null | while read -r f; do
      python3 -c 'import sys; p, t = sys.argv[1], sys.argv[2]; d = open(p, "rb").read()
open(p, "wb").write(d.replace(t.encode(), b"<redacted>"))' "$f" "$token" 2>/dev/null \
        || sed -i "s|$token|<redacted>|g" "$f"
    done
  fi
  [[ ${#missing[@]} -gt 0 ]] && note "" && note "missing: ${missing[*]}"

  mkdir -p "$out_dir" || die 2 "cannot create $out_dir"
  local archive
  archive="$(cd "$out_dir" && pwd)/$name.tar.gz"
  tar -czf "$archive" -C "$work" "$name" || die 1 "cannot write $archive"
  echo "$archive"
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "toolkit: archive written without: ${missing[*]}" >&2
    return 1
  fi
}

"cmd_$command"
