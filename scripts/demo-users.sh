#!/usr/bin/env bash
# Creates the demo accounts of `make demo` (one per role) unless they exist.
# The password comes from DEMO_PASSWORD. Usage: scripts/demo-users.sh BIN PROVINCE_CODE
set -euo pipefail
bin=${1:?gapmap binary}
province=${2:?province code}
pw=${DEMO_PASSWORD:-gapmap-demo-2026}
existing=$("$bin" user list | awk 'NR > 1 {print $1}')
add() {
  local name=$1; shift
  if grep -qx "$name" <<<"$existing"; then return; fi
  printf '%s\n' "$pw" | "$bin" user add "$name" "$@" --password-stdin
}
add demo-admin --role admin
add demo-planner --role planner
add demo-viettel --role operator --operator viettel
add demo-officer --role officer --area "$province"
add demo-viewer --role viewer
echo "demo accounts: demo-admin, demo-planner, demo-viettel, demo-officer, demo-viewer (password: DEMO_PASSWORD, default gapmap-demo-2026)"
