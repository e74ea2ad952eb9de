# syntax=docker/dockerfile:1
# One image for all nine services; the container command picks the service:
#   node --enable-source-maps dist/apps/<service>/src/main.js
# (charts/dapr-commerce sets it per Deployment). Build: docker build -t dapr-commerce:0.1.0 .
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: full dependency tree, TypeScript compile, then drop the dev dependencies ----------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build \
 && npm prune --omit=dev \
 && npm cache clean --force

# --- runtime: compiled JavaScript and production node_modules only, owned by root, run as node --
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The image's `node` user (uid/gid 1000), numeric so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8000 8001 8002 8003 8004 8005 8006 8007 8008
# Default service; override the command to run another one.
CMD ["node", "--enable-source-maps", "dist/apps/gateway/src/main.js"]
