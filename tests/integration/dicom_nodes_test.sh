#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# DICOM nodes managed over HTTP (/api/dicom-nodes) while the real server
# runs, with real DCMTK peers: a hospital admin registers a workstation
# (DCMTK storescp listening as RJ_WS) and a modality without an address;
# the echo route reaches the first and reports a dead port's failure; a
# C-MOVE to the new node delivers the study at once; the new modality's
# C-STORE is filed under its hospital; the other hospital can neither see
# nor touch these nodes; bad input is refused with problem JSON; changes
# are audited and need CSRF from a browser session; the nodes survive a
# restart; removing a node makes C-MOVE to it 0xA801 and its stores refused.
source "$(dirname "$0")/lib.sh"

WS_PORT=$(free_port)
mkdir -p "$WORK/ws"
storescp -aet RJ_WS -od "$WORK/ws" "$WS_PORT" >"$WORK/ws.log" 2>&1 &
WS_PID=$!
trap 'kill $WS_PID 2>/dev/null; cleanup' EXIT

cat >"$WORK/cloudfilm.toml" <<TOML
[dicom]
destinations = { CFG_DEST = "127.0.0.1:9" }

[tenants.ruijin]
name = "Ruijin Hospital"
ae_titles = ["RJ_CT", "CFG_DEST"]

[tenants.huashan]
name = "Huashan Hospital"
ae_titles = ["HS_CT"]
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")

"$CLOUDFILM" synth "$WORK/s1" --seed 61 --patients 1 --studies 1 --series 1 --instances 3 \
  --ct-size 32 >/dev/null
"$CLOUDFILM" synth "$WORK/s2" --seed 62 --patients 1 --studies 1 --series 1 --instances 2 \
  --ct-size 32 >/dev/null
STUDY1=$(dicom_value "$(first_dicom "$WORK/s1")" StudyInstanceUID)
STUDY2=$(dicom_value "$(first_dicom "$WORK/s2")" StudyInstanceUID)

start_server "$WORK/data" "${CONFIG[@]}"
check "RJ_CT stores a study" storescu -aet RJ_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/s1"
RJ_ADMIN=$(account_token "$WORK/data" admin.rj hospital-admin ruijin "${CONFIG[@]}")
HS_ADMIN=$(account_token "$WORK/data" admin.hs hospital-admin huashan "${CONFIG[@]}")
RJ_DOC=$(account_token "$WORK/data" dr.rj doctor ruijin "${CONFIG[@]}")
HS_DOC=$(account_token "$WORK/data" dr.hs doctor huashan "${CONFIG[@]}")
as() { local t=$1; shift; curl -q -s -H "Authorization: Bearer $t" "$@"; }
# put TOKEN AET JSON: prints the status; the answer is in $WORK/put.json
put() {
  as "$1" -o "$WORK/put.json" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    --data-binary "$3" "$BASE/api/dicom-nodes/$2"
}
problem() { echo "$1 $(jq -r '.type' "$WORK/put.json")"; }
move() {  # move CALLING DEST STUDY: movescu's output
  movescu -d -aet "$1" -aec CLOUDFILM -aem "$2" -S -k QueryRetrieveLevel=STUDY \
    -k StudyInstanceUID="$3" 127.0.0.1 "$DICOM_PORT" 2>&1 || true
}
wait_files() {  # storescp writes asynchronously to the move response
  for ((i = 0; i < 200; i++)); do [[ $(find "$1" -type f | wc -l) -ge $2 ]] && return 0; sleep 0.05; done
}

# ---- before: unknown to the DIMSE server ----
check "C-MOVE to RJ_WS before it is registered: 0xA801" grep -qiE "MoveDestinationUnknown|a801" \
  <<<"$(move RJ_CT RJ_WS "$STUDY1")"
rc=0; storescu -aet RJ_NEW -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT" "$WORK/s2" +sd +r >"$WORK/new0.log" 2>&1 || rc=$?
check "RJ_NEW's C-STORE before it is registered is refused" \
  bash -c "[[ $rc -ne 0 ]] && grep -qi 'rejected\|not recognized' '$WORK/new0.log'"

# ---- register ----
check_eq "Ruijin's admin registers RJ_WS: 201" 201 \
  "$(put "$RJ_ADMIN" RJ_WS "{\"host\":\"127.0.0.1\",\"port\":$WS_PORT,\"description\":\"阅片工作站 3F\"}")"
check_eq "the answer is the node, of Ruijin" "RJ_WS ruijin 127.0.0.1 $WS_PORT 阅片工作站 3F registry admin.rj" \
  "$(jq -r '"\(.ae_title) \(.tenant) \(.host) \(.port) \(.description) \(.source) \(.changed_by)"' "$WORK/put.json")"
check_eq "putting it again updates it: 200" "200 阅片工作站 4F" \
  "$(put "$RJ_ADMIN" RJ_WS "{\"host\":\"127.0.0.1\",\"port\":$WS_PORT,\"description\":\"阅片工作站 4F\"}") $(jq -r .description "$WORK/put.json")"
check_eq "a modality without an address: 201" "201 null" \
  "$(put "$RJ_ADMIN" RJ_NEW '{"description":"DR room 2"}') $(jq -r .host "$WORK/put.json")"
DEAD_PORT=$(free_port)
check_eq "a node on a dead port: 201" 201 "$(put "$RJ_ADMIN" RJ_DEAD "{\"host\":\"127.0.0.1\",\"port\":$DEAD_PORT}")"

# ---- refused input, as problem JSON ----
check_eq "an AE title over 16 characters: 400" "400 urn:cloudfilm:error:invalid-argument" \
  "$(problem "$(put "$RJ_ADMIN" ABCDEFGHIJKLMNOPQ '{}')")"
check_eq "a backslash in the AE title: 400" "400 urn:cloudfilm:error:invalid-argument" \
  "$(problem "$(put "$RJ_ADMIN" 'BAD%5CAE' '{}')")"
check_eq "a bad host: 400" "400 urn:cloudfilm:error:invalid-argument" \
  "$(problem "$(put "$RJ_ADMIN" RJ_X '{"host":"bad host","port":104}')")"
check_eq "a port out of range: 400" "400 urn:cloudfilm:error:invalid-argument" \
  "$(problem "$(put "$RJ_ADMIN" RJ_X '{"host":"127.0.0.1","port":70000}')")"
check_eq "a host without a port: 400" "400 urn:cloudfilm:error:invalid-argument" \
  "$(problem "$(put "$RJ_ADMIN" RJ_X '{"host":"127.0.0.1"}')")"
check_eq "an unknown field: 400" "400 urn:cloudfilm:error:invalid-argument" \
  "$(problem "$(put "$RJ_ADMIN" RJ_X '{"adress":"127.0.0.1:104"}')")"
check_eq "an AE title of the configuration file: 409" "409 urn:cloudfilm:error:conflict" \
  "$(problem "$(put "$RJ_ADMIN" RJ_CT '{}')")"
check_eq "this server's own AE title: 409" "409 urn:cloudfilm:error:conflict" \
  "$(problem "$(put "$RJ_ADMIN" CLOUDFILM '{}')")"
check_eq "an unknown hospital (platform): 400" "400 unknown tenant" \
  "$(put "$CF_TOKEN" RJ_X '{"tenant":"ruijn"}') $(jq -r '.detail' "$WORK/put.json" | cut -c1-14)"
check_eq "the problem is application/problem+json" "application/problem+json" \
  "$(as "$RJ_ADMIN" -o /dev/null -w '%{content_type}' -X PUT -H 'Content-Type: application/json' \
    --data-binary '{}' "$BASE/api/dicom-nodes/RJ_CT")"
check_eq "removing a node of the configuration file: 409" 409 \
  "$(as "$RJ_ADMIN" -o /dev/null -w '%{http_code}' -X DELETE "$BASE/api/dicom-nodes/CFG_DEST")"
check_eq "removing a node that does not exist: 404" 404 \
  "$(as "$RJ_ADMIN" -o /dev/null -w '%{http_code}' -X DELETE "$BASE/api/dicom-nodes/NOBODY")"
check_eq "nothing refused was stored" "RJ_DEAD RJ_NEW RJ_WS" \
  "$(as "$RJ_ADMIN" "$BASE/api/dicom-nodes" | jq -r '[.nodes[] | select(.source == "registry") | .ae_title] | join(" ")')"

# ---- who may ----
check_eq "a doctor may not list DICOM nodes: 403" 403 \
  "$(as "$RJ_DOC" -o /dev/null -w '%{http_code}' "$BASE/api/dicom-nodes")"
check_eq "anonymous: 401" 401 "$(curl -q -s -o /dev/null -w '%{http_code}' "$BASE/api/dicom-nodes")"
check_eq "Huashan's admin does not see Ruijin's nodes" "HS_CT" \
  "$(as "$HS_ADMIN" "$BASE/api/dicom-nodes" | jq -r '[.nodes[].ae_title] | join(" ")')"
check_eq "Huashan's admin cannot remove Ruijin's node: 404" 404 \
  "$(as "$HS_ADMIN" -o /dev/null -w '%{http_code}' -X DELETE "$BASE/api/dicom-nodes/RJ_WS")"
check_eq "nor take its AE title: 409" 409 \
  "$(put "$HS_ADMIN" RJ_WS '{"host":"127.0.0.1","port":104}')"
check_eq "nor register a node for Ruijin: 403" 403 "$(put "$HS_ADMIN" HS_X '{"tenant":"ruijin"}')"
check_eq "nor echo Ruijin's node: 404" 404 \
  "$(as "$HS_ADMIN" -o /dev/null -w '%{http_code}' -X POST "$BASE/api/dicom-nodes/RJ_WS/echo")"
check_eq "the platform sees every hospital's, and which are the file's" \
  "CFG_DEST:config HS_CT:config RJ_CT:config RJ_DEAD:registry RJ_NEW:registry RJ_WS:registry" \
  "$(curl -sf "$BASE/api/dicom-nodes" | jq -r '[.nodes[] | "\(.ae_title):\(.source)"] | sort | join(" ")')"
check_eq "or one hospital's (?tenant=)" "HS_CT" \
  "$(curl -sf "$BASE/api/dicom-nodes?tenant=huashan" | jq -r '[.nodes[].ae_title] | join(" ")')"

# A browser session needs the CSRF token for a change, as everywhere.
curl -q -s -c "$WORK/jar" -o /dev/null -H 'Content-Type: application/json' \
  --data-binary '{"login":"admin.rj","password":"a long enough password"}' "$BASE/api/auth/login"
CSRF=$(awk '$6 == "cf_csrf" { print $7 }' "$WORK/jar")
check_eq "a session's change without X-CSRF-Token: 403" 403 \
  "$(curl -q -s -b "$WORK/jar" -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    --data-binary '{}' "$BASE/api/dicom-nodes/RJ_SESS")"
check_eq "with it: 201" 201 \
  "$(curl -q -s -b "$WORK/jar" -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    -H "X-CSRF-Token: $CSRF" --data-binary '{}' "$BASE/api/dicom-nodes/RJ_SESS")"
check_eq "and its removal: 204" 204 \
  "$(curl -q -s -b "$WORK/jar" -o /dev/null -w '%{http_code}' -X DELETE -H "X-CSRF-Token: $CSRF" \
    "$BASE/api/dicom-nodes/RJ_SESS")"

# ---- echo ----
check_eq "echo of RJ_WS: a real C-ECHO answers" "true" \
  "$(as "$RJ_ADMIN" -X POST "$BASE/api/dicom-nodes/RJ_WS/echo" | jq -r .ok)"
echo_dead=$(as "$RJ_ADMIN" -X POST "$BASE/api/dicom-nodes/RJ_DEAD/echo")
check_eq "echo of a dead port fails, saying why" "false true" \
  "$(jq -r '"\(.ok) \(.error | test("refused"))"' <<<"$echo_dead")"
check_eq "echo of a node without an address: 400" 400 \
  "$(as "$RJ_ADMIN" -o /dev/null -w '%{http_code}' -X POST "$BASE/api/dicom-nodes/RJ_NEW/echo")"
check_eq "echo of an unknown node: 404" 404 \
  "$(as "$RJ_ADMIN" -o /dev/null -w '%{http_code}' -X POST "$BASE/api/dicom-nodes/NOBODY/echo")"

# ---- the DIMSE server uses them at once ----
out=$(move RJ_CT RJ_WS "$STUDY1")
check "C-MOVE to the new node succeeds" grep -q "Completed Suboperations *: 3" <<<"$out"
wait_files "$WORK/ws" 3
check_eq "its storescp received the study: 3 files" 3 "$(find "$WORK/ws" -type f | wc -l)"
check "Huashan's modality cannot move to Ruijin's node (0xA801)" grep -qiE "MoveDestinationUnknown|a801" \
  <<<"$(move HS_CT RJ_WS "$STUDY1")"
check "RJ_NEW's C-STORE is accepted now" storescu -aet RJ_NEW -aec CLOUDFILM +sd +r +sp '*.dcm' \
  127.0.0.1 "$DICOM_PORT" "$WORK/s2"
check_eq "and filed under Ruijin: its doctor finds the study" "1 ruijin" \
  "$(as "$RJ_DOC" "$BASE/dicom-web/studies?StudyInstanceUID=$STUDY2" | jq -r 'length') $(curl -sf "$BASE/api/studies?limit=100" | jq -r --arg s "$STUDY2" '.items[] | select(.study_instance_uid == $s) | .tenant')"
check_eq "Huashan's doctor does not" 0 \
  "$(as "$HS_DOC" "$BASE/dicom-web/studies?StudyInstanceUID=$STUDY2" | jq -r 'length')"

# ---- audited ----
check_eq "each change is an audit event of Ruijin, by its admin" \
  "config-change config-change config-change config-change" \
  "$(curl -sf "$BASE/api/audit?tenant=ruijin&actor=admin.rj&limit=1000" |
    jq -r '[.events[] | select(.route == "/api/dicom-nodes/{aet}" and .outcome == "success") | .action] | reverse | .[0:4] | join(" ")')"
check "the event names the node and its address" bash -c \
  "curl -sf '$BASE/api/audit?tenant=ruijin&actor=admin.rj&limit=1000' | jq -r '.events[].detail' | grep -q 'DICOM node RJ_WS created: 127.0.0.1:$WS_PORT'"
check "Huashan's refused attempt is audited as denied" bash -c \
  "curl -sf '$BASE/api/audit?actor=admin.hs&outcome=denied&limit=100' | jq -r '.events[].detail' | grep -q 'HS_X for another hospital'"

# ---- restart: the nodes persist ----
stop_server
start_server "$WORK/data" "${CONFIG[@]}"
check_eq "after a restart the nodes are still there" "RJ_DEAD RJ_NEW RJ_WS 阅片工作站 4F" \
  "$(as "$RJ_ADMIN" "$BASE/api/dicom-nodes" | jq -r '([.nodes[] | select(.source == "registry") | .ae_title] | join(" ")) + " " + (.nodes[] | select(.ae_title == "RJ_WS") | .description)')"
out=$(move RJ_CT RJ_WS "$STUDY2")
check "and C-MOVE to RJ_WS still works" grep -q "Completed Suboperations *: 2" <<<"$out"
wait_files "$WORK/ws" 5
check_eq "its storescp now holds both studies: 5 files" 5 "$(find "$WORK/ws" -type f | wc -l)"
check "the database is encrypted at rest" bash -c "! head -c 16 '$WORK/data/dicom_nodes.sqlite' | grep -q 'SQLite format'"

# ---- remove ----
check_eq "Ruijin's admin removes RJ_WS: 204" 204 \
  "$(as "$RJ_ADMIN" -o /dev/null -w '%{http_code}' -X DELETE "$BASE/api/dicom-nodes/RJ_WS")"
check "C-MOVE to the removed node is refused at once (0xA801)" grep -qiE "MoveDestinationUnknown|a801" \
  <<<"$(move RJ_CT RJ_WS "$STUDY1")"
check_eq "and its storescp received nothing more" 5 "$(find "$WORK/ws" -type f | wc -l)"
check_eq "removing RJ_NEW: 204" 204 \
  "$(as "$RJ_ADMIN" -o /dev/null -w '%{http_code}' -X DELETE "$BASE/api/dicom-nodes/RJ_NEW")"
rc=0; storescu -aet RJ_NEW -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT" "$WORK/s2" +sd +r >"$WORK/new2.log" 2>&1 || rc=$?
check "RJ_NEW is an unknown caller again: refused" \
  bash -c "[[ $rc -ne 0 ]] && grep -qi 'rejected\|not recognized' '$WORK/new2.log'"
check_eq "the removal is audited" "DICOM node RJ_NEW removed (was no address)" \
  "$(curl -sf "$BASE/api/audit?tenant=ruijin&actor=admin.rj&limit=5" | jq -r '.events[0].detail')"
check "server still up" server_alive
finish
