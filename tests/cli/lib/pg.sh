# Sourced by tests/cli/*_pg.sh: a throwaway PostgreSQL (scripts/pg-test) for the whole
# script. pg_test_begin NAME exits 77 (skipped, saying why) when the server binaries
# are not installed; otherwise it starts a server in a fresh folder (no TCP port: a
# unix socket inside it), exports MOBID_PG_URL and MOBID_PG_DIR, and sets the EXIT
# trap that stops the server and removes the folder. NAME only names the messages.
pg_test_begin() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null \
     && [ -z "${PG_BIN:-}" ]; then
    echo "SKIP: PostgreSQL server binaries (initdb, pg_ctl) are not installed" >&2
    exit 77
  fi
  pg_dir=$(mktemp -d /tmp/mobid-pg-XXXXXX)
  trap '"$MOBID_SOURCE_DIR/scripts/pg-test" stop "$pg_dir" >/dev/null 2>&1 || true; rm -rf "$pg_dir"' EXIT
  eval "$("$MOBID_SOURCE_DIR/scripts/pg-test" start "$pg_dir")"
  [ -n "${MOBID_PG_URL:-}" ] || { echo "$1: pg-test printed no URL" >&2; exit 1; }
}
