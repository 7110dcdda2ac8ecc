#!/usr/bin/env bash
# Copies refresh online. On a fresh `mobid up`, a wallet receives a card (its tokens
# bound to the wallet's DPoP key, RFC 9449) and presents it to Government 24 until few
# unused copies are left: the presentation that crosses the threshold refreshes the
# card by itself, and `mobid wallet refresh` does it on demand. The issuer caps the
# refreshes per card and period (RATE_LIMITED) and refuses a suspended card
# (SUSPENDED). Then the protocol by hand (curl and `mobid jws sign`): a DPoP-bound
# access token is useless as a bearer token, and a refresh token is refused without a
# DPoP proof, with a proof by another key, and with a replayed proof.
set -u
BIN=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
for tool in jq curl openssl python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not found"; exit 77; }
done
"$BIN" up --help >/dev/null 2>&1 || { echo "SKIP: this mobid has no up (services not built)"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/up.sh"
up_test_begin refresh
cd "$T" || exit 1

up_start_fresh events up.err var || { cat events up.err; echo "FAIL mobid up"; exit 1; }
I=http://127.0.0.1:$BASE
V=http://127.0.0.1:$((BASE + 1))
DB="sqlite:$T/var/issuer.db"

cat >claims.json <<'JSON'
{"family_name":"Kim","given_name":"Minji","family_name_national_character":"김","given_name_national_character":"민지",
 "birth_date":"1990-05-17","sex":2,"resident_registration_number":"900517-2345678",
 "nationality":"KR","resident_country":"DE","residence_status":"permanent",
 "passport_number":"M12345678","issuing_office":"berlin"}
JSON
echo 135790 >pin
offer() { # person -> offer.json
  "$BIN" issuer offer --db "$DB" --config var/issuer.json --cardtype resident_card \
    --claims claims.json --person "$1" >offer.json || { echo "FAIL offer"; exit 1; }
}
wallet() { "$BIN" wallet --wallet w.wallet --pin-file pin --json "$@"; }
mdoc_unused() { wallet list | jq '.[] | select(.format == "mso_mdoc") | .unused'; }

# ---- receive: the card can be refreshed
offer 900517-2345678
wallet init --issuer-roots var/pki/iaca.pem --rp-roots var/pki/rp-ca.pem \
  --registration-roots var/pki/iaca.pem --scrypt-n 16384 >/dev/null || { echo "FAIL init"; exit 1; }
wallet --tx-code "$(jq -r .tx_code offer.json)" receive "$(jq -r .offer_ref_uri offer.json)" >rx.json \
  || { cat rx.json; echo "FAIL receive"; exit 1; }
wallet list >list.json
jq -e 'length == 2 and all(.[]; .refreshable and .unused == 10)' list.json >/dev/null \
  && ok "received 2 x 10 copies that can be refreshed" || bad "list: $(cat list.json)"
# the copies end with their document signer (the card lives 3 years): by a wallet clock
# a day past the signer's end, none of them is left to show
ds_end=$(openssl x509 -in var/pki/ds-0001.pem -noout -enddate | cut -d= -f2)
wallet --at "$(date -u -d "$ds_end + 1 day" +%Y-%m-%dT%H:%M:%SZ)" list >late.json
jq -e 'length == 2 and all(.[]; .unused == 0 and .total == 10)' late.json >/dev/null \
  && ok "past the signer's end the copies are expired: 0 of 10 left" || bad "late list: $(cat late.json)"

# ---- presentations until the card runs low: the 8th leaves 2 (< 3) and refreshes
KEY=$(head -n 1 var/rp/gov24.api-key)
present() { # -> present.json
  curl -fs -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d '{"profile":"resident_full"}' "$V/api/v1/verifications" >session.json || return 1
  wallet --yes present "$(jq -r .deep_link session.json)" >present.json 2>/dev/null
}
for n in 1 2 3 4 5 6 7; do present || bad "presentation $n: $(cat present.json)"; done
[ "$(mdoc_unused)" = 3 ] && ok "7 presentations used 7 mdoc copies" || bad "unused after 7: $(mdoc_unused)"
jq -e 'has("refresh") | not' present.json >/dev/null && ok "no refresh while 3 copies are left" \
  || bad "refreshed early: $(cat present.json)"
present || bad "presentation 8: $(cat present.json)"
jq -e '.refresh.refreshed | map(select(.format == "mso_mdoc"))[0] | .unused == 10 and .total == 10' \
  present.json >/dev/null && ok "the 8th presentation refreshed the card: 10 unused copies again" \
  || bad "8th presentation: $(cat present.json)"
[ "$(mdoc_unused)" = 10 ] && ok "wallet list shows 10 unused mdoc copies" || bad "unused: $(mdoc_unused)"
wallet history | jq -e 'length == 8' >/dev/null && ok "the history keeps the 8 presentations" \
  || bad "history: $(wallet history)"
present && jq -e '.rp == "Government 24"' present.json >/dev/null \
  && ok "a refreshed copy verifies at Government 24" || bad "after refresh: $(cat present.json)"

# ---- on demand, and the rate cap (4 per card and day by default; the 8th used one)
wallet refresh >r.json && jq -e '.refreshed == []' r.json >/dev/null \
  && ok "refresh with enough copies left does nothing" || bad "refresh: $(cat r.json)"
wallet refresh --force >r.json && jq -e '.refreshed | map(.format) == ["mso_mdoc"]' r.json >/dev/null \
  && [ "$(mdoc_unused)" = 10 ] && ok "wallet refresh --force replaces the one used copy" \
  || bad "forced: $(cat r.json)"
for n in 3 4; do
  wallet refresh --force >r.json 2>/dev/null || bad "forced refresh $n: $(cat r.json)"
done
wallet refresh --force >r.json; rc=$?
[ "$rc" = 1 ] && jq -e '.error == "RATE_LIMITED"' r.json >/dev/null \
  && ok "the 5th refresh of the day is RATE_LIMITED" || bad "rate cap: $rc $(cat r.json)"

# ---- a suspended card is not refreshed
"$BIN" issuer card suspend --db "$DB" --config var/issuer.json "$(jq -r .offer_id offer.json)" \
  >/dev/null 2>&1 || bad "suspend"
wallet refresh --force >r.json; rc=$?
[ "$rc" = 1 ] && jq -e '.error == "SUSPENDED"' r.json >/dev/null \
  && ok "a suspended card's refresh is refused: SUSPENDED" || bad "suspended: $rc $(cat r.json)"

# ---- the protocol by hand: key binding
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
dpop() { # key.jwk URL [access token] -> a DPoP proof on stdout
  local ath=null
  [ -n "${3:-}" ] && ath=$(printf %s "$3" | openssl dgst -sha256 -binary | b64url | jq -R .)
  jq -n --arg jti "$(head -c 12 /dev/urandom | b64url)" --arg htu "$2" --argjson ath "$ath" \
    --argjson iat "$(date +%s)" '{jti: $jti, htm: "POST", htu: $htu, iat: $iat}
      + (if $ath then {ath: $ath} else {} end)' >payload.json
  "$BIN" jws sign --key "$1" --typ dpop+jwt --header "{\"jwk\":$(jq -c 'del(.d)' "$1")}" payload.json
}
"$BIN" jwk generate --crv P-256 --out a.jwk && "$BIN" jwk generate --crv P-256 --out b.jwk \
  && "$BIN" jwk generate --crv P-256 --out holder.jwk || { echo "FAIL keys"; exit 1; }
offer 880722-2345678
CODE=$(jq -r .offer_uri offer.json | sed 's/.*credential_offer=//' | python3 -c \
  'import sys,urllib.parse,json;print(json.loads(urllib.parse.unquote(sys.stdin.read().strip()))["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"])')
post_token() { # DPoP-header-or-empty form... -> token.json, status in $st
  local h=()
  [ -n "$1" ] && h=(-H "DPoP: $1")
  shift
  st=$(curl -s -o token.json -w '%{http_code}' "${h[@]}" "$@" "$I/token")
}
post_token "$(dpop a.jwk "$I/token")" --data-urlencode \
  "grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code" \
  --data-urlencode "pre-authorized_code=$CODE" --data-urlencode "tx_code=$(jq -r .tx_code offer.json)"
AT=$(jq -r .access_token token.json); RT=$(jq -r .refresh_token token.json)
[ "$st" = 200 ] && jq -e '.token_type == "DPoP" and (.refresh_token | length) > 20' token.json >/dev/null \
  && ok "a DPoP proof at /token gives a DPoP-bound token and a refresh token" || bad "token: $st $(cat token.json)"
NONCE=$(curl -s -X POST "$I/nonce" | jq -r .c_nonce)
"$BIN" issuer proof --key holder.jwk --aud "$I" --nonce "$NONCE" >proof.jwt 2>/dev/null \
  || bad "issuer proof"
jq -n --rawfile p proof.jwt '{credential_configuration_id: "resident_card_sdjwt",
  proofs: {jwt: [$p | rtrimstr("\n")]}}' >credreq.json
st=$(curl -s -o cred.json -w '%{http_code}' -H "Authorization: Bearer $AT" \
  -H 'Content-Type: application/json' -d @credreq.json "$I/credential")
[ "$st" = 401 ] && jq -e '.error == "invalid_token"' cred.json >/dev/null \
  && ok "a DPoP-bound access token is refused as a bearer token" || bad "bearer: $st $(cat cred.json)"
st=$(curl -s -o cred.json -w '%{http_code}' -H "Authorization: DPoP $AT" \
  -H "DPoP: $(dpop b.jwk "$I/credential" "$AT")" -H 'Content-Type: application/json' \
  -d @credreq.json "$I/credential")
[ "$st" = 401 ] && jq -e '.error == "invalid_dpop_proof"' cred.json >/dev/null \
  && ok "the access token with another key's proof is refused" || bad "other key: $st $(cat cred.json)"
st=$(curl -s -o cred.json -w '%{http_code}' -H "Authorization: DPoP $AT" \
  -H "DPoP: $(dpop a.jwk "$I/credential" "$AT")" -H 'Content-Type: application/json' \
  -d @credreq.json "$I/credential")
[ "$st" = 200 ] && jq -e '.credentials | length == 1' cred.json >/dev/null \
  && ok "the access token with its key's proof gets the credential" || bad "credential: $st $(cat cred.json)"

refresh_form=(--data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT")
post_token "" "${refresh_form[@]}"
[ "$st" = 400 ] && jq -e '.error == "invalid_dpop_proof"' token.json >/dev/null \
  && ok "refresh token without a DPoP proof: refused" || bad "no proof: $st $(cat token.json)"
post_token "$(dpop b.jwk "$I/token")" "${refresh_form[@]}"
[ "$st" = 400 ] && jq -e '.error == "invalid_grant"' token.json >/dev/null \
  && ok "refresh token with another key's proof: refused" || bad "other key: $st $(cat token.json)"
PROOF=$(dpop a.jwk "$I/token")
post_token "$PROOF" "${refresh_form[@]}"
[ "$st" = 200 ] && jq -e '.token_type == "DPoP" and (has("refresh_token") | not)' token.json >/dev/null \
  && ok "refresh token with its key's proof: a new access token" || bad "refresh: $st $(cat token.json)"
post_token "$PROOF" "${refresh_form[@]}"
[ "$st" = 400 ] && jq -e '.error == "invalid_dpop_proof"' token.json >/dev/null \
  && ok "a replayed DPoP proof: refused" || bad "replay: $st $(cat token.json)"
post_token "$(dpop a.jwk "$I/credential")" "${refresh_form[@]}"
[ "$st" = 400 ] && jq -e '.error == "invalid_dpop_proof"' token.json >/dev/null \
  && ok "a proof made for another endpoint: refused" || bad "htu: $st $(cat token.json)"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "copies refresh online, bound to the wallet's key"
