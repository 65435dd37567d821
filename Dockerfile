# Tessera: one node, HTTP content API and WebSocket endpoint on one port, persisting to /data.
#   docker build -t tessera .
#   docker run --rm -p 7070:7070 -v tessera-data:/data tessera
# /data is a volume (WAL, snapshots, history id; one server per data dir): name it as above so the
# data outlives the container (a bind mount must be writable by uid 1000, the image's `node` user).
# Backup: `docker exec <container> node dist/bin/tessera.js snapshot`, then copy the volume.
# Configure with TESSERA_PORT, TESSERA_LOG_LEVEL, TESSERA_FSYNC, or a JSON
# config mounted and named by TESSERA_CONFIG (see `tessera --help`).

# ---- build: compile TypeScript with the dev dependencies ---------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY engine ./engine
COPY wire ./wire
COPY schemas ./schemas
COPY perf ./perf
COPY bin ./bin
RUN npm run build

# ---- runtime: production dependencies and the compiled output only -----------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    TESSERA_HOST=0.0.0.0 \
    TESSERA_PORT=7070
WORKDIR /app
COPY package.json package-lock.json ./
# uWebSockets.js ships prebuilt native binaries for glibc (bookworm); nothing is compiled here.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The data dir, owned by the node image's unprivileged user (created before VOLUME: changes to a
# volume's path after its declaration are discarded). The app only reads /app.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 7070
# bookworm-slim has no curl: Node's own fetch asks /status (503 while draining, so it turns
# unhealthy before it goes away, and 503 while it recovers /data at start: the start period leaves
# a large data dir a minute to replay before failures count).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TESSERA_PORT||7070)+'/status').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains: stop accepting, answer what is in flight, close (give it up to limits.shutdownGraceMs).
STOPSIGNAL SIGTERM
# --insecure: the container listens on 0.0.0.0 (protected mode would refuse it without tokens);
# whether that port reaches other machines is decided by `-p`. For anything beyond one host, mount
# a config with "auth": { "tokens": [...] } (tessera token create) and drop --insecure.
CMD ["node", "dist/bin/tessera.js", "serve", "--insecure", "--data-dir", "/data"]
