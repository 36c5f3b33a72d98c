#!/usr/bin/env bash
# Staging rollback: every active release on the staging node through its API, then the stack
# back to the image it ran before the last staging/deploy_staging.sh (x0tta6bl4:staging-previous).
#   staging/rollback.sh [--node URL] [--token-file F]
# The work is scripts/production_toolkit.sh rollback with X0_TOOLKIT_ROLLBACK=compose; exit codes
# are the toolkit's (0 rolled back, 1 something was not, 3 the node did not answer).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
args=("$@")
if [[ ! " ${args[*]} " =~ " --token-file " && -r "$here/.admin-token" ]]; then
  args+=(--token-file "$here/.admin-token")
fi
X0_TOOLKIT_ROLLBACK=compose X0_COMPOSE_FILE="$here/docker-compose.staging.yml" \
  exec bash "$here/../scripts/production_toolkit.sh" rollback "${args[@]}"
