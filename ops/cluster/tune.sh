#!/usr/bin/env bash
# Failover tuning. tune.sh tuned|default [keepers]
#   monitor (always): how often and how patiently it checks the nodes, and how long it waits for
#     an unreachable primary to demote itself before promoting the standby;
#   keepers (with "keepers"): how soon a primary that sees neither monitor nor standby steps down,
#     and how long a standby being promoted waits for its WAL receiver.
# Safety rule kept by both profiles: primary_demote_timeout > network_partition_timeout, so an
# isolated old primary has stopped taking writes before the standby is promoted.
set -euo pipefail
# shellcheck source=env.sh
source "$(dirname "$0")/env.sh"
profile=${1:-tuned}
if [ "$profile" = tuned ]; then
  monitor=(health_check_period=1000 health_check_timeout=1000 health_check_max_retries=1 health_check_retry_delay=500
    node_considered_unhealthy_timeout=4000 primary_demote_timeout=6000)
  keeper=(timeout.network_partition_timeout=3 timeout.prepare_promotion_walreceiver=2 timeout.prepare_promotion_catchup=10)
else
  monitor=(health_check_period=5000 health_check_timeout=5000 health_check_max_retries=2 health_check_retry_delay=2000
    node_considered_unhealthy_timeout=20000 primary_demote_timeout=30000)
  keeper=(timeout.network_partition_timeout=20 timeout.prepare_promotion_walreceiver=5 timeout.prepare_promotion_catchup=30)
fi
sqls=()
for kv in "${monitor[@]}"; do sqls+=(-c "alter system set pgautofailover.${kv%%=*} = ${kv#*=}"); done
as_pg psql -X -q -h "$PG_HOST" -p "$PG_MONITOR_PORT" -U postgres -d pg_auto_failover "${sqls[@]}" -c "select pg_reload_conf()" >/dev/null
if [ "${2:-}" = keepers ]; then
  for name in $(node_names); do
    [ -f "$PG_DIR/$name/PG_VERSION" ] || continue
    for kv in "${keeper[@]}"; do
      as_pg pg_autoctl config set --pgdata "$PG_DIR/$name" "${kv%%=*}" "${kv#*=}" >/dev/null
    done
    # A running keeper reads its configuration again on SIGHUP.
    pid=$(keeper_pid "$name")
    [ -n "$pid" ] && kill -HUP "$pid"
  done
fi
echo "   failover settings: $profile"
