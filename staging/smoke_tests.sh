#!/usr/bin/env bash
# The checks an operator runs against a node right after a deploy (the runbooks' "bash
# staging/smoke_tests.sh"): probes, health and its dependencies, metrics, the operator API,
# post-quantum status and one request through the data plane. One PASS/FAIL line per check.
#   staging/smoke_tests.sh [--node URL] [--token-file F]
# Exit 0: every check passed; 1: at least one failed; 2: usage error or curl/jq missing.
set -uo pipefail

node=${X0_NODE:-http://localhost:8080}
token_file=${X0_TOKEN_FILE:-}
usage() {
  sed -n '2,6s/^# \{0,1\}//p' "$0"
  echo "Environment: X0_NODE (default http://localhost:8080), X0_TOKEN_FILE."
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --node) node=${2:?--node needs a URL}; shift 2 ;;
    --token-file) token_file=${2:?--token-file needs a file}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "smoke: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
node=${node%/}
for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "smoke: $tool is not installed" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
headers=()
if [[ -n "$token_file" ]]; then
  [[ -r "$token_file" ]] || { echo "smoke: cannot read token file $token_file" >&2; exit 2; }
  # The token goes to curl in a header file, never on a command line (ps would show it).
  (umask 077; printf 'Authorization: Bearer %s\n' "$(tr -d '\r\n' < "$token_file")" > "$work/auth")
  headers=(-H "@$work/auth")
fi

passed=0 failed=0
pass() { echo "PASS  $1"; passed=$((passed + 1)); }
fail() { echo "FAIL  $1: $2"; failed=$((failed + 1)); }

# get PATH: body in $work/body, status in $code ("000" when the node did not answer).
get() {
  code=$(curl -s -o "$work/body" -w '%{http_code}' --max-time 5 "${headers[@]}" "$node$1") || true
  [[ -n "$code" ]] || code=000
}
# check NAME PATH WANT_STATUS JQ_FILTER: the answer has that status and the filter is true.
check() {
  local name=$1 path=$2 want=$3 filter=$4
  get "$path"
  if [[ "$code" == 000 ]]; then fail "$name" "no answer from $node$path"; return; fi
  if [[ "$code" != "$want" ]]; then
    fail "$name" "GET $path answered $code, expected $want: $(head -c 200 "$work/body")"; return
  fi
  if [[ -n "$filter" ]] && ! jq -e "$filter" "$work/body" >/dev/null 2>&1; then
    fail "$name" "GET $path: expected $filter, got $(head -c 200 "$work/body")"; return
  fi
  pass "$name"
}

echo "smoke: checking $node"
check "live: /health/live answers 200" /health/live 200 ""
check "ready: /health/ready answers 200" /health/ready 200 ""
check "health: /health is healthy or degraded with dependencies" /health 200 \
  '(.status == "healthy" or .status == "degraded") and (.dependencies | type == "object")'
get /health
if [[ "$code" == 200 ]]; then
  down=$(jq -r '[.dependencies | to_entries[] | select(.value.status == "unhealthy") | .key] | join(", ")' \
    "$work/body" 2>/dev/null)
  if [[ -z "$down" ]]; then pass "dependencies: none unhealthy"; else fail "dependencies" "unhealthy: $down"; fi
fi
# One request through the data plane: any answer but a 5xx (a 404 no_route is fine on a node
# without services).
get /
if [[ "$code" != 000 && "$code" != 5* ]]; then pass "data plane: GET / answered $code"; else
  fail "data plane" "GET / answered $code: $(head -c 200 "$work/body")"; fi
get /metrics
if [[ "$code" == 200 ]] && grep -q '^http_requests_total' "$work/body" \
   && grep -q '^process_resident_memory_bytes' "$work/body"; then
  pass "metrics: /metrics has http_requests_total and process_resident_memory_bytes"
else
  fail "metrics" "GET /metrics answered $code without the request and process series"
fi
check "status: /api/v1/status answers" /api/v1/status 200 'type == "object"'
check "pqc: post-quantum status, no fallback" /security/pqc/status 200 \
  '(.mode | type == "string") and (.fallback_enabled == false)'
check "mesh: /mesh/status answers" /mesh/status 200 'type == "object"'
check "releases: /releases answers" /releases 200 '.releases | type == "array"'
get "/incidents?status=open"
if [[ "$code" == 200 ]] && jq -e 'type == "array"' "$work/body" >/dev/null 2>&1; then
  sev1=$(jq '[.[] | select(.severity == "SEV-1")] | length' "$work/body")
  if [[ "$sev1" == 0 ]]; then pass "incidents: no open SEV-1"; else fail "incidents" "$sev1 open SEV-1"; fi
else
  fail "incidents" "GET /incidents answered $code"
fi

total=$((passed + failed))
if [[ $failed -eq 0 ]]; then
  echo "smoke: all $total checks passed"
  exit 0
fi
echo "smoke: $failed of $total checks failed"
exit 1
