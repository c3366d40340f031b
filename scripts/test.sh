#!/usr/bin/env bash
# Runs every test (unit and integration, real Docker engine) on a Debian machine,
# installing and starting what they need first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/setup-host.sh
npm run build --silent
# The default blueprint's verified image (built from its recipe once, then present).
node dist/cli/index.js image prepare openclaw@latest >/dev/null
npm test -- "$@"
