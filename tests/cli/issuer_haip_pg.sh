#!/usr/bin/env bash
# issuer_haip.sh against a throwaway PostgreSQL (scripts/pg-test): pushed requests,
# codes, their single use and the revocation on replay on the other store. Skips (77) only
# when the PostgreSQL server binaries are not installed.
set -euo pipefail

src=${MOBID_SOURCE_DIR:?}
: "${MOBID_BIN:?}"
. "$(dirname "$0")/lib/pg.sh"
pg_test_begin issuer_haip_pg
ISSUER_DB=$MOBID_PG_URL bash "$src/tests/cli/issuer_haip.sh"
