#!/usr/bin/env bash
# The benchmark (issue 6, docs/BENCHMARKS.md). On a private PostgreSQL cluster (fsync and
# synchronous_commit on, the defaults) it measures, in one run:
#   1. the HTTP ceiling: the load generator against a trivial Kestrel endpoint, same concurrency;
#   2. the one-transaction-per-write ceiling: pgbench -N against the same PostgreSQL, same duration;
#   3. Hourdini: a concurrency sweep, 80 % of the headline rate, 5,000 agents with open sessions, and
#      resident memory per idle open session (100,000 sessions); every run is verified from the database;
#   4. the ceilings paced (round 10): pgbench -N at 80 % of its own TPS (the latency target asked of PostgreSQL alone),
#      and the trivial endpoint and pgbench -N at the 80 % run's rates: the machine's own p99 at those rates;
#      and pgbench -N at the open-sessions run's durable rate (issue 23: that run's p99 target is a ratio to it);
#      then the trivial endpoint and pgbench -N at once, at the 80 % and open-sessions runs' rates: HTTP beside one
#      transaction per write, with no service between them (round 19);
#   5. grain storage side by side: ours and Orleans' ADO.NET provider on the same grain writes (tests/Hourdini.StorageBench).
# Then it prints the table with the ratios (artifacts/bench/report.md, chart in artifacts/bench/chart.svg).
#   deploy/bench.sh            the full benchmark (HOURDINI_BENCH_SECONDS per run, default 20)
#   HOURDINI_BENCH_ARGS="--sweep 10,100 --open-agents 0 --idle-sessions 0 --idle-agents-wait 0"   fewer runs (see tests/Hourdini.Load)
#   deploy/bench.sh --smoke    a few seconds with small numbers, so the generator cannot rot (deploy/test.sh)
#   HOURDINI_BENCH_PG_STATS=1  also what PostgreSQL spent on Hourdini's runs, per statement, function and table
#                              (pg_stat_statements, track_functions), in artifacts/bench/pg-stats.txt; with
#                              --webhook-ab, per run in artifacts/bench/ab-*-pg-stats.txt
#   HOURDINI_BENCH_WEBHOOK=1   every tenant subscribes one webhook to every event, sent to a receiver on loopback that
#                              answers 204 (R33's cost on the write path: compare with a run without it)
#   deploy/bench.sh --webhook-ab   only the ceilings 1-2 and closed-1000 with and without one webhook, interleaved
#                              A B B A A B on one gateway (issue 26: B within 5 % of A), in artifacts/bench/webhook-ab.txt;
#                              HOURDINI_BENCH_AB_RUNS=6 runs each configuration 6 times (A B B A A B B A …)
#   deploy/bench.sh --gateway-ab   the same interleaving, but B is a second gateway (its own Orleans cluster on the same
#                              PostgreSQL) started with the settings in HOURDINI_BENCH_AB_ENV ("VAR=value …", e.g. runtime
#                              knobs: DOTNET_TieredPGO=0); both are warmed up first. HOURDINI_BENCH_AB_LOAD adds arguments
#                              to every A/B run (e.g. "--rate 4000" for a paced comparison of tails), in artifacts/bench/gateway-ab.txt
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/deploy/pg.sh"
hd_ensure_dotnet
hd_ensure_postgres

seconds=${HOURDINI_BENCH_SECONDS:-20}
# Agents' idle open sessions are watched for up to 4 minutes: the session idle timeout (2) and collection rounds (1 each).
read -r -a suite_args <<<"--idle-agents-wait 240 ${HOURDINI_BENCH_ARGS:-}"
smoke_env=()
headline_users=200
pgbench_clients=${HOURDINI_PGBENCH_CLIENTS:-32}
mode=full
if [ "${1:-}" = "--webhook-ab" ]; then mode=webhook-ab; fi
if [ "${1:-}" = "--gateway-ab" ]; then
  mode=gateway-ab
  : "${HOURDINI_BENCH_AB_ENV:?--gateway-ab needs HOURDINI_BENCH_AB_ENV: the settings of gateway B}"
fi
if [ "${1:-}" = "--smoke" ]; then
  seconds=3
  headline_users=2
  suite_args+=(--sweep 10 --open-agents 20 --idle-sessions 200 --warmup 1 --idle-agents-wait 20)
  # Idle sessions go after 3 s, collected every second, so the smoke run sees the idle agents' sessions go too.
  smoke_env=(Hourdini__SessionIdleTimeout=00:00:03 Hourdini__CollectionInterval=00:00:01)
  pgbench_clients=4
fi

out="$root/artifacts/bench"
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d /tmp/hourdini-bench-XXXXXX)
chmod 755 "$work"
cluster="$work/pg"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  hd_stop_cluster "$cluster"
  # PostgreSQL's own log (checkpoints, autovacuum) beside the runs, to line up with a run that went slow.
  cp "$cluster/data/server.log" "$out/postgres.log" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n 65536 2>/dev/null || true

echo "==> building (Release)"
dotnet build "$root/src/Gateway/Hourdini.Gateway.csproj" -c Release -nologo -v q >/dev/null
dotnet build "$root/tests/Hourdini.Load/Hourdini.Load.csproj" -c Release -nologo -v q >/dev/null
dotnet build "$root/tests/Hourdini.StorageBench/Hourdini.StorageBench.csproj" -c Release -nologo -v q >/dev/null
load=(dotnet "$root/tests/Hourdini.Load/bin/Release/net10.0/Hourdini.Load.dll")

if [ "${HOURDINI_BENCH_PG_STATS:-0}" = 1 ]; then
  export HD_PG_EXTRA_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c track_functions=all"
fi
# Every autovacuum in the log (postgres.log in the report's folder), as checkpoints already are.
export HD_PG_EXTRA_OPTIONS="${HD_PG_EXTRA_OPTIONS:-} -c log_autovacuum_min_duration=0"
if [ "$mode" = gateway-ab ]; then # two gateways, each with a pool of 100 and Orleans' own connections
  export HD_PG_EXTRA_OPTIONS="${HD_PG_EXTRA_OPTIONS:-} -c max_connections=300"
fi
hd_start_cluster "$cluster"
bin=$(hd_pg_bindir)
export PGPASSWORD
PGPASSWORD=$(cat "$cluster.password")
psql=("$bin/psql" -h 127.0.0.1 -p "$HD_PG_PORT" -U hourdini -qtA)
echo "==> PostgreSQL $("${psql[@]}" -d postgres -c 'SHOW server_version') on 127.0.0.1:$HD_PG_PORT:" \
  "fsync=$("${psql[@]}" -d postgres -c 'SHOW fsync'), synchronous_commit=$("${psql[@]}" -d postgres -c 'SHOW synchronous_commit')"

wait_for_port() {
  for _ in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.25
  done
  echo "nothing listens on port $1" >&2
  return 1
}

echo "==> ceiling 1: trivial Kestrel endpoint, same callers as the headline run, ${seconds} s"
port=$(hd_free_port 5190)
"${load[@]}" ceiling-server --urls "http://127.0.0.1:$port" &
pids+=($!)
wait_for_port "$port"
"${load[@]}" run --ceiling --url "http://127.0.0.1:$port" --users "$headline_users" --duration "$seconds" \
  --json "$out/http-ceiling.json"
kill "${pids[-1]}"

echo "==> ceiling 2: pgbench -N, $pgbench_clients clients, ${seconds} s"
"$bin/createdb" -h 127.0.0.1 -p "$HD_PG_PORT" -U hourdini pgbench
"$bin/pgbench" -h 127.0.0.1 -p "$HD_PG_PORT" -U hourdini -i -q -s 10 pgbench >/dev/null 2>&1
"${psql[@]}" -d postgres -c CHECKPOINT
"$bin/pgbench" -h 127.0.0.1 -p "$HD_PG_PORT" -U hourdini -N -n -c "$pgbench_clients" -j 2 -T "$seconds" pgbench >"$work/pgbench.txt" 2>&1
tps=$(grep -Eo 'tps = [0-9.]+' "$work/pgbench.txt" | head -n 1 | awk '{ print $3 }')
latency=$(grep -Eo 'latency average = [0-9.]+' "$work/pgbench.txt" | awk '{ print $4 }')
echo "  pgbench -N: $tps TPS, latency average $latency ms"
printf '{"tps": %s, "clients": %s, "seconds": %s, "latency_ms": %s}\n' "$tps" "$pgbench_clients" "$seconds" "${latency:-0}" >"$out/pgbench.json"

# HOURDINI_BENCH_PG_STATS=1: what PostgreSQL spent between a reset and a dump, per statement (pg_stat_statements), per
# function (track_functions) and per table (row versions written, HOT or not, and autovacuum runs).
pg_stats_reset() {
  if [ "${HOURDINI_BENCH_PG_STATS:-0}" != 1 ]; then return 0; fi
  "${psql[@]}" -d hourdini -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" -c "SELECT pg_stat_statements_reset()" -c "SELECT pg_stat_reset()" >/dev/null
}
pg_stats_dump() { # FILE
  if [ "${HOURDINI_BENCH_PG_STATS:-0}" != 1 ]; then return 0; fi
  {
    echo "Statements by total time (pg_stat_statements):"
    "${psql[@]}" -d hourdini -P pager=off -P tuples_only=off -F ' | ' -c "SELECT calls, round(total_exec_time::numeric) AS ms, round((1000 * total_exec_time / nullif(calls, 0))::numeric, 1) AS us_per_call, rows, shared_blks_dirtied AS dirtied, wal_records, left(regexp_replace(query, '\s+', ' ', 'g'), 120) AS query FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 30"
    echo
    echo "Functions by total time (pg_stat_user_functions):"
    "${psql[@]}" -d hourdini -P pager=off -P tuples_only=off -F ' | ' -c "SELECT funcname, calls, round(total_time::numeric) AS ms, round((1000 * self_time / nullif(calls, 0))::numeric, 1) AS self_us_per_call FROM pg_stat_user_functions ORDER BY total_time DESC"
    echo
    echo "Tables by rows written (pg_stat_user_tables):"
    "${psql[@]}" -d hourdini -P pager=off -P tuples_only=off -F ' | ' -c "SELECT relname, n_tup_ins AS inserted, n_tup_upd AS updated, n_tup_hot_upd AS hot, n_tup_del AS deleted, n_dead_tup AS dead, autovacuum_count AS autovacuums, autoanalyze_count AS autoanalyzes FROM pg_stat_user_tables ORDER BY n_tup_ins + n_tup_upd + n_tup_del DESC LIMIT 15"
  } >"$1"
  echo "==> PostgreSQL's statements, functions and tables: $1"
}

# A webhook receiver on loopback that answers 204 to everything (R33's cost on the write path): the load tool's Kestrel
# (ceiling-server's /hook), so the receiver costs the shared cores little. Sets $webhook_url.
start_webhook_receiver() {
  local hook_port
  hook_port=$(hd_free_port 5190)
  "${load[@]}" ceiling-server --urls "http://127.0.0.1:$hook_port" &
  receiver=$!
  pids+=($receiver)
  wait_for_port "$hook_port"
  webhook_url="http://127.0.0.1:$hook_port/hook"
}

# A gateway on the private cluster with the limits out of the way; extra VAR=value settings first. Sets $port, $gateway.
start_gateway() {
  port=$(hd_free_port 5180)
  env HOURDINI_DATABASE="$HD_PG_CONNECTION;Maximum Pool Size=100" \
    Logging__LogLevel__Default=Warning \
    Hourdini__Limits__PerCallerPerSecond=1000000 Hourdini__Limits__PerCallerBurst=1000000 \
    Hourdini__Limits__PerAddressPerSecond=1000000 Hourdini__Limits__PerAddressBurst=1000000 \
    Hourdini__Limits__SignInPerMinute=1000000 \
    "$@" \
    dotnet "$root/src/Gateway/bin/Release/net10.0/Hourdini.Gateway.dll" --urls "http://127.0.0.1:$port" --contentRoot "$root/src/Gateway" &
  gateway=$!
  pids+=($gateway)
  wait_for_port "$port"
}

if [ "$mode" != full ]; then
  # Two configurations side by side on one PostgreSQL: after a warm-up, closed-1000 runs alternating A B B A A B (so a
  # drift of the machine falls on both), each on its own new tenants.
  # --webhook-ab (issue 26): one gateway; B's tenants subscribe one webhook to every event, A's none.
  # --gateway-ab: A is the gateway as shipped, B a second one with HOURDINI_BENCH_AB_ENV's settings.
  start_webhook_receiver
  declare -A url gw
  if [ "$mode" = webhook-ab ]; then
    start_gateway Hourdini__Webhooks__AllowLoopback=true Hourdini__Webhooks__Dispatch="${HOURDINI_BENCH_AB_DISPATCH:-true}"
    url[A]="http://127.0.0.1:$port" gw[A]=$gateway url[B]="http://127.0.0.1:$port" gw[B]=$gateway
    label_A="no webhook" label_B="one webhook per tenant on every event"
  else
    read -r -a b_env <<<"$HOURDINI_BENCH_AB_ENV"
    start_gateway
    url[A]="http://127.0.0.1:$port" gw[A]=$gateway
    # Its own cluster and service ids: the two silos must not join one cluster or share reminders. The background work
    # that reads every org (the agents' auto-stop sweep, webhook sending) runs on A only, so B never reaches A's grains.
    start_gateway Hourdini__Orleans__ClusterId=bench-b Hourdini__Orleans__ServiceId=bench-b \
      Hourdini__AgentSweepInterval=1.00:00:00 Hourdini__Webhooks__Dispatch=false "${b_env[@]}"
    url[B]="http://127.0.0.1:$port" gw[B]=$gateway
    label_A="the gateway as shipped" label_B="the gateway with ${b_env[*]}"
  fi
  read -r -a ab_load <<<"${HOURDINI_BENCH_AB_LOAD:-}"
  # A fresh gateway's first run is slower (JIT, Orleans and PostgreSQL warming up): one run first, not counted.
  for config in A B; do
    if [ "$config" = B ] && [ "${gw[B]}" = "${gw[A]}" ]; then continue; fi
    echo "==> ab-warmup-$config: closed loop, 1000 agents, ${seconds} s (not counted)"
    "${load[@]}" run --name "ab-warmup-$config" --url "${url[$config]}" --db "$HD_PG_CONNECTION" --users "$headline_users" \
      --duration "$seconds" --checkpoint | tail -n 1
  done
  # HOURDINI_BENCH_AB_RUNS runs of each (default 3), in the order A B B A A B B A …: each adjacent A and B is a pair.
  declare -A runs=([A]=0 [B]=0)
  order=()
  for ((i = 0; i < 2 * ${HOURDINI_BENCH_AB_RUNS:-3}; i++)); do
    case $((i % 4)) in 0 | 3) order+=(A) ;; *) order+=(B) ;; esac
  done
  # Where each run's CPU went (the load tool's --cpu-of): the gateway, PostgreSQL's whole tree, the receiver, the load tool.
  postmaster=$(head -n 1 "$("${psql[@]}" -d postgres -c 'SHOW data_directory')/postmaster.pid")
  for config in "${order[@]}"; do
    runs[$config]=$((runs[$config] + 1))
    name="ab-$config-${runs[$config]}"
    label="label_$config"
    echo "==> $name: ${!label}, ${ab_load[*]:-closed loop, 1000 agents}, ${seconds} s"
    if [ "$mode" = webhook-ab ] && [ "$config" = B ]; then export HOURDINI_BENCH_WEBHOOK_URL="$webhook_url"; else unset HOURDINI_BENCH_WEBHOOK_URL; fi
    pg_stats_reset
    "${load[@]}" run --name "$name" --url "${url[$config]}" --db "$HD_PG_CONNECTION" --users "$headline_users" \
      --duration "$seconds" --checkpoint --cpu-of "gateway=${gw[$config]},postgres=$postmaster,receiver=$receiver" \
      --json "$out/$name.json" ${ab_load[@]+"${ab_load[@]}"} | grep -E '^  (ab-|verified)|cores busy by'
    pg_stats_dump "$out/$name-pg-stats.txt"
  done
  echo
  echo "==> B ($label_B) against A ($label_A), pgbench -N $tps TPS in this run:"
  for config in A B; do
    for ((i = 1; i <= runs[$config]; i++)); do
      python3 -c 'import json, sys
r = json.load(open(sys.argv[3]))
print(sys.argv[1], sys.argv[2], r["durable_per_second"], r["p99"])' "$config" "$i" "$out/ab-$config-$i.json"
    done
  done | awk -v tps="$tps" -v mode="$mode" '
    { sum[$1] += $3; n[$1]++; runs[$1] = runs[$1] sprintf(" %.0f", $3); v[$1, $2] = $3
      p99[$1] = p99[$1] sprintf(" %.1f", $4); p[$1, $2] = $4 }
    END {
      a = sum["A"] / n["A"]; b = sum["B"] / n["B"]
      printf "  A: durable ops/s%s, mean %.0f = %.2fx pgbench -N; p99 ms%s\n", runs["A"], a, a / tps, p99["A"]
      printf "  B: durable ops/s%s, mean %.0f = %.2fx pgbench -N; p99 ms%s\n", runs["B"], b, b / tps, p99["B"]
      # The i-th A and the i-th B ran next to each other: their ratio leaves out the drift of the machine between pairs.
      for (i = 1; i <= n["B"]; i++) {
        r = v["B", i] / v["A", i]; pairs = pairs sprintf(" %.3f", r); rs += r; rq += r * r
        q = p["B", i] / p["A", i]; ppairs = ppairs sprintf(" %.2f", q)
      }
      m = rs / n["B"]; sd = n["B"] > 1 ? sqrt((rq - n["B"] * m * m) / (n["B"] - 1)) : 0
      printf "  B / A durable ops/s per pair:%s; mean %.3f, standard error %.3f\n", pairs, m, sd / sqrt(n["B"])
      printf "  B / A p99 per pair:%s\n", ppairs
      printf "  B / A = %.3f%s\n", b / a, mode == "webhook-ab" ? " (issue 26: within 5 %, i.e. >= 0.95)" : ""
    }' | tee "$out/$mode.txt"
  # CPU per 1,000 durable operations by process, mean of each configuration's runs: what B's difference costs, and where.
  for config in A B; do
    for ((i = 1; i <= runs[$config]; i++)); do
      python3 -c 'import json, sys
r = json.load(open(sys.argv[2]))
for k, v in (r.get("cores_by") or {}).items(): print(sys.argv[1], k, 1e6 * v / r["durable_per_second"])
print(sys.argv[1], "machine", 1e6 * r["machine_busy_percent"] / 100 * '"$(nproc)"' / r["durable_per_second"])' "$config" "$out/ab-$config-$i.json"
    done
  done | awk '
    { sum[$1, $2] += $3; n[$1, $2]++; names[$2] = 1 }
    END {
      printf "  CPU ms per 1,000 durable ops, mean of the runs (A -> B, difference):"
      for (k in names) printf " %s %.0f -> %.0f (%+.0f);", k, sum["A", k] / n["A", k], sum["B", k] / n["B", k], sum["B", k] / n["B", k] - sum["A", k] / n["A", k]
      printf "\n"
    }' | tee -a "$out/$mode.txt"
  exit 0
fi
pgbench_paced() { # NAME RATE: pgbench -N paced at RATE transactions/s, p50/p99 from its per-transaction log
  # Each measured window starts with a checkpoint, here and in Hourdini's runs, so a timed one falls in none of them.
  "${psql[@]}" -d postgres -c CHECKPOINT
  "${load[@]}" pgbench-paced --pgbench "$bin/pgbench" --port "$HD_PG_PORT" --db pgbench --clients "$pgbench_clients" \
    --seconds "$seconds" --name "$1" --rate "$2" --json "$out/$1.json"
}
rate=$(awk -v tps="$tps" 'BEGIN { printf "%.0f", tps * 0.8 }')
echo "==> ceiling 2, paced: pgbench -N at 80 % of its TPS ($rate), ${seconds} s"
pgbench_paced pgbench-paced-80 "$rate"

echo "==> Hourdini: one gateway on the same PostgreSQL"
webhook_env=()
if [ "${HOURDINI_BENCH_WEBHOOK:-0}" = 1 ]; then
  start_webhook_receiver
  export HOURDINI_BENCH_WEBHOOK_URL="$webhook_url"
  webhook_env=(Hourdini__Webhooks__AllowLoopback=true)
  echo "    with one webhook per tenant, every event, to $HOURDINI_BENCH_WEBHOOK_URL"
fi
start_gateway ${webhook_env[@]+"${webhook_env[@]}"} ${smoke_env[@]+"${smoke_env[@]}"}
pg_stats_reset
"${load[@]}" suite --url "http://127.0.0.1:$port" --db "$HD_PG_CONNECTION" --gateway-pid "$gateway" \
  --duration "$seconds" --out "$out" ${suite_args[@]+"${suite_args[@]}"}
kill "$gateway"
# What PostgreSQL spent on Hourdini's runs (set-up included): per statement, and per function (track_functions).
pg_stats_dump "$out/pg-stats.txt"

# The machine's own latency at the rate the 80 % run offered: the trivial endpoint, paced, same callers. What p99
# this machine gives for answering a call and storing nothing (the smoke run has no 80 % run: it offers 100 calls/s).
rate=$(grep -Eo '"offered_rate": [0-9.]+' "$out/paced-80.json" 2>/dev/null | awk '{ print $2 }' || true)
echo "==> ceiling 3: the trivial endpoint paced at ${rate:-100} calls/s ($([ -n "$rate" ] && echo "the 80 % run's rate" || echo "no 80 % run")), ${seconds} s"
rate=${rate:-100}
port=$(hd_free_port 5190)
"${load[@]}" ceiling-server --urls "http://127.0.0.1:$port" &
pids+=($!)
wait_for_port "$port"
"${load[@]}" run --ceiling --name http-paced-80 --url "http://127.0.0.1:$port" --users "$headline_users" --rate "$rate" \
  --duration "$seconds" --json "$out/http-paced-80.json"
kill "${pids[-1]}"

# And PostgreSQL's: pgbench -N committing as many transactions a second as the 80 % run's durable operations.
rate=$(grep -Eo '"durable_per_second": [0-9.]+' "$out/paced-80.json" 2>/dev/null | awk '{ printf "%.0f", $2 }' || true)
echo "==> ceiling 4: pgbench -N paced at ${rate:-100} TPS ($([ -n "$rate" ] && echo "the 80 % run's durable ops/s" || echo "no 80 % run")), ${seconds} s"
pgbench_paced pgbench-at-80 "${rate:-100}"

# And at the rate the open-sessions run committed: its p99 target is a ratio to this (issue 23).
rate=$(cat "$out"/open-*.json 2>/dev/null | grep -Eo '"durable_per_second": [0-9.]+' | awk '{ printf "%.0f", $2 }' || true)
echo "==> ceiling 5: pgbench -N paced at ${rate:-10} TPS ($([ -n "$rate" ] && echo "the open-sessions run's durable ops/s" || echo "no open-sessions run")), ${seconds} s"
pgbench_paced pgbench-at-open "${rate:-10}"

# HTTP beside one transaction per write (issue 23): the trivial endpoint and pgbench -N at the same time, each at the rate
# one of Hourdini's runs reached, with no service between them. The p99 pgbench keeps beside the HTTP load, over its p99
# alone, is what a service that commits each call in its own transaction would start from on these cores; one that
# groups its commits, as Hourdini does, can do better (round 19). pgbench starts once the HTTP run's warm-up is over.
together() { # NAME CALLS/S USERS TPS
  local port http
  port=$(hd_free_port 5190)
  "${load[@]}" ceiling-server --urls "http://127.0.0.1:$port" &
  pids+=($!)
  wait_for_port "$port"
  "${psql[@]}" -d postgres -c CHECKPOINT
  "${load[@]}" run --ceiling --name "http-$1" --url "http://127.0.0.1:$port" --users "$3" --rate "$2" --warmup 3 \
    --duration "$seconds" --json "$out/http-$1.json" >"$work/http-$1.txt" &
  http=$!
  sleep 3
  "${load[@]}" pgbench-paced --pgbench "$bin/pgbench" --port "$HD_PG_PORT" --db pgbench --clients "$pgbench_clients" \
    --seconds "$seconds" --name "pgbench-$1" --rate "$4" --json "$out/pgbench-$1.json"
  wait "$http"
  cat "$work/http-$1.txt"
  kill "${pids[-1]}"
}
json_number() { grep -Eo "\"$2\": [0-9.]+" "$out/$1.json" 2>/dev/null | head -n 1 | awk '{ printf "%.0f", $2 }' || true; }
if [ -f "$out/paced-80.json" ]; then
  echo "==> ceiling 6: the trivial endpoint and pgbench -N at once, at the 80 % run's rates, ${seconds} s"
  together together-80 "$(json_number paced-80 offered_rate)" "$headline_users" "$(json_number paced-80 durable_per_second)"
fi
open_run=$(basename "$(ls "$out"/open-*.json 2>/dev/null | head -n 1)" .json)
if [ -n "$open_run" ]; then
  echo "==> ceiling 7: the trivial endpoint and pgbench -N at once, at the open-sessions run's rates, ${seconds} s"
  # The open run's callers are its users' 5 agents and 1 person each (Bench.AgentsPerUser); the ceiling takes users.
  together together-open "$(json_number "$open_run" offered_rate)" "$(($(json_number "$open_run" callers) / 6))" \
    "$(json_number "$open_run" durable_per_second)"
fi

# Grain storage side by side (issue 23, DESIGN.md "Grain storage"): the same grain writes, in one silo, through ours
# (group commit, relational rows) and through Orleans' ADO.NET provider (one transaction per write).
echo "==> grain storage: ours and Orleans' ADO.NET provider, the same grain writes, ${seconds} s each"
"$bin/createdb" -h 127.0.0.1 -p "$HD_PG_PORT" -U hourdini storagebench
dotnet "$root/tests/Hourdini.StorageBench/bin/Release/net10.0/Hourdini.StorageBench.dll" \
  --db "${HD_PG_CONNECTION/Database=hourdini/Database=storagebench};Maximum Pool Size=100" \
  --grains "$([ "${1:-}" = "--smoke" ] && echo 100 || echo 2000)" --callers 64 --seconds "$seconds" --json "$out/storage.json"
"$bin/dropdb" -h 127.0.0.1 -p "$HD_PG_PORT" -U hourdini storagebench
"$bin/dropdb" -h 127.0.0.1 -p "$HD_PG_PORT" -U hourdini pgbench

echo
echo "==> $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"${load[@]}" report --out "$out" --markdown "$out/report.md" --svg "$out/chart.svg"
