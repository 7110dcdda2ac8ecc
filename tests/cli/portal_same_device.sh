#!/usr/bin/env bash
# The portal's same-device flow with HAIP's response code, through the real issuer,
# verifier, portal and wallet: a start with {"same_device": true} asks the verifier
# for a session whose redirect_uri is the site's page; the wallet's answer sends the
# holder there with #response_code=CODE; the portal hands the claims only to a result
# request presenting that code (without it, or with a wrong one: "withheld", and the
# claims stay for the right code), once. A cross-device start (the QR) has no redirect
# and its result needs no code. Bad bodies and codes are refused.
set -u
bin=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
for c in jq curl openssl; do
  command -v $c >/dev/null 2>&1 || { echo "SKIP: $c not installed (scripts/deps installs it)"; exit 77; }
done
"$bin" issuer --help >/dev/null 2>&1 || { echo "SKIP: no issuer in this build"; exit 77; }
source "$(dirname "$0")/lib/issuer_serve.sh"
source "$(dirname "$0")/lib/mdl_verifier.sh"
issuer_test_begin portal-same-device
issuer_serve_start "$db" || fail "the issuer did not start"

# ---- a holder with an mDL, and a bank registered for three of its claims
mdl_offer offer.json 950314-1234567
mdl_wallet offer.json
NS=org.iso.18013.5.1
jq -n --arg ns $NS '[{format:"mso_mdoc", type:"org.iso.18013.5.1.mDL",
  claims:[[$ns,"family_name"],[$ns,"given_name"],[$ns,"age_over_18"]]}]' >allowed.json
"$bin" pki rp-issue pki --id bank --name "A Bank" --legal-basis "age check" \
  --allowed allowed.json >/dev/null || fail "pki rp-issue"
jq -n --arg ns $NS '{credentials:[{id:"mdl", format:"mso_mdoc", meta:{doctype_value:"org.iso.18013.5.1.mDL"},
  claims:[{path:[$ns,"family_name"]},{path:[$ns,"given_name"]},{path:[$ns,"age_over_18"]}]}]}' >query.json

# ---- the verifier, and the portal in front of it
verifier_start bank
PUB="https://portal.example"
(umask 077; echo "$KEY" >api.key)
"$bin" portal serve --listen 127.0.0.1:0 --verifier "$V" --api-key-file api.key --bank-api-key-file api.key \
  --dcql query.json --bank-dcql query.json --public-url "$PUB/" --wait 5 >portal.url 2>portal.log &
PIDS+=($!)
wait_until -p $! test -s portal.url
P=$(jq -r .url portal.url 2>/dev/null)
[ -n "$P" ] && [ "$P" != null ] || fail "the portal did not start: $(cat portal.log)"

start() { curl -s -H "Content-Type: application/json" -d "$1" "$P/api/v1/start/bank"; }
result() { curl -s "$P/api/v1/result?site=bank&ticket=$ticket$1"; }

# ---- same-device
start '{"same_device": true}' >start.json
ticket=$(jq -r .ticket start.json)
jq -e '.same_device_link | startswith("openid4vp://")' start.json >/dev/null && jq -e 'has("qr_png") | not' start.json >/dev/null &&
  ok "same-device start: a link and a ticket, no QR drawn" || bad "same-device start: $(cat start.json)"
"$bin" wallet "${W[@]}" --yes present "$(jq -r .same_device_link start.json)" >present.json 2>present.err ||
  bad "wallet present: $(cat present.json present.err)"
back=$(jq -r '.redirect_uri // empty' present.json)
code=${back##*#response_code=}
[[ "$back" == "$PUB/bank#response_code="* ]] && [ -n "$code" ] &&
  ok "the wallet is sent back to the bank's page with a response code" || bad "redirect: $(cat present.json)"
result "" >r.json
jq -e '.status == "verified" and .reason == "withheld" and (has("claims") | not)' r.json >/dev/null &&
  ok "without the code: verified, claims withheld" || bad "no code: $(cat r.json)"
result "&response_code=${code}x" >r.json
jq -e '.reason == "withheld" and (has("claims") | not)' r.json >/dev/null &&
  ok "a wrong code: claims withheld" || bad "wrong code: $(cat r.json)"
result "&response_code=$code" >r.json
jq -e '.status == "verified" and .claims.family_name == "Park" and .claims.age_over_18 == true' r.json >/dev/null &&
  ok "the code from the redirect gets the claims" || bad "with the code: $(cat r.json)"
result "&response_code=$code" >r.json
jq -e '.reason == "delivered" and (has("claims") | not)' r.json >/dev/null &&
  ok "once: a second read gets no claims" || bad "second read: $(cat r.json)"

# ---- cross-device (the QR): no redirect, no code needed
start '{}' >start.json
ticket=$(jq -r .ticket start.json)
jq -e '.qr_png | startswith("data:image/png;base64,")' start.json >/dev/null || bad "QR start: $(cat start.json)"
"$bin" wallet "${W[@]}" --yes present "$(jq -r .same_device_link start.json)" >present.json 2>present.err ||
  bad "wallet present (QR): $(cat present.json present.err)"
result "" >r.json
jq -e 'has("redirect_uri") | not' present.json >/dev/null &&
  jq -e '.status == "verified" and .claims.given_name == "Jiwoo"' r.json >/dev/null &&
  ok "cross-device: no redirect, the claims without a code" || bad "cross-device: $(cat present.json r.json)"

# ---- refusals
st=$(curl -s -o r.json -w '%{http_code}' -H "Content-Type: application/json" -d '{"same_device":"yes"}' \
  "$P/api/v1/start/bank")
[ "$st" = 400 ] && jq -e '.error == "MALFORMED"' r.json >/dev/null && ok "a bad start body: 400 MALFORMED" ||
  bad "bad start body: $st $(cat r.json)"
st=$(curl -s -o r.json -w '%{http_code}' "$P/api/v1/result?site=bank&ticket=$ticket&response_code=a%26wait=1")
[ "$st" = 400 ] && ok "a response code that is not base64url: 400" || bad "bad code: $st $(cat r.json)"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "portal same-device response code: ok"
