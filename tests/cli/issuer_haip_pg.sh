#!/usr/bin/env bash
# issuer_haip.sh against a throwaway PostgreSQL (scripts/pg-test): pushed requests,
# codes, their single use and the revocation on replay on the other store. Skips (77) only
# when the PostgreSQL server binaries are not installed.
set -euo pipefail

src=${MOBID_SOURCE_DIR:?}
: "${MOBID_BIN:?}"
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
[ -n "${MOBID_PG_URL:-}" ] || { echo "issuer_haip_pg: pg-test printed no URL" >&2; exit 1; }
ISSUER_DB=$MOBID_PG_URL bash "$src/tests/cli/issuer_haip.sh"
