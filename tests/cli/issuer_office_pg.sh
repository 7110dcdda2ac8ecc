#!/usr/bin/env bash
# The offices/officers/applications/audit suite (tests/unit/issuer/test_office.c) against a
# throwaway PostgreSQL started by scripts/pg-test. Skips (77) only when the PostgreSQL
# server binaries are missing.
set -euo pipefail

src=${MOBID_SOURCE_DIR:?}
build=${MOBID_BUILD_DIR:?}
suite="$build/tests/unit_issuer_test_office"
[ -x "$suite" ] || { echo "issuer_office_pg: $suite not built" >&2; exit 1; }

. "$(dirname "$0")/lib/pg.sh"
pg_test_begin issuer_office_pg

out=$("$suite" 2>&1) || { echo "$out"; exit 1; }
echo "$out"
grep -q "issuer offices on PostgreSQL" <<<"$out" \
  || { echo "issuer_office_pg: the PostgreSQL group did not run" >&2; exit 1; }

# the sign-in guard's race and lockout tests on PostgreSQL too
guard="$build/tests/unit_issuer_test_signin"
out=$("$guard" 2>&1) || { echo "$out"; exit 1; }
echo "$out"
grep -q "sign-in guard on PostgreSQL" <<<"$out" \
  || { echo "issuer_office_pg: the sign-in guard's PostgreSQL group did not run" >&2; exit 1; }
