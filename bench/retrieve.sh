#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# WADO-RS whole-study retrieve, one or more cloudfilm binaries alternated on
# the same data (no Orthanc): the bench's data set imported once, then a
# copy of it compacted, so that both the objects as received and their
# compressed stored form (HTJ2K) are read. Each round starts every binary in
# turn on each folder and times REQUESTS study retrieves with curl (a new
# connection each, as bench/run.sh's read phase does); the table gives the
# median per binary and form, and every binary must send the same bytes.
# Form "fresh" is the first read after ingest, as in bench/run.sh's read
# phase: each round, each binary receives the data set into an empty folder
# over one C-STORE association (storescu), is restarted and reads every
# study once (REQUESTS at most the number of studies), so what its ingest
# left in the page cache counts.
# Each round also times the transport's floor (FLOOR=1, the default): as
# many bytes as one study's answer, sent by Python's http.server from the
# page cache with sendfile (no parsing, no encryption, no copy in user
# space) and received by the same curl. No server can answer faster here.
#   bench/retrieve.sh BIN [BIN...]
# Environment: DS (the data set; default $WORK/ds-A, made by bench/run.sh),
# WORK (/tmp/cloudfilm-bench), OUT ($WORK/retrieve), ROUNDS (3), REQUESTS (20),
# FORMS (received,stored,fresh), PORT (18290), PERF=1 (perf record -g of the last
# binary's server during its last round, into $OUT/<form>.perf.data).
set -euo pipefail
(($# > 0)) || { echo "usage: bench/retrieve.sh BIN [BIN...]" >&2; exit 2; }
BINS=()
for b in "$@"; do BINS+=("$(realpath "$b")"); done
WORK=${WORK:-/tmp/cloudfilm-bench}
DS=${DS:-$WORK/ds-A}
OUT=${OUT:-$WORK/retrieve}
ROUNDS=${ROUNDS:-3} REQUESTS=${REQUESTS:-20} FORMS=${FORMS:-received,stored,fresh}
PORT=${PORT:-18290} FLOOR=${FLOOR:-1}
[[ -f $DS/manifest.tsv ]] || { echo "retrieve: no data set in $DS (run bench/run.sh once)" >&2; exit 1; }
mkdir -p "$OUT"
TOKEN=$(head -c 30 /dev/urandom | base64 -w 0 | tr '+/' '-_')
(umask 077 && printf 'header = "Authorization: Bearer %s"\n' "$TOKEN" >"$OUT/.curlrc")
SP=
cleanup() { [[ -n $SP ]] && kill "$SP" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

# The data, made once by the first binary (the folder format is shared).
if [[ ! -f $OUT/received.ready ]]; then
  rm -rf "$OUT/received" "$OUT/stored"
  "${BINS[0]}" import --data "$OUT/received" --quiet "$DS"/s*/ >/dev/null
  touch "$OUT/received.ready"
fi
if [[ ",$FORMS," == *,stored,* && ! -f $OUT/stored.ready ]]; then
  rm -rf "$OUT/stored"; cp -a "$OUT/received" "$OUT/stored"
  "${BINS[0]}" compact --data "$OUT/stored" >/dev/null
  touch "$OUT/stored.ready"
fi
mapfile -t STUDIES < <(tail -n +2 "$DS/manifest.tsv" | cut -f3 | uniq)

serve() {  # BIN DATA
  CLOUDFILM_BOOTSTRAP_TOKEN=$TOKEN "$1" serve --data "$2" --http-port "$PORT" \
    --dicom-port $((PORT + 1)) --bind 127.0.0.1 --log-level warn >>"$OUT/server.log" 2>&1 &
  SP=$!
  for ((i = 0; i < 400; i++)); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.05; done
  echo "retrieve: server did not start (see $OUT/server.log)" >&2; exit 1
}
stop() { kill "$SP"; wait "$SP" 2>/dev/null || true; SP=; }

IFS=, read -ra FORM_LIST <<<"$FORMS"
for form in "${FORM_LIST[@]}"; do
  for ((b = 0; b < ${#BINS[@]}; b++)); do : >"$OUT/t.$form.$b"; : >"$OUT/sum.$form.$b"; done
done
: >"$OUT/t.floor"
for ((r = 0; r < ROUNDS; r++)); do
  for form in "${FORM_LIST[@]}"; do
    for ((b = 0; b < ${#BINS[@]}; b++)); do
      if [[ $form == fresh ]]; then
        rm -rf "$OUT/fresh"
        serve "${BINS[$b]}" "$OUT/fresh"
        storescu -aet BENCH -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 $((PORT + 1)) "$DS" ||
          { echo "retrieve: storescu failed" >&2; exit 1; }
        stop
        serve "${BINS[$b]}" "$OUT/fresh"
      else
        serve "${BINS[$b]}" "$OUT/$form"
        # One warm-up retrieve (the catalog's and the page cache's first touch).
        CURL_HOME=$OUT curl -s -o /dev/null "http://127.0.0.1:$PORT/dicom-web/studies/${STUDIES[0]}"
      fi
      pp=
      if [[ ${PERF:-0} == 1 && $r == $((ROUNDS - 1)) && $b == $((${#BINS[@]} - 1)) ]]; then
        perf record -F 4000 -g -o "$OUT/$form.perf.data" -p "$SP" 2>/dev/null &
        pp=$!; sleep 0.3
      fi
      for ((i = 0; i < REQUESTS; i++)); do
        u="http://127.0.0.1:$PORT/dicom-web/studies/${STUDIES[$((i % ${#STUDIES[@]}))]}"
        if [[ $form != fresh ]] && ((r == 0 && i < 2)); then
          # The bytes of two studies, to compare between binaries.
          CURL_HOME=$OUT curl -s -H 'Accept: multipart/related; type="application/dicom"' "$u" |
            sed -E 's/cloudfilm-[0-9a-f]{32}/BOUNDARY/g' | sha256sum | cut -c1-16 >>"$OUT/sum.$form.$b"
        fi
        CURL_HOME=$OUT curl -s -o /dev/null -H 'Accept: multipart/related; type="application/dicom"' \
          -w '%{http_code} %{time_total} %{size_download}\n' "$u" >>"$OUT/t.$form.$b"
      done
      [[ -n $pp ]] && { kill -INT "$pp"; wait "$pp" 2>/dev/null || true; }
      if [[ $form == fresh ]] && ((r == 0)); then
        for ((i = 0; i < 2; i++)); do
          CURL_HOME=$OUT curl -s -H 'Accept: multipart/related; type="application/dicom"' \
            "http://127.0.0.1:$PORT/dicom-web/studies/${STUDIES[$i]}" |
            sed -E 's/cloudfilm-[0-9a-f]{32}/BOUNDARY/g' | sha256sum | cut -c1-16 >>"$OUT/sum.$form.$b"
        done
      fi
      stop
    done
  done
  if [[ $FLOOR == 1 ]]; then
    bytes=$(awk 'NR == 1 { print $3 }' "$OUT/t.${FORM_LIST[0]}.0")
    if [[ $(stat -c %s "$OUT/floor/study.bin" 2>/dev/null) != "$bytes" ]]; then
      mkdir -p "$OUT/floor"
      head -c "$bytes" /dev/urandom >"$OUT/floor/study.bin"
    fi
    python3 -m http.server $((PORT + 2)) --bind 127.0.0.1 --directory "$OUT/floor" >/dev/null 2>&1 &
    SP=$!
    for ((i = 0; i < 100; i++)); do curl -sf -o /dev/null "http://127.0.0.1:$((PORT + 2))/" && break; sleep 0.05; done
    cat "$OUT/floor/study.bin" >/dev/null  # in the page cache, as the servers' blobs are
    for ((i = 0; i < REQUESTS; i++)); do
      curl -s -o /dev/null -w '%{http_code} %{time_total} %{size_download}\n' \
        "http://127.0.0.1:$((PORT + 2))/study.bin" >>"$OUT/t.floor"
    done
    stop
  fi
done

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
printf '%-10s %-48s %8s %8s %8s %10s\n' form binary median_ms min_ms max_ms MiB/s
status=0
for form in "${FORM_LIST[@]}"; do
  for ((b = 0; b < ${#BINS[@]}; b++)); do
    f=$OUT/t.$form.$b
    if grep -qv '^200 ' "$f"; then echo "retrieve: non-200 answers from ${BINS[$b]} ($form)" >&2; status=1; fi
    med=$(awk '{ print $2 * 1000 }' "$f" | median)
    min=$(awk '{ print $2 * 1000 }' "$f" | sort -g | head -1)
    max=$(awk '{ print $2 * 1000 }' "$f" | sort -g | tail -1)
    size=$(awk 'NR == 1 { print $3 }' "$f")
    name=${BINS[$b]}; ((${#name} > 48)) && name=...${name: -45}
    printf '%-10s %-48s %8.1f %8.1f %8.1f %10.0f\n' "$form" "$name" "$med" "$min" "$max" \
      "$(awk -v s="$size" -v m="$med" 'BEGIN { print s / 1048576 / (m / 1000) }')"
    if ! cmp -s "$OUT/sum.$form.0" "$OUT/sum.$form.$b"; then
      echo "retrieve: ${BINS[$b]} sent other bytes than ${BINS[0]} ($form)" >&2; status=1
    fi
  done
done
if [[ $FLOOR == 1 ]]; then
  f=$OUT/t.floor
  med=$(awk '{ print $2 * 1000 }' "$f" | median)
  printf '%-10s %-48s %8.1f %8.1f %8.1f %10.0f\n' floor "python3 http.server (sendfile)" "$med" \
    "$(awk '{ print $2 * 1000 }' "$f" | sort -g | head -1)" "$(awk '{ print $2 * 1000 }' "$f" | sort -g | tail -1)" \
    "$(awk -v s="$(awk 'NR == 1 { print $3 }' "$f")" -v m="$med" 'BEGIN { print s / 1048576 / (m / 1000) }')"
fi
exit $status
