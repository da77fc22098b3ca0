#!/usr/bin/env bash
# Sets up and runs the tests: installs PostgreSQL when missing (the tests start their own
# throw-away cluster from it; HOURDINI_TEST_PG names an existing server instead) and Debian's
# Chromium for the browser tests (screenshots land in artifacts/screenshots) and LibreOffice Calc for the export
# tests, then runs
# `dotnet test Hourdini.sln`, then the benchmark's smoke run (deploy/bench.sh --smoke: a few seconds of
# load with the ceilings and the database verification, so none of it can rot), then the fault and fuzz
# suite's short version (deploy/reliability.sh --smoke: three nodes behind nginx, a node killed, PostgreSQL
# restarted, cross-node load, an agent crash, a bounded fuzz), and prints one closing line "N passed, N failed".
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/deploy/pg.sh"
hd_ensure_dotnet
if [ -z "${HOURDINI_TEST_PG:-}" ]; then hd_ensure_postgres; fi
hd_ensure_browser
hd_ensure_libreoffice
hd_ensure_node_tools "$root"

cd "$root"
log=$(mktemp)
set +e
# Quiet, but a failed test prints its message and stack trace (the console logger's minimal level).
dotnet test Hourdini.sln -nologo -v q --logger "console;verbosity=minimal" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e

echo "==> benchmark smoke run: deploy/bench.sh --smoke"
if bash "$root/deploy/bench.sh" --smoke >"$log.bench" 2>&1; then
  tail -n 12 "$log.bench"
  bench="bench smoke: ok"
else
  tail -n 40 "$log.bench"
  bench="bench smoke: FAILED"
  rc=1
fi
rm -f "$log.bench"

echo "==> reliability smoke run: deploy/reliability.sh --smoke"
if bash "$root/deploy/reliability.sh" --smoke >"$log.faults" 2>&1; then
  grep -E "^  (PASS|FAIL)|^    " "$log.faults" | head -n 40
  faults="reliability smoke: ok"
else
  tail -n 60 "$log.faults"
  faults="reliability smoke: FAILED"
  rc=1
fi
rm -f "$log.faults"

count() { grep -Eo "$1: +[0-9]+" "$log" | awk '{ n += $2 } END { print n + 0 }'; }
passed=$(count Passed)
failed=$(count Failed)
rm -f "$log"
echo
echo "$bench"
echo "$faults"
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
if [ "$rc" -eq 0 ] && [ "${passed:-0}" -eq 0 ]; then echo "no test ran" >&2; exit 1; fi
exit "$rc"
