#!/usr/bin/env bash
# The demo: OpenClaw in the sandbox fixes a failing test in a sample repository,
# talking to the shipped replay model through the job's inference gateway, with
# a real egress policy (one attempted host is denied) and a full audit log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/setup-host.sh
npm run build --silent
docker run --rm --read-only --network none --cap-drop ALL --security-opt no-new-privileges \
  --tmpfs /tmp --tmpfs /sandbox:uid=1000,gid=1000 "$NEMOCLAW_AGENT_IMAGE" openclaw --version
