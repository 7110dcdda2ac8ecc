#!/usr/bin/env bash
# Every admin API action refused as it should be, one table row per refusal: no token,
# wrong role, wrong office, wrong state,
# bad input; each with its HTTP status and stable error code, and nothing changed
# (the application is still "received" at the end). The console's actions refuse a
# request without its CSRF token.
set -euo pipefail

bin=${MOBID_BIN:?}
. "$(dirname "$0")/lib/issuer_serve.sh"
issuer_test_begin refusals

issuer_bootstrap || fail "bootstrap"
issuer_serve_start "$db" || fail "issuer did not start"
admin=$(issuer_admin_token)
[ -n "$admin" ] || fail "admin login"
pw="correct horse battery"
for u in la.off:officer:los-angeles la.sup:supervisor:los-angeles tk.off:officer:tokyo; do
  IFS=: read -r user role office <<<"$u"
  MOBID_PASSWORD="$pw" MOBID_ISSUER_URL="$url" "$bin" office officers create --token "$admin" \
    --username "$user" --role "$role" --office "$office" >/dev/null || fail "create $user"
done
login() {
  curl -s -H 'Content-Type: application/json' -d "{\"username\":\"$1\",\"password\":\"$pw\"}" \
    "$url/api/v1/tokens" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p'
}
declare -A tok=([none]="" [admin]="$admin" [off]="$(login la.off)" [sup]="$(login la.sup)"
                [tk]="$(login tk.off)")
[ -n "${tok[off]}" ] && [ -n "${tok[sup]}" ] && [ -n "${tok[tk]}" ] || fail "officer logins"

applicant() { # extra members as JSON text, appended to the applicant
  cat <<JSON
{"cardtype": "resident_card", "applicant": {"family_name": "KIM", "given_name": "MINJI",
 "family_name_national_character": "김", "given_name_national_character": "민지", "sex": 2,
 "birth_date": "1990-01-01", "resident_registration_number": "900101-2345678",
 "nationality": "KR", "country_of_residence": "US", "residence_status": "permanent",
 "passport_number": "M12345678", "passport_expiry": "$(day 400)", "e_passport": true$1}}
JSON
}
app=$(curl -s -H "Authorization: Bearer ${tok[off]}" -H 'Content-Type: application/json' \
  -d "$(applicant "")" "$url/api/v1/applications" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
[ -n "$app" ] || fail "application not created"
A="/api/v1/applications/$app"
ev='{"evidence":{"passport":"chip read","residency":"green card"}}'

# who | method | path | body | status | error code
table=$(cat <<TABLE
none|GET|/api/v1/me||401|UNAUTHENTICATED
none|GET|/api/v1/applications||401|UNAUTHENTICATED
none|POST|$A/verify|$ev|401|UNAUTHENTICATED
none|GET|/api/v1/audit||401|UNAUTHENTICATED
off|POST|/api/v1/offices|{"offices":[]}|403|ACCESS_DENIED
off|POST|/api/v1/officers|{"username":"x.y","role":"officer","office_id":"los-angeles","password":"$pw"}|403|ACCESS_DENIED
sup|POST|/api/v1/officers|{"username":"x.z","role":"supervisor","office_id":"los-angeles","password":"$pw"}|403|ACCESS_DENIED
sup|POST|/api/v1/officers|{"username":"x.w","role":"officer","office_id":"tokyo","password":"$pw"}|403|ACCESS_DENIED
off|GET|/api/v1/audit||403|ACCESS_DENIED
tk|GET|$A||403|ACCESS_DENIED
tk|POST|$A/verify|$ev|403|ACCESS_DENIED
tk|POST|$A/reject|{"reason":"not ours"}|403|ACCESS_DENIED
off|POST|$A/approve|{}|409|WRONG_STATE
off|POST|$A/offer|{}|409|WRONG_STATE
off|POST|$A/suspend|{"reason":"lost"}|409|WRONG_STATE
off|POST|$A/resume|{"reason":"found"}|409|WRONG_STATE
off|POST|$A/revoke|{"reason":"stolen"}|409|WRONG_STATE
off|POST|$A/verify|{}|400|INVALID_ARG
off|POST|$A/verify|{"evidence":{"passport":"seen"}}|400|INVALID_ARG
off|POST|$A/reject|{}|400|INVALID_ARG
off|POST|/api/v1/applications/nosuchid/verify|$ev|404|NOT_FOUND
off|POST|/api/v1/applications|{"cardtype":"resident_card","applicant":{"family_name":"KIM"}}|400|INVALID_ARG
off|POST|/api/v1/applications|$(applicant ', "issuing_office": "seoul-hq"' | tr -d '\n')|400|INVALID_ARG
off|POST|/api/v1/applications|{"cardtype":"no_such_card","applicant":{}}|404|NOT_FOUND
off|POST|/api/v1/applications|not json|400|MALFORMED
TABLE
)
n=0
while IFS='|' read -r who method path body want code; do
  [ -n "$who" ] || continue
  n=$((n + 1))
  args=(-s -o "$tmp/b" -w '%{http_code}' -X "$method")
  [ -n "${tok[$who]}" ] && args+=(-H "Authorization: Bearer ${tok[$who]}")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  got=$(curl "${args[@]}" "$url$path")
  [ "$got" = "$want" ] && grep -q "\"error\": *\"$code\"" "$tmp/b" ||
    fail "row $n: $who $method $path gave $got $(head -c 200 "$tmp/b"), want $want $code"
done <<<"$table"
# the console: every state-changing form without its CSRF token, or with another one
[ "$(issuer_console la.sup "$pw" "$tmp/jar")" = 303 ] || fail "console sign-in"
for action in verify approve reject offer suspend resume revoke cancel; do
  for token in "" "csrf=forged"; do
    got=$(curl -s -o "$tmp/b" -w '%{http_code}' -b "$tmp/jar" --data "${token:-x=1}" \
      --data-urlencode "reason=r" "$url/console/applications/$app/$action")
    [ "$got" = 403 ] || fail "console $action with '${token:-no csrf}' gave $got"
    n=$((n + 1))
  done
done
got=$(curl -s -o /dev/null -w '%{http_code}' -b "$tmp/jar" --data-urlencode "cardtype=resident_card" \
  "$url/console/applications")
[ "$got" = 403 ] || fail "console create without csrf gave $got"
st=$(curl -s -H "Authorization: Bearer ${tok[off]}" "$url$A" | sed -n 's/.*"state":"\([^"]*\)".*/\1/p')
[ "$st" = received ] || fail "a refused action changed the application: state $st"
echo "ok: $n refusals"
