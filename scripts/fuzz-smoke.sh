#!/usr/bin/env bash
# Runs every libFuzzer executable built under BUILD_DIR/fuzz/<name>/ for SECONDS each, starting
# from the seed corpus in fuzz/<name>/corpus when there is one. A crash or sanitizer report fails.
set -euo pipefail
build=${1:?build dir}
seconds=${2:-60}
status=0
found=0
for dir in fuzz/*/; do
  name=$(basename "$dir")
  for bin in "$build/fuzz/$name"/*; do
    [[ -f "$bin" && -x "$bin" ]] || continue
    found=$((found + 1))
    work=$(mktemp -d)
    [[ -d "$dir/corpus" ]] && cp -r "$dir/corpus"/. "$work"/
    echo "fuzz: $(basename "$bin") for ${seconds}s"
    if ! "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 "$work" >"$work.log" 2>&1; then
      tail -60 "$work.log"
      echo "fuzz: $(basename "$bin") FAILED"
      status=1
    else
      grep -E 'stat::number_of_executed_units' "$work.log" || true
    fi
    rm -rf "$work" "$work.log"
  done
done
echo "fuzz: ran $found fuzzers"
[[ $found -gt 0 ]] || { echo "fuzz: no fuzzers were built"; exit 1; }
exit $status
