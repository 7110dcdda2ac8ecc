#!/usr/bin/env bash
# mobid up: first start in an empty directory bootstraps and prints the sign-in names;
# their generated passwords are one-time, in a 0600 file, never printed, and each is
# off the disk soon after its first sign-in (which must change it); the API keys are
# in 0600 files, on no command line; no secret is in up.json, on stdout or stderr, or
# in a file others may read; /healthz answers on all three services within 5 s and
# /metrics is Prometheus text; a service killed with SIGKILL is started again; SIGINT
# stops everything with exit 0 and leaves no child behind; a restart keeps the data
# (same up.json, the admin can still sign in) and does not bootstrap again.
set -euo pipefail

BIN=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
T=$(mktemp -d)
UP_PID=
cleanup() {
    if [ -n "$UP_PID" ] && kill -0 "$UP_PID" 2>/dev/null; then
        kill -TERM "$UP_PID" 2>/dev/null || true
        wait "$UP_PID" 2>/dev/null || true
    fi
    rm -rf "$T"
}
trap cleanup EXIT

fails=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

. "$(dirname "$0")/lib/up.sh"
BASE=$(free_base)
ISS=http://127.0.0.1:$BASE VER=http://127.0.0.1:$((BASE + 1)) POR=http://127.0.0.1:$((BASE + 2))

# start: run `mobid up --json` in the background; wait for its "ready" line.
start() {
    up_start "$T/events" "$T/up.err" --dir "$T/var" --port-base "$BASE" && return 0
    echo "mobid up did not become ready:"; cat "$T/events" "$T/up.err"
    tail -n 20 "$T"/var/log/*.log 2>/dev/null || true
    return 1
}
ready() { grep '"event":"ready"' "$T/events" | tail -n 1; }
children() { pgrep -P "$UP_PID" || true; }

# ---- first start (up names a port another program took meanwhile: pick again)
t0=$(date +%s%N)
for _ in 1 2 3; do
    start && break
    grep -q 'is in use by another program' "$T/up.err" || exit 1
    [ ! -e "$T/var/up.json" ] || { echo "a refused first start wrote up.json"; exit 1; }
    BASE=$(free_base)
    ISS=http://127.0.0.1:$BASE VER=http://127.0.0.1:$((BASE + 1)) POR=http://127.0.0.1:$((BASE + 2))
done
grep -q '"event":"ready"' "$T/events" || exit 1
first=$(ready)
[ "$(jq -r .first_start <<<"$first")" = true ] && ok "first start bootstraps" || bad "first_start not true"
n=$(jq '.officers | length' <<<"$first")
[ "$n" = 14 ] && ok "an officer and a supervisor for each of the 7 open offices" || bad "officers: $n"
[ "$(jq -r '.officers[] | select(.username=="los-angeles.supervisor") | .role' <<<"$first")" = supervisor ] \
    && ok "los-angeles.supervisor listed" || bad "no Los Angeles supervisor"
[ "$(jq -r .admin.username <<<"$first")" = ministry.admin ] && ok "the admin's name printed" || bad "no admin name"
ONCE=$T/var/one-time-passwords.json
pw=$(jq -r '.accounts[] | select(.username == "ministry.admin") | .password' "$ONCE")
[ ${#pw} -ge 12 ] && [ "$(jq '.accounts | length' "$ONCE")" = 15 ] \
    && ok "15 generated one-time passwords in $(basename "$ONCE")" || bad "admin password '$pw'"
[ "$(stat -c %a "$ONCE")" = 600 ] && ok "the one-time passwords file is 0600" || bad "$ONCE mode"
[ "$(stat -c %a "$T/var/data.key")" = 600 ] && ok "data key is 0600" || bad "data.key mode"
keys=$(cat "$T"/var/rp/*.api-key)
[ "$(wc -w <<<"$keys")" = 3 ] && [ "$(stat -c %a "$T"/var/rp/*.api-key | sort -u)" = 600 ] \
    && ok "three API keys, each in a 0600 file" || bad "API key files: $(ls -l "$T"/var/rp/)"
# every secret of the first start, by value (the wallet app's launch secret too)
jq -r '.accounts[].password' "$ONCE" >"$T/secrets"
echo "$keys" >>"$T/secrets"
sed -n 's/.*?k=//p' "$T/var/wallet-app.url" >>"$T/secrets"
[ "$(wc -l <"$T/secrets")" = 19 ] || bad "secrets collected: $(wc -l <"$T/secrets")"
# on no output, in up.json, or in any file that others may read
others=$(find "$T/var" -type f -perm /044)
leaks=$(grep -l -F -f "$T/secrets" "$T/events" "$T/up.err" "$T/var/up.json" $others 2>/dev/null || true)
[ -z "$leaks" ] && ok "no password or key on stdout, stderr, in up.json or a readable file ($(wc -w <<<"$others") of those)" \
    || bad "secrets in: $leaks"
jq -e '[.. | objects | keys[]] | any(. == "password" or . == "api_key") | not' "$T/var/up.json" >/dev/null \
    && ok "up.json has no password or api_key field" || bad "up.json: $(cat "$T/var/up.json")"
leak=no
for p in $(children); do
    args=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null || true)
    for k in $keys; do case "$args" in *"$k"*) leak="yes ($args)" ;; esac; done
done
[ "$leak" = no ] && ok "no API key on a child's command line" || bad "API key in argv: $leak"
[ ! -e "$T/var/admin.password" ] && ok "the bootstrap password file is gone" || bad "admin.password left behind"

for url in "$ISS" "$VER" "$POR"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz" || true)
    [ "$code" = 200 ] && ok "/healthz on $url" || bad "/healthz on $url: $code"
    # (read whole first: grep -q stopping early would make curl fail under pipefail)
    metrics=$(curl -s "$url/metrics" || true)
    grep -q '^# TYPE mobid_http_requests_total counter' <<<"$metrics" \
        && ok "/metrics on $url is Prometheus text" || bad "/metrics on $url"
done
# Each service's start time is reported; the 5 s bound is checked only in a plain build
# (under ASan every start is several times slower, and says nothing about the product).
limit=5000
ldd "$BIN" 2>/dev/null | grep -q libasan && limit=""
grep '"event":"healthy"' "$T/events" | while read -r line; do
    ms=$(jq -r .message <<<"$line" | sed -n 's/.* after \([0-9]*\) ms/\1/p')
    [ -n "$ms" ] && { [ -z "$limit" ] || [ "$ms" -lt "$limit" ]; } \
        && echo "ok - $(jq -r .service <<<"$line") healthy after $ms ms" \
        || echo "FAIL - $(jq -r .service <<<"$line") took $ms ms"
done | tee "$T/healthy.txt"
grep -q FAIL "$T/healthy.txt" && bad "a service took 5 s or more" || true

# ---- the first sign-in changes the one-time password, which then leaves the disk
signin() { # USER PASSWORD [NEW] -> the answer
    jq -n --arg u "$1" --arg p "$2" --arg n "${3:-}" \
        '{username: $u, password: $p} + (if $n == "" then {} else {new_password: $n} end)' \
        | curl -s -H 'Content-Type: application/json' -d @- "$ISS/api/v1/tokens"
}
[ "$(signin ministry.admin "$pw" | jq -r .error)" = PASSWORD_CHANGE_REQUIRED ] \
    && ok "the one-time password alone does not sign in: it must be changed" || bad "one-time password used as is"
NEWPW="Chosen-by-the-minister-7"
tok=$(signin ministry.admin "$pw" "$NEWPW" | jq -r .token)
[ -n "$tok" ] && [ "$tok" != null ] && ok "the admin signs in with the one-time password and a new one" || bad "admin sign-in"
gone=
for _ in $(seq 1 300); do
    grep -rqF -- "$pw" "$T/var" || { gone=1; break; }
    sleep 0.1
done
[ -n "$gone" ] && ok "the used one-time password is off the disk" || bad "used password still in $(grep -rlF -- "$pw" "$T/var")"
[ "$(jq '.accounts | length' "$ONCE")" = 14 ] && ok "the 14 unused ones stay for their owners" || bad "$(cat "$ONCE")"
[ "$(signin ministry.admin "$pw" | jq -r .error)" = UNAUTHENTICATED ] \
    && ok "the old one-time password no longer signs in" || bad "old password still works"
offices=$(curl -s -H "Authorization: Bearer $tok" "$ISS/api/v1/offices" | jq length)
[ "$offices" -ge 21 ] && ok "offices seeded ($offices)" || bad "offices: $offices"

# ---- a crashed service comes back
vpid=$(pgrep -P "$UP_PID" -f 'verifier serve' | head -n 1 || true)
if [ -n "$vpid" ]; then
    kill -KILL "$vpid"
    restarted() {
        local np
        np=$(pgrep -P "$UP_PID" -f 'verifier serve' | head -n 1 || true)
        [ -n "$np" ] && [ "$np" != "$vpid" ] &&
            [ "$(curl -s -o /dev/null -w '%{http_code}' "$VER/healthz" || true)" = 200 ]
    }
    wait_until -p "$UP_PID" restarted && ok "the verifier is restarted after SIGKILL" || bad "verifier not restarted"
else
    bad "no verifier child found"
fi

# ---- Ctrl-C stops everything
kids=$(children)
kill -INT "$UP_PID"
rc=0; wait "$UP_PID" || rc=$?
[ "$rc" = 0 ] && ok "SIGINT: mobid up exits 0" || bad "SIGINT: exit $rc"
left=0
for k in $kids; do kill -0 "$k" 2>/dev/null && left=$((left + 1)); done
[ "$left" = 0 ] && ok "no service left running" || bad "$left services still running"
UP_PID=

# ---- restart keeps the data
cp "$T/var/up.json" "$T/up.before"
start || exit 1
second=$(ready)
[ "$(jq -r .first_start <<<"$second")" = false ] && ok "restart does not bootstrap again" || bad "restart bootstrapped"
sed -n 's/.*?k=//p' "$T/var/wallet-app.url" >>"$T/secrets" # this launch's
grep -qF -f "$T/secrets" "$T/events" "$T/up.err" && bad "restart printed a secret" || ok "restart prints no secret"
cmp -s "$T/var/up.json" "$T/up.before" && ok "up.json unchanged" || bad "up.json changed"
tok=$(signin ministry.admin "$NEWPW" | jq -r .token)
[ -n "$tok" ] && [ "$tok" != null ] && ok "the admin still signs in after the restart" || bad "sign-in after restart"
kill -TERM "$UP_PID"; rc=0; wait "$UP_PID" || rc=$?
[ "$rc" = 0 ] && ok "SIGTERM: mobid up exits 0" || bad "SIGTERM: exit $rc"
UP_PID=

# ---- up killed outright: its services do not outlive it (and a start without the
# one-time passwords file, as once every account has chosen its own, works)
mv "$ONCE" "$T/once.keep"
start || exit 1
[ ! -e "$ONCE" ] && ok "a start without the one-time passwords file" || bad "$ONCE made again"
kids=$(children)
kill -KILL "$UP_PID"; wait "$UP_PID" 2>/dev/null || true
mv "$T/once.keep" "$ONCE"
UP_PID=
running() { left=0; for k in $kids; do kill -0 "$k" 2>/dev/null && left=$((left + 1)); done; }
none_left() { running; [ "$left" = 0 ]; }
wait_until none_left || true
[ "$left" = 0 ] && ok "SIGKILL of up: its services stop too" || bad "$left services outlived up"

# ---- a data folder of an older mobid up, with its passwords and API keys in up.json:
# the keys move to their files, a password that still signs in becomes one-time, one
# its owner changed is dropped
gov=$(cat "$T/var/rp/gov24.api-key")
jq --arg g "$gov" --arg p "$NEWPW" '.admin.password = $p | .officers[0].password = "not-the-one-0"
    | (.relying_parties[] | select(.id == "gov24")).api_key = $g' "$T/var/up.json" >"$T/legacy.json"
cp "$T/legacy.json" "$T/var/up.json"; rm "$T/var/rp/gov24.api-key"
start || exit 1
jq -e '[.. | objects | keys[]] | any(. == "password" or . == "api_key") | not' "$T/var/up.json" >/dev/null \
    && [ "$(cat "$T/var/rp/gov24.api-key")" = "$gov" ] && [ "$(stat -c %a "$T/var/rp/gov24.api-key")" = 600 ] \
    && ok "an older up.json: its secrets move out, the API key to its 0600 file" || bad "legacy: $(cat "$T/var/up.json")"
[ "$(jq -r '.accounts[] | select(.username == "ministry.admin") | .password' "$ONCE")" = "$NEWPW" ] \
    && [ "$(jq '.accounts | length' "$ONCE")" = 15 ] \
    && [ "$(signin ministry.admin "$NEWPW" | jq -r .error)" = PASSWORD_CHANGE_REQUIRED ] \
    && ok "a password kept in an older up.json is one-time now; a changed one is not kept" || bad "legacy passwords: $(cat "$ONCE")"
kill -TERM "$UP_PID"; wait "$UP_PID" || true
UP_PID=

# ---- a SQLite data directory is not silently started on an empty PostgreSQL
rc=0; "$BIN" up --dir "$T/var" --port-base "$BASE" --db postgres://127.0.0.1:1/none >/dev/null 2>"$T/mix.err" || rc=$?
[ "$rc" = 1 ] && grep -q 'keeps its data in sqlite' "$T/mix.err" \
    && ok "--db on a SQLite data directory is refused" || bad "--db on SQLite data: exit $rc"

# ---- usage
rc=0; "$BIN" up --port-base 0 >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] && ok "bad --port-base is a usage error" || bad "--port-base 0: exit $rc"
rc=0; "$BIN" up --db sqlite:x >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] && ok "--db takes a postgres URL" || bad "--db sqlite: exit $rc"
help=$("$BIN" up --help)
grep -q -- '--port-base' <<<"$help" && ok "up --help" || bad "up --help"

[ "$fails" = 0 ] || { echo "$fails failures"; exit 1; }
