# Settings of the local production topology, shared by up.sh, down.sh and the chaos test.
# Every value can be overridden from the environment. On several machines each component keeps
# its port; only the host names change (see docs/continuity.md, "Topology").
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLUSTER_DIR="${CLUSTER_DIR:-/var/tmp/forodha-cluster}"
APPS="${APPS:-3}"                           # stateless app processes, WORKERS=1 each
APP_BASE_PORT="${APP_BASE_PORT:-3101}"      # app i listens on APP_BASE_PORT + i - 1
HTTP_PORT="${HTTP_PORT:-8080}"              # haproxy: the one URL clients use
STATS_PORT="${STATS_PORT:-8404}"            # haproxy statistics page (loopback)
PG_PROXY_PORT="${PG_PROXY_PORT:-6432}"      # haproxy: whichever data node is the writable primary
PG_MONITOR_PORT="${PG_MONITOR_PORT:-6000}"  # pg_auto_failover monitor
PG_NODE_PORTS="${PG_NODE_PORTS:-6001 6002}" # pg_auto_failover data nodes (node1, node2, ...)
PG_HOST="${PG_HOST:-127.0.0.1}"
PG_DBNAME="${PG_DBNAME:-forodha}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
# Failover tuning (monitor GUCs and keeper timeouts); FAILOVER=default keeps pg_auto_failover's defaults.
FAILOVER="${FAILOVER:-tuned}"
APP_ENV_EXTRA="${APP_ENV_EXTRA:-}"          # extra VAR=value settings for every app process

PG_DIR="$CLUSTER_DIR/pg"
LOG_DIR="$CLUSTER_DIR/log"
RUN_DIR="$CLUSTER_DIR/run"
MONITOR_URI="postgres://autoctl_node@$PG_HOST:$PG_MONITOR_PORT/pg_auto_failover?sslmode=disable"
DATABASE_URL_CLUSTER="postgres://postgres@$PG_HOST:$PG_PROXY_PORT/$PG_DBNAME"
HTTP_URL="http://127.0.0.1:$HTTP_PORT"

# pg_autoctl keeps its state and config under XDG folders: kept in the scratch directory too.
export XDG_CONFIG_HOME="$PG_DIR/config" XDG_DATA_HOME="$PG_DIR/share" PG_CONFIG="$PG_BIN/pg_config"

# Commands that touch data directories run as the postgres user (as root: through runuser).
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- env XDG_CONFIG_HOME="$XDG_CONFIG_HOME" XDG_DATA_HOME="$XDG_DATA_HOME" PG_CONFIG="$PG_CONFIG" PATH="$PG_BIN:$PATH" "$@"
  else
    env PATH="$PG_BIN:$PATH" "$@"
  fi
}

node_names() { local i=1; for _ in $PG_NODE_PORTS; do echo "node$i"; i=$((i + 1)); done; }
node_port() { local i=1; for p in $PG_NODE_PORTS; do [ "node$i" = "$1" ] && { echo "$p"; return; }; i=$((i + 1)); done; return 1; }

# pid file helpers: a component runs when its pid file names a live process.
alive() { [ -f "$RUN_DIR/$1.pid" ] && kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null; }

# The keeper of a pg_auto_failover node (monitor or data node): `pg_autoctl run` supervising its
# postgres. It leads its own session (setsid), so its process group holds its children and postgres.
keeper_pid() { pgrep -u postgres -f "^pg_autoctl (run|create [a-z]+) --pgdata $PG_DIR/$1( |\$)" | head -1; }
keeper_alive() { [ -n "$(keeper_pid "$1")" ]; }

start_keeper() {
  local name=$1
  keeper_alive "$name" && return 0
  as_pg setsid pg_autoctl run --pgdata "$PG_DIR/$name" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  for _ in $(seq 1 40); do keeper_alive "$name" && return 0; sleep 0.25; done
  echo "the keeper of $name did not start; see $LOG_DIR/$name.log" >&2
  return 1
}

# Stops a keeper and its postgres: with "stop", SIGINT (pg_autoctl stops postgres with a fast
# shutdown: sessions are cut, nothing committed is lost); with "kill", SIGKILL to the keeper's
# whole process group and to the postmaster (a machine that dies).
stop_keeper() {
  local name=$1 how=${2:-stop} pid
  local postmaster="$PG_DIR/$name/postmaster.pid"
  pid=$(keeper_pid "$name")
  if [ "$how" = kill ]; then
    [ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null
    [ -f "$postmaster" ] && kill -KILL "$(head -1 "$postmaster")" 2>/dev/null
  else
    [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null
    for _ in $(seq 1 120); do keeper_alive "$name" || break; sleep 0.25; done
    keeper_alive "$name" && kill -KILL -- "-$(keeper_pid "$name")" 2>/dev/null
    [ -f "$postmaster" ] && kill -0 "$(head -1 "$postmaster")" 2>/dev/null && as_pg pg_ctl -D "$PG_DIR/$name" -m fast -w stop >/dev/null 2>&1
  fi
  return 0
}

# App process i (1-based): Forodha with one worker on its own port, outbox delivery left to the
# worker process, its own DATA_DIR (the store-and-forward journal of that "machine").
start_app() {
  local i=$1 port=$((APP_BASE_PORT + $1 - 1))
  alive "app$i" && return 0
  # shellcheck disable=SC2086
  mkdir -p "$CLUSTER_DIR/app$i"
  (cd "$ROOT" && exec setsid env PORT="$port" HOST=127.0.0.1 DATA_DIR="$CLUSTER_DIR/app$i" WORKERS=1 DATABASE_URL="$DATABASE_URL_CLUSTER" DEMO=true \
    OUTBOX_WORKER=false TRUST_PROXY=127.0.0.1 DB_POOL_SIZE="${DB_POOL_SIZE:-10}" LOG_LEVEL="${LOG_LEVEL:-warn}" $APP_ENV_EXTRA \
    node --import tsx src/main.ts >>"$LOG_DIR/app$i.log" 2>&1 </dev/null) &
  echo $! >"$RUN_DIR/app$i.pid"
}

start_worker() {
  alive worker && return 0
  # shellcheck disable=SC2086
  (cd "$ROOT" && exec setsid env DATABASE_URL="$DATABASE_URL_CLUSTER" DB_POOL_SIZE=5 $APP_ENV_EXTRA \
    node --import tsx src/worker.ts >>"$LOG_DIR/worker.log" 2>&1 </dev/null) &
  echo $! >"$RUN_DIR/worker.pid"
}

# Stops a Node process (app or worker): SIGTERM = graceful (readiness 503, in-flight requests finish), or -9.
stop_node() {
  local name=$1 signal=${2:-TERM}
  alive "$name" || { rm -f "$RUN_DIR/$name.pid"; return 0; }
  local pid
  pid=$(cat "$RUN_DIR/$name.pid")
  kill "-$signal" "$pid" 2>/dev/null
  for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  rm -f "$RUN_DIR/$name.pid"
  return 0
}

# Waits until an app answers its health check directly (not through haproxy).
wait_app() {
  local port=$((APP_BASE_PORT + $1 - 1)) path=${2:-/health}
  for _ in $(seq 1 240); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port$path" 2>/dev/null && return 0
    alive "app$1" || { echo "app$1 stopped; its log:" >&2; tail -20 "$LOG_DIR/app$1.log" >&2; return 1; }
    sleep 0.5
  done
  echo "app$1 did not answer $path in 120 s" >&2
  return 1
}

# The node pg_auto_failover currently has as primary (node name), or nothing.
current_primary() {
  as_pg psql -X -qtA -h "$PG_HOST" -p "$PG_MONITOR_PORT" -U autoctl_node -d pg_auto_failover \
    -c "select nodename from pgautofailover.node where reportedstate in ('primary','wait_primary','single') and goalstate in ('primary','wait_primary','single') limit 1" 2>/dev/null
}
