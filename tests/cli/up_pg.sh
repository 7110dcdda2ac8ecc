#!/usr/bin/env bash
# mobid up --db postgres://...: both services' tables in one throwaway PostgreSQL
# (scripts/pg-test); the first start bootstraps, all three services answer /healthz,
# the admin signs in, and a restart finds everything again without bootstrapping.
# Skips (77) only when the PostgreSQL server binaries are not installed.
set -euo pipefail

BIN=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
src=${MOBID_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null \
   && [ -z "${PG_BIN:-}" ]; then
    echo "SKIP: PostgreSQL server binaries (initdb, pg_ctl) are not installed" >&2
    exit 77
fi

T=$(mktemp -d)
PG=$(mktemp -d /tmp/mobid-pg-XXXXXX)   # its own folder: the server may run as postgres
UP_PID=
cleanup() {
    if [ -n "$UP_PID" ] && kill -0 "$UP_PID" 2>/dev/null; then
        kill -TERM "$UP_PID" 2>/dev/null || true
        wait "$UP_PID" 2>/dev/null || true
    fi
    "$src/scripts/pg-test" stop "$PG" >/dev/null 2>&1 || true
    rm -rf "$T" "$PG"
}
trap cleanup EXIT
eval "$("$src/scripts/pg-test" start "$PG")"
[ -n "${MOBID_PG_URL:-}" ] || { echo "up_pg: pg-test printed no URL" >&2; exit 1; }

fails=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

. "$(dirname "$0")/lib/up.sh"
BASE=$(free_base)

start() {
    up_start "$T/events" "$T/up.err" --dir "$T/var" --port-base "$BASE" --db "$MOBID_PG_URL" && return 0
    echo "mobid up did not become ready:"; cat "$T/events" "$T/up.err"
    tail -n 20 "$T"/var/log/*.log 2>/dev/null || true
    return 1
}
stop() { kill -INT "$UP_PID"; local rc=0; wait "$UP_PID" || rc=$?; UP_PID=; return $rc; }

start || exit 1
ready=$(grep '"event":"ready"' "$T/events")
[ "$(jq -r .first_start <<<"$ready")" = true ] && ok "first start on PostgreSQL bootstraps" || bad "first_start"
[ ! -e "$T/var/issuer.db" ] && [ ! -e "$T/var/verifier.db" ] && ok "no SQLite files" || bad "SQLite files made"
for p in 0 1 2; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((BASE + p))/healthz" || true)
    [ "$code" = 200 ] && ok "/healthz on port $((BASE + p))" || bad "/healthz on $((BASE + p)): $code"
done
. "$(dirname "$0")/lib/up_accounts.sh"
signin() { up_token "$T/var" "http://127.0.0.1:$BASE" ministry.admin; }
tok=$(signin)
[ -n "$tok" ] && ok "the admin signs in (its one-time password changed)" || bad "admin sign-in"
# the one-time password leaves the disk once changed: the pruning reads PostgreSQL too
for _ in $(seq 1 300); do
    [ "$(jq '.accounts | length' "$T/var/one-time-passwords.json")" = 14 ] && break
    sleep 0.1
done
[ "$(jq -r '[.accounts[].username] | index("ministry.admin")' "$T/var/one-time-passwords.json")" = null ] \
    && ok "the admin's used one-time password is dropped" || bad "$(cat "$T/var/one-time-passwords.json")"
stop && ok "SIGINT stops it (exit 0)" || bad "stop"

start || exit 1
[ "$(grep '"event":"ready"' "$T/events" | jq -r .first_start)" = false ] && ok "restart does not bootstrap" || bad "restart bootstrapped"
tok=$(signin)
[ -n "$tok" ] && ok "the admin still signs in after the restart" || bad "sign-in after restart"
n=$(curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$BASE/api/v1/officers" | jq length)
[ "$n" -ge 15 ] && ok "officers kept ($n)" || bad "officers: $n"
stop && ok "SIGINT stops it again" || bad "second stop"

[ "$fails" = 0 ] || { echo "$fails failures"; exit 1; }
