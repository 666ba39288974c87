#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A full disk: the data folder on a small tmpfs. Objects that do not fit are
# refused with "out of resources" (0xA700); what was stored before still
# reads back exact, the server keeps serving, and nothing half-written stays.
source "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/small"
mount -t tmpfs -o size=24m tmpfs "$WORK/small" 2>/dev/null || skip "cannot mount a tmpfs (not root?)"
trap 'stop_server || true; umount "$WORK/small" 2>/dev/null; rm -rf "$WORK"' EXIT

"$CLOUDFILM" synth "$WORK/synth" --seed 9 --patients 1 --studies 1 --series 1 --instances 40 --ct-size 512 >/dev/null
mapfile -t files < <(find "$WORK/synth" -name '*.dcm' | sort)
start_server "$WORK/small/data"
storescu -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT" "${files[@]:0:3}"
check_eq "the first objects are stored" 3 "$(count_instances)"

out=$(storescu -v -nh -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT" "${files[@]:3}" 2>&1 || true)
check "objects that do not fit get Out of Resources" grep -q 'Refused: OutOfResources' <<<"$out"
check "the server is still serving" server_alive
bad=0
for f in "${files[@]:0:3}"; do
  api_file "$(sop_of "$f")" "$WORK/back.dcm" && [[ $(dataset_sha "$f") == "$(dataset_sha "$WORK/back.dcm")" ]] || bad=$((bad + 1))
done
check_eq "objects stored before the disk filled read back exact" 0 "$bad"
check "the server stops cleanly" stop_server
rc=0; "$CLOUDFILM" fsck --data "$WORK/small/data" --repair >"$WORK/fsck.out" 2>&1 || rc=$?
check_eq "fsck finds the archive consistent" 0 "$rc"
[[ $rc -eq 0 ]] || head -20 "$WORK/fsck.out"
finish
