#!/usr/bin/env bash
# Runs the arm64 Node.js under qemu-user with the given arguments, from the repository's root, after
# harness/arm64/environment.sh has made sure everything it needs is there. For example:
#   bash harness/arm64/node.sh -p process.arch                                       # arm64
#   bash harness/arm64/node.sh --test --test-isolation=none dist/test/jit/arm64/*.test.js
# node:test runs the files in this one process (--test-isolation=none): a child process would be an arm64
# binary, which the kernel can only start through a binfmt_misc registration for qemu, and CI has none.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash harness/arm64/environment.sh
exec qemu-aarch64-static -L /usr/aarch64-linux-gnu .arm64/node/bin/node "$@"
