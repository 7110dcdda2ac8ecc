#!/usr/bin/env bash
# Abuse of OpenID4VCI against `mobid issuer serve` (SQLite): one offer mints at most one
# batch per credential configuration (then credential_request_denied), and the offer by
# reference is served only at its MAC'd reference, never at the bare offer id that
# officers see in listings.
set -euo pipefail

bin=${MOBID_BIN:?}
. "$(dirname "$0")/lib/issuer_serve.sh"
issuer_test_begin attack-issuance
ISSUER_EXTRA_CONFIG='"batch_size":3' issuer_serve_start "$db" || fail "issuer did not start"

issuer_claims
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
