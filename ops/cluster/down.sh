#!/usr/bin/env bash
# npm run cluster:down — stops the local topology, app processes first (gracefully), then the
# worker, haproxy and the formation (data nodes, then the monitor). Idempotent. The data stays in
# CLUSTER_DIR for the next cluster:up; `npm run cluster:down -- --purge` removes it as well.
set -uo pipefail
# shellcheck source=env.sh
source "$(dirname "$0")/env.sh"
[ -d "$CLUSTER_DIR" ] || { echo "no cluster in $CLUSTER_DIR"; exit 0; }
for pidfile in "$RUN_DIR"/app*.pid; do
  [ -e "$pidfile" ] && stop_node "$(basename "$pidfile" .pid)" &
done
wait
stop_node worker
if alive haproxy; then
  kill "$(cat "$RUN_DIR/haproxy.pid")" 2>/dev/null
  rm -f "$RUN_DIR/haproxy.pid"
fi
for name in $(node_names | tac) monitor; do
  stop_keeper "$name"
done
if [ "${1:-}" = --purge ]; then
  rm -rf "$CLUSTER_DIR"
  echo "cluster stopped and its data removed ($CLUSTER_DIR)"
else
  echo "cluster stopped; data kept in $CLUSTER_DIR (--purge removes it)"
fi
