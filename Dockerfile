# syntax=docker/dockerfile:1

# Notebooks Hub API image.
#   docker build -t notebooks-hub-api .
#   docker run --rm -p 3000:3000 -e OIDC_ISSUER=... -e AUTH_STATE_SECRET=... notebooks-hub-api
# Settings come from the environment; see .env.example.

# --- build: install all dependencies, compile, then drop the dev ones ---------
FROM node:22-bookworm-slim AS build
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf src test dist/test dist/.tsbuildinfo

# --- runtime ------------------------------------------------------------------
FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app

# /data holds local state (the embedded store when MONGO_URL is unset); a
# named volume mounted there inherits this ownership.
RUN mkdir -p /data && chown node:node /data

COPY --from=build --chown=node:node /app /app

# The unprivileged user that ships with the node image.
USER node

EXPOSE 3000
# Ready: the store, DATA_DIR and the secret store answer (peers are /healthcheck's).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# AsyncLocalStorage (request ids in log lines) on Node 22 costs a promise hook
# per promise without context frames; Node 24 has them by default and no flag.
# The heap is collected at twice its live size, not four times (see README, Performance).
CMD ["node", "--experimental-async-context-frame", "--heap-growing-percent=80", "--max-semi-space-size=8", "dist/src/index.js"]
