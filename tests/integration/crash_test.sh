#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Durability: concurrent C-STORE load, SIGKILL of the server at a random
# moment, restart. Every instance that got a success status must read back
# exact, and fsck (after repairing crash leftovers) must be clean.
# ROUNDS (default 4) kills, each while new objects (a patient of its own)
# are arriving; bench/crash_soak.sh runs many more.
source "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-4}
PARALLEL=4

"$CLOUDFILM" synth "$WORK/synth" --seed 5 --patients "$ROUNDS" --studies 1 --series "$PARALLEL" \
  --instances 80 --ct-size 512 --threads 2 >/dev/null
mapfile -t patient_dirs < <(find "$WORK/synth" -mindepth 1 -maxdepth 1 -type d | sort)
declare -A SOP  # file -> SOP Instance UID, from the generator's manifest
# (awk, not read: tab is whitespace to read, so empty columns would shift the rest)
while read -r rel sop; do SOP[$WORK/synth/$rel]=$sop; done < <(awk -F'\t' 'NR > 1 { print $1, $7 }' "$WORK/synth/manifest.tsv")
: >"$WORK/acked"
total_acked=0; lost=0; rounds_cut=0; held=0

for ((round = 1; round <= ROUNDS; round++)); do
  start_server "$WORK/data"
  pids=()
  mapfile -t series_dirs < <(find "${patient_dirs[$((round - 1))]}" -mindepth 2 -maxdepth 2 -type d | sort)
  for ((p = 0; p < PARALLEL; p++)); do
    storescu -v -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "${series_dirs[$p]}" >"$WORK/scu.$round.$p" 2>&1 &
    pids+=($!)
  done
  # Kill at a random moment after the first of this round's 320 objects is
  # stored (0.5-1 s of ingest on the reference machine), whatever its speed.
  for ((i = 0; i < 500; i++)); do (($(count_instances) > held)) && break; sleep 0.01; done
  sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", (r % 100) / 500 }')"
  kill_server
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  # storescu -v prints "Sending file: F" then, once answered, "Received Store Response (Success)".
  for ((p = 0; p < PARALLEL; p++)); do
    awk '/Sending file:/ { f = $NF } /Received Store Response \((Success|Warning)/ { if (f != "") print f; f = "" }' \
      "$WORK/scu.$round.$p" >>"$WORK/acked"
  done
  sort -u "$WORK/acked" -o "$WORK/acked"
  "$CLOUDFILM" fsck --data "$WORK/data" --repair >"$WORK/fsck.$round" 2>&1 || true
  check "round $round: fsck is clean after repairing crash leftovers" "$CLOUDFILM" fsck --data "$WORK/data"
  start_server "$WORK/data"
  # Everything acknowledged so far, not only this round's: a later crash must
  # not lose what an earlier round stored either.
  while read -r f; do printf '%s\t%s\n' "$f" "${SOP[$f]}"; done <"$WORK/acked" >"$WORK/acked.tsv"
  python3 "$HERE/verify_datasets.py" "$BASE" <"$WORK/acked.tsv" >"$WORK/lost.$round" || true
  lost=$((lost + $(grep -c '^LOST' "$WORK/lost.$round" || true)))
  head -5 "$WORK/lost.$round"
  total_acked=$(wc -l <"$WORK/acked")
  echo "  round $round: $total_acked acknowledged so far, server holds $(count_instances)"
  now_held=$(count_instances)
  rounds_cut=$((rounds_cut + (now_held - held < PARALLEL * 80 ? 1 : 0)))
  held=$now_held
  stop_server
done
check "some instances were acknowledged before the kills" test "$total_acked" -gt 0
echo "  $rounds_cut of $ROUNDS kills landed while objects were still arriving"
check "at least one kill landed mid-ingest" test "$rounds_cut" -gt 0
check_eq "acknowledged instances lost" 0 "$lost"
finish
