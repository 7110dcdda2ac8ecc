#!/usr/bin/env bash
# The offices/officers/applications/audit suite (tests/unit/issuer/test_office.c) against a
# throwaway PostgreSQL started by scripts/pg-test. Skips (77) only when the PostgreSQL
# server binaries are missing.
set -euo pipefail

src=${MOBID_SOURCE_DIR:?}
build=${MOBID_BUILD_DIR:?}
suite="$build/tests/unit_issuer_test_office"
[ -x "$suite" ] || { echo "issuer_office_pg: $suite not built" >&2; exit 1; }

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null \
   && [ -z "${PG_BIN:-}" ]; then
  echo "SKIP: PostgreSQL server binaries (initdb, pg_ctl) are not installed" >&2
  exit 77
fi

dir=$(mktemp -d /tmp/mobid-pg-XXXXXX)
cleanup() {
  "$src/scripts/pg-test" stop "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

eval "$("$src/scripts/pg-test" start "$dir")"
[ -n "${MOBID_PG_URL:-}" ] || { echo "issuer_office_pg: pg-test printed no URL" >&2; exit 1; }

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
