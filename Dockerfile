# babyjit as a container. Two stages from the same base: `build` installs every dependency and compiles the
# TypeScript; `runtime` holds the production dependencies and the compiled service only (no compiler, no
# tests), so it adds little to the base image. Builds with the classic builder as well as BuildKit.
#
#   docker build -t babyjit .
#   docker run --rm -p 127.0.0.1:3000:3000 --read-only --cap-drop ALL --security-opt no-new-privileges babyjit

# Node.js 26, the Active LTS line, on Debian 13 (trixie), Debian's stable release: bookworm, the base before,
# is oldstable, its regular security support over since June 2026. The official image is multi-platform
# (amd64, arm64), so this builds for either. NODE_IMAGE names another base of the same kind: the container
# test builds the arm64 image from a local stand-in (harness/arm64/base-image.sh), no registry being in reach.
ARG NODE_IMAGE=node:26-trixie-slim
FROM ${NODE_IMAGE} AS base
# Node.js 26's binary links libatomic. The official image carries it; a base image without it (a local
# stand-in built from Debian's minimal set) gets it here, and the official one skips this step.
RUN node --version >/dev/null 2>&1 || (apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libatomic1 \
      && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin && node --version >/dev/null)

FROM base AS build
WORKDIR /app
# The manifests first, so that the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY routes ./routes
COPY web ./web
RUN npm run build

FROM base AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# Optional dependencies stay: koffi's native binary ships in one (@koromix/koffi-linux-x64), and package.json's
# allowScripts keeps koffi's install script from running. npm's cache, logs and compile cache are removed in
# the layer that made them, or they would stay in the image.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && rm -rf /root/.npm /tmp/node-compile-cache
# app.js reads ../../package.json (its version), hence this layout: /app/package.json, /app/dist/src; the
# explorer's built front-end is dist/web, beside it (src/service/plugins/external/static.ts).
# Owned by root and so read-only to the service's user, whatever the container's filesystem.
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/routes ./dist/routes
COPY --from=build /app/dist/web ./dist/web

# uid 1000 in the official image; the service needs no privilege (mmap and mprotect of its own memory).
USER node
EXPOSE 3000
# The slim image has no curl, and a Node.js process per check would hold 65 MB inside the 256 MiB limit:
# bash alone asks /healthz over its /dev/tcp (3 MB, no other process), reading the status line with a
# deadline under the check's timeout (docs/operations.md, "The container", has the figures).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/$PORT && printf 'GET /healthz HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r -t 2 status <&3 && [[ $status == 'HTTP/1.1 200 '* ]]"]
# Exec form, node as PID 1: SIGTERM from `docker stop` reaches the server, which closes and exits 0.
# The flag caps V8's young generation at 16 MiB semi-spaces, the size Node.js 20 and 22 reach under load:
# Node.js 26's would grow to 32 MiB (24's to 64) on a host with memory to spare, and resident memory with it
# (docs/operations.md). The same flag as `npm start` in package.json (test/deploy/service-runtime.test.ts
# holds them equal).
CMD ["node", "--max-semi-space-size=16", "dist/src/server.js"]
