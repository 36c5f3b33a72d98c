#!/usr/bin/env bash
# On-call bench (issue 14): bench/oncall.py against a fresh node and a local HTTPS receiver.
#   bench/oncall.sh                         all three parts (about 4 minutes)
#   bench/oncall.sh --only storm            one part (healthy, 429, storm)
#   bench/oncall.sh --count 50 --interval 0.2
# Results also go to --out (default /tmp/oncall_results.md). Python standard library and openssl.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export X0_BINARY=${X0_BINARY:-$root/build/x0tta6bl4}  # make release
[[ -x "$X0_BINARY" ]] || { echo "oncall.sh: build first or set X0_BINARY: $X0_BINARY"; exit 1; }
export PYTHONDONTWRITEBYTECODE=1
exec python3 "$root/bench/oncall.py" "$@"
