# syntax=docker/dockerfile:1
# The Plexus shop as a container image (docs/deploy.md). Build: docker build -t plexus-shop .
# Run: docker run -p 8080:8080 plexus-shop, then curl localhost:8080/readyz

# ---- build: every dependency (TypeScript, tsx), then the packages' dist/ ----
FROM node:20-slim AS build
WORKDIR /app
# The whole workspace (.dockerignore leaves out node_modules, dist and .git): npm ci needs every
# workspace's package.json, and the build every package's sources.
COPY . .
RUN npm ci --no-audit --no-fund && npm run build

# ---- run: the built workspace on a slim Node 20, as the unprivileged `node` user ----
FROM node:20-slim
ENV NODE_ENV=production \
    # Inside a container the gateway must listen on every interface (its default is 127.0.0.1).
    PLEXUS_GATEWAY__HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY --from=build --chown=node:node /app /app
# The shop's file store and the admin run file live here (a volume in Kubernetes).
RUN mkdir -p /app/.plexus && chown node:node /app/.plexus
USER node
EXPOSE 8080
# `plexus start` drains on SIGTERM: /readyz turns 503 first, then accepted requests finish.
STOPSIGNAL SIGTERM
# The kernel runs as PID 1 itself (no launcher process in between): the packages load from
# dist/, tsx only loads the TypeScript config and service modules of the application.
CMD ["node", "--import", "tsx", "packages/cli/bin/plexus.js", "start", "examples/shop/plexus.config.ts"]
