#!/usr/bin/env bash
# Brute force against the officers' sign-in over HTTP (SQLite): the admin API's
# POST /api/v1/tokens and the console form share one guard. After signin_lock_after
# wrong passwords from one source the account is locked there (429 + Retry-After) on
# both paths, even for the right password; the officer's usual source still signs in;
# every failure and refusal is in the audit log; the decrypted application is no-store.
set -euo pipefail

bin=${MOBID_BIN:?}
. "$(dirname "$0")/lib/issuer_serve.sh"
issuer_test_begin signin
issuer_bootstrap || fail "bootstrap"

# the test speaks for several sources through X-Forwarded-For from a trusted proxy
ISSUER_EXTRA_CONFIG='"trusted_proxies": ["127.0.0.1"],
 "console": {"signin_lock_after": 5, "signin_slow_after": 100, "signin_lock_s": 900}' \
  issuer_serve_start "$db" || fail "issuer did not start"

# token USER PASSWORD SOURCE: prints the HTTP status; headers in $tmp/h, body in $tmp/b
token() {
  curl -s -o "$tmp/b" -D "$tmp/h" -w '%{http_code}' -H "X-Forwarded-For: $3" \
    -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$2\"}" "$url/api/v1/tokens"
}
# console USER PASSWORD SOURCE: the sign-in form; headers in $tmp/h, body in $tmp/b
console() {
  issuer_console "$1" "$2" "$tmp/jar" "$3"
  cp "$tmp/console.h" "$tmp/h"; cp "$tmp/console.b" "$tmp/b"
}

pw="correct horse battery"
admin=$(issuer_admin_token)
[ -n "$admin" ] || fail "admin login"
MOBID_PASSWORD="$pw" MOBID_ISSUER_URL="$url" "$bin" office officers create --token "$admin" \
  --username la.kim --role officer --office los-angeles >/dev/null || fail "create officer"

desk=203.0.113.10 attacker=198.51.100.7
[ "$(token la.kim "$pw" $desk)" = 201 ] || fail "the officer's first sign-in"
for i in 1 2 3 4 5; do
  [ "$(token la.kim "wrong guess $i!" $attacker)" = 401 ] || fail "wrong password $i: $(cat "$tmp/b")"
done
st=$(token la.kim "$pw" $attacker)
[ "$st" = 429 ] || fail "right password after 5 failures from the same source gave $st"
grep -q '"error":"SIGNIN_THROTTLED"' "$tmp/b" || fail "429 body: $(cat "$tmp/b")"
grep -qi '^Retry-After: [1-9]' "$tmp/h" || fail "no Retry-After: $(cat "$tmp/h")"
st=$(console la.kim "$pw" $attacker)
[ "$st" = 429 ] || fail "the console let the locked source in ($st)"
grep -qi '^Retry-After: [1-9]' "$tmp/h" || fail "console: no Retry-After"
# no lockout of the officer: the usual desk signs in on both paths
[ "$(token la.kim "$pw" $desk)" = 201 ] || fail "the officer's desk was locked out: $(cat "$tmp/b")"
[ "$(console la.kim "$pw" $desk)" = 303 ] || fail "console sign-in from the desk"

# the decrypted application is never kept by a cache
[ "$(token la.kim "$pw" $desk)" = 201 ] || fail "token for the application"
tok=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' "$tmp/b")
cat >"$tmp/app.json" <<JSON
{"cardtype": "resident_card", "applicant": {"family_name": "KIM", "given_name": "MINJI",
 "family_name_national_character": "김", "given_name_national_character": "민지", "sex": 2, "birth_date": "1990-01-01",
 "resident_registration_number": "900101-2345678", "nationality": "KR",
 "country_of_residence": "US", "residence_status": "permanent", "passport_number": "M12345678",
 "passport_expiry": "$(day 400)", "e_passport": true}}
JSON
id=$(curl -s -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
  --data-binary @"$tmp/app.json" -X POST "$url/api/v1/applications" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
[ -n "$id" ] || fail "application not created"
curl -s -D "$tmp/h" -o "$tmp/b" -H "Authorization: Bearer $tok" "$url/api/v1/applications/$id"
grep -q '"applicant"' "$tmp/b" || fail "no applicant in the answer"
grep -qi '^Cache-Control: no-store' "$tmp/h" || fail "PII answer without Cache-Control: no-store"

# one source guessing through user names is locked too (20 by default)
for i in $(seq 20); do
  [ "$(token "user$i" "guess guess" 192.0.2.66)" = 401 ] || fail "name guess $i"
done
[ "$(token la.kim "$pw" 192.0.2.66)" = 429 ] || fail "the guessing source was not locked"

# every failure and refusal is audited, and the typed names are not in the log
curl -s -H "Authorization: Bearer $admin" "$url/api/v1/audit?limit=1000" >"$tmp/audit.json"
n=$(grep -o '"signin.fail"' "$tmp/audit.json" | wc -l)
[ "$n" -eq 25 ] || fail "expected 25 signin.fail audit entries, got $n"
grep -q '"signin.throttled"' "$tmp/audit.json" || fail "refusals not audited"
grep -q "$attacker" "$tmp/audit.json" || fail "the source is not in the audit entry"
grep -q '"user5"' "$tmp/audit.json" && fail "a typed user name is in the audit log"
echo "attack_signin: ok"
