#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dicomweb-client (npm), the DICOMweb library of OHIF, from Node against
# the real binary: STOW, QIDO at every level, WADO instances, series,
# metadata, frames, bulk data and rendered images, compared with the files
# sent (tests/js/dicomweb_client_test.js). scripts/install-deps.sh installs
# the npm packages.
source "$(dirname "$0")/lib.sh"

JS=$HERE/../js
[[ -d $JS/node_modules/dicomweb-client && -d $JS/node_modules/xhr2 ]] ||
  { echo "FAILED - tests/js/node_modules is missing: run scripts/install-deps.sh"; exit 1; }
"$CLOUDFILM" synth "$WORK/synth" --seed 33 --patients 3 --studies 2 --series 2 --instances 3 \
  --modalities CT,MR --ct-size 64 --charset mixed >/dev/null
start_server "$WORK/data"
rc=0
node "$JS/dicomweb_client_test.js" "$BASE" "$WORK/synth/manifest.tsv" || rc=$?
check_eq "dicomweb-client checks pass" 0 "$rc"
check "server still up" server_alive
finish
