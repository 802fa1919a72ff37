#!/usr/bin/env bash
# npm run test:chaos [-- --short] [-- --down]
# Brings the local production topology up (npm run cluster:up, idempotent), then runs the chaos
# driver (test/chaos/chaos.ts) against it. Its last line is one JSON object; exit 0 when nothing
# acknowledged was lost, nothing was duplicated and no request failed. --down stops the cluster
# afterwards and removes its data (as CI does).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../cluster/env.sh
source "$here/../cluster/env.sh"
args=()
down=false
for a in "$@"; do
  case "$a" in
    --down) down=true ;;
    *) args+=("$a") ;;
  esac
done
if [ "$down" = true ]; then
  trap '"$here/../cluster/down.sh" --purge >&2' EXIT
fi
"$here/../cluster/up.sh" >&2
READY_PATH=/ready
grep -rqs "'/ready'" "$ROOT/src/app.ts" "$ROOT/src/platform/http" || READY_PATH=/health
export READY_PATH HTTP_URL DATABASE_URL_CLUSTER APPS
cd "$ROOT"
node --import tsx test/chaos/chaos.ts "${args[@]}"
