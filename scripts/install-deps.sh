#!/usr/bin/env bash
# Installs every Debian 12 package x0tta6bl4 needs, and nothing that is already there.
#   scripts/install-deps.sh          build + test dependencies (nodejs: llhttp origin of the
#                                    differential test; nginx-light: second test origin;
#                                    openssl and chromium: independent TLS clients;
#                                    iptables: the mesh tests' partitions)
#   scripts/install-deps.sh --bench  also the other benchmark peers (HAProxy, Varnish, wrk)
set -euo pipefail

packages=(
  g++ cmake ninja-build make pkg-config
  libssl-dev libsqlite3-dev libtomlplusplus-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev valgrind
  python3 curl jq procps prometheus nodejs nginx-light openssl chromium
  iptables
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(wrk haproxy varnish util-linux)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# Debian starts services on install; the peers and Prometheus are only run by our scripts.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
