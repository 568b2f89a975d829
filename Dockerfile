# syntax=docker/dockerfile:1
# The `enrich` command (API, workers, migrations) as one image; docker-compose.yml runs it as each service.
# Debian (glibc), not Alpine: the Temporal worker's native core ships for glibc.
FROM node:20.20.2-bookworm-slim

WORKDIR /app
# Dependencies first, so a source change does not reinstall them. All of them: the build needs esbuild.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY . .
# dist/: the CLI as JavaScript and the prebuilt workflow bundles (workers refuse a bundle older than its sources);
# then the build tools go. The voter import's parser threads still load TypeScript through tsx, a dependency.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund && npm cache clean --force
USER node
ENTRYPOINT ["node", "bin/enrich.js"]
CMD ["api"]
