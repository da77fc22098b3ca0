#!/usr/bin/env bash
# Several Hourdini nodes behind nginx on this machine (issues 7, 23; docs/RELIABILITY.md): a private
# PostgreSQL cluster, three nodes on 127.0.0.1:5181-5183 that each co-host a silo of one Orleans cluster
# (membership in that PostgreSQL; silo ports 15181-15183, gateway ports 25181-25183: the HTTP port plus
# 10000 and 20000), and nginx on 127.0.0.1:5180 with deploy/nginx/hourdini.conf (routing by bearer token,
# else session cookie, consistent hashing: for warm caches, not for correctness).
# Installs PostgreSQL and nginx when missing.
#   deploy/cluster.sh                 start everything, wait; Ctrl-C stops everything
#   deploy/cluster.sh start|stop      the same in the background (state in HOURDINI_CLUSTER_DIR)
#   deploy/cluster.sh kill-node N     kill -9 node N (1-based)     deploy/cluster.sh start-node N
#   deploy/cluster.sh pg-stop         stop PostgreSQL (fast)       deploy/cluster.sh pg-start
#   deploy/cluster.sh env             print the cluster's addresses and database (for scripts)
# HOURDINI_CLUSTER_DIR (default .hourdini/cluster), HOURDINI_CLUSTER_PORT (nginx, default 5180; nodes
# on the next ports), HOURDINI_NODES (default 3). Hourdini__* variables pass through to every node.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/deploy/pg.sh"

dir=${HOURDINI_CLUSTER_DIR:-$root/.hourdini/cluster}
port=${HOURDINI_CLUSTER_PORT:-5180}
nodes=${HOURDINI_NODES:-3}
dll="$root/src/Gateway/bin/Release/net10.0/Hourdini.Gateway.dll"

node_port() { echo $((port + $1)); }

ensure_nginx() {
  if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then return 0; fi
  echo "==> nginx is not installed; installing it with apt-get" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx >/dev/null
}

nginx_bin() { command -v nginx 2>/dev/null || echo /usr/sbin/nginx; }

# http_status PORT PATH: the HTTP status of a GET on loopback, or nothing.
http_status() {
  local status
  status=$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3 && head -n 1 <&3) 2>/dev/null | awk '{ print $2 }') || true
  echo "$status"
}

wait_ready() {
  local p=$1 what=$2
  for _ in $(seq 1 240); do
    if [ "$(http_status "$p" /readyz)" = "200" ]; then return 0; fi
    sleep 0.25
  done
  echo "$what did not become ready on port $p (see $dir/*.log)" >&2
  return 1
}

database() {
  local pg_port
  pg_port=$(cat "$dir/pg.port")
  # Every node's pool must fit in max_connections (200) beside the others.
  echo "Host=127.0.0.1;Port=$pg_port;Username=hourdini;Password=$(cat "$dir/pg.password");Database=hourdini;Maximum Pool Size=50"
}

start_node() {
  local i=$1 p
  p=$(node_port "$i")
  if [ -f "$dir/node$i.pid" ] && kill -0 "$(cat "$dir/node$i.pid")" 2>/dev/null; then return 0; fi
  # A silo restarted on the same ports supersedes its dead predecessor at once (a newer generation of the same address).
  HOURDINI_DATABASE=$(database) Hourdini__Orleans__SiloPort=$((p + 10000)) Hourdini__Orleans__GatewayPort=$((p + 20000)) \
    Hourdini__Limits__TrustedProxies__0=127.0.0.2 \
    setsid dotnet "$dll" --urls "http://127.0.0.1:$p" --contentRoot "$root/src/Gateway" \
    >>"$dir/node$i.log" 2>&1 </dev/null &
  echo $! >"$dir/node$i.pid"
  wait_ready "$p" "node $i"
}

kill_node() {
  local i=$1
  if [ -f "$dir/node$i.pid" ]; then kill -9 "$(cat "$dir/node$i.pid")" 2>/dev/null || true; rm -f "$dir/node$i.pid"; fi
}

write_nginx_conf() {
  mkdir -p "$dir/nginx/tmp"
  chmod 1777 "$dir/nginx/tmp"
  local servers="" i
  for i in $(seq 1 "$nodes"); do
    servers+="    server 127.0.0.1:$(node_port "$i") max_fails=3 fail_timeout=2s;\n"
  done
  awk -v servers="$servers" -v listen="127.0.0.1:$port" '
    /^    server 127\.0\.0\.1:518[0-9]/ { next }
    /hash \$hourdini_route consistent;/ { print; printf "%s", servers; next }
    { sub(/127\.0\.0\.1:5180/, listen); print }' "$root/deploy/nginx/hourdini.conf" >"$dir/nginx/hourdini.conf"
  cat >"$dir/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $dir/nginx/tmp/body;
    proxy_temp_path $dir/nginx/tmp/proxy;
    fastcgi_temp_path $dir/nginx/tmp/fastcgi;
    uwsgi_temp_path $dir/nginx/tmp/uwsgi;
    scgi_temp_path $dir/nginx/tmp/scgi;
    include $dir/nginx/hourdini.conf;
}
CONF
}

start_all() {
  hd_ensure_dotnet
  hd_ensure_postgres
  ensure_nginx
  mkdir -p "$dir"
  chmod 755 "$dir"
  echo "==> building the gateway (Release)"
  dotnet build "$root/src/Gateway/Hourdini.Gateway.csproj" -c Release -nologo -v q >/dev/null
  hd_start_cluster "$dir/pg"
  echo "==> PostgreSQL on 127.0.0.1:$HD_PG_PORT"
  local i waiting=()
  # The first node applies the migrations; the others start together.
  start_node 1
  for i in $(seq 2 "$nodes"); do start_node "$i" & waiting+=($!); done
  for i in "${waiting[@]}"; do wait "$i"; done
  write_nginx_conf
  "$(nginx_bin)" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -t -q
  "$(nginx_bin)" -p "$dir/nginx" -c "$dir/nginx/nginx.conf"
  wait_ready "$port" nginx
  echo "==> $nodes nodes on 127.0.0.1:$(node_port 1)-$(node_port "$nodes"), nginx on http://127.0.0.1:$port"
}

stop_all() {
  if [ -f "$dir/nginx/nginx.pid" ]; then "$(nginx_bin)" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -s quit 2>/dev/null || true; fi
  local i pid
  for i in $(seq 1 "$nodes"); do
    if [ -f "$dir/node$i.pid" ]; then
      pid=$(cat "$dir/node$i.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/node$i.pid"
    fi
  done
  hd_stop_cluster "$dir/pg"
}

case "${1:-up}" in
  up)
    trap stop_all EXIT
    trap 'exit 130' INT TERM
    start_all
    echo "==> Ctrl-C stops the cluster"
    while :; do sleep 3600; done
    ;;
  start) start_all ;;
  stop) stop_all ;;
  kill-node) kill_node "$2" ;;
  start-node) start_node "$2" ;;
  pg-stop) hd_stop_cluster "$dir/pg" ;;
  pg-start) hd_start_cluster "$dir/pg" ;;
  env)
    echo "HOURDINI_CLUSTER_URL=http://127.0.0.1:$port"
    echo "HOURDINI_CLUSTER_NODES=$(for i in $(seq 1 "$nodes"); do printf 'http://127.0.0.1:%s ' "$(node_port "$i")"; done | sed 's/ $//; s/ /,/g')"
    echo "HOURDINI_CLUSTER_DATABASE='$(database)'"
    ;;
  *) echo "usage: deploy/cluster.sh [up|start|stop|kill-node N|start-node N|pg-stop|pg-start|env]" >&2; exit 2 ;;
esac
