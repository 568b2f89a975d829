#!/bin/sh
# Lays out (first run) and upgrades (every run) Temporal's two databases on the shared Postgres, with the
# admin-tools image's temporal-sql-tool. Idempotent: a database that already exists only gets update-schema.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
tool() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "${DB_PORT:-5432}" "$@"; }

until nc -z -w 5 "$POSTGRES_SEEDS" "${DB_PORT:-5432}"; do sleep 2; done
for db in temporal temporal_visibility; do
  if tool --db "$db" create; then
    tool --db "$db" setup-schema -v 0.0
  fi
done
tool --db temporal update-schema -d /etc/temporal/schema/postgresql/v12/temporal/versioned
tool --db temporal_visibility update-schema -d /etc/temporal/schema/postgresql/v12/visibility/versioned
echo 'temporal schema is up to date'
