#!/usr/bin/env bash
# issuer_backup.sh against a throwaway PostgreSQL (scripts/pg-test): `mobid issuer
# backup` runs pg_dump while the service runs, and `mobid issuer restore` runs
# pg_restore into a second, empty database, which the service then serves. Skips (77)
# only when the PostgreSQL server binaries are not installed.
set -euo pipefail

src=${MOBID_SOURCE_DIR:?}
: "${MOBID_BIN:?}"
. "$(dirname "$0")/lib/pg.sh"
pg_test_begin issuer_backup_pg
for c in pg_dump pg_restore psql; do
  command -v $c >/dev/null || { echo "issuer_backup_pg: $c not on PATH (postgresql-client)" >&2; exit 1; }
done
psql -q "$MOBID_PG_URL" -c "CREATE DATABASE mobid_restored" || { echo "createdb failed" >&2; exit 1; }
ISSUER_BACKUP_DB=$MOBID_PG_URL ISSUER_BACKUP_RESTORE_DB=${MOBID_PG_URL/\/mobid\?//mobid_restored?} \
  bash "$src/tests/cli/issuer_backup.sh"
