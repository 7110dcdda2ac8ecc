#!/usr/bin/env bash
# Officer management by the ministry administrator, through the admin API and the
# console: disable (the officer's token stops working, sign-in refused) and enable;
# password reset (the temporary password only lets the officer choose a new one, then
# the old ones fail); a TOTP second factor (the code from RFC 6238 with the secret
# handed out once, each code used once, a wrong code refused); an office that
# requires one; non-admins refused; every action in the audit log.
set -euo pipefail

bin=${MOBID_BIN:?}
. "$(dirname "$0")/lib/issuer_serve.sh"
issuer_test_begin officers
issuer_bootstrap || fail "bootstrap"
issuer_serve_start "$db" || fail "issuer did not start"

# POST JSON -> body in $out, status in $code
api() { # method path token body
  code=$(curl -s -o resp.json -w '%{http_code}' -X "$1" "$url$2" ${3:+-H "Authorization: Bearer $3"} \
    -H 'Content-Type: application/json' ${4:+--data-binary "$4"})
  out=$(cat resp.json)
}
token() { # user password [extra json members] -> $tok
  api POST /api/v1/tokens "" "$(jq -nc --arg u "$1" --arg p "$2" "{username:\$u,password:\$p} + ${3:-{\}}")"
  tok=$(jq -r '.token // empty' resp.json)
}
expect() { # status error
  [ "$code" = "$1" ] && { [ -z "${2:-}" ] || [ "$(jq -r .error resp.json)" = "$2" ]; } \
    || fail "expected $1 ${2:-} got $code: $out"
}
pw="correct horse battery"
token minister "ministry secret pw"; admin=$tok; [ -n "$admin" ] || fail "admin token: $out"
for u in la.kim:officer la.boss:supervisor; do
  api POST /api/v1/officers "$admin" "$(jq -nc --arg u "${u%%:*}" --arg r "${u##*:}" --arg p "$pw" \
    '{username:$u,display_name:$u,office_id:"los-angeles",role:$r,password:$p}')"
  expect 201
done
kim_id=$(curl -s "$url/api/v1/officers" -H "Authorization: Bearer $admin" | jq -r '.[] | select(.username=="la.kim") | .id')
[ -n "$kim_id" ] || fail "officer id"
token la.kim "$pw"; kim=$tok; token la.boss "$pw"; boss=$tok
[ -n "$kim" ] && [ -n "$boss" ] || fail "officer tokens"

# ---- only the ministry administrator; not on their own account ----
api POST "/api/v1/officers/$kim_id/disable" "$boss"; expect 403 ACCESS_DENIED
api POST "/api/v1/officers/$kim_id/password-reset" "$kim"; expect 403 ACCESS_DENIED
admin_id=$(curl -s "$url/api/v1/me" -H "Authorization: Bearer $admin" | jq -r '.id // .officer.id')
api POST "/api/v1/officers/$admin_id/disable" "$admin"; expect 400 INVALID_ARG
api POST "/api/v1/officers/nobody/disable" "$admin"; expect 404 NOT_FOUND

# ---- disable and enable ----
api POST "/api/v1/officers/$kim_id/disable" "$admin"; expect 200
jq -e '.disabled == true' resp.json >/dev/null || fail "disable: $out"
api GET /api/v1/me "$kim"; expect 401 UNAUTHENTICATED
token la.kim "$pw"; expect 401 UNAUTHENTICATED
curl -s "$url/api/v1/officers" -H "Authorization: Bearer $admin" \
  | jq -e '.[] | select(.username=="la.kim") | .disabled == true' >/dev/null || fail "listed as disabled"
api POST "/api/v1/officers/$kim_id/enable" "$admin"; expect 200
token la.kim "$pw"; expect 201; kim=$tok

# ---- password reset: a forced change at the next sign-in ----
api POST "/api/v1/officers/$kim_id/password-reset" "$admin"; expect 200
temp=$(jq -r .temporary_password resp.json); [ ${#temp} -eq 20 ] || fail "temporary password: $out"
api GET /api/v1/me "$kim"; expect 401 UNAUTHENTICATED
token la.kim "$pw"; expect 401 UNAUTHENTICATED
token la.kim "$temp"; expect 403 PASSWORD_CHANGE_REQUIRED
[ -z "$tok" ] || fail "a token before the change"
token la.kim "$temp" '{new_password:"la.kim"}'; expect 400 INVALID_ARG
newpw="violet tractor mango"
token la.kim "$temp" "{new_password:\"$newpw\"}"; expect 201
token la.kim "$temp"; expect 401 UNAUTHENTICATED
token la.kim "$newpw"; expect 201

# ---- TOTP ----
totp() { # base32 secret [offset steps] -> the current code (RFC 6238, SHA-1, 6 digits)
  python3 - "$1" "${2:-0}" <<'PY'
import base64, hashlib, hmac, struct, sys, time
k = base64.b32decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 8))
c = int(time.time()) // 30 + int(sys.argv[2])
h = hmac.new(k, struct.pack(">Q", c), hashlib.sha1).digest()
o = h[-1] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000))
PY
}
api POST "/api/v1/officers/$kim_id/totp" "$admin"; expect 200
secret=$(jq -r .secret resp.json)
jq -e '.otpauth_uri | startswith("otpauth://totp/mobid:la.kim?secret=")' resp.json >/dev/null \
  || fail "otpauth URI: $out"
token la.kim "$newpw"; expect 401 SECOND_FACTOR_REQUIRED
[ -z "$tok" ] || fail "a token without the code"
token la.kim "$newpw" '{totp:"000000"}'
[ "$(totp "$secret")" = 000000 ] || expect 401 SECOND_FACTOR_REQUIRED
# the previous step's code is accepted (one step of drift) and then refused as used;
# start well inside a step, so that it is still the previous one when checked
while [ $(( $(date +%s) % 30 )) -ge 25 ]; do sleep 0.5; done
token la.kim "$newpw" "{totp:\"$(totp "$secret" -1)\"}"; expect 201
token la.kim "$newpw" "{totp:\"$(totp "$secret" -1)\"}"; expect 401 SECOND_FACTOR_REQUIRED
api POST "/api/v1/officers/$kim_id/totp-remove" "$admin"; expect 200
token la.kim "$newpw"; expect 201

# ---- an office that requires a second factor ----
api POST /api/v1/offices/los-angeles/require-totp "$boss" '{"required":true}'; expect 403 ACCESS_DENIED
api POST /api/v1/offices/los-angeles/require-totp "$admin" '{"required":true}'; expect 200
curl -s "$url/api/v1/offices/los-angeles" -H "Authorization: Bearer $admin" \
  | jq -e '(if type == "array" then .[0] else . end) | .require_totp == true' >/dev/null || fail "office shows require_totp"
token la.boss "$pw"; expect 401 SECOND_FACTOR_REQUIRED
token minister "ministry secret pw"; expect 201
api POST /api/v1/offices/los-angeles/require-totp "$admin" '{"required":false}'; expect 200
token la.boss "$pw"; expect 201


# ---- the console: the officers page, an action with its one-time answer, and a
# reset officer led to the password change page ----
console_signin() { # jar user password [code] -> status of the sign-in POST; Location in $loc
  rm -f "$1"
  local csrf
  csrf=$(curl -s -c "$1" "$url/console/signin" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
  loc=$(curl -s -o /dev/null -b "$1" -c "$1" -w '%{http_code} %{redirect_url}' "$url/console/signin" \
    --data-urlencode "csrf=$csrf" --data-urlencode "username=$2" --data-urlencode "password=$3" \
    --data-urlencode "code=${4:-}")
}
console_signin admin.jar minister "ministry secret pw"
[ "${loc%% *}" = 303 ] || fail "admin console sign-in: $loc"
curl -s -b admin.jar "$url/console/officers" >officers.html
grep -q 'id="officers"' officers.html && grep -q 'data-username="la.kim"' officers.html \
  || fail "officers page"
grep -q "/console/officers/$kim_id/password-reset" officers.html || fail "reset button"
ccsrf=$(awk '$6 == "mobid_csrf" {print $7}' admin.jar)
curl -s -b admin.jar "$url/console/officers/$kim_id/password-reset" --data-urlencode "csrf=$ccsrf" >reset.html
temp=$(sed -n 's/.*id="temporary-password">\([^<]*\)<.*/\1/p' reset.html)
[ ${#temp} -eq 20 ] || fail "console reset shows no temporary password"
console_signin kim.jar la.kim "$temp"
[ "$loc" = "303 $url/console/password?why=reset" ] || fail "reset officer not sent to the password page: $loc"
newpw2="purple kettle orbit"
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$url/console/password" \
  --data-urlencode "username=la.kim" --data-urlencode "password=$temp" \
  --data-urlencode "new_password=$newpw2" --data-urlencode "new_password2=$newpw2")
[ "$code" = "303 $url/console/signin?why=changed" ] || fail "console password change: $code"
console_signin kim.jar la.kim "$newpw2"
[ "$loc" = "303 $url/console/applications" ] || fail "sign-in with the new password: $loc"
curl -s -b kim.jar "$url/console/officers" -o /dev/null -w '%{http_code}' | grep -q 403 \
  || fail "an officer reached the officers page"
curl -s -b admin.jar "$url/console/officers/$kim_id/disable" --data-urlencode "csrf=$ccsrf" -o /dev/null
curl -s -b admin.jar "$url/console/officers" | grep -A1 'data-username="la.kim"' | grep -q disabled \
  || fail "console disable"

# ---- every action audited ----
curl -s "$url/api/v1/audit?limit=1000" -H "Authorization: Bearer $admin" >audit.json
for a in officer.disable officer.enable officer.password_reset officer.password_change \
         officer.totp_set officer.totp_clear office.require_totp office.totp_optional signin.incomplete; do
  jq -e --arg a "$a" 'any(.[]; .action == $a)' audit.json >/dev/null || fail "no $a in the audit log"
done
"$bin" issuer audit verify --db "$db" >/dev/null || fail "audit chain"
echo "issuer_officer_admin: ok"
