#!/usr/bin/env bash
# Abuse of OpenID4VCI against `mobid issuer serve` (SQLite): one offer mints at most one
# batch per credential configuration (then credential_request_denied), and the offer by
# reference is served only at its MAC'd reference, never at the bare offer id that
# officers see in listings.
set -euo pipefail

bin=${MOBID_BIN:?}
tmp=$(mktemp -d /tmp/mobid-attack-issuance-XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$tmp/serve.err" ] && tail -5 "$tmp/serve.err" >&2; exit 1; }
cd "$tmp"
db="sqlite:$tmp/issuer.db"

start() {
  for _ in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 12700))
    url="http://127.0.0.1:$port"
    rm -rf pki
    "$bin" pki init pki --issuer-url "$url" 2>/dev/null || fail "pki init"
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >data.key
    cat >issuer.json <<JSON
{"issuer_url":"$url","pki_dir":"pki","data_key_file":"data.key","batch_size":3}
JSON
    "$bin" issuer serve --db "$db" --listen "127.0.0.1:$port" --config issuer.json \
      >serve.out 2>serve.err &
    pid=$!
    for _ in $(seq 50); do
      grep -q listen serve.out 2>/dev/null && return 0
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""
  done
  fail "issuer did not start"
}
start

cat >claims.json <<'JSON'
{"family_name":"Kim","given_name":"Minji","family_name_national_character":"김","given_name_national_character":"민지",
 "birth_date":"1990-05-17","sex":2,"resident_registration_number":"900517-2345678",
 "nationality":"KR","resident_country":"DE","residence_status":"permanent",
 "passport_number":"M12345678","issuing_office":"berlin"}
JSON
"$bin" issuer offer --db "$db" --config issuer.json --cardtype resident_card \
  --claims claims.json --person 900517-2345678 >offer.json || fail "offer"
tx=$(jq -r .tx_code offer.json)
code=$(jq -r '.credential_offer.grants["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]' offer.json)
oid=$(jq -r .offer_id offer.json)
ref=$(jq -r .offer_ref_uri offer.json)

# ---- the offer by reference: the bare id gives nothing, the MAC'd reference the offer ----
st=$(curl -s -o /dev/null -w '%{http_code}' "$url/offers/$oid")
[ "$st" = 404 ] || fail "the bare offer id served the offer ($st)"
st=$(curl -s -o /dev/null -w '%{http_code}' "$url/offers/$oid.AAAAAAAAAAAAAAAAAAAAAA")
[ "$st" = 404 ] || fail "a forged reference served the offer ($st)"
refurl=$(python3 -c 'import sys, urllib.parse as u; q = u.parse_qs(u.urlparse(sys.argv[1]).query); print(q["credential_offer_uri"][0])' "$ref")
case "$refurl" in "$url/offers/$oid."*) ;; *) fail "reference URL: $refurl" ;; esac
curl -sf "$refurl" | jq -e '.grants' >/dev/null || fail "the reference did not serve the offer"

# ---- one batch per offer and configuration ----
tok=$(curl -s -X POST "$url/token" --data-urlencode \
  "grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code" \
  --data-urlencode "pre-authorized_code=$code" --data-urlencode "tx_code=$tx" | jq -r .access_token)
[ -n "$tok" ] && [ "$tok" != null ] || fail "token"
proofs() { # n config -> request body with n fresh proofs
  local n=$1 i nonce
  for i in $(seq "$n"); do
    "$bin" jwk generate --crv P-256 >"k$i.jwk" 2>/dev/null
    nonce=$(curl -s -X POST "$url/nonce" | jq -r .c_nonce)
    "$bin" issuer proof --key "k$i.jwk" --aud "$url" --nonce "$nonce"
  done | jq -R . | jq -s --arg c "$2" '{credential_configuration_id:$c, proofs:{jwt:.}}'
}
cred() { # body file -> response
  curl -s -X POST "$url/credential" -H "Authorization: Bearer $tok" \
    -H 'Content-Type: application/json' --data-binary @"$1"
}
proofs 2 resident_card_sdjwt >b1.json
cred b1.json | jq -e '.credentials | length == 2' >/dev/null || fail "first request refused"
proofs 1 resident_card_sdjwt >b2.json
cred b2.json | jq -e '.credentials | length == 1' >/dev/null || fail "the batch's third credential"
proofs 1 resident_card_sdjwt >b3.json
cred b3.json >r3.json
jq -e '.error == "credential_request_denied"' r3.json >/dev/null \
  || fail "a fourth credential from one offer: $(cat r3.json)"
# the other configuration has its own batch, once
proofs 3 resident_card_mdoc >m1.json
cred m1.json | jq -e '.credentials | length == 3' >/dev/null || fail "mdoc batch refused"
proofs 1 resident_card_mdoc >m2.json
cred m2.json | jq -e '.error == "credential_request_denied"' >/dev/null || fail "mdoc past its batch"
n=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM issuer_credentials").fetchone()[0])' "$tmp/issuer.db")
[ "$n" = 6 ] || fail "expected 6 credentials recorded, got $n"
echo "attack_issuance: ok"
