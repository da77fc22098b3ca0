#!/usr/bin/env bash
# Sets up and runs Hourdini: installs PostgreSQL when missing, starts a private cluster under
# .hourdini/ on 127.0.0.1, and runs the gateway in the foreground (migrations apply at start-up).
# HOURDINI_PORT overrides the port (5080); HOURDINI_DATABASE points at an existing PostgreSQL instead.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/deploy/pg.sh"
hd_ensure_dotnet

port=${HOURDINI_PORT:-5080}
cluster="$root/.hourdini/pg"
if [ -z "${HOURDINI_DATABASE:-}" ]; then
  hd_ensure_postgres
  hd_start_cluster "$cluster"
  export HOURDINI_DATABASE="$HD_PG_CONNECTION"
  trap 'hd_stop_cluster "$cluster"' EXIT
  echo "==> PostgreSQL running on 127.0.0.1:$HD_PG_PORT (data in .hourdini/pg)"
fi

dotnet build "$root/src/Gateway/Hourdini.Gateway.csproj" -c Release -nologo -v q
echo "==> Hourdini on http://127.0.0.1:$port  (Ctrl-C stops it)"
dotnet "$root/src/Gateway/bin/Release/net10.0/Hourdini.Gateway.dll" --urls "http://127.0.0.1:$port" --contentRoot "$root/src/Gateway" &
gateway=$!
trap 'kill $gateway 2>/dev/null; wait $gateway 2>/dev/null; hd_stop_cluster "$cluster"' EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 60); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "==> ready: http://127.0.0.1:$port"; break; fi
  sleep 0.5
done
wait $gateway
