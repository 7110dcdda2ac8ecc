#!/usr/bin/env bash
# The HAIP profile of the issuer ("haip" in its configuration, pre-authorized grant
# off): the authorization-code flow with PAR, PKCE S256, DPoP-bound tokens and wallet
# attestation, where only a wallet app whose wallet provider the ministry trusts gets
# cards. The authorization server metadata says so; the offer carries an
# issuer_state; mobid's wallet receives by that flow with a trusted provider's
# attestation and authorization_details, and is refused without attestation, with an
# untrusted provider's and with a wrong transaction code. Then the protocol by hand
# (curl and `mobid jws sign`): PAR required, no PKCE, plain PKCE, a wrong verifier, a
# forged attestation, a PoP by another key, a replayed PoP, no DPoP, a replayed code
# (whose tokens are then revoked) and a pre-authorized token request.
set -u
bin=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
for tool in jq curl openssl python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not found"; exit 77; }
done
. "$(dirname "$0")/lib/issuer_serve.sh"
issuer_test_begin haip

# The trusted wallet provider (a CA whose certificate the ministry configures) and an
# untrusted one.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout wp.key \
  -out wp.pem -days 30 -subj "/CN=Trusted Wallet Provider/C=KR" \
  -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,digitalSignature" \
  2>/dev/null || fail "provider key"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out evil.key 2>/dev/null || fail "evil key"
ISSUER_EXTRA_CONFIG='"haip":{"wallet_providers":["wp.pem"],"pre_authorized":false}' \
  issuer_serve_start "$db" || fail "issuer did not start"
I=$url

# ---- metadata
curl -fs "$I/.well-known/oauth-authorization-server" >as.json || fail "AS metadata"
jq -e --arg i "$I" '.issuer == $i and .pushed_authorization_request_endpoint == "\($i)/par"
  and .authorization_endpoint == "\($i)/authorize" and .require_pushed_authorization_requests == true
  and .code_challenge_methods_supported == ["S256"] and .response_types_supported == ["code"]
  and (.token_endpoint_auth_methods_supported | index("attest_jwt_client_auth"))
  and .dpop_signing_alg_values_supported == ["ES256"]
  and (.grant_types_supported | index("authorization_code"))
  and (.grant_types_supported | index("urn:ietf:params:oauth:grant-type:pre-authorized_code") | not)
  and (has("pre-authorized_grant_anonymous_access_supported") | not)
  and .authorization_response_iss_parameter_supported == true
  and .client_attestation_pop_signing_alg_values_supported == ["ES256"]
  and (.authorization_details_types_supported | index("openid_credential"))' as.json >/dev/null \
  && ok "AS metadata: PAR required, S256, attest_jwt_client_auth, DPoP, authorization_code only" \
  || bad "AS metadata: $(cat as.json)"

issuer_claims
n=0
offer() { # -> offer.json, a new person each time
  n=$((n + 1))
  "$bin" issuer offer --db "$db" --config issuer.json --cardtype resident_card --claims claims.json \
    --person "900517-23456$((10 + n))" >offer.json || fail "offer"
  curl -fs "$(jq -r .offer_ref_uri offer.json | sed 's/.*credential_offer_uri=//' | python3 -c \
    'import sys,urllib.parse;print(urllib.parse.unquote(sys.stdin.read().strip()))')" >offer_obj.json \
    || fail "offer by reference"
  TX=$(jq -r .tx_code offer.json)
  STATE=$(jq -r '.grants.authorization_code.issuer_state' offer_obj.json)
}
offer
jq -e '.grants.authorization_code.issuer_state and (.grants | has("urn:ietf:params:oauth:grant-type:pre-authorized_code") | not)' \
  offer_obj.json >/dev/null && ok "the offer carries an authorization_code grant with issuer_state" \
  || bad "offer: $(cat offer_obj.json)"

# ---- mobid's wallet
echo 246810 >pin
wallet() { "$bin" wallet --wallet w.wallet --pin-file pin --json "$@"; }
wallet --issuer-roots pki/iaca.pem --rp-roots pki/iaca.pem --registration-roots pki/iaca.pem \
  --scrypt-n 16384 init >/dev/null || fail "wallet init"
URI=$(jq -r .offer_ref_uri offer.json)
if wallet --tx-code "$TX" receive "$URI" >r1.json 2>r1.err; then bad "received without attestation"
else grep -q invalid_client r1.json r1.err && ok "no wallet attestation: invalid_client" \
  || bad "no attestation: $(cat r1.json r1.err)"; fi
if wallet --tx-code "$TX" --wallet-provider-key evil.key receive "$URI" >r2.json 2>r2.err; then
  bad "an untrusted wallet provider's app received"
else grep -q UNTRUSTED_ISSUER r2.json r2.err && ok "untrusted wallet provider: invalid_client UNTRUSTED_ISSUER" \
  || bad "untrusted provider: $(cat r2.json r2.err)"; fi
wrong=$(printf '%06d' $(( (10#$TX + 1) % 1000000 )))
if wallet --tx-code "$wrong" --wallet-provider-key wp.key receive "$URI" >r3.json 2>r3.err; then
  bad "a wrong transaction code was accepted"
else grep -q access_denied r3.json r3.err && ok "wrong transaction code: access_denied at /authorize" \
  || bad "wrong tx: $(cat r3.json r3.err)"; fi
wallet --tx-code "$TX" --wallet-provider-key wp.key --wallet-provider-cert wp.pem --client-id kr.mobid.app \
  receive "$URI" >r4.json 2>r4.err && jq -e '.received | length == 2 and all(.[]; .count == 10)' r4.json >/dev/null \
  && ok "mobid's wallet received 2 x 10 copies by PAR + PKCE + DPoP + attestation" \
  || bad "receive: $(cat r4.json r4.err) $(tail -3 serve.err)"
wallet list >list.json
jq -e 'length == 2 and all(.[]; .refreshable)' list.json >/dev/null \
  && ok "the cards are bound to the wallet's DPoP key (refreshable)" || bad "list: $(cat list.json)"

# ---- by hand, on a new offer
offer
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
"$bin" jwk generate --crv P-256 --out inst.jwk && "$bin" jwk generate --crv P-256 --out other.jwk \
  && "$bin" jwk generate --crv P-256 --out dpop.jwk || fail "keys"
now() { date +%s; }
attestation() { # provider-key [sub] -> a Client Attestation JWT for inst.jwk
  jq -n --arg sub "${2:-hand-wallet}" --argjson jwk "$(jq -c 'del(.d)' inst.jwk)" --argjson t "$(now)" \
    '{iss: "urn:test:provider", sub: $sub, iat: $t, exp: ($t + 600), cnf: {jwk: $jwk}}' >att.json
  "$bin" jws sign --key "$1" --typ oauth-client-attestation+jwt att.json
}
pop() { # key [jti] -> a PoP for the issuer
  jq -n --arg aud "$I" --arg jti "${2:-$(head -c 12 /dev/urandom | b64url)}" --argjson t "$(now)" \
    '{iss: "hand-wallet", aud: $aud, jti: $jti, iat: $t, exp: ($t + 300)}' >pop.json
  "$bin" jws sign --key "$1" --typ oauth-client-attestation-pop+jwt pop.json
}
dpop() { # URL -> a DPoP proof by dpop.jwk
  jq -n --arg jti "$(head -c 12 /dev/urandom | b64url)" --arg htu "$1" --argjson t "$(now)" \
    '{jti: $jti, htm: "POST", htu: $htu, iat: $t}' >dp.json
  "$bin" jws sign --key dpop.jwk --typ dpop+jwt --header "{\"jwk\":$(jq -c 'del(.d)' dpop.jwk)}" dp.json
}
ATT=$(attestation wp.key)
VER=$(head -c 32 /dev/urandom | b64url)
CH=$(printf %s "$VER" | openssl dgst -sha256 -binary | b64url)
par() { # [curl args...] -> par.json, prints the status
  curl -s -o par.json -w '%{http_code}' "$@" --data-urlencode response_type=code \
    --data-urlencode client_id=hand-wallet --data-urlencode redirect_uri=https://wallet.example/cb \
    --data-urlencode "issuer_state=$STATE" --data-urlencode state=s1 "$I/par"
}
expect() { # name status-got status-want error-want file
  if [ "$2" = "$3" ] && jq -e --arg e "$4" '.error == $e' "$5" >/dev/null; then ok "$1: $3 $4"
  else bad "$1: $2 $(cat "$5")"; fi
}
withatt=(-H "OAuth-Client-Attestation: $ATT")
expect "PAR without attestation" "$(par --data-urlencode "code_challenge=$CH" --data-urlencode code_challenge_method=S256)" 401 invalid_client par.json
expect "PAR with a forged attestation (self-signed)" "$(par -H "OAuth-Client-Attestation: $(attestation inst.jwk)" \
  -H "OAuth-Client-Attestation-PoP: $(pop inst.jwk)" --data-urlencode "code_challenge=$CH" \
  --data-urlencode code_challenge_method=S256)" 401 invalid_client par.json
expect "PAR with a PoP by another key" "$(par "${withatt[@]}" -H "OAuth-Client-Attestation-PoP: $(pop other.jwk)" \
  --data-urlencode "code_challenge=$CH" --data-urlencode code_challenge_method=S256)" 401 invalid_client par.json
expect "PAR without PKCE" "$(par "${withatt[@]}" -H "OAuth-Client-Attestation-PoP: $(pop inst.jwk)")" 400 invalid_request par.json
expect "PAR with plain PKCE" "$(par "${withatt[@]}" -H "OAuth-Client-Attestation-PoP: $(pop inst.jwk)" \
  --data-urlencode "code_challenge=$VER" --data-urlencode code_challenge_method=plain)" 400 invalid_request par.json
P1=$(pop inst.jwk fixed-jti-0001)
got=$(par "${withatt[@]}" -H "OAuth-Client-Attestation-PoP: $P1" -H "DPoP: $(dpop "$I/par")" \
  --data-urlencode "code_challenge=$CH" --data-urlencode code_challenge_method=S256)
[ "$got" = 201 ] && jq -e '.request_uri | startswith("urn:ietf:params:oauth:request_uri:")' par.json >/dev/null \
  && ok "PAR: 201 with a request_uri" || bad "PAR: $got $(cat par.json)"
RURI=$(jq -r .request_uri par.json)
expect "a replayed attestation PoP" "$(par "${withatt[@]}" -H "OAuth-Client-Attestation-PoP: $P1" \
  --data-urlencode "code_challenge=$CH" --data-urlencode code_challenge_method=S256)" 401 invalid_client par.json

code=$(curl -s -o az.json -w '%{http_code}' "$I/authorize?client_id=hand-wallet&response_type=code&redirect_uri=https://wallet.example/cb&code_challenge=$CH&code_challenge_method=S256")
expect "an authorization request not pushed" "$code" 400 invalid_request az.json
curl -fs -H 'Accept: text/html' "$I/authorize?client_id=hand-wallet&request_uri=$RURI" >az.html \
  && grep -q 'name="tx_code"' az.html && ok "GET /authorize shows the transaction code form" \
  || bad "authorize page: $(head -c 300 az.html)"
authorize() { # -> the Location of the answer in loc.txt
  curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --data-urlencode "request_uri=$RURI" \
    --data-urlencode client_id=hand-wallet --data-urlencode "tx_code=$TX" "$I/authorize" >loc.txt
}
authorize
read -r st loc <loc.txt
CODE=$(python3 -c 'import sys,urllib.parse as u;q=u.parse_qs(u.urlsplit(sys.argv[1]).query);print(q["code"][0] if q.get("state")==["s1"] and q.get("iss")==[sys.argv[2]] else "")' "$loc" "$I")
[ "$st" = 303 ] && [ -n "$CODE" ] && case "$loc" in https://wallet.example/cb?*) true ;; *) false ;; esac \
  && ok "POST /authorize: 303 to the redirect_uri with code, state and iss" || bad "authorize: $(cat loc.txt)"
authorize
read -r st _ <loc.txt
[ "$st" = 400 ] && ok "a request_uri is used once" || bad "request_uri reused: $(cat loc.txt)"

token() { # code verifier [curl args] -> tok.json, prints the status
  local c=$1 v=$2; shift 2
  curl -s -o tok.json -w '%{http_code}' "$@" --data-urlencode grant_type=authorization_code \
    --data-urlencode "code=$c" --data-urlencode "code_verifier=$v" \
    --data-urlencode redirect_uri=https://wallet.example/cb "$I/token"
}
expect "token without DPoP" "$(token "$CODE" "$VER" "${withatt[@]}" -H "OAuth-Client-Attestation-PoP: $(pop inst.jwk)")" 400 invalid_dpop_proof tok.json
expect "token without attestation" "$(token "$CODE" "$VER" -H "DPoP: $(dpop "$I/token")")" 401 invalid_client tok.json
expect "token with a wrong code_verifier" "$(token "$CODE" "$(head -c 32 /dev/urandom | b64url)" "${withatt[@]}" \
  -H "OAuth-Client-Attestation-PoP: $(pop inst.jwk)" -H "DPoP: $(dpop "$I/token")")" 400 invalid_grant tok.json
expect "the code after a wrong verifier (burnt)" "$(token "$CODE" "$VER" "${withatt[@]}" \
  -H "OAuth-Client-Attestation-PoP: $(pop inst.jwk)" -H "DPoP: $(dpop "$I/token")")" 400 invalid_grant tok.json

# a fresh request, the right verifier, then the code replayed
par "${withatt[@]}" -H "OAuth-Client-Attestation-PoP: $(pop inst.jwk)" -H "DPoP: $(dpop "$I/par")" \
  --data-urlencode "code_challenge=$CH" --data-urlencode code_challenge_method=S256 \
  --data-urlencode 'authorization_details=[{"type":"openid_credential","credential_configuration_id":"resident_card_sdjwt"}]' >/dev/null
RURI=$(jq -r .request_uri par.json)
authorize
read -r st loc <loc.txt
CODE=$(python3 -c 'import sys,urllib.parse as u;print(u.parse_qs(u.urlsplit(sys.argv[1]).query)["code"][0])' "$loc")
got=$(token "$CODE" "$VER" "${withatt[@]}" -H "OAuth-Client-Attestation-PoP: $(pop inst.jwk)" -H "DPoP: $(dpop "$I/token")")
[ "$got" = 200 ] && jq -e '.token_type == "DPoP" and .authorization_details[0].credential_identifiers == ["resident_card_sdjwt"]' tok.json >/dev/null \
  && ok "token: 200, DPoP-bound, authorization_details answered with credential_identifiers" \
  || bad "token: $got $(cat tok.json)"
AT=$(jq -r .access_token tok.json)
expect "the code replayed" "$(token "$CODE" "$VER" "${withatt[@]}" -H "OAuth-Client-Attestation-PoP: $(pop inst.jwk)" \
  -H "DPoP: $(dpop "$I/token")")" 400 invalid_grant tok.json
NONCE=$(curl -fs -X POST "$I/nonce" | jq -r .c_nonce)
"$bin" issuer proof --key inst.jwk --aud "$I" --nonce "$NONCE" >proof.jwt 2>/dev/null || fail "proof"
dp_at=$(jq -n --arg jti "$(head -c 12 /dev/urandom | b64url)" --arg htu "$I/credential" --argjson t "$(now)" \
  --arg ath "$(printf %s "$AT" | openssl dgst -sha256 -binary | b64url)" '{jti: $jti, htm: "POST", htu: $htu, iat: $t, ath: $ath}' >dp.json \
  && "$bin" jws sign --key dpop.jwk --typ dpop+jwt --header "{\"jwk\":$(jq -c 'del(.d)' dpop.jwk)}" dp.json)
st=$(curl -s -o cred.json -w '%{http_code}' -H "Authorization: DPoP $AT" -H "DPoP: $dp_at" \
  -H 'Content-Type: application/json' -d "{\"credential_identifier\":\"resident_card_sdjwt\",\"proofs\":{\"jwt\":[\"$(cat proof.jwt)\"]}}" "$I/credential")
[ "$st" = 401 ] && ok "the tokens of a replayed code are revoked (/credential: 401)" || bad "after replay: $st $(cat cred.json)"

# the pre-authorized grant is off in this profile
PRE=$(jq -r .pre_auth_code offer.json 2>/dev/null)
st=$(curl -s -o pre.json -w '%{http_code}' --data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code" \
  --data-urlencode "pre-authorized_code=${PRE:-x}" --data-urlencode "tx_code=$TX" "$I/token")
expect "a pre-authorized token request" "$st" 400 unsupported_grant_type pre.json

# ---- with the pre-authorized grant kept: both grants offered, and a wallet without an
# attestation takes the pre-authorized code
sed 's/"pre_authorized":false/"pre_authorized":true/' issuer.json >issuer2.json
issuer_serve_stop
issuer_serve "$db" issuer2.json || fail "restart with the pre-authorized grant kept"
offer
jq -e '.grants | has("authorization_code") and has("urn:ietf:params:oauth:grant-type:pre-authorized_code")' \
  offer_obj.json >/dev/null && ok "pre_authorized kept: the offer has both grants" || bad "offer: $(cat offer_obj.json)"
seen=$(wc -l <serve.err)
rm -f w.wallet w.wallet.key
wallet --issuer-roots pki/iaca.pem --rp-roots pki/iaca.pem --registration-roots pki/iaca.pem \
  --scrypt-n 16384 init >/dev/null || fail "wallet init"
# access lines reach serve.err at the server's 200 ms tick: the wallet's last request
# (/credential) is there before the absence of /par means anything
since_seen() { tail -n +$((seen + 1)) serve.err | grep -q "$1"; }
wallet --tx-code "$TX" receive "$(jq -r .offer_ref_uri offer.json)" >r5.json 2>r5.err \
  && jq -e '.received | length == 2' r5.json >/dev/null \
  && wait_until -t 10 since_seen '"path":"/credential"' && ! since_seen '"path":"/par"' \
  && ok "a wallet without attestation takes the pre-authorized code" || bad "pre-authorized: $(cat r5.json r5.err)"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
