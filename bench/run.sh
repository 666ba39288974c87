#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Side-by-side ingest benchmark: Orthanc (Debian package, via the shared
# runner) and cloudfilm on the same synthetic CT files, in one run, then a
# table of cloudfilm/Orthanc ratios of the medians. fsync is on for both.
#
#   bench/run.sh path/to/cloudfilm
# Environment: RUNS (5), PHASES (coldstart,cstore), WORK (/tmp/cloudfilm-bench),
# N_A (2000), SHARED_BENCH (../shared/bench), IMPORT_RUNS (3; 0 skips the import comparison),
# SKIP_ORTHANC=1 (cloudfilm only, against the latest Orthanc results: for A/B of two binaries).
# cloudfilm's HTTP wants a bearer token: each run makes one, the server's
# CLOUDFILM_BOOTSTRAP_TOKEN, and the shared runner's clients of cloudfilm
# send it: its curls through a .curlrc (CURL_HOME), its wrk through a wrapper
# first on PATH. Orthanc's runs and the import comparison get neither.
set -euo pipefail
BIN=$(realpath "${1:?usage: bench/run.sh path/to/cloudfilm}")
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED_BENCH=${SHARED_BENCH:-$HERE/../../shared/bench}
export WORK=${WORK:-/tmp/cloudfilm-bench}
export RUNS=${RUNS:-5} STOCK_RUNS=${STOCK_RUNS:-0} FILL_N=${FILL_N:-0} N_A=${N_A:-2000}
export PHASES=${PHASES:-coldstart,cstore}
IMPORT_RUNS=${IMPORT_RUNS:-3}
[[ -x $SHARED_BENCH/run-orthanc-baseline.sh ]] || { echo "bench: $SHARED_BENCH/run-orthanc-baseline.sh not found" >&2; exit 1; }
mkdir -p "$WORK/results"

latest() { ls -dt "$WORK"/results/*-"$1" 2>/dev/null | head -1; }

if [[ ${REUSE_RESULTS:-0} != 1 ]]; then  # REUSE_RESULTS=1: only the import comparison and the table
if [[ ${SKIP_ORTHANC:-0} != 1 ]]; then  # SKIP_ORTHANC=1: compare with the latest Orthanc results
echo "== Orthanc" >&2
"$SHARED_BENCH/run-orthanc-baseline.sh" >"$WORK/orthanc.out" 2>"$WORK/orthanc.err" || { tail "$WORK/orthanc.err" >&2; exit 1; }
fi

echo "== cloudfilm" >&2
CF_DATA=$WORK/cf-data
# The token, and the clients that send it (in $AUTH_DIR, readable by us only).
AUTH_DIR=$WORK/cf-auth
rm -rf "$AUTH_DIR"; mkdir -m 700 "$AUTH_DIR" "$AUTH_DIR/bin"
CF_TOKEN=$(head -c 30 /dev/urandom | base64 -w 0 | tr '+/' '-_')  # 240 bits, base64url
(umask 077 && printf 'header = "Authorization: Bearer %s"\n' "$CF_TOKEN" >"$AUTH_DIR/.curlrc")
if REAL_WRK=$(command -v wrk); then
  # wrk -s SCRIPT: SCRIPT's request() passes its own header table to
  # wrk.format, which then ignores -H; the wrapper script adds the header there.
  cat >"$AUTH_DIR/with-token.lua" <<'LUA'
local authorization = "Bearer " .. os.getenv("CF_WRK_TOKEN")
local script = os.getenv("CF_WRK_SCRIPT")
if script and script ~= "" then dofile(script) end
wrk.headers["Authorization"] = authorization
local format = wrk.format
wrk.format = function(method, path, headers, body)
  if headers then headers["Authorization"] = authorization end
  return format(method, path, headers, body)
end
LUA
  cat >"$AUTH_DIR/bin/wrk" <<SH
#!/usr/bin/env bash
# wrk that sends cloudfilm's bearer token (bench/run.sh).
set -euo pipefail
args=(); script=
while ((\$#)); do
  case \$1 in
    -s|--script) script=\$(realpath "\$2"); shift 2 ;;
    --script=*) script=\$(realpath "\${1#--script=}"); shift ;;
    *) args+=("\$1"); shift ;;
  esac
done
CF_WRK_TOKEN=\$CF_TOKEN CF_WRK_SCRIPT=\$script exec "$REAL_WRK" -s "$AUTH_DIR/with-token.lua" "\${args[@]}"
SH
  chmod 700 "$AUTH_DIR/bin/wrk"
fi
CF_TOKEN=$CF_TOKEN CLOUDFILM_BOOTSTRAP_TOKEN=$CF_TOKEN CURL_HOME=$AUTH_DIR PATH=$AUTH_DIR/bin:$PATH \
SERVER_KIND=custom TARGET_NAME=cloudfilm \
  SERVER_CMD="$BIN serve --data $CF_DATA --http-port 18080 --dicom-port 11112 --bind 127.0.0.1 --log-level warn" \
  SERVER_DATA_DIRS=$CF_DATA HTTP_PORT=18080 DICOM_PORT=11112 CALLED_AET=CLOUDFILM \
  DICOMWEB_PATH=/dicom-web READY_PATH=/healthz WADO_URI_PATH= \
  REST_FILE_URL_TEMPLATE='/api/instances/{sop}/file' \
  "$SHARED_BENCH/run-orthanc-baseline.sh" >"$WORK/cloudfilm.out" 2>"$WORK/cloudfilm.err" || { tail "$WORK/cloudfilm.err" >&2; exit 1; }
fi
ORTHANC_RES=$(latest orthanc)/results.tsv
CF_RES=$(latest cloudfilm)/results.tsv

# Import of the same files: `cloudfilm import` against Orthanc's REST upload
# (POST /instances, 4 parallel curl), fresh storage each run.
if ((IMPORT_RUNS > 0)); then
  DS=$WORK/ds-A
  : >"$WORK/import-cf.txt"; : >"$WORK/import-orthanc.txt"
  # Earlier runs' storage is moved aside, not deleted, until the end: ext4
  # scans the inodes deleted in the last minute each time it creates a file
  # (recently_deleted), which would bill both servers for the bench's own
  # clean-up rather than for their work.
  mkdir -p "$WORK/trash"
  for ((r = 0; r < IMPORT_RUNS; r++)); do
    [[ -e $WORK/imp-data ]] && mv "$WORK/imp-data" "$WORK/trash/cf.$r.$$"
    sync
    t0=$EPOCHREALTIME
    "$BIN" import --data "$WORK/imp-data" --quiet "$DS"/s*/ >/dev/null
    awk -v a="$EPOCHREALTIME" -v b="$t0" -v n="$N_A" 'BEGIN { printf "%.1f\n", n / (a - b) }' >>"$WORK/import-cf.txt"

    [[ -e $WORK/imp-orthanc ]] && mv "$WORK/imp-orthanc" "$WORK/trash/orthanc.$r.$$"
    mkdir -p "$WORK/imp-orthanc"; sync
    sed -e "s#\${BENCH_ORTHANC_STORAGE}#$WORK/imp-orthanc#g" -e 's#"Plugins" : \[[^]]*\]#"Plugins" : []#' \
      -e 's/"HttpPort" *: *[0-9]*/"HttpPort" : 18043/' -e 's/"DicomPort" *: *[0-9]*/"DicomPort" : 14243/' \
      "$SHARED_BENCH/orthanc.json" >"$WORK/imp-orthanc.json"
    Orthanc "$WORK/imp-orthanc.json" >"$WORK/imp-orthanc.log" 2>&1 &
    opid=$!
    for ((i = 0; i < 1000; i++)); do curl -sf http://127.0.0.1:18043/system >/dev/null && break; sleep 0.01; done
    t0=$EPOCHREALTIME
    find "$DS" -name '*.dcm' | xargs -P 4 -I{} curl -sf -o /dev/null -X POST -H 'Expect:' --data-binary @{} http://127.0.0.1:18043/instances
    awk -v a="$EPOCHREALTIME" -v b="$t0" -v n="$N_A" 'BEGIN { printf "%.1f\n", n / (a - b) }' >>"$WORK/import-orthanc.txt"
    kill "$opid"; wait "$opid" 2>/dev/null || true
  done
  rm -rf "$WORK/trash"
fi

median() { sort -g "$1" | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo
echo "== cloudfilm / Orthanc, medians of $RUNS runs (same files, same machine, one run)"
printf '%-28s %-10s %12s %12s %8s\n' metric unit orthanc cloudfilm ratio
join -t $'\t' <(awk -F'\t' '!/^#/ && $1 != "section" { print $1 "/" $2 "/" $3 "\t" $4 }' "$ORTHANC_RES" | sort) \
              <(awk -F'\t' '!/^#/ && $1 != "section" { print $1 "/" $2 "/" $3 "\t" $4 }' "$CF_RES" | sort) |
  awk -F'\t' '{ split($1, k, "/"); r = ($2 > 0) ? $3 / $2 : 0; printf "%-28s %-10s %12s %12s %8.2f\n", k[1] "." k[2], k[3], $2, $3, r }'
if ((IMPORT_RUNS > 0)); then
  o=$(median "$WORK/import-orthanc.txt"); c=$(median "$WORK/import-cf.txt")
  printf '%-28s %-10s %12s %12s %8.2f\n' "import (REST upload vs CLI)" inst/s "$o" "$c" "$(awk -v a="$c" -v b="$o" 'BEGIN { print a / b }')"
fi
# The sender's ceiling: storescu into `storescp --ignore` (bench/cstore_floor.sh).
# A ratio to Orthanc above floor/Orthanc cannot be measured with this client.
if [[ ,$PHASES, == *,cstore,* ]]; then
  while read -r name rate; do
    kind=${name#floor.}
    o=$(awk -F'\t' -v m="$kind" '$1 == "ingest." m && $2 == "throughput" && $3 == "inst/s" { print $4 }' "$ORTHANC_RES")
    c=$(awk -F'\t' -v m="$kind" '$1 == "ingest." m && $2 == "throughput" && $3 == "inst/s" { print $4 }' "$CF_RES")
    printf '%-28s %-10s %12s %12s %8s\n' "floor.$kind" inst/s "(ignore)" "$rate" \
      "$(awk -v f="$rate" -v o="$o" -v c="$c" 'BEGIN { if (o > 0) printf "%.2f/%.2f", c / f, f / o }')"
  done < <(RUNS=$RUNS bash "$HERE/cstore_floor.sh" "$RUNS" "${PARALLEL:-4}")
  echo "floor rows: storescu into storescp --ignore; ratio column = cloudfilm/floor and floor/Orthanc"
fi
# The transport's floor for a study retrieve: as many bytes as one study's
# objects, sent from the page cache with sendfile by Python's http.server
# (no parsing, no encryption, no user-space copy) to the same curl.
if [[ ,$PHASES, == *,read,* ]]; then
  mkdir -p "$WORK/floor"
  bytes=$(cat "$WORK"/ds-A/s000000/*.dcm | wc -c)
  head -c "$bytes" /dev/urandom >"$WORK/floor/study.bin"
  python3 -m http.server 18099 --bind 127.0.0.1 --directory "$WORK/floor" >/dev/null 2>&1 &
  fpid=$!
  for ((i = 0; i < 100; i++)); do curl -sf -o /dev/null http://127.0.0.1:18099/ && break; sleep 0.05; done
  for ((i = 0; i < 20; i++)); do
    curl -s -o /dev/null -w '%{time_total}\n' http://127.0.0.1:18099/study.bin
  done | awk '{ print $1 * 1000 }' >"$WORK/floor/t.txt"
  kill "$fpid"; wait "$fpid" 2>/dev/null || true
  f=$(median "$WORK/floor/t.txt")
  o=$(awk -F'\t' '$1 ~ /^read\./ && $2 == "wado_study_retrieve" && $3 == "ms" { print $4 }' "$ORTHANC_RES")
  c=$(awk -F'\t' '$1 ~ /^read\./ && $2 == "wado_study_retrieve" && $3 == "ms" { print $4 }' "$CF_RES")
  printf '%-28s %-10s %12s %12s %8s\n' "floor.wado_study_retrieve" ms "(sendfile)" "$f" \
    "$(awk -v f="$f" -v o="$o" -v c="$c" 'BEGIN { if (f > 0) printf "%.2f/%.2f", c / f, o / f }')"
  echo "floor row: the same bytes by sendfile to curl; ratio column = cloudfilm/floor and Orthanc/floor"
fi
echo "raw results: $ORTHANC_RES $CF_RES"
