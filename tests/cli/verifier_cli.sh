#!/usr/bin/env bash
# mobid verifier serve as a relying party and a wallet see it over HTTP: health, API
# keys, session creation (deep link, QR, request_uri), the signed request object
# (typ, x5c chain to the RP CA, client_id = x509_hash of the leaf), a query beyond the
# registration refused, a wallet's refusal recorded as DCQL_UNSATISFIED, a second
# answer refused, usage errors. PKI from `mobid pki init` and openssl; the
# registration signed with `mobid jws sign`. Needs curl, jq and openssl.
set -euo pipefail

BIN=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
T=$(mktemp -d)
PID=
cleanup() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT
cd "$T"

fails=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', wanted '$3'"; fi; }
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# ---- PKI: ministry root, RP CA, an access certificate, a registration
"$BIN" pki init pki >/dev/null 2>&1
openssl ecparam -name prime256v1 -genkey -noout -out bank.ec 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in bank.ec -out bank.key
openssl req -new -key bank.key -subj "/CN=Example Bank/C=KR" -out bank.csr 2>/dev/null
printf 'keyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n' > ext.cnf
openssl x509 -req -in bank.csr -CA pki/rp-ca.pem -CAkey pki/rp-ca.key -CAcreateserial \
    -days 30 -extfile ext.cnf -out bank.pem 2>/dev/null
client_id="x509_hash:$(openssl x509 -in bank.pem -outform DER | openssl dgst -sha256 -binary | b64url)"
x5c=$(openssl x509 -in pki/registry.pem -outform DER | base64 -w0)
now=$(date +%s)
jq -n --arg cid "$client_id" --argjson now "$now" '{sub:"bank", name:"Example Bank",
    legal_basis:"KYC", client_id:$cid, iat:$now, exp:($now + 86400),
    allowed:[{format:"dc+sd-jwt", type:"urn:mobid:kr:resident_card:1",
              claims:[["family_name"],["age_over_19"]]}]}' > reg.json
"$BIN" jws sign --key pki/registry.key --typ rp-registration+jwt \
    --header "{\"x5c\":[\"$x5c\"]}" --out bank.registration.jwt reg.json
openssl rand -hex 32 > seal.hex
API_KEY=$(openssl rand -hex 24)
jq -n --arg h "$("$BIN" verifier hash-key "$API_KEY")" '{seal_key_file:"seal.hex",
    trust_anchors:["pki/iaca.pem"], registration_anchors:["pki/iaca.pem"],
    relying_parties:[{id:"bank", api_key_sha256:$h, key:"bank.key", cert:"bank.pem",
                      registration:"bank.registration.jwt"}],
    profiles:{kyc:{credentials:[{id:"card", format:"dc+sd-jwt",
        meta:{vct_values:["urn:mobid:kr:resident_card:1"]},
        claims:[{path:["family_name"]},{path:["age_over_19"]}]}]}}}' > verifier.json

# ---- usage
code=0; "$BIN" verifier serve --help >/dev/null || code=$?; check "serve --help" "$code" 0
code=0; "$BIN" verifier serve --config verifier.json 2>/dev/null || code=$?; check "serve without --db" "$code" 2

# ---- start
"$BIN" verifier serve --db "sqlite:$T/v.db" --listen 127.0.0.1:0 --config verifier.json \
    >url.json 2>serve.log &
PID=$!
. "$(dirname "$0")/../common/wait.sh"
wait_until -p "$PID" test -s url.json || true
URL=$(jq -r .url url.json)
[ -n "$URL" ] && [ "$URL" != null ] || { cat serve.log; echo "FAIL - no URL"; exit 1; }
check "healthz" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" 200

api() { curl -s -o out.json -w '%{http_code}' -H "Authorization: Bearer $1" "${@:2}"; }
check "wrong API key" "$(api wrong -X POST -H 'Content-Type: application/json' \
    -d '{"profile":"kyc"}' "$URL/api/v1/verifications")" 401
# the same name as the issuer's admin API gives a missing or unknown credential
check "wrong API key: the error's name" "$(jq -r .error out.json)" UNAUTHENTICATED
check "create by profile" "$(api "$API_KEY" -X POST -H 'Content-Type: application/json' \
    -d '{"profile":"kyc"}' "$URL/api/v1/verifications")" 201
id=$(jq -r .id out.json)
request_uri=$(jq -r .request_uri out.json)
check "deep link" "$(jq -r .deep_link out.json | cut -c1-35)" "openid4vp://?client_id=x509_hash%3A"
check "no QR rendered on creation" "$(jq -r '.qr_png // "none"' out.json)" none
check "QR PNG" "$(curl -s -H "Authorization: Bearer $API_KEY" "$(jq -r .qr_png_url out.json)" \
    | head -c 8 | od -An -tx1 | tr -d ' ')" 89504e470d0a1a0a
check "QR SVG" "$(curl -s -H "Authorization: Bearer $API_KEY" "$(jq -r .qr_svg_url out.json)" \
    | cut -c1-4)" "<svg"
check "QR on request" "$(api "$API_KEY" -X POST -H 'Content-Type: application/json' \
    -d '{"profile":"kyc","qr":["png"]}' "$URL/api/v1/verifications")" 201
check "QR PNG embedded" "$(jq -r .qr_png out.json | cut -c1-32)" "data:image/png;base64,iVBORw0KGg"

# ---- the request object, as a wallet checks it
ctype=$(curl -s -o request.jwt -w '%{content_type}' "$request_uri")
check "request content type" "$ctype" "application/oauth-authz-req+jwt"
code=0; "$BIN" jws verify --anchor pki/rp-ca.pem --json request.jwt >req.json || code=$?
check "request object chains to the RP CA" "$code" 0
check "typ" "$(jq -r .header.typ req.json)" "oauth-authz-req+jwt"
check "client_id" "$(jq -r .payload.client_id req.json)" "$client_id"
check "response_mode" "$(jq -r .payload.response_mode req.json)" "direct_post.jwt"
check "encryption key" "$(jq -r '.payload.client_metadata.jwks.keys[0].crv' req.json)" "P-256"
check "registration carried" "$(jq -r '.payload.verifier_info[0].data' req.json)" "$(cat bank.registration.jwt)"
nonce_len=$(jq -r .payload.nonce req.json | tr -d '\n' | wc -c)
[ "$nonce_len" -ge 22 ] && ok "nonce of at least 128 bits" || bad "nonce length $nonce_len"
code=0; "$BIN" jws verify --anchor pki/iaca.pem --json request.jwt >/dev/null 2>&1 || code=$?
check "request object does not chain to another root" "$code" 1

# ---- a query beyond the registration
check "unregistered claim refused" "$(api "$API_KEY" -X POST -H 'Content-Type: application/json' \
    -d '{"dcql_query":{"credentials":[{"id":"c","format":"dc+sd-jwt","meta":{"vct_values":["urn:mobid:kr:resident_card:1"]},"claims":[{"path":["resident_registration_number"]}]}]}}' \
    "$URL/api/v1/verifications")" 403
check "its code" "$(jq -r .error out.json)" CLAIM_NOT_ALLOWED

# ---- the wallet declines; a second answer is refused
state=$(jq -r .payload.state req.json)
response_uri=$(jq -r .payload.response_uri req.json)
check "wallet declines" "$(curl -s -o resp.json -w '%{http_code}' --data-urlencode error=access_denied \
    --data-urlencode "state=$state" "$response_uri")" 200
check "second answer" "$(curl -s -o resp.json -w '%{http_code}' --data-urlencode error=access_denied \
    --data-urlencode "state=$state" "$response_uri")" 400
check "its code" "$(jq -r .mobid_error resp.json)" SESSION_USED
check "status read" "$(api "$API_KEY" "$URL/api/v1/verifications/$id?wait=1")" 200
check "status" "$(jq -r .status out.json)" failed
check "status error" "$(jq -r .error out.json)" ACCESS_DENIED

curl -s "$URL/metrics" >metrics.txt
grep -q 'mobid_verifier_responses_total{outcome="ACCESS_DENIED"} 1' metrics.txt \
    && ok "metrics count the outcome" || bad "metrics: $(grep mobid_verifier metrics.txt || true)"

if [ "$fails" -ne 0 ]; then cat serve.log; echo "$fails failed"; exit 1; fi
echo "all passed"
