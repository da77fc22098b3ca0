#!/usr/bin/env bash
# The reports benchmark (docs/BENCHMARKS.md, "Reports"): a private PostgreSQL cluster, one Release gateway, one org
# with a year of entries (100,000 by default, written with COPY), then GET /api/v1/reports/summary for the whole
# year over real HTTP, one request at a time, for every grouping; prints p50/p99 per grouping and overall.
#   deploy/bench-reports.sh                          100,000 entries, 100 requests per grouping
#   HOURDINI_REPORTS_ARGS="--entries 20000 --requests 20" deploy/bench-reports.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/deploy/pg.sh"
hd_ensure_dotnet
hd_ensure_postgres
read -r -a bench_args <<<"${HOURDINI_REPORTS_ARGS:-}"

work=$(mktemp -d /tmp/hourdini-bench-reports-XXXXXX)
chmod 755 "$work"
cluster="$work/pg"
gateway=""
cleanup() {
  if [ -n "$gateway" ]; then kill "$gateway" 2>/dev/null || true; wait "$gateway" 2>/dev/null || true; fi
  hd_stop_cluster "$cluster"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "==> building (Release)"
dotnet build "$root/src/Gateway/Hourdini.Gateway.csproj" -c Release -nologo -v q >/dev/null
dotnet build "$root/tests/Hourdini.Load/Hourdini.Load.csproj" -c Release -nologo -v q >/dev/null

hd_start_cluster "$cluster"
port=$(hd_free_port 5185)
HOURDINI_DATABASE="$HD_PG_CONNECTION" Logging__LogLevel__Default=Warning \
  Hourdini__Limits__PerCallerPerSecond=1000000 Hourdini__Limits__PerCallerBurst=1000000 \
  Hourdini__Limits__PerAddressPerSecond=1000000 Hourdini__Limits__PerAddressBurst=1000000 \
  dotnet "$root/src/Gateway/bin/Release/net10.0/Hourdini.Gateway.dll" --urls "http://127.0.0.1:$port" --contentRoot "$root/src/Gateway" &
gateway=$!
for _ in $(seq 1 120); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.25
done
dotnet "$root/tests/Hourdini.Load/bin/Release/net10.0/Hourdini.Load.dll" reports \
  --url "http://127.0.0.1:$port" --db "$HD_PG_CONNECTION" ${bench_args[@]+"${bench_args[@]}"}
