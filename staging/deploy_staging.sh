#!/usr/bin/env bash
# Builds the node's image from this checkout and (re)deploys the staging stack
# (docker-compose.staging.yml), then runs the smoke checks; a deploy whose smoke checks fail is
# rolled back to the image that ran before it (staging/rollback.sh) unless --no-rollback.
#   staging/deploy_staging.sh [--no-rollback]
# The first run writes staging/.admin-token and staging/.env (X0_ADMIN_TOKEN), which the compose
# file, Alertmanager and the smoke checks use; neither is committed.
# Exit 0: deployed and smoke-tested; 1: smoke checks failed (rolled back); 2: usage or a missing
# tool; 3: the node never became ready.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
compose=(docker-compose -f "$here/docker-compose.staging.yml")
rollback=1
case "${1:-}" in
  "") ;;
  --no-rollback) rollback=0 ;;
  -h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *) echo "deploy_staging: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac
for tool in docker docker-compose curl jq; do
  command -v "$tool" >/dev/null || { echo "deploy_staging: $tool is not installed" >&2; exit 2; }
done

if [[ ! -s "$here/.admin-token" ]]; then
  # Alertmanager's container user must read the file it is mounted as.
  (umask 022; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$here/.admin-token")
  echo "deploy_staging: wrote a new admin token to $here/.admin-token"
fi
(umask 077; printf 'X0_ADMIN_TOKEN=%s\n' "$(cat "$here/.admin-token")" > "$here/.env")

# Keep the running image as the rollback target before building the new one.
if docker image inspect x0tta6bl4:staging >/dev/null 2>&1; then
  docker tag x0tta6bl4:staging x0tta6bl4:staging-previous
fi
"${compose[@]}" build control-plane
"${compose[@]}" up -d --scale control-plane=1

echo "deploy_staging: waiting for http://localhost:8081/health/ready"
for _ in $(seq 1 60); do
  curl -fs -o /dev/null http://localhost:8081/health/ready && break
  sleep 2
done
if ! curl -fs -o /dev/null http://localhost:8081/health/ready; then
  echo "deploy_staging: the node is not ready after 120 s; docker logs x0tta6bl4-staging --tail 50:" >&2
  docker logs x0tta6bl4-staging --tail 50 >&2 || true
  if [[ $rollback -eq 1 ]]; then bash "$here/rollback.sh" || true; fi
  exit 3
fi
if ! bash "$here/smoke_tests.sh" --node http://localhost:8080 --token-file "$here/.admin-token"; then
  echo "deploy_staging: smoke checks failed" >&2
  if [[ $rollback -eq 1 ]]; then bash "$here/rollback.sh" || true; fi
  exit 1
fi
echo "deploy_staging: staging is up: node :8080, probes :8081, Prometheus :9091, Alertmanager :9093, Grafana :3000"
