#!/usr/bin/env bash
# The store test suites (tests/unit/store/test_store.c, test_crash.c, test_deferred.c,
# test_pg_statements.c) against a throwaway PostgreSQL
# started by scripts/pg-test. Skips (77) only when the PostgreSQL server binaries are
# missing.
set -euo pipefail

src=${MOBID_SOURCE_DIR:?}
build=${MOBID_BUILD_DIR:?}
suites="$build/tests/unit_store_test_store $build/tests/unit_store_test_crash $build/tests/unit_store_test_deferred
        $build/tests/unit_store_test_pg_statements"
for suite in $suites; do
  [ -x "$suite" ] || { echo "store_pg: $suite not built" >&2; exit 1; }
done

. "$(dirname "$0")/lib/pg.sh"
pg_test_begin store_pg
echo "PostgreSQL at $MOBID_PG_URL"

# Both backends run; the PostgreSQL group must actually have run.
for suite in $suites; do
  out=$("$suite" 2>&1) || { echo "$out"; exit 1; }
  echo "$out"
  grep -q "on PostgreSQL" <<<"$out" || { echo "store_pg: PostgreSQL group of $suite did not run" >&2; exit 1; }
done
