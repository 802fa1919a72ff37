#!/usr/bin/env bash
# npm run cluster:up — the production topology on this machine: a pg_auto_failover formation
# (monitor + data nodes, synchronous commit), haproxy in front of the app processes (HTTP, health
# check on readiness) and of the database (whichever node is the writable primary), APPS app
# processes and one outbox worker. Idempotent: what already runs is left alone, what is missing is
# created or started. Settings: ops/cluster/env.sh.
set -euo pipefail
# shellcheck source=env.sh
source "$(dirname "$0")/env.sh"

need() { command -v "$1" >/dev/null || { echo "cluster:up needs $1 (apt-get install -y $2)" >&2; exit 2; }; }
need haproxy haproxy
need pg_autoctl postgresql-15-auto-failover

mkdir -p "$PG_DIR" "$LOG_DIR" "$RUN_DIR"
if [ "$(id -u)" = 0 ]; then
  # postgres must reach its folders: CLUSTER_DIR may be a private mktemp folder.
  chmod o+x "$CLUSTER_DIR"
  chown postgres: "$PG_DIR"
fi

# A standby is cloned with pg_basebackup, which waits for a spread checkpoint (minutes): an
# immediate CHECKPOINT on the other nodes finishes it at once.
nudge_checkpoint() {
  for other in $PG_NODE_PORTS; do
    [ "$other" = "$1" ] || "$PG_BIN/psql" -X -q -h "$PG_HOST" -p "$other" -U postgres -d postgres -c checkpoint >/dev/null 2>&1 || true
  done
}

wait_pg() {
  for i in $(seq 1 240); do
    "$PG_BIN/pg_isready" -q -h "$PG_HOST" -p "$1" && return 0
    [ $((i % 4)) = 0 ] && nudge_checkpoint "$1"
    sleep 0.5
  done
  echo "postgres on port $1 did not start; see $LOG_DIR" >&2
  return 1
}

echo "== pg_auto_failover monitor on $PG_MONITOR_PORT"
if [ ! -f "$PG_DIR/monitor/PG_VERSION" ]; then
  as_pg pg_autoctl create monitor --pgdata "$PG_DIR/monitor" --pgport "$PG_MONITOR_PORT" --hostname "$PG_HOST" \
    --auth trust --no-ssl >>"$LOG_DIR/monitor.log" 2>&1
fi
start_keeper monitor
wait_pg "$PG_MONITOR_PORT"
"$(dirname "$0")/tune.sh" "$FAILOVER"

for name in $(node_names); do
  port=$(node_port "$name")
  echo "== data node $name on $port"
  if [ ! -f "$PG_DIR/$name/PG_VERSION" ] && ! keeper_alive "$name"; then
    # The first node becomes the primary; the next ones are cloned from it as synchronous standbys.
    as_pg setsid pg_autoctl create postgres --pgdata "$PG_DIR/$name" --pgport "$port" --hostname "$PG_HOST" --name "$name" \
      --dbname "$PG_DBNAME" --monitor "$MONITOR_URI" --auth trust --no-ssl --run >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  else
    start_keeper "$name"
  fi
  wait_pg "$port"
  # Until the node is in the formation's steady state, the next one cannot clone it.
  for _ in $(seq 1 150); do
    state=$(as_pg psql -X -qtA -h "$PG_HOST" -p "$PG_MONITOR_PORT" -U autoctl_node -d pg_auto_failover \
      -c "select reportedstate from pgautofailover.node where nodename = '$name'" 2>/dev/null || true)
    case "$state" in single | primary | secondary | wait_primary) break ;; esac
    nudge_checkpoint "$port"
    sleep 2
  done
  echo "   $name: ${state:-unknown}"
done
"$(dirname "$0")/tune.sh" "$FAILOVER" keepers

# Connections from this machine's app processes: trust on loopback, as the system's PostgreSQL here.
for name in $(node_names); do
  hba="$PG_DIR/$name/pg_hba.conf"
  if ! grep -q "forodha cluster" "$hba"; then
    echo "host all postgres 127.0.0.1/32 trust # forodha cluster: app processes on this machine" >>"$hba"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/$name" reload >/dev/null
  fi
done

echo "== haproxy: HTTP on $HTTP_PORT, primary on $PG_PROXY_PORT, stats on $STATS_PORT"
ready_path=/ready
grep -rqs "'/ready'" "$ROOT/src/app.ts" "$ROOT/src/platform/http" || ready_path=/health
"$(dirname "$0")/haproxy-cfg.sh" "$ready_path" >"$CLUSTER_DIR/haproxy.cfg.new"
haproxy -c -q -f "$CLUSTER_DIR/haproxy.cfg.new"
if alive haproxy && cmp -s "$CLUSTER_DIR/haproxy.cfg.new" "$CLUSTER_DIR/haproxy.cfg"; then
  rm "$CLUSTER_DIR/haproxy.cfg.new"
else
  mv "$CLUSTER_DIR/haproxy.cfg.new" "$CLUSTER_DIR/haproxy.cfg"
  if alive haproxy; then
    # A changed configuration: a new haproxy takes over the ports, the old one finishes its connections.
    haproxy -D -p "$RUN_DIR/haproxy.pid" -f "$CLUSTER_DIR/haproxy.cfg" -sf "$(cat "$RUN_DIR/haproxy.pid")"
  else
    haproxy -D -p "$RUN_DIR/haproxy.pid" -f "$CLUSTER_DIR/haproxy.cfg"
  fi
fi
for _ in $(seq 1 60); do "$PG_BIN/pg_isready" -q -h "$PG_HOST" -p "$PG_PROXY_PORT" && break; sleep 0.5; done

echo "== schema and demo data (once, before the app processes start together)"
(cd "$ROOT" && DATABASE_URL="$DATABASE_URL_CLUSTER" node --import tsx src/cli.ts seed --demo >"$LOG_DIR/seed.log" 2>&1) || { cat "$LOG_DIR/seed.log" >&2; exit 1; }

echo "== outbox worker and $APPS app processes"
start_worker
for i in $(seq 1 "$APPS"); do start_app "$i"; done
for i in $(seq 1 "$APPS"); do wait_app "$i" "$ready_path"; done
for _ in $(seq 1 60); do curl -fsS -o /dev/null "$HTTP_URL$ready_path" 2>/dev/null && break; sleep 0.5; done

echo
echo "Forodha cluster is up: $HTTP_URL  (API docs $HTTP_URL/docs/)"
echo "  app processes  $(for i in $(seq 1 "$APPS"); do printf '127.0.0.1:%s ' $((APP_BASE_PORT + i - 1)); done)(WORKERS=1, OUTBOX_WORKER=false)"
echo "  outbox worker  pid $(cat "$RUN_DIR/worker.pid")"
echo "  database       $DATABASE_URL_CLUSTER  (haproxy -> primary $(current_primary))"
echo "  formation      monitor $PG_MONITOR_PORT, nodes $PG_NODE_PORTS  (pg_autoctl show state: npm run cluster:state)"
echo "  haproxy stats  http://127.0.0.1:$STATS_PORT/"
echo "  logs           $LOG_DIR"
