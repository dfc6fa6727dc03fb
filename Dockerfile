# syntax=docker/dockerfile:1

# The same base in every stage, so the native module compiled below matches the runtime's Node and glibc.

# --- toolchain: what node-gyp needs to compile better-sqlite3 when no prebuilt binary downloads, ---
# --- and the optional kerberos module against MIT Kerberos's headers                            ---
FROM node:20-bookworm-slim AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ libkrb5-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app

# --- build: every dependency, then TypeScript to dist/ -----------------------------------------
FROM toolchain AS build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build

# --- deps: production dependencies only ------------------------------------------------------
FROM toolchain AS deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime: no compilers, no dev dependencies, not root --------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
# The GSS-API library the kerberos module links to (for KERBEROS_* logins).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgssapi-krb5-2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Code and dependencies stay owned by root: the service can read them, not change them.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The default DATABASE_URL (sqlite:data/backend.db) lives here; a named volume inherits the owner.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 3000
# No curl in the slim image: Node's fetch asks the liveness probe (HOST must include 127.0.0.1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live', { signal: AbortSignal.timeout(4000) }).then((res) => process.exit(res.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
