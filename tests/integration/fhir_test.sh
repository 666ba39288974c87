#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The FHIR R4 endpoint (POST /fhir/DiagnosticReport) answers every error as
# a FHIR client expects: an OperationOutcome (application/fhir+json) with
# issue.severity, issue.code (the FHIR issue type of the status) and
# issue.diagnostics, and the same HTTP status as the REST API would give.
# Bad JSON, another resource type, an exam the report cannot be filed for
# (an amendment of an unknown accession, no exam named), no credentials, a
# role without the permission, an unknown FHIR path or method, and a body
# over the size limit. A good report is still filed (201), and /api errors
# stay problem JSON.
source "$(dirname "$0")/lib.sh"

cat >"$WORK/cloudfilm.toml" <<TOML
[tenants.ruijin]
name = "Ruijin Hospital"
ae_titles = ["RJ_CT"]
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")
start_server "$WORK/data" "${CONFIG[@]}"
RIS=$(account_token "$WORK/data" ris.rj api-client ruijin "${CONFIG[@]}")
KIOSK=$(account_token "$WORK/data" kiosk.rj kiosk ruijin "${CONFIG[@]}")

# fhir NAME TOKEN BODY [curl options...]: POSTs BODY (as $TYPE, default
# application/fhir+json), prints "status content-type".
fhir() {
  local name=$1 token=$2 body=$3
  shift 3
  local auth=()
  [[ -n $token ]] && auth=(-H "Authorization: Bearer $token")
  curl -q -s -o "$WORK/$name.json" -D "$WORK/$name.head" -w '%{http_code} %{content_type}' "${auth[@]}" \
    -H "Content-Type: ${TYPE:-application/fhir+json}" --data-binary "$body" "$@" "$BASE/fhir/DiagnosticReport"
}
# outcome NAME: "resourceType severity code" of the answer, and its diagnostics on a second line.
outcome() {
  jq -r '"\(.resourceType) \(.issue | length) \(.issue[0].severity) \(.issue[0].code)\n\(.issue[0].diagnostics)"' "$WORK/$1.json"
}
# expect_outcome WHAT NAME "STATUS" "SEVERITY CODE" DIAGNOSTICS-REGEX
expect_outcome() {
  local what=$1 name=$2 got=$3 status=$4 sev_code=$5 regex=$6
  check_eq "$what: $status as application/fhir+json" "$status application/fhir+json" "$got"
  check_eq "$what: an OperationOutcome with one issue: $sev_code" "OperationOutcome 1 $sev_code" \
    "$(outcome "$name" | head -1)"
  check "$what: its diagnostics say why ($regex)" grep -Eq "$regex" <(outcome "$name" | tail -1)
  echo "  diagnostics: $(outcome "$name" | tail -1)"
}
RAD='"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0074","code":"RAD"}]}]'
ACSN() { printf '"identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"ACSN"}]},"value":"%s"}]' "$1"; }

expect_outcome "bad JSON" badjson "$(fhir badjson "$RIS" '{"resourceType": "DiagnosticReport",')" \
  400 "error invalid" "JSON"
expect_outcome "another resource type" patient "$(fhir patient "$RIS" '{"resourceType":"Patient"}')" \
  400 "error invalid" "resourceType must be DiagnosticReport"
check_eq "the issue names our error code too" "urn:cloudfilm:error invalid-argument" \
  "$(jq -r '.issue[0].details.coding[0] | "\(.system) \(.code)"' "$WORK/patient.json")"
expect_outcome "a report of no known kind" nokind \
  "$(fhir nokind "$RIS" '{"resourceType":"DiagnosticReport","status":"final","conclusion":"x"}')" \
  400 "error invalid" "category names no report kind"
expect_outcome "a report that names no exam" noexam \
  "$(fhir noexam "$RIS" "{\"resourceType\":\"DiagnosticReport\",\"status\":\"preliminary\",$RAD,\"conclusion\":\"x\"}")" \
  400 "error invalid" "name the exam"
expect_outcome "an amendment of an unknown accession" unknown \
  "$(fhir unknown "$RIS" "{\"resourceType\":\"DiagnosticReport\",\"status\":\"amended\",$RAD,$(ACSN NO-SUCH-ACCESSION),
     \"issued\":\"2026-11-29T11:00:00+08:00\",\"resultsInterpreter\":[{\"display\":\"Dr. Wang\"}],\"conclusion\":\"x\"}")" \
  409 "error conflict" "first version cannot be an amendment"
expect_outcome "no credentials" anonymous "$(fhir anonymous "" '{"resourceType":"DiagnosticReport"}')" \
  401 "error login" "sign in|Bearer"
check "401 keeps its WWW-Authenticate header" grep -qi '^WWW-Authenticate: Bearer' "$WORK/anonymous.head"
expect_outcome "a wrong token" badtoken "$(fhir badtoken "cf_not-a-token" '{"resourceType":"DiagnosticReport"}')" \
  401 "error login" "."
expect_outcome "a kiosk may not write reports" kiosk "$(fhir kiosk "$KIOSK" '{"resourceType":"DiagnosticReport"}')" \
  403 "error forbidden" "."
expect_outcome "not FHIR JSON" notjson "$(TYPE=text/plain fhir notjson "$RIS" 'x')" \
  415 "error not-supported" "."
expect_outcome "GET of the endpoint" get "$(fhir get "$RIS" '' -X GET)" \
  405 "error not-supported" "allowed methods: POST"
check "405 keeps its Allow header" grep -qi '^Allow: POST' "$WORK/get.head"
got=$(curl -q -s -o "$WORK/patient404.json" -w '%{http_code} %{content_type}' -H "Authorization: Bearer $RIS" \
  "$BASE/fhir/Patient/123")
expect_outcome "an unknown FHIR resource" patient404 "$got" 404 "error not-found" "no such resource"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$WORK/big.txt"
expect_outcome "a body over the size limit" big "$(fhir big "$RIS" "@$WORK/big.txt")" \
  413 "error too-long" "exceeds"

# A good report is still filed, and the REST API keeps problem JSON.
check_eq "a good DiagnosticReport: 201" "201 application/json" "$(fhir good "$RIS" \
  "{\"resourceType\":\"DiagnosticReport\",\"status\":\"preliminary\",$RAD,$(ACSN RJ-2026-0042),\"conclusion\":\"ok\"}")"
check_eq "it is filed" "radiology RJ-2026-0042" "$(jq -r '"\(.kind) \(.accession)"' "$WORK/good.json")"
check_eq "the REST API still answers problem JSON" "401 application/problem+json" \
  "$(curl -q -s -o /dev/null -w '%{http_code} %{content_type}' -X POST "$BASE/api/reports")"
stop_server
finish
