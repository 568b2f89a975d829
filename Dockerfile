# syntax=docker/dockerfile:1
# The `enrich` command (API, workers, migrations) as one image; docker-compose.yml runs it as each service.
# Debian (glibc), not Alpine: the Temporal worker's native core ships for glibc.
FROM node:20.20.2-bookworm-slim

WORKDIR /app
# Dependencies first, so a source change does not reinstall them. Runtime only: tsx runs the TypeScript sources.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .
# tsx keeps its transform cache under the temp folder; nothing else is written at run time.
USER node
ENTRYPOINT ["node", "bin/enrich.js"]
CMD ["api"]
