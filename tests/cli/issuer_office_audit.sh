#!/usr/bin/env bash
# The audit chain as an operator meets it: `mobid office bootstrap` writes audited
# actions, `mobid office audit verify --db` (and `mobid issuer audit verify` when built)
# passes, then an entry edited with UPDATE or removed with DELETE straight in the
# database makes it exit 1 naming the first bad entry. On SQLite, and on PostgreSQL via
# scripts/pg-test when its server binaries are installed.
set -euo pipefail

bin=${MOBID_BIN:?}
src=${MOBID_SOURCE_DIR:?}
tmp=$(mktemp -d /tmp/mobid-audit-XXXXXX)
pgdir=""
cleanup() {
  if [ -n "$pgdir" ]; then "$src/scripts/pg-test" stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$pgdir"; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
export MOBID_PASSWORD="ministry correct horse"

# verifiers to run: the office CLI always, the issuer one when that command exists
verifiers=("office audit verify")
if "$bin" issuer audit verify --help >/dev/null 2>&1; then verifiers+=("issuer audit verify"); fi

expect_ok() { # db
  for v in "${verifiers[@]}"; do
    out=$($bin $v --db "$1" --json) || fail "$v on an intact log: $out"
    grep -q '"valid": *true' <<<"$out" || fail "$v: $out"
  done
}
expect_bad() { # db seq
  for v in "${verifiers[@]}"; do
    set +e; out=$($bin $v --db "$1" --json 2>"$tmp/err"); rc=$?; set -e
    [ $rc -eq 1 ] || fail "$v exited $rc, not 1, on a damaged log: $out"
    # named as a field (office) or in the detail (issuer)
    grep -Eq "(\"first_bad_seq\": *$2\b|entry $2\b)" <<<"$out" || fail "$v did not name entry $2: $out"
    grep -q "$2" "$tmp/err" || fail "$v said nothing about entry $2 on stderr"
  done
}

run_suite() { # db sql-runner
  local db=$1 sqlrun=$2
  $bin office bootstrap --db "$db" --user minister --offices "$src/etc/offices.example.json" \
    >"$tmp/boot.json" || fail "bootstrap on $db"
  grep -q '"offices": *37' "$tmp/boot.json" || fail "bootstrap did not load the seed: $(cat "$tmp/boot.json")"
  expect_ok "$db"
  $sqlrun "CREATE TABLE keep AS SELECT * FROM issuer_audit"
  # an edited entry
  $sqlrun "UPDATE issuer_audit SET actor = 'intruder' WHERE seq = 3"
  expect_bad "$db" 3
  # a reworded detail further on is not the first bad one
  $sqlrun "UPDATE issuer_audit SET detail = '{}' WHERE seq = 20"
  expect_bad "$db" 3
  $sqlrun "DELETE FROM issuer_audit; INSERT INTO issuer_audit SELECT * FROM keep"
  expect_ok "$db"
  # a deleted entry in the middle
  $sqlrun "DELETE FROM issuer_audit WHERE seq = 10"
  expect_bad "$db" 10
  $sqlrun "DELETE FROM issuer_audit; INSERT INTO issuer_audit SELECT * FROM keep"
  # the newest entry deleted: caught by the head
  last=$($sqlrun "SELECT max(seq) FROM issuer_audit" | tr -d ' \n')
  $sqlrun "DELETE FROM issuer_audit WHERE seq = $last"
  expect_bad "$db" "$last"
  echo "audit chain checks passed on $db (${verifiers[*]})"
}

command -v sqlite3 >/dev/null || fail "sqlite3 (the command) is needed to edit the database"
sqlite_db="$tmp/issuer.db"
sq() { sqlite3 "$sqlite_db" "$1"; }
run_suite "sqlite:$sqlite_db" sq

if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || [ -n "${PG_BIN:-}" ]; then
  pgdir=$(mktemp -d /tmp/mobid-pg-XXXXXX)
  eval "$("$src/scripts/pg-test" start "$pgdir")"
  pq() { psql -q -t -A -v ON_ERROR_STOP=1 "$MOBID_PG_URL" -c "$1"; }
  run_suite "$MOBID_PG_URL" pq
else
  echo "PostgreSQL part not run: server binaries (initdb, pg_ctl) are not installed"
fi
