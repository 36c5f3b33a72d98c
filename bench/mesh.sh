#!/usr/bin/env bash
# Mesh bench: link set-up time (hybrid vs classical) and dead-peer detection over kill -9s with
# the test and LAN timer profiles (bench/mesh.py; real nodes on 127.0.0.x, Python standard
# library). Needs a release build.
#   bench/mesh.sh                         20 kills per profile, 10 link set-ups per mode
#   bench/mesh.sh --runs 5 --profiles test
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export X0_BINARY=${X0_BINARY:-$root/build/x0tta6bl4}
[[ -x "$X0_BINARY" ]] || { echo "mesh.sh: build first (make release) or set X0_BINARY"; exit 1; }
export PYTHONDONTWRITEBYTECODE=1
exec python3 "$root/bench/mesh.py" "$@"
