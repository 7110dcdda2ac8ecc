#!/usr/bin/env bash
# issuer_flow.sh against a throwaway PostgreSQL (scripts/pg-test). Skips (77) only
# when the PostgreSQL server binaries are not installed.
set -euo pipefail

src=${MOBID_SOURCE_DIR:?}
: "${MOBID_BIN:?}"
. "$(dirname "$0")/lib/pg.sh"
pg_test_begin issuer_flow_pg
ISSUER_FLOW_DB=$MOBID_PG_URL bash "$src/tests/cli/issuer_flow.sh"
