#!/usr/bin/env bash
# OpenID4VCI interop, wallet role peer: @openid4vc/openid4vci 0.4.6 (Openid4vciClient,
# with @openid4vc/oauth2's DPoP and attestation-based client authentication) receives
# from mobid's issuer in its HAIP profile with the pre-authorized grant kept:
#  - by the pre-authorized code with the transaction code and a DPoP key;
#  - by the authorization-code flow: its own wallet attestation (createClientAttestationJwt,
#    signed by a wallet provider the issuer trusts), PAR with PKCE and DPoP, the
#    transaction code at the authorization endpoint, the code exchanged with the verifier;
#  - the same with an attestation from a provider the issuer does not trust: refused.
# Each SD-JWT VC received verifies with `mobid sdjwt verify` against the ministry's root.
set -u
: "${MOBID_BIN:?MOBID_BIN must point at the mobid binary}"
bin=$MOBID_BIN
here=$(cd "$(dirname "$0")" && pwd)
peer="$here/oid4vci"
for tool in node openssl jq curl python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not installed (scripts/deps installs it)"; exit 77; }
done
if [ ! -d "$peer/node_modules/@openid4vc/openid4vci" ]; then
  echo "SKIP: $peer/node_modules missing (run scripts/deps, which runs npm ci there)"; exit 77
fi
. "$here/../cli/lib/issuer_serve.sh"
issuer_test_begin peer-client

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out wp.key 2>/dev/null &&
  openssl pkey -in wp.key -pubout -out wp.pub 2>/dev/null &&
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out evil.key 2>/dev/null ||
  fail "wallet provider keys"
ISSUER_EXTRA_CONFIG='"haip":{"wallet_providers":["wp.pub"],"pre_authorized":true}' \
  issuer_serve_start "$db" || fail "issuer did not start"

issuer_claims
n=0
offer() { # -> offer.json
  n=$((n + 1))
  "$bin" issuer offer --db "$db" --config issuer.json --cardtype resident_card --claims claims.json \
    --person "900517-23456$((10 + n))" >offer.json || fail "offer"
}
check() { # name out.json flow
  if jq -e --arg f "$3" '.flow == $f and .token_type == "DPoP"
      and (.credentials.resident_card_sdjwt | length == 1) and (.credentials.resident_card_mdoc | length == 1)' "$2" >/dev/null; then
    jq -r '.credentials.resident_card_sdjwt[0]' "$2" >sd.txt
    if "$bin" sdjwt verify --trust pki/iaca.pem sd.txt >sd.out 2>&1 && grep -q Kim sd.out; then
      ok "$1: DPoP token, one SD-JWT VC (verifies against the ministry root) and one mdoc"
    else bad "$1: the SD-JWT VC does not verify: $(cat sd.out)"; fi
  else bad "$1: $(cat "$2")"; fi
}

offer
node "$peer/client.mjs" "$(jq -r .offer_ref_uri offer.json)" "$(jq -r .tx_code offer.json)" pre.json \
  2>peer1.err && check "pre-authorized code" pre.json pre-authorized_code \
  || bad "pre-authorized: $(tail -5 peer1.err)"

offer
node "$peer/client.mjs" "$(jq -r .offer_ref_uri offer.json)" "$(jq -r .tx_code offer.json)" ac.json wp.key \
  2>peer2.err && check "authorization code (PAR, PKCE, DPoP, attestation)" ac.json authorization_code \
  || bad "authorization code: $(tail -5 peer2.err) $(tail -3 serve.err)"
# (access lines reach the log at the server's 200 ms tick)
wait_until -t 10 grep -q '"path":"/par","status":201' serve.out serve.err 2>/dev/null \
  && ok "the peer pushed its authorization request" || bad "no PAR seen in the access log"

offer
if node "$peer/client.mjs" "$(jq -r .offer_ref_uri offer.json)" "$(jq -r .tx_code offer.json)" evil.json evil.key \
  2>peer3.err; then bad "an untrusted wallet provider's attestation was accepted"
elif grep -q invalid_client peer3.err; then ok "untrusted wallet provider: refused with invalid_client"
else bad "untrusted provider: $(tail -5 peer3.err)"; fi

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
