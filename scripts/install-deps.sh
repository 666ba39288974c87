#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every build and test dependency of cloudfilm from Debian packages.
# Idempotent: when everything is present it only runs dpkg-query and returns.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-format
  # libraries (see DESIGN.md "Chosen dependencies")
  libdcmtk-dev libboost1.81-dev libsqlite3-dev nlohmann-json3-dev libcli11-dev
  libspdlog-dev libfmt-dev libssl-dev libzstd-dev libarchive-dev libtomlplusplus-dev libcharls-dev libopenjph-dev libopenjp2-7-dev
  zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # real peers and clients used by integration tests and benchmarks
  dcmtk orthanc orthanc-dicomweb curl jq time wrk sqlite3 procps python3 libopenjp2-tools openjph-tools
  # Node.js for the JavaScript DICOMweb clients of the tests (tests/js)
  nodejs
)
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# The npm packages of tests/js, exactly as package-lock.json pins them;
# skipped when node_modules already matches the lock file.
install_npm_packages() {
  local dir=$ROOT/tests/js stamp
  stamp=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  [[ -f $dir/node_modules/.cf-lock-sha && $(cat "$dir/node_modules/.cf-lock-sha") == "$stamp" ]] && return 0
  echo "install-deps: npm ci in tests/js" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$stamp" >"$dir/node_modules/.cf-lock-sha"
}

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
    missing+=("$p")
  fi
done
# Debian's npm is separate from nodejs; Node.js from elsewhere bundles it.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi
if [[ ${#missing[@]} -eq 0 ]]; then
  install_npm_packages
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi
echo "install-deps: installing ${missing[*]}" >&2
# Packages such as orthanc would start a system service on install; the tests
# start their own peers on free ports, so keep services from starting here.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  created_policy=1
fi
trap '[[ $created_policy == 1 ]] && $SUDO rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2
install_npm_packages
