#!/usr/bin/env bash
# The demo: OpenClaw in the sandbox fixes a failing test in a sample repository,
# talking to the shipped replay model through the job's inference gateway, under
# a real egress policy (the github-read preset) that blocks the one undeclared
# host the agent tries, with a complete, hash-chained audit log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/setup-host.sh
npm run build --silent
nemoclaw() { node dist/cli/index.js "$@"; }
nemoclaw image prepare openclaw@latest

ws=$(mktemp -d /tmp/nemoclaw-demo-XXXXXX)
cp -r examples/sample-repo/. "$ws"
git -C "$ws" init -q && git -C "$ws" add -A && git -C "$ws" -c user.name=demo -c user.email=demo@example.invalid commit -qm sample
# The sandbox runs as the workspace's owner and never as root.
chown -R 1000:1000 "$ws"
printf '\n\033[1mBefore:\033[0m ' && (cd "$ws" && node test.js 2>&1 | tail -1) || true

rc=0
nemoclaw run --workspace "$ws" --policy github-read --replay-script examples/replay/fix-failing-test.yaml \
  --task 'The test in test.js fails. Fix the bug in src/math.js so that `node test.js` passes.' \
  --audit-dir "$ws.audit" || rc=$?

printf '\033[1mAfter:\033[0m ' && (cd "$ws" && node test.js)
nemoclaw audit verify "$ws.audit"
# Exit code 3 is `policy-violation`: the fix is in, and the blocked host is reported with a suggested patch.
if [ "$rc" -ne 3 ]; then
  echo "demo: expected status policy-violation (exit 3), got exit $rc" >&2
  exit 1
fi
echo "Demo complete: workspace $ws, audit log $ws.audit (try: node dist/cli/index.js audit show $ws.audit)"
