#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make install`'s layout, run from where it was installed: cmake --install
# (stripped, as the Makefile does) into a fresh prefix, then that binary
# serves the web apps from PREFIX/share/cloudfilm/web and prints a report
# with PREFIX/lib/cloudfilm/cloudfilm-render.so, not with the build tree's
# copies (which still exist here, so the test checks which files the server
# opened, not only that it answered).
source "$(dirname "$0")/lib.sh"
: "${CF_BUILD_DIR:?CF_BUILD_DIR must name the build folder}"

PREFIX=$WORK/prefix
check "cmake --install --strip into a fresh prefix" \
  cmake --install "$CF_BUILD_DIR" --prefix "$PREFIX" --strip
check_eq "it lays out the binary, the render module and the web apps" "3 3" \
  "$(ls "$PREFIX/bin/cloudfilm" "$PREFIX/lib/cloudfilm/cloudfilm-render.so" "$PREFIX/share/cloudfilm/web/kiosk.html" | wc -l) $(find "$PREFIX" -maxdepth 2 -mindepth 2 | wc -l)"
check "the installed binary is stripped" \
  bash -c "! readelf -S '$PREFIX/bin/cloudfilm' | grep -q '\.debug_info'"
BUILT=$CLOUDFILM
CLOUDFILM=$PREFIX/bin/cloudfilm
check_eq "its web root is the installed one" "web_root = '$PREFIX/share/cloudfilm/web'" \
  "$("$CLOUDFILM" config show | grep '^web_root = ')"
check_eq "the built binary keeps the build tree's" 1 \
  "$("$BUILT" config show | grep -c "^web_root = '$CF_BUILD_DIR/web'")"

"$CLOUDFILM" synth "$WORK/synth" --seed 61 --patients 1 --studies 1 --series 1 --instances 1 \
  --ct-size 32 >/dev/null
STUDY=$(dicom_value "$(first_dicom "$WORK/synth")" StudyInstanceUID)
start_server "$WORK/data"
check_eq "the kiosk page is the installed file" "200 $(sha "$PREFIX/share/cloudfilm/web/kiosk.html")" \
  "$(curl -q -s -o "$WORK/kiosk.html" -w '%{http_code}' "$BASE/kiosk") $(sha "$WORK/kiosk.html")"
check "the exam arrives by C-STORE" storescu -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
DOC=$(account_token "$WORK/data" dr.install doctor default)
curl -q -s -o "$WORK/report.json" -H "Authorization: Bearer $DOC" -H 'Content-Type: application/json' \
  --data-binary "{\"study_uid\":\"$STUDY\",\"kind\":\"radiology\",\"status\":\"final\",\"conclusion\":\"Installed and printed.\",\"signer\":\"Dr Install\",\"signed_at\":\"2026-11-30T09:30:00+08:00\"}" \
  "$BASE/api/reports"
ID=$(jq -r .id "$WORK/report.json")
check_eq "the report prints: 200 application/pdf" "200 application/pdf" \
  "$(curl -q -s -o "$WORK/report.pdf" -w '%{http_code} %{content_type}' -H "Authorization: Bearer $DOC" "$BASE/api/reports/$ID/versions/1/pdf")"
pdftotext "$WORK/report.pdf" "$WORK/report.txt"
check "with the report's text" grep -qF "Installed and printed." "$WORK/report.txt"
mapped() { grep -qF "$1" "/proc/$SERVER_PID/maps" && echo mapped || echo absent; }
check_eq "drawn by the installed render module, not the build tree's" "mapped absent" \
  "$(mapped "$PREFIX/lib/cloudfilm/cloudfilm-render.so") $(mapped "$CF_BUILD_DIR/apps/cloudfilm/cloudfilm-render.so")"
check "the server stops cleanly" stop_server
finish
