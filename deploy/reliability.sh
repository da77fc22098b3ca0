#!/usr/bin/env bash
# The fault and fuzz suite (issue 7, docs/RELIABILITY.md), on this machine, loopback only, bounded in time.
# It starts a private cluster with deploy/cluster.sh (PostgreSQL, three nodes, nginx) and runs, each verified
# from the database afterwards:
#   faults: kill -9 a node under load; restart PostgreSQL under load; the same users through every node at
#           once; an agent that crashes together with its node (auto-stop at the last-heard time); a node killed
#           under keyed writes, whose lost answers are retried with the same keys through another node; a node
#           killed while it sends webhook deliveries (every committed change still reaches the receiver)
#   fuzz:   hostile input on every route; no 5xx, no leaks, no cross-org reads or writes
# and prints the figures (also in artifacts/reliability/).
#   deploy/reliability.sh           the whole suite (HOURDINI_FAULT_SECONDS of load per scenario, default 15;
#                                   HOURDINI_FUZZ_BUDGET inputs, default 3000)
#   deploy/reliability.sh --smoke   a short version (deploy/test.sh runs it)
#   HOURDINI_FAULT_ONLY=webhook-crash,keyed-retry deploy/reliability.sh   only those scenarios, no fuzz
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/deploy/pg.sh"
hd_ensure_dotnet

seconds=${HOURDINI_FAULT_SECONDS:-15}
budget=${HOURDINI_FUZZ_BUDGET:-3000}
rate=300
users=10
if [ "${1:-}" = "--smoke" ]; then
  seconds=5
  budget=400
  rate=100
  users=4
fi

work=$(mktemp -d /tmp/hourdini-reliability-XXXXXX)
chmod 755 "$work"
export HOURDINI_CLUSTER_DIR="$work/cluster"
# nginx and three nodes on four consecutive free loopback ports.
port=5280
while ! { hd_port_free "$port" && hd_port_free $((port + 1)) && hd_port_free $((port + 2)) && hd_port_free $((port + 3)); }; do
  port=$((port + 4))
done
export HOURDINI_CLUSTER_PORT=$port
# All load comes from one address and few tokens: lift the limits (they have their own tests in Hourdini.Api.Tests).
export Hourdini__Limits__PerCallerPerSecond=1000000 Hourdini__Limits__PerCallerBurst=1000000 \
  Hourdini__Limits__PerAddressPerSecond=1000000 Hourdini__Limits__PerAddressBurst=1000000 Hourdini__Limits__SignInPerMinute=1000000
# keyed-retry waits for the claims the killed node held to lapse: a shorter request timeout and lease (keeping the lease
# above the timeout, as the defaults do: 30 s and 45 s) keep the suite short.
request_timeout=10
claim_lease=14
export Hourdini__Limits__RequestTimeout=00:00:$request_timeout Hourdini__Limits__IdempotencyClaimLease=00:00:$claim_lease
# webhook-crash subscribes a receiver on loopback, and waits for the killed node's claimed deliveries to be resent: a
# shorter claim (above the 10 s send timeout, as the default 60 s is) keeps it short.
webhook_claim=15
export Hourdini__Webhooks__AllowLoopback=true Hourdini__Webhooks__ClaimFor=00:00:$webhook_claim
cleanup() {
  bash "$root/deploy/cluster.sh" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n 65536 2>/dev/null || true

bash "$root/deploy/cluster.sh" start
dotnet build "$root/tests/Hourdini.Load/Hourdini.Load.csproj" -c Release -nologo -v q >/dev/null
load=(dotnet "$root/tests/Hourdini.Load/bin/Release/net10.0/Hourdini.Load.dll")
eval "$(bash "$root/deploy/cluster.sh" env)"

out="$root/artifacts/reliability"
rm -rf "$out"
mkdir -p "$out"
status=0
"${load[@]}" faults --url "$HOURDINI_CLUSTER_URL" --nodes "$HOURDINI_CLUSTER_NODES" --db "$HOURDINI_CLUSTER_DATABASE" \
  --cluster-script "$root/deploy/cluster.sh" --duration "$seconds" --rate "$rate" --users "$users" --json "$out/faults.json" \
  --request-timeout "$request_timeout" --claim-lease "$claim_lease" --webhook-claim "$webhook_claim" \
  ${HOURDINI_FAULT_ONLY:+--only "$HOURDINI_FAULT_ONLY"} \
  | tee "$out/faults.txt" || status=1
if [ -z "${HOURDINI_FAULT_ONLY:-}" ]; then
  echo "==> fuzz: $budget hostile inputs through $HOURDINI_CLUSTER_URL"
  "${load[@]}" fuzz --url "$HOURDINI_CLUSTER_URL" --db "$HOURDINI_CLUSTER_DATABASE" --budget "$budget" --json "$out/fuzz.json" \
    | tee "$out/fuzz.txt" || status=1
fi

echo "==> reliability: $(grep -hE '^  (PASS|FAIL) ' "$out/faults.txt" "$out/fuzz.txt" 2>/dev/null | awk '{ print $2 " " $1 }' | tr '\n' ' ')"
if [ "$status" -ne 0 ]; then
  echo "reliability: FAILED (see artifacts/reliability/ and $HOURDINI_CLUSTER_DIR/*.log)" >&2
  trap - EXIT
  bash "$root/deploy/cluster.sh" stop >/dev/null 2>&1 || true
  exit 1
fi
echo "reliability: ok"
