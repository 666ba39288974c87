#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The transparency log from outside: `cloudfilm ledger append` five entries
# (a tree head signed after each), check what `ledger show` and `ledger
# prove` print against an independent RFC 6962 computation (Python) and the
# signature with the openssl command line (Ed25519, then SM2/SM3 with the
# standard ID), then tamper with the encrypted database the way someone
# holding the files and the master key could (cf_sql_tamper): a rewritten
# entry, a removed last entry, and a removed last entry together with its
# tree head, which only a head kept elsewhere reveals. `ledger check` must
# fail naming the entry and the tree head each time.
source "$(dirname "$0")/lib.sh"
: "${CF_SQL_TAMPER:?CF_SQL_TAMPER must name the cf_sql_tamper tool}"

D=$WORK/data
for i in 0 1 2 3 4; do
  printf '{"action":"issue","film":"F-%d","manifest_sha256":"%064d"}' "$i" "$i" >"$WORK/e$i.json"
done
for i in 0 1 2 3 4; do
  "$CLOUDFILM" ledger append --data "$D" "$WORK/e$i.json" >"$WORK/sth$i.json" 2>"$WORK/append$i.err"
done
check_eq "each append signs a tree head of its size" "1 2 3 4 5" \
  "$(for i in 0 1 2 3 4; do jq -r .tree_size "$WORK/sth$i.json"; done | tr '\n' ' ' | sed 's/ $//')"
check "append names the entry's index" grep -q "^entry 4: $WORK/e4.json" "$WORK/append4.err"

"$CLOUDFILM" ledger show --data "$D" >"$WORK/show.json"
check_eq "show prints the latest tree head" "5 ed25519" \
  "$(jq -r '"\(.tree_size) \(.signature_suite)"' "$WORK/show.json")"
KEY_ID=$(jq -r .key_id "$WORK/show.json")
PUB=$D/keys/_ledger.sign.$KEY_ID.pub.pem
check "the log's public key is in the key folder, named by its SHA-256" \
  bash -c "[[ \$(openssl pkey -pubin -in '$PUB' -outform DER | sha256sum | cut -d' ' -f1) == $KEY_ID ]]"
"$CLOUDFILM" ledger show --data "$D" --public-key >"$WORK/pub.pem"
check "show --public-key prints it" cmp -s "$WORK/pub.pem" "$PUB"
check "its private key is only stored wrapped" \
  bash -c "[[ -f '$D/keys/_ledger.sign.$KEY_ID.wrapped' ]] && ! grep -q 'PRIVATE KEY' '$D/keys/_ledger.sign.$KEY_ID.wrapped'"
check "ledger.sqlite is encrypted at rest like the other databases" \
  bash -c "[[ \$(head -c 15 '$D/ledger.sqlite') != 'SQLite format 3' ]]"

# An independent RFC 6962 implementation: the root of the five files, and
# the 50-byte TreeHeadSignature input of a tree head.
cat >"$WORK/rfc6962.py" <<'PY'
import hashlib, json, sys
def leaf(b): return hashlib.sha256(b"\x00" + b).digest()
def node(l, r): return hashlib.sha256(b"\x01" + l + r).digest()
def mth(hs):
    if len(hs) == 1: return hs[0]
    k = 1
    while k * 2 < len(hs): k *= 2
    return node(mth(hs[:k]), mth(hs[k:]))
cmd = sys.argv[1]
if cmd == "root":
    print(mth([leaf(open(f, "rb").read()) for f in sys.argv[2:]]).hex())
elif cmd == "input":  # sth.json out.bin: what the log key signed
    s = json.load(open(sys.argv[2]))
    msg = b"\x00\x01" + s["timestamp"].to_bytes(8, "big") + s["tree_size"].to_bytes(8, "big") \
        + bytes.fromhex(s["sha256_root_hash"])
    open(sys.argv[3], "wb").write(msg)
    open(sys.argv[3] + ".sig", "wb").write(bytes.fromhex(s["signature"]))
elif cmd == "inclusion":  # proof.json entry-file root-hex
    p = json.load(open(sys.argv[2]))
    fn, sn, r = p["leaf_index"], p["tree_size"] - 1, leaf(open(sys.argv[3], "rb").read())
    for h in map(bytes.fromhex, p["inclusion_path"]):
        if fn & 1 or fn == sn:
            r = node(h, r)
            while not fn & 1 and fn: fn >>= 1; sn >>= 1
        else:
            r = node(r, h)
        fn >>= 1; sn >>= 1
    print("ok" if sn == 0 and r.hex() == sys.argv[4] else "mismatch")
PY
ROOT=$(jq -r .sha256_root_hash "$WORK/show.json")
check_eq "the root hash is RFC 6962's over the five entries" \
  "$(python3 "$WORK/rfc6962.py" root "$WORK"/e{0,1,2,3,4}.json)" "$ROOT"
python3 "$WORK/rfc6962.py" input "$WORK/show.json" "$WORK/sth.bin"
check "openssl verifies the tree head's Ed25519 signature" \
  openssl pkeyutl -verify -pubin -inkey "$PUB" -rawin -in "$WORK/sth.bin" -sigfile "$WORK/sth.bin.sig"
"$CLOUDFILM" ledger prove --data "$D" --index 2 >"$WORK/proof2.json"
check_eq "the inclusion proof of entry 2 leads to the signed root" ok \
  "$(python3 "$WORK/rfc6962.py" inclusion "$WORK/proof2.json" "$WORK/e2.json" "$ROOT")"
"$CLOUDFILM" ledger prove --data "$D" --from 3 >"$WORK/consistency.json"
check_eq "a consistency proof from size 3 to 5" "3 5 4" \
  "$(jq -r '"\(.first_tree_size) \(.second_tree_size) \(.consistency_path | length)"' "$WORK/consistency.json")"

"$CLOUDFILM" ledger check --data "$D" >"$WORK/check.out"
check "ledger check of the untouched log is clean" grep -q "^clean$" "$WORK/check.out"
check "and counted every entry and head" \
  bash -c "grep -q '^entries checked: 5$' '$WORK/check.out' && grep -q '^tree heads checked: 5$' '$WORK/check.out'"

# Copies for each tamper below.
cp -a "$D" "$WORK/removed"
cp -a "$D" "$WORK/hidden"

# ---- an entry rewritten in place (triggers dropped first) ----
"$CF_SQL_TAMPER" "$D" ledger "DROP TRIGGER ledger_entries_no_update;
  UPDATE ledger_entries SET entry = CAST('{\"action\":\"revoke\",\"film\":\"F-2\"}' AS BLOB)
  WHERE leaf_index = 2;"
rc=0; "$CLOUDFILM" ledger check --data "$D" >"$WORK/check-rewritten.out" || rc=$?
check_eq "check fails on a rewritten entry" 1 "$rc"
check "naming the entry" \
  grep -q "^problem: entry 2: its bytes do not match the leaf hash recorded when it was appended" \
  "$WORK/check-rewritten.out"
check "and the tree heads signed since, which it no longer matches" \
  grep -q "^problem: tree head 3 (signed .*): its root hash does not match entries 0..2 (entry 2 is not what was signed)" \
  "$WORK/check-rewritten.out"
check "but not the heads signed before it" bash -c "! grep -q 'tree head 2 (' '$WORK/check-rewritten.out'"

# ---- the last entry removed, with its leaf hash ----
"$CF_SQL_TAMPER" "$WORK/removed" ledger "DROP TRIGGER ledger_entries_no_delete;
  DROP TRIGGER ledger_nodes_no_delete;
  DELETE FROM ledger_entries WHERE leaf_index = 4;
  DELETE FROM ledger_nodes WHERE level = 0 AND node_index = 4;"
rc=0; "$CLOUDFILM" ledger check --data "$WORK/removed" >"$WORK/check-removed.out" || rc=$?
check_eq "check fails when the last entry is removed" 1 "$rc"
check "against the last signed tree head" \
  grep -q "^problem: tree head 5 (signed .*): covers 5 entries but the log holds 4: entry 4 was removed after it was signed" \
  "$WORK/check-removed.out"
rc=0; "$CLOUDFILM" ledger append --data "$WORK/removed" "$WORK/e0.json" >/dev/null 2>"$WORK/append-removed.err" || rc=$?
check "and the log refuses to sign over the hole" \
  bash -c "[[ $rc -ne 0 ]] && grep -q 'ledger check' '$WORK/append-removed.err'"

# ---- the last entry and the tree head that covered it removed ----
"$CF_SQL_TAMPER" "$WORK/hidden" ledger "DROP TRIGGER ledger_entries_no_delete;
  DROP TRIGGER ledger_nodes_no_delete; DROP TRIGGER ledger_tree_heads_no_delete;
  DELETE FROM ledger_entries WHERE leaf_index = 4;
  DELETE FROM ledger_nodes WHERE level = 0 AND node_index = 4;
  DELETE FROM ledger_tree_heads WHERE tree_size = 5;"
rc=0; "$CLOUDFILM" ledger check --data "$WORK/hidden" >"$WORK/check-hidden.out" || rc=$?
check_eq "a log that hid its last head looks clean on its own" 0 "$rc"
rc=0; "$CLOUDFILM" ledger check --data "$WORK/hidden" --tree-head "$WORK/sth4.json" \
  >"$WORK/check-hidden2.out" || rc=$?
check_eq "but not against the head handed out before (a film package's)" 1 "$rc"
check "which names the removed entry" \
  grep -q "^problem: given tree head 5 (signed .*): covers 5 entries but the log holds 4: entry 4 was removed" \
  "$WORK/check-hidden2.out"
echo '{"tree_size": 5}' >"$WORK/bad-head.json"
rc=0; "$CLOUDFILM" ledger check --data "$WORK/hidden" --tree-head "$WORK/bad-head.json" \
  >/dev/null 2>"$WORK/bad-head.err" || rc=$?
check "a malformed given head is refused, naming the field" \
  bash -c "[[ $rc -ne 0 ]] && grep -q 'timestamp' '$WORK/bad-head.err'"

# ---- the national suite: SM2 with SM3 ----
cat >"$WORK/sm2.toml" <<TOML
[ledger]
signature_suite = "sm2"
TOML
"$CLOUDFILM" ledger append --config "$WORK/sm2.toml" --data "$WORK/sm2" "$WORK/e0.json" "$WORK/e1.json" \
  >"$WORK/sm2.json" 2>/dev/null
check_eq "with ledger.signature_suite = sm2 the head is signed with SM2" "2 sm2" \
  "$(jq -r '"\(.tree_size) \(.signature_suite)"' "$WORK/sm2.json")"
SM2_PUB=$WORK/sm2/keys/_ledger.sign.$(jq -r .key_id "$WORK/sm2.json").pub.pem
python3 "$WORK/rfc6962.py" input "$WORK/sm2.json" "$WORK/sm2.bin"
check "openssl verifies it with SM3 and the standard distinguishing ID" \
  openssl pkeyutl -verify -pubin -inkey "$SM2_PUB" -rawin -digest sm3 \
  -pkeyopt distid:1234567812345678 -in "$WORK/sm2.bin" -sigfile "$WORK/sm2.bin.sig"
check "ledger check of the SM2 log is clean" \
  bash -c "'$CLOUDFILM' ledger check --config '$WORK/sm2.toml' --data '$WORK/sm2' | grep -q '^clean$'"

rc=0; "$CLOUDFILM" ledger show --data "$WORK/nothing" >/dev/null 2>"$WORK/nothing.err" || rc=$?
check "show on a folder without a log says so" \
  bash -c "[[ $rc -ne 0 ]] && grep -q 'no transparency log' '$WORK/nothing.err'"

finish
