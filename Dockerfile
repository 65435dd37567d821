# Tessera: one node, HTTP content API and WebSocket endpoint on one port, persisting to /data.
#   docker build -t tessera .
#   tessera token create --role '*=admin' --name ops     (prints a token and its config entry)
#   docker run --rm -p 7070:7070 -m 1g -v tessera-data:/data \
#     -v "$PWD/tessera.json:/etc/tessera/config.json:ro" -e TESSERA_CONFIG=/etc/tessera/config.json tessera
# The container listens on 0.0.0.0, which Tessera serves only with access tokens (protected mode):
# the mounted config holds "auth": { "tokens": [...] }. Without one, the start is refused with a
# line that says how to add one. For a throwaway local container without access control, say so:
#   docker run --rm -p 127.0.0.1:7070:7070 tessera serve --insecure
# Check a config before mounting it: docker run --rm -v "$PWD/tessera.json:/c.json:ro" tessera config check /c.json
#
# /data is a volume (WAL, snapshots, history id; one server per data dir): name it as above so the
# data outlives the container (a bind mount must be writable by uid 1000, the image's `node` user).
# Backup: `docker exec <container> node dist/bin/tessera.js snapshot`, then copy the volume.
#
# Memory: with `-m` (a cgroup limit), a namespace that sets no memoryLimitBytes gets half of the
# container's memory instead of 1 GiB when that is less, and a memoryLimitBytes above the container's
# memory is refused at start (wire/server/config/memory-check.ts reads /sys/fs/cgroup/memory.max).
#
# Stopping: `docker stop` sends SIGTERM and kills 10 s later. Tessera then stops taking requests,
# answers those in flight for at most limits.shutdownGraceMs (default 5000), closes connections and
# the engine (the WAL is flushed): well inside the 10 s. If you raise shutdownGraceMs, raise
# `docker stop -t` (or compose's stop_grace_period) above it too.

# ---- build: compile TypeScript with the dev dependencies, then pack what a release holds -------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json config.schema.json README.md ./
COPY engine ./engine
COPY wire ./wire
COPY schemas ./schemas
COPY perf ./perf
COPY bin ./bin
# client/ builds the @tessera/client package (npm workspace) and the browser module served at /client.mjs.
COPY client ./client
# npm pack keeps what package.json's "files" names: dist without tests, fixtures, benchmarks and
# perf/, plus config.schema.json. The runtime stage takes only that.
RUN npm run build \
 && mkdir -p /tmp/pack /release \
 && npm pack --pack-destination /tmp/pack \
 && tar -xzf /tmp/pack/tessera-*.tgz -C /release --strip-components=1

# ---- runtime: production dependencies and the packed release only -------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    TESSERA_HOST=0.0.0.0 \
    TESSERA_PORT=7070 \
    TESSERA_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev: no TypeScript, esbuild, benchmark, ioredis or playwright in the image. uWebSockets.js
# ships prebuilt native binaries for glibc (bookworm); nothing is compiled here.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /release/dist ./dist
COPY --from=build /release/config.schema.json ./
# The data dir, owned by the node image's unprivileged user (created before VOLUME: changes to a
# volume's path after its declaration are discarded). The app only reads /app.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 7070
# bookworm-slim has no curl: Node's own fetch asks /status (503 while draining, so it turns
# unhealthy before it goes away, and 503 while it recovers /data at start: the start period leaves
# a large data dir a minute to replay before failures count). /status needs no token unless the
# config says "openStatus": false.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TESSERA_PORT||7070)+'/status').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
# `docker run IMAGE COMMAND ...` runs another tessera command (config check, snapshot, serve --insecure).
ENTRYPOINT ["node", "dist/bin/tessera.js"]
CMD ["serve"]
