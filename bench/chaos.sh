#!/usr/bin/env bash
# Chaos bench (canary faults vs the autopilot): runs bench/chaos.py, which starts a fresh node and
# two origins per run, injects each fault scenario under steady load and prints a Markdown table
# (also written to --out, default /tmp/chaos_results.md). Python standard library only.
#   bench/chaos.sh                                  5 runs of every scenario (about 5 minutes)
#   RUNS=2 bench/chaos.sh --scenarios errors,killed   fewer runs, some scenarios
#   X0_BINARY=build/x0tta6bl4 bench/chaos.sh --out /tmp/chaos.md
#   bench/chaos.sh --restart [--runs 3]            restart under load: requests refused with a plain
#                                                   restart and with run --takeover (bench/restart.py)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export X0_BINARY=${X0_BINARY:-$root/build/x0tta6bl4}  # make release
[[ -x "$X0_BINARY" ]] || { echo "chaos.sh: build first or set X0_BINARY: $X0_BINARY"; exit 1; }
export PYTHONDONTWRITEBYTECODE=1
if [[ "${1:-}" == "--restart" ]]; then
  shift
  exec python3 "$root/bench/restart.py" "$@"
fi
exec python3 "$root/bench/chaos.py" "$@"
