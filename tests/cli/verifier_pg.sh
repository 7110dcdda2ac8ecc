#!/usr/bin/env bash
# Two verifier instances on one PostgreSQL (tests/unit/verifier/test_two_instances.c):
# a session created on one is answered on the other and read on the first, a long-poll
# parked on one is woken by an answer on the other (LISTEN/NOTIFY); the whole service
# suite (test_verifier.c) and the flood suite (test_verifier_load.c) also run on
# PostgreSQL. The server is a throwaway
# one from scripts/pg-test. Skips (77) only when the PostgreSQL server binaries are
# missing.
set -euo pipefail

src=${MOBID_SOURCE_DIR:?}
build=${MOBID_BUILD_DIR:?}
suites="$build/tests/unit_verifier_test_two_instances $build/tests/unit_verifier_test_verifier
        $build/tests/unit_verifier_test_verifier_load"
for suite in $suites; do
  [ -x "$suite" ] || { echo "verifier_pg: $suite not built" >&2; exit 1; }
done

. "$(dirname "$0")/lib/pg.sh"
pg_test_begin verifier_pg
echo "PostgreSQL at $MOBID_PG_URL"
out=$("$build/tests/unit_verifier_test_two_instances" 2>&1) || { echo "$out"; exit 1; }
echo "$out"
grep -q "store: PostgreSQL" <<<"$out" || { echo "verifier_pg: the suite did not use PostgreSQL" >&2; exit 1; }
"$build/tests/unit_verifier_test_verifier"
"$build/tests/unit_verifier_test_verifier_load"
