#!/usr/bin/env bash
# The store test suite (tests/unit/store/test_store.c) against a throwaway PostgreSQL
# started by scripts/pg-test. Skips (77) only when the PostgreSQL server binaries are
# missing.
set -euo pipefail

src=${MOBID_SOURCE_DIR:?}
build=${MOBID_BUILD_DIR:?}
suite=$build/tests/unit_store_test_store
[ -x "$suite" ] || { echo "store_pg: $suite not built" >&2; exit 1; }

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
[ -n "${MOBID_PG_URL:-}" ] || { echo "store_pg: pg-test printed no URL" >&2; exit 1; }
echo "PostgreSQL at $MOBID_PG_URL"

# Both backends run; the PostgreSQL group must actually have run.
out=$("$suite" 2>&1) || { echo "$out"; exit 1; }
echo "$out"
grep -q "== store on PostgreSQL" <<<"$out" || { echo "store_pg: PostgreSQL group did not run" >&2; exit 1; }
