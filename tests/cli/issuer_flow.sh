#!/usr/bin/env bash
# The issuer over HTTP, end to end: `mobid pki init`, `mobid issuer serve`, an offer,
# a wallet redeeming it (`mobid issuer fetch`: token + tx_code, nonce, batch credential
# requests in both formats) and the credentials checked with `mobid sdjwt verify` and
# `mobid mdoc present` + `mobid mdoc verify`. Then the negatives: the pre-authorized
# code reused, five wrong tx_codes, a c_nonce replayed and one gone stale, a proof
# signed by another key, and a second card to a new phone turning the first phone's
# status-list entries INVALID; suspend/resume/revoke of a card as the status list
# shows it. Database: $ISSUER_FLOW_DB (issuer_flow_pg.sh passes a PostgreSQL URL),
# else SQLite in a temp directory.
set -euo pipefail

bin=${MOBID_BIN:?}
. "$(dirname "$0")/lib/issuer_serve.sh"
ISSUER_DB=${ISSUER_FLOW_DB:-} issuer_test_begin issuer
ISSUER_EXTRA_CONFIG='"offer":{"lifetime_s":600,"tx_code_attempts":5},"nonce_lifetime_s":5,"batch_size":10' \
  issuer_serve_start "$db" || fail "issuer did not start"
[ "$(stat -c %a pki/ds-0001.key)" = 600 ] || fail "document signer key is not 0600"

issuer_claims

offer() { # person -> offer.json
  "$bin" issuer offer --db "$db" --config issuer.json --cardtype resident_card \
    --claims claims.json --person "$1" >offer.json || fail "offer"
  uri=$(jq -r .offer_uri offer.json); ref=$(jq -r .offer_ref_uri offer.json)
  tx=$(jq -r .tx_code offer.json)
  code=$(jq -r '.credential_offer.grants["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]' offer.json)
}
token() { # code tx -> body on stdout
  curl -s -X POST "$url/token" --data-urlencode \
    "grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code" \
    --data-urlencode "pre-authorized_code=$1" --data-urlencode "tx_code=$2"
}

# ---- metadata ----
curl -sf "$url/.well-known/openid-credential-issuer" >meta.json || fail "issuer metadata"
jq -e '[.display[].locale] == ["ko","en"] and .display[0].name == "행정안전부 (mobid)"' meta.json >/dev/null \
  || fail "issuer display in Korean and English"
[ "$(jq -r .credential_issuer meta.json)" = "$url" ] || fail "credential_issuer"
jq -e '.credential_configurations_supported.resident_card_mdoc.doctype' meta.json >/dev/null \
  || fail "mdoc configuration missing"
jq -e '.credential_configurations_supported.mdl_mdoc.doctype == "org.iso.18013.5.1.mDL"' \
  meta.json >/dev/null || fail "mDL doctype"
curl -sf "$url/.well-known/oauth-authorization-server" | jq -e '.response_types_supported == null' >/dev/null \
  || fail "authorization server metadata names response types without an authorization endpoint"
curl -sf "$url/.well-known/oauth-authorization-server" | jq -e '.token_endpoint' >/dev/null \
  || fail "AS metadata"

# ---- the happy path: by reference, batch of 3 in both formats ----
offer 900517-2345678
"$bin" issuer qr --format png -o qr.png "$ref" || fail "QR PNG"
[ "$(head -c 8 qr.png | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] || fail "QR is not a PNG"
"$bin" issuer qr --format svg -o qr.svg "$uri" && grep -q '<svg' qr.svg || fail "QR SVG"
[ "$("$bin" issuer qr "$ref" | wc -l)" -gt 10 ] || fail "QR text"
mkdir w1
"$bin" issuer fetch --offer "$ref" --tx-code "$tx" --out w1 --batch 3 >fetch.json \
  || fail "fetch: $(cat fetch.json)"
jq -e '.resident_card_mdoc == 3 and .resident_card_sdjwt == 3' fetch.json >/dev/null \
  || fail "batch sizes: $(cat fetch.json)"
# /metrics counts the credentials issued, by format and card type.
curl -sf "$url/metrics" >metrics.txt || fail "metrics"
grep -q '^mobid_issuer_credentials_issued_total{format="mso_mdoc",card_type="resident_card"} 3$' \
  metrics.txt || fail "issuance counter: $(grep issued metrics.txt)"
for i in 0 1 2; do
  "$bin" sdjwt verify --trust pki/iaca.pem --json "w1/resident_card_sdjwt_$i.cred" >v.json \
    || fail "sdjwt verify $i: $(cat v.json)"
done
# SD-JWT VC / EU PID names: birthdate, nationalities, personal_administrative_number,
# age_equal_or_over; the administrative elements; an https-style vct under the issuer.
jq -e --arg u "$url" '.claims.given_name_national_character == "민지"
    and .claims.age_equal_or_over["19"] == true and .claims.age_equal_or_over["14"] == true
    and .claims.age_equal_or_over["18"] == true and (.claims | has("age_over_19") | not)
    and (.claims.birthdate | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$")) and .claims.nationalities == ["KR"]
    and (.claims.personal_administrative_number | length) == 14 and .claims.issuing_country == "KR"
    and (.claims.date_of_expiry | test("^20")) and (.claims.document_number | length) > 0
    and .claims.vct == ($u + "/vct/resident_card/1")' \
  v.json >/dev/null || fail "SD-JWT claims: $(cat v.json)"
# SD-JWT VC Type Metadata served at the vct: ko and en names, a label for each claim.
curl -sf "$(jq -r .claims.vct v.json)" >tm.json || fail "type metadata at the vct"
jq -e --arg u "$url" '.vct == ($u + "/vct/resident_card/1") and (.display | map(.locale) | sort) == ["en", "ko"]
    and any(.claims[]; .path == ["birthdate"] and any(.display[]; .locale == "ko" and .label == "생년월일"))
    and any(.claims[]; .path == ["age_equal_or_over", "18"])
    and all(.claims[]; (.display | length) == 2)' tm.json >/dev/null || fail "type metadata: $(cat tm.json)"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/vct/no_such_card/1")" = 404 ] || fail "unknown vct"
# A wallet or verifier fetches it: `mobid sdjwt type-metadata`, with vct#integrity.
vct=$(jq -r .claims.vct v.json)
sri="sha256-$(curl -sf "$vct" | openssl dgst -sha256 -binary | base64 -w0)"
"$bin" sdjwt type-metadata --json --integrity "$sri" "$vct" >tm2.json || fail "type-metadata: $(cat tm2.json)"
jq -e --arg v "$vct" '.vct == $v' tm2.json >/dev/null || fail "type-metadata output"
"$bin" sdjwt type-metadata --json --integrity "sha256-AAAA" "$vct" >tm3.json && fail "a wrong integrity was accepted"
jq -e '.error == "DIGEST_MISMATCH"' tm3.json >/dev/null || fail "wrong integrity: $(cat tm3.json)"
# SD-JWT VC issuer metadata: the identifier and the signers' keys; a verifier that
# trusts this issuer by its identifier (no certificate at all) accepts the credential.
curl -sf "$url/.well-known/jwt-vc-issuer" >vcmeta.json || fail "jwt-vc-issuer metadata"
[ "$(jq -r .issuer vcmeta.json)" = "$url" ] || fail "jwt-vc-issuer names $(jq -r .issuer vcmeta.json)"
jq -e '.jwks.keys[0].kid == "ds-0001" and .jwks.keys[0].kty == "EC"' vcmeta.json >/dev/null \
  || fail "jwt-vc-issuer keys: $(cat vcmeta.json)"
"$bin" sdjwt verify --trust-issuer "$url" --json w1/resident_card_sdjwt_0.cred >vi.json \
  || fail "sdjwt verify --trust-issuer: $(cat vi.json)"
"$bin" sdjwt verify --trust-issuer "http://127.0.0.1:1/other" --json \
  w1/resident_card_sdjwt_0.cred >vi.json && fail "an issuer not named was trusted"
jq -e '.error == "UNTRUSTED_ISSUER"' vi.json >/dev/null || fail "other issuer: $(cat vi.json)"
idx_a=$(jq -r .claims.status.status_list.idx v.json)
list_a=$(jq -r .claims.status.status_list.uri v.json)
# every credential has its own index
for i in 0 1 2; do jq -r .claims.status.status_list.idx <("$bin" sdjwt verify \
  --trust pki/iaca.pem --json "w1/resident_card_sdjwt_$i.cred"); done | sort | uniq -d >dup
[ ! -s dup ] || fail "a status index was given twice"

mdoc_verify() { # cred key -> exit status of mdoc verify
  tr -d '\n' <"$1" | tr '_-' '/+' | awk '{ n = length($0) % 4; p = n ? substr("===", 1, 4 - n) : ""; print $0 p }' \
    | base64 -d >is.cbor
  "$bin" mdoc transcript --oid4vp --client-id x509_hash:abc --nonce n-1 \
    --response-uri https://rp.example/cb -o t.cbor
  "$bin" mdoc present --issuer-signed is.cbor --device-key "$2" --transcript t.cbor \
    --reveal kr.go.mois.resident.1/family_name_national_character,kr.go.mois.resident.1/age_over_19 \
    -o resp.cbor
  "$bin" mdoc verify --trust pki/iaca.pem --transcript t.cbor --json resp.cbor >mv.json
}
mdoc_verify w1/resident_card_mdoc_0.cred w1/resident_card_mdoc_0.key.jwk \
  || fail "mdoc verify: $(cat mv.json)"
jq -e '.documents[0].docType == "kr.go.mois.resident.1"' mv.json >/dev/null || fail "docType"
jq -e '.documents[0].claims["kr.go.mois.resident.1"].age_over_19 == true' mv.json >/dev/null \
  || fail "mdoc age_over_19: $(cat mv.json)"
# the wrong device key does not verify
! mdoc_verify w1/resident_card_mdoc_0.cred w1/resident_card_mdoc_1.key.jwk \
  || fail "mdoc verified with another phone's key"

st() { "$bin" status check --uri "$1" --trust pki/iaca.pem --idx "$2" --json | jq -r .status; }
[ "$(st "$list_a" "$idx_a")" = VALID ] || fail "fresh credential not VALID"

# ---- pre-authorized code reused ----
token "$code" "$tx" | jq -e '.error == "invalid_grant"' >/dev/null || fail "code reused"

# ---- authorization_details (OpenID4VCI 1.0 §5.1.1, §6.2): answered with
# credential_identifiers; a configuration of another card is refused ----
code_a=$code tx_a=$tx
offer 700101-1234567
details() { curl -s -X POST "$url/token" --data-urlencode \
  "grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code" \
  --data-urlencode "pre-authorized_code=$code" --data-urlencode "tx_code=$tx" \
  --data-urlencode "authorization_details=$1"; }
details '[{"type":"openid_credential","credential_configuration_id":"mdl_sdjwt"}]' \
  | jq -e '.error == "invalid_authorization_details"' >/dev/null || fail "details for another card"
details '[{"type":"openid_credential","credential_configuration_id":"resident_card_sdjwt"}]' >ad.json
jq -e '.access_token and .authorization_details[0].credential_identifiers == ["resident_card_sdjwt"]' \
  ad.json >/dev/null || fail "authorization_details: $(cat ad.json)"
code=$code_a tx=$tx_a

# ---- wrong tx_codes: limited per address, twenty in all void the offer; a missing one
# is a bad request, no try ----
offer 800101-1234567
curl -s -X POST "$url/token" --data-urlencode \
  "grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code" \
  --data-urlencode "pre-authorized_code=$code" | jq -e '.error == "invalid_request"' >/dev/null \
  || fail "missing tx_code is invalid_request"
wrong=$(printf '%06d' $(( (10#$tx + 1) % 1000000 )))
# five from one address stop that address only (a colleague who saw the QR cannot void
# the citizen's offer); the holder's phone, elsewhere, still redeems it
for i in 1 2 3 4 5; do
  token "$code" "$wrong" | jq -e '.error == "invalid_grant"' >/dev/null || fail "wrong tx_code $i"
done
token "$code" "$tx" | jq -e '.error_description | test("from this address")' >/dev/null \
  || fail "the right code from the guessing address after five wrong ones"
token_from() { curl -s --interface "$1" -X POST "$url/token" --data-urlencode \
  "grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code" \
  --data-urlencode "pre-authorized_code=$2" --data-urlencode "tx_code=$3"; }
token_from 127.0.0.2 "$code" "$tx" | jq -e '.access_token' >/dev/null \
  || fail "the holder elsewhere could not redeem after a colleague's five wrong codes"
# twenty from four addresses void the offer (a bound on distributed guessing)
offer 800101-1234568
wrong=$(printf '%06d' $(( (10#$tx + 1) % 1000000 )))
for a in 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6; do
  for i in 1 2 3 4 5; do token_from "$a" "$code" "$wrong" >/dev/null; done
done
token_from 127.0.0.7 "$code" "$tx" | jq -e '.error == "invalid_grant"' >/dev/null \
  || fail "offer still usable after twenty wrong tx_codes"
curl -s -o /dev/null -w '%{http_code}' "$url/offers/$(jq -r .offer_id offer.json)" | grep -q 404 \
  || fail "killed offer still served by reference"

# ---- nonces and proofs ----
offer 850303-1111111
tok=$(token "$code" "$tx" | jq -r .access_token)
[ -n "$tok" ] && [ "$tok" != null ] || fail "token"
curl -s -X POST "$url/credential" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
  -d '{"credential_configuration_id":"resident_card_sdjwt","proofs":{"jwt":["x.y.z"]},"credential_response_encryption":{"jwk":{"kty":"EC"},"enc":"A128GCM"}}' \
  | jq -e '.error == "invalid_encryption_parameters"' >/dev/null \
  || fail "credential_response_encryption not refused"
"$bin" jwk generate --crv P-256 >hk.jwk 2>/dev/null || "$bin" jwk generate >hk.jwk
"$bin" jwk generate --crv P-256 >other.jwk 2>/dev/null || "$bin" jwk generate >other.jwk
cred() { # proof -> response body
  jq -n --arg p "$1" '{credential_configuration_id:"resident_card_sdjwt",proofs:{jwt:[$p]}}' \
    | curl -s -X POST "$url/credential" -H "Authorization: Bearer $tok" \
      -H 'Content-Type: application/json' --data-binary @-
}
nonce=$(curl -s -X POST "$url/nonce" | jq -r .c_nonce)
forged=$("$bin" issuer proof --key hk.jwk --sign-key other.jwk --aud "$url" --nonce "$nonce")
cred "$forged" | jq -e '.error == "invalid_proof"' >/dev/null || fail "proof by another key"
p=$("$bin" issuer proof --key hk.jwk --aud "$url" --nonce "$nonce")
cred "$p" | jq -e '.credentials | length == 1' >/dev/null || fail "good proof refused"
cred "$p" | jq -e '.error == "invalid_nonce"' >/dev/null || fail "c_nonce replayed"
cred "$("$bin" issuer proof --key hk.jwk --aud "$url" --nonce made-up)" \
  | jq -e '.error == "invalid_nonce"' >/dev/null || fail "unknown nonce"
nonce=$(curl -s -X POST "$url/nonce" | jq -r .c_nonce)
sleep 6
cred "$("$bin" issuer proof --key hk.jwk --aud "$url" --nonce "$nonce")" \
  | jq -e '.error == "invalid_nonce"' >/dev/null || fail "stale c_nonce accepted"
cred "$("$bin" issuer proof --key hk.jwk --aud https://other.example --nonce x)" \
  | jq -e '.error == "invalid_proof"' >/dev/null || fail "proof for another issuer"
curl -s -X POST "$url/credential" -H 'Authorization: Bearer nope' -H 'Content-Type: application/json' \
  -d '{}' | jq -e '.error' >/dev/null || fail "bad token"

# ---- credentials that do not chain to the roots the fetcher trusts ----
"$bin" pki init other-pki --issuer-url https://other.example 2>/dev/null || fail "second PKI"
offer 700101-1212121
mkdir w3
set +e
"$bin" issuer fetch --offer "$uri" --tx-code "$tx" --out w3 --trust other-pki/iaca.pem >f3.json 2>/dev/null
rc=$?
set -e
[ $rc -eq 1 ] && jq -e '.error' f3.json >/dev/null || fail "fetch trusted a foreign root (exit $rc)"
[ -z "$(ls w3)" ] || fail "an unchecked credential was written"

# ---- a second card for the first person, to a new phone ----
offer 900517-2345678
mkdir w2
"$bin" issuer fetch --offer "$uri" --tx-code "$tx" --out w2 --batch 1 --trust pki/iaca.pem \
  >/dev/null || fail "fetch 2 (credentials checked against the IACA)"
[ "$(st "$list_a" "$idx_a")" = INVALID ] || fail "old phone's credential not INVALID"
"$bin" sdjwt verify --trust pki/iaca.pem --json w2/resident_card_sdjwt_0.cred >v2.json || fail "new card"
idx_b=$(jq -r .claims.status.status_list.idx v2.json); list_b=$(jq -r .claims.status.status_list.uri v2.json)
[ "$(st "$list_b" "$idx_b")" = VALID ] || fail "new phone's credential not VALID"

# ---- lifecycle through the operator CLI (REF = the offer id here) ----
oid=$(jq -r .offer_id offer.json)
life() { "$bin" issuer card "$1" --db "$db" --config issuer.json --reason "$2" "$oid"; }
life suspend "phone lost" | jq -e '.state == "suspended"' >/dev/null || fail "suspend"
[ "$(st "$list_b" "$idx_b")" = SUSPENDED ] || fail "suspended card not SUSPENDED in the list"
life resume "phone found" | jq -e '.state == "active"' >/dev/null || fail "resume"
[ "$(st "$list_b" "$idx_b")" = VALID ] || fail "resumed card not VALID"
life revoke "residency ended" | jq -e '.state == "revoked"' >/dev/null || fail "revoke"
[ "$(st "$list_b" "$idx_b")" = INVALID ] || fail "revoked card not INVALID"
set +e; life resume "again" >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 1 ] || fail "a revoked card was resumed (exit $rc)"
# the CWT form of the list is served too
curl -sf -H 'Accept: application/statuslist+cwt' "$list_b" -o list.cwt || fail "CWT list"
[ "$(head -c 1 list.cwt | od -An -tx1 | tr -d ' ')" = d2 ] || fail "CWT is not a tagged COSE_Sign1"
"$bin" issuer audit verify --db "$db" --json | jq -e '.valid == true' >/dev/null \
  || fail "audit chain after lifecycle actions"
echo "issuer_flow: ok on ${db%%:*}"
