#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The command line: --version, --help on every subcommand, config show with
# file and flags, clear errors with distinct exit codes.
source "$(dirname "$0")/lib.sh"

check "--version names the program" bash -c '"$CLOUDFILM" --version | grep -q "^cloudfilm [0-9]"'
for sub in serve import fsck synth config "config show"; do
  check "--help of '$sub'" bash -c "\"$CLOUDFILM\" $sub --help | grep -qi usage"
done

cat >"$WORK/cf.toml" <<TOML
data = "$WORK/from-file"
[http]
port = 9999
[dicom]
aet = "FROMFILE"
allowed_callers = ["MODALITY1", "PACS"]
[storage]
filing_backlog = 0
TOML
out=$("$CLOUDFILM" config show --config "$WORK/cf.toml" --http-port 18080)
check "config show reads the file" grep -qE "aet = .FROMFILE." <<<"$out"
check "flags override the file" grep -q 'port = 18080' <<<"$out"
check "config show lists allowed callers" grep -q "MODALITY1" <<<"$out"
check "config show has the data folder" grep -q "from-file" <<<"$out"
check "config show reads storage.filing_backlog" grep -q "filing_backlog = 0$" <<<"$out"
check "filing_backlog defaults to 1 GiB" grep -q "filing_backlog = 1073741824" \
  <<<"$("$CLOUDFILM" config show --data "$WORK/defaults")"

echo 'bogus = 1' >"$WORK/bad.toml"
rc=0; err=$("$CLOUDFILM" config show --config "$WORK/bad.toml" 2>&1) || rc=$?
check_eq "unknown config key exits 2" 2 "$rc"
check "unknown config key is named" grep -q "unknown setting bogus" <<<"$err"

printf '[dicom]\naet = "THIS-AE-TITLE-IS-TOO-LONG"\n' >"$WORK/bad2.toml"
rc=0; err=$("$CLOUDFILM" config show --config "$WORK/bad2.toml" 2>&1) || rc=$?
check_eq "invalid AE title exits 2" 2 "$rc"
check "invalid AE title is explained" grep -q "dicom.aet" <<<"$err"

rc=0; "$CLOUDFILM" import --data "$WORK/d" /nonexistent/x >/dev/null 2>&1 || rc=$?
check_eq "import of a missing path exits 1" 1 "$rc"
rc=0; "$CLOUDFILM" frobnicate >/dev/null 2>&1 || rc=$?
check "unknown subcommand fails" test "$rc" -ne 0

# A port already in use is a clear error, not a crash.
start_server "$WORK/data1"
rc=0; err=$("$CLOUDFILM" serve --data "$WORK/data2" --http-port "$HTTP_PORT" --dicom-port "$(free_port)" 2>&1) || rc=$?
check "second server on a used HTTP port fails cleanly" test "$rc" -ne 0 -a "$rc" -lt 64
check "the error names the problem" grep -qiE "in use|bind" <<<"$err"
check "SIGTERM stops the server with exit 0" stop_server
finish
