#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Keys of encryption at rest, end to end: two hospitals store with DCMTK
# storescu, one of them under the Chinese national suite (SM4/SM3); a data
# key is rotated while the server runs (new objects use the new key at once,
# the server re-encrypts the old ones in the background), the old key is
# refused retirement while in use and retired after; another tenant is
# rotated and re-encrypted with the one-shot command; the master key is
# rotated; every object reads back byte-exact (its recorded SHA-256, and the
# dataset that was sent) and fsck stays clean.
source "$(dirname "$0")/lib.sh"

cat >"$WORK/cloudfilm.toml" <<TOML
[tenants.ruijin]
name = "Ruijin Hospital"
ae_titles = ["RJ_CT"]

[tenants.xiehe]
name = "Xiehe Hospital"
ae_titles = ["XH_CT"]
crypto_suite = "sm"
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")
DATA=$WORK/data
keys() { "$CLOUDFILM" keys "$@" "${CONFIG[@]}" --data "$DATA" --log-level warn; }
# key_of TENANT yes|no: the id of the tenant's active (or older) key
key_of() { keys list | awk -v t="$1" -v a="$2" '$1 == t && $5 == a { print $2; exit }'; }
# blobs_of ID: how many blobs that key seals (keys list --blobs)
blobs_of() { keys list --blobs | awk -v id="$1" '$2 == id { print $6 }'; }
# The data key id in each sealed blob header under blobs/TENANT ("plain" if not sealed).
header_ids() {
  find "$DATA/blobs/$1" -type f | sort | while read -r f; do
    if [[ $(head -c4 "$f") == CFX1 ]]; then od -An -tu4 -j4 -N4 "$f" | tr -d ' '; else echo plain; fi
  done | sort | uniq -c | awk '{ print $2 "x" $1 }' | tr '\n' ' '
}
verify_all() {  # verify_all DIR...: every object's bytes match its recorded SHA-256 and what was sent
  local f sop status etag bad=0
  while read -r f; do
    sop=$(sop_of "$f")
    status=$(get back "$BASE/api/instances/$sop/file")
    etag=$(header back ETag | tr -d '"')
    if [[ $status != 200 || $(sha "$WORK/back.body") != "$etag" ||
          $(dataset_sha "$f") != $(dataset_sha "$WORK/back.body") ]]; then
      echo "  differs: $f ($status)"; bad=1
    fi
  done < <(find "$@" -name '*.dcm' | sort)
  return $bad
}

"$CLOUDFILM" synth "$WORK/rj" --seed 51 --instances 4 --ct-size 32 >/dev/null
"$CLOUDFILM" synth "$WORK/xh" --seed 52 --instances 4 --ct-size 32 >/dev/null
"$CLOUDFILM" synth "$WORK/rj2" --seed 53 --instances 3 --ct-size 32 >/dev/null
XH_PID=$(dcmdump -q +P PatientID "$(find "$WORK/xh" -name '*.dcm' | head -1)" | sed -E 's/.*\[(.*)\].*/\1/')

start_server "$DATA" "${CONFIG[@]}"
check "RJ_CT stores its study" storescu -aet RJ_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/rj"
check "XH_CT stores its study" storescu -aet XH_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/xh"
check_eq "8 instances" 8 "$(count_instances)"

keys list >"$WORK/list.out"
check "keys list names the suites" grep -qE '^xiehe +[0-9]+ +sm ' "$WORK/list.out"
check "ruijin is of the default suite" grep -qE '^ruijin +[0-9]+ +default ' "$WORK/list.out"
check "keys list prints no key material" bash -c "! grep -qiE '[0-9a-f]{32}' '$WORK/list.out'"
XH_KEY=$(key_of xiehe yes)
RJ_OLD=$(key_of ruijin yes)
for ((i = 0; i < 200; i++)); do [[ $(find "$DATA/blobs/xiehe" -type f | wc -l) -ge 4 ]] && break; sleep 0.05; done
check_eq "xiehe's blobs are all sealed with its SM key" "${XH_KEY}x4 " "$(header_ids xiehe)"
check "xiehe's key file records the national suite (CFK2)" \
  bash -c "[[ \$(head -c4 '$DATA/keys/xiehe.$XH_KEY.wrapped') == CFK2 ]]"
check "no patient ID in clear on disk" absent "$XH_PID" "$DATA/blobs" "$DATA/journal"

# ---- rotation while the server runs ----
check "keys rotate --tenant ruijin" keys rotate --tenant ruijin
RJ_NEW=$(key_of ruijin yes)
check "ruijin has a new active key" test -n "$RJ_NEW" -a "$RJ_NEW" != "$RJ_OLD"
rc=0; keys retire --key-id "$RJ_OLD" >/dev/null 2>"$WORK/retire.err" || rc=$?
check "retiring the old key is refused while blobs use it" \
  bash -c "[[ $rc -ne 0 ]] && grep -q 'still seals' '$WORK/retire.err'"
check "and its key file is still there" test -f "$DATA/keys/ruijin.$RJ_OLD.wrapped"
check "RJ_CT stores more" storescu -aet RJ_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/rj2"
check_eq "11 instances" 11 "$(count_instances)"
# Blob files follow the acknowledgement (after the burst's pause).
for ((i = 0; i < 200; i++)); do [[ $(blobs_of "$RJ_NEW") -ge 3 ]] && break; sleep 0.05; done
check "new objects are sealed with the new key at once" test "$(blobs_of "$RJ_NEW")" -ge 3
# The server re-encrypts the rest in the background.
for ((i = 0; i < 300; i++)); do [[ $(header_ids ruijin) == "${RJ_NEW}x7 " ]] && break; sleep 0.2; done
check_eq "the server re-encrypted ruijin's old blobs in the background" "${RJ_NEW}x7 " "$(header_ids ruijin)"
check "every object reads back exactly" verify_all "$WORK/rj" "$WORK/rj2" "$WORK/xh"
check "the old key can be retired now" keys retire --key-id "$RJ_OLD"
check "its key file is gone" test ! -e "$DATA/keys/ruijin.$RJ_OLD.wrapped"
check "everything still reads back" verify_all "$WORK/rj" "$WORK/rj2" "$WORK/xh"
check "the server stops cleanly" stop_server

# ---- one-shot re-encryption, SM tenant ----
check "keys rotate --tenant xiehe" keys rotate --tenant xiehe
XH_NEW=$(key_of xiehe yes)
check_eq "the new key keeps the tenant's suite" sm "$(keys list | awk -v id="$XH_NEW" '$2 == id { print $3 }')"
keys reencrypt >"$WORK/reencrypt.out"
check_eq "keys reencrypt rewrote xiehe's 4 blobs" "re-encrypted: 4" "$(grep re-encrypted "$WORK/reencrypt.out")"
check_eq "all of them under the new SM key" "${XH_NEW}x4 " "$(header_ids xiehe)"
check "the old SM key is retired" keys retire --key-id "$XH_KEY"
rc=0; keys retire --key-id "$XH_NEW" >/dev/null 2>&1 || rc=$?
check "the active key cannot be retired" test "$rc" -ne 0

# ---- master key rotation ----
openssl rand -hex 32 >"$WORK/new-master.key"
chmod 600 "$WORK/new-master.key"
check "keys rotate --master" keys rotate --master --new-master-key-file "$WORK/new-master.key"
keys rotate --master --new-master-key-file "$WORK/new-master.key" >"$WORK/again.out"
check "a second run finds everything done" grep -q "re-wrapped 0 key(s)" "$WORK/again.out"
rc=0; "$CLOUDFILM" fsck "${CONFIG[@]}" --data "$DATA" >/dev/null 2>&1 || rc=$?
check "the old master key opens nothing any more" test "$rc" -ne 0
printf '\n[security]\nmaster_key_file = "%s"\n' "$WORK/new-master.key" >>"$WORK/cloudfilm.toml"
start_server "$DATA" "${CONFIG[@]}"
check "with the new master key every object reads back exactly" verify_all "$WORK/rj" "$WORK/rj2" "$WORK/xh"
check "the server stops cleanly" stop_server
"$CLOUDFILM" fsck "${CONFIG[@]}" --data "$DATA" >"$WORK/fsck.out" 2>&1 || true
check "fsck is clean" grep -q "^clean" "$WORK/fsck.out"

finish
