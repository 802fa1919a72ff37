#!/usr/bin/env bash
# npm run cluster:state — the formation as pg_auto_failover sees it, and which processes run.
set -uo pipefail
# shellcheck source=env.sh
source "$(dirname "$0")/env.sh"
if keeper_alive monitor; then as_pg pg_autoctl show state --pgdata "$PG_DIR/monitor"; else echo "formation: the monitor is stopped"; fi
echo
for name in monitor $(node_names); do
  if keeper_alive "$name"; then echo "$name: running (keeper pid $(keeper_pid "$name"))"; else echo "$name: stopped"; fi
done
for name in haproxy worker $(for i in $(seq 1 "$APPS"); do echo "app$i"; done); do
  if alive "$name"; then echo "$name: running (pid $(cat "$RUN_DIR/$name.pid"))"; else echo "$name: stopped"; fi
done
