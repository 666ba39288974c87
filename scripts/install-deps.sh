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
  zlib1g-dev libjpeg62-turbo-dev libpng-dev libsodium-dev
  # printable report PDFs (film/report_pdf.cpp): text layout and PDF output
  libcairo2-dev libpango1.0-dev
  # RFC 3161 time-stamp queries to a TSA (ledger/tsa_client.cpp); notifications:
  # HTTPS webhooks and SMTP with STARTTLS/login (src/notify)
  libcurl4-openssl-dev
  # QR codes of patient shares (src/http/qr_code.cpp): the Reed-Solomon and masking of ISO/IEC 18004
  libqrencode-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # real peers and clients used by integration tests and benchmarks
  dcmtk orthanc orthanc-dicomweb curl jq time wrk sqlite3 procps python3 libopenjp2-tools openjph-tools
  # pdftotext/pdfinfo read printed reports back in the tests
  poppler-utils
  # a real QR decoder, to read share QR codes back (tests/integration/share_test.sh)
  zbar-tools
  # Info-ZIP's unzip and zip: what a court or hospital lists a film package with, and
  # re-zips it with (tests/integration/package_test.sh)
  unzip zip
  # a real syslog collector (TCP, UDP, and TLS with the OpenSSL driver) for the audit export test
  rsyslog rsyslog-openssl
  # a real SMTP server (STARTTLS) for the notification test
  python3-aiosmtpd
  # headless browser for the OHIF viewer test (tests/js/ohif_test.js, driven by playwright-core),
  # and a CJK font so that its screenshots show Chinese names
  chromium fonts-wqy-microhei
  # Node.js to build the web apps (web/) and for the JavaScript DICOMweb clients of the
  # tests (tests/js)
  nodejs
)
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# The npm packages of web/ (the web apps' build: Vite, TypeScript,
# Cornerstone3D) and of tests/js, exactly as each package-lock.json pins
# them, then the "tarballsWithoutDependencies" of tests/js/package.json;
# skipped when node_modules already matches both files (and tests/js still
# holds @ohif/app: `npm install` prunes what npm did not install itself).
install_npm_packages() {
  npm_ci "$ROOT/web" ''
  npm_ci "$ROOT/tests/js" '@ohif/app/dist/index.html'
}
npm_ci() {
  local dir=$1 must_hold=$2 stamp
  stamp=$(cat "$dir/package-lock.json" "$dir/package.json" | sha256sum | cut -d' ' -f1)
  [[ -f $dir/node_modules/.cf-lock-sha && $(cat "$dir/node_modules/.cf-lock-sha") == "$stamp" &&
    ( -z $must_hold || -f $dir/node_modules/$must_hold ) ]] && return 0
  echo "install-deps: npm ci in ${dir#"$ROOT"/}" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  install_npm_tarballs "$dir"
  echo "$stamp" >"$dir/node_modules/.cf-lock-sha"
}
# Packages used only for their built files, unpacked without their
# dependencies: @ohif/app (the OHIF viewer's dist/) names workspace packages
# that were never published (@ohif/i18n@3.13.2, @ohif/ui@3.13.2), so npm
# cannot install it as a dependency. `npm pack` fetches the registry tarball;
# its sha512 must equal the pin in package.json.
install_npm_tarballs() {
  local dir=$1 name version integrity tmp tgz
  while IFS=$'\t' read -r name version integrity; do
    echo "install-deps: $name@$version in ${dir#"$ROOT"/}/node_modules" >&2
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent --loglevel=error "$name@$version" >/dev/null)
    tgz=$(echo "$tmp"/*.tgz)
    if [[ $(node -e 'const h = require("crypto").createHash("sha512");
        process.stdout.write("sha512-" + h.update(require("fs").readFileSync(process.argv[1])).digest("base64"));' "$tgz") != "$integrity" ]]; then
      echo "install-deps: $name@$version does not match its sha512 in ${dir#"$ROOT"/}/package.json" >&2
      rm -rf "$tmp"
      return 1
    fi
    rm -rf "${dir:?}/node_modules/$name"
    mkdir -p "$dir/node_modules/$name"
    tar -xzf "$tgz" -C "$dir/node_modules/$name" --strip-components=1 --no-same-owner
    rm -rf "$tmp"
  done < <(node -e 'const t = require(process.argv[1]).tarballsWithoutDependencies || {};
    for (const [n, p] of Object.entries(t)) console.log([n, p.version, p.integrity].join("\t"));' "$dir/package.json")
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
