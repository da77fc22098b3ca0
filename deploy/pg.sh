# Shared by up.sh and test.sh: make sure PostgreSQL is installed, and run a private cluster.
# Source it; it defines functions only.

hd_pg_bindir() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] && [ -x "$bin/initdb" ] && echo "$bin"
}

# Installs PostgreSQL from the distribution when it is missing (Debian/Ubuntu).
hd_ensure_postgres() {
  if hd_pg_bindir >/dev/null; then return 0; fi
  echo "==> PostgreSQL is not installed; installing it with apt-get" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  hd_pg_bindir >/dev/null || { echo "PostgreSQL installation failed" >&2; return 1; }
}

# The browser tests drive Debian's Chromium (Playwright's own browser download cannot work here);
# tzdata lets the web app show times in the browser's time zone.
hd_ensure_browser() {
  if [ -x /usr/bin/chromium ] && [ -d /usr/share/zoneinfo ]; then return 0; fi
  echo "==> installing Chromium (for the browser tests) with apt-get" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium tzdata >/dev/null
  [ -x /usr/bin/chromium ] || { echo "Chromium installation failed" >&2; return 1; }
}

# LibreOffice Calc without a GUI: the export tests open the XLSX Hourdini writes with it (R29).
hd_ensure_libreoffice() {
  if command -v libreoffice >/dev/null 2>&1; then return 0; fi
  echo "==> installing LibreOffice Calc (for the export tests) with apt-get" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui >/dev/null
  command -v libreoffice >/dev/null 2>&1 || { echo "LibreOffice installation failed" >&2; return 1; }
}

# The third-party tools the tests drive (tests/node/package.json, pinned by its lockfile): Redocly CLI,
# openapi-typescript, TypeScript, axe-core. Node.js and npm come from the distribution when missing.
hd_ensure_node_tools() {
  local dir="$1/tests/node"
  if ! command -v npm >/dev/null 2>&1; then
    echo "==> installing Node.js and npm (for the test tools) with apt-get" >&2
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
  fi
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "==> installing the test tools: npm ci in tests/node" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || { echo "npm ci failed in tests/node" >&2; return 1; }
  fi
}

# Runs a PostgreSQL tool as the cluster's owner (PostgreSQL refuses to run as root).
hd_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

hd_port_listened() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port is free for a new listener when no TCP socket but one in TIME_WAIT uses it as its local port: a
# client's ephemeral port blocks the bind as surely as a listener does, yet a connect probe sees only listeners
# (a CI run once failed that way on 55432). Without ss, the connect probe is the best we can do.
hd_port_free() {
  if command -v ss >/dev/null 2>&1; then
    [ -z "$(ss -Htan exclude time-wait "sport = :$1" 2>/dev/null)" ]
  else
    ! hd_port_listened "$1"
  fi
}

# The first free port from $1 on. PostgreSQL's default starts at 15432, below Linux's ephemeral range
# (32768-60999), where no outgoing connection can take the port between the probe and the bind, or while the
# fault suite restarts PostgreSQL on it.
hd_free_port() {
  local port=${1:-15432}
  while ! hd_port_free "$port"; do port=$((port + 1)); done
  echo "$port"
}

# hd_start_cluster DIR: initializes DIR on first use, starts it on 127.0.0.1, and sets
# HD_PG_PORT and HD_PG_CONNECTION. The superuser is "hourdini" with a generated password.
# HD_PG_EXTRA_OPTIONS adds server options ("-c name=value …") to this start.
hd_start_cluster() {
  local dir=$1 bin
  bin=$(hd_pg_bindir)
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; chmod 700 "$dir"; fi
  if ! hd_pg_as_owner test -w "$dir"; then
    echo "PostgreSQL's user cannot write $dir; set HOURDINI_DATABASE to use an existing server instead." >&2
    return 1
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir.password"
    chmod 644 "$dir.password"
    hd_pg_as_owner "$bin/initdb" -D "$dir/data" -U hourdini --pwfile="$dir.password" \
      --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  HD_PG_PORT=$(cat "$dir.port" 2>/dev/null || true)
  # The recorded port is kept unless another server listens on it (PostgreSQL's own closing connections may
  # still hold it, and do not stop it binding again).
  if [ -z "$HD_PG_PORT" ] || hd_port_listened "$HD_PG_PORT"; then
    if hd_pg_as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then :; else HD_PG_PORT=$(hd_free_port); fi
  fi
  if ! hd_pg_as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    # The port can still be taken between the probe and PostgreSQL's bind: then the next free one is tried.
    local attempt logged
    for attempt in 1 2 3 4 5; do
      logged=0
      if [ -f "$dir/data/server.log" ]; then logged=$(wc -l <"$dir/data/server.log"); fi
      if hd_pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $HD_PG_PORT -k $dir/data -c max_connections=200 $(hd_pg_memory_settings) ${HD_PG_EXTRA_OPTIONS:-}" >/dev/null; then
        break
      fi
      if [ "$attempt" -lt 5 ] && tail -n +"$((logged + 1))" "$dir/data/server.log" | grep -q "could not create any TCP/IP sockets"; then
        echo "==> port $HD_PG_PORT was taken as PostgreSQL bound it; trying the next free port" >&2
        HD_PG_PORT=$(hd_free_port $((HD_PG_PORT + 1)))
        continue
      fi
      echo "PostgreSQL did not start; the end of $dir/data/server.log:" >&2
      tail -n 20 "$dir/data/server.log" >&2 || true
      return 1
    done
  fi
  echo "$HD_PG_PORT" >"$dir.port"
  HD_PG_CONNECTION="Host=127.0.0.1;Port=$HD_PG_PORT;Username=hourdini;Password=$(cat "$dir.password");Database=hourdini"
  if ! PGPASSWORD=$(cat "$dir.password") "$bin/psql" -h 127.0.0.1 -p "$HD_PG_PORT" -U hourdini -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'hourdini'" | grep -q 1; then
    PGPASSWORD=$(cat "$dir.password") "$bin/createdb" -h 127.0.0.1 -p "$HD_PG_PORT" -U hourdini hourdini
  fi
}

# The usual production sizing instead of PostgreSQL's conservative defaults (128 MB of shared buffers): a
# sixteenth of the machine's memory for shared buffers, between 128 MB and 1 GB, and room for 4 GB of WAL
# between checkpoints. Durability is untouched (fsync and synchronous_commit stay on).
hd_pg_memory_settings() {
  local mb
  mb=$(awk '/MemTotal/ { printf "%d", $2 / 1024 / 16 }' /proc/meminfo)
  [ "$mb" -lt 128 ] && mb=128
  [ "$mb" -gt 1024 ] && mb=1024
  echo "-c shared_buffers=${mb}MB -c max_wal_size=4GB"
}

hd_stop_cluster() {
  local dir=$1
  hd_pg_as_owner "$(hd_pg_bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

hd_ensure_dotnet() {
  command -v dotnet >/dev/null 2>&1 || { echo "The .NET SDK 10 is required (dotnet on PATH)." >&2; return 1; }
}
