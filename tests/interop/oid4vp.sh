#!/usr/bin/env bash
# OpenID4VP 1.0 interop with @openid4vc/openid4vp 0.4.6 (pinned in tests/interop/oid4vp/,
# with @sd-jwt/sd-jwt-vc 0.19.0 and @owf/mdoc 0.6.0 for the credentials), both roles,
# both formats, on an mDL from mobid's issuer:
# - verifier role: the peer signs a request object (JAR by request_uri, x509_hash
#   client_id under the ministry's RP CA, the ministry's registration in verifier_info,
#   DCQL) and mobid's wallet (`mobid wallet present`) answers it; the peer checks the
#   SD-JWT VC (issuer x5c chain, disclosures, KB-JWT nonce and aud) or the DeviceResponse
#   (OpenID4VPHandover transcript, issuer chain, digests, device signature) and sees the
#   mDL's driving_privileges dates as full-dates (tag 1004). A presentation altered on
#   the way is refused; a request without a registration is refused by the wallet,
#   which sends nothing.
# - wallet role: the peer parses the link of mobid's verifier, verifies its request
#   object, builds its own presentations from credentials `mobid issuer fetch` got, and
#   answers by direct_post.jwt or direct_post; the session turns verified with the
#   claims. An altered presentation is refused (400 with mobid's code) and leaves the
#   session pending, so the genuine answer still verifies it.
set -u
bin=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
here=$(cd "$(dirname "$0")" && pwd)
peer="$here/oid4vp"
for c in node jq curl openssl; do
  command -v $c >/dev/null 2>&1 || { echo "SKIP: $c not installed (scripts/deps installs it)"; exit 77; }
done
if [ ! -d "$peer/node_modules/@openid4vc/openid4vp" ] || [ ! -d "$peer/node_modules/@owf/mdoc" ]; then
  echo "SKIP: $peer/node_modules missing (run scripts/deps, which runs npm ci there)"; exit 77
fi
"$bin" issuer --help >/dev/null 2>&1 || { echo "SKIP: no issuer in this build"; exit 77; }
source "$here/../cli/lib/issuer_serve.sh"
source "$here/../cli/lib/mdl_verifier.sh"
issuer_test_begin oid4vp-interop
issuer_bootstrap || fail "bootstrap"
issuer_serve_start "$db" || fail "the issuer did not start"

# ---- an mDL in both formats, for mobid's wallet and for the peer wallet (two holders)
mdl_offer offer1.json 950314-1234567
mdl_offer offer2.json 950314-1234568
mdl_wallet offer1.json
mkdir held
"$bin" issuer fetch --offer "$(jq -r .offer_uri offer2.json)" --tx-code "$(jq -r .tx_code offer2.json)" \
  --out held --batch 1 >/dev/null || fail "issuer fetch"
cp pki/rp-ca.pem held/

# ---- the peer relying party, registered by the ministry for these claims
VCT="$url/vct/mdl/1"
NS=org.iso.18013.5.1
jq -n --arg vct "$VCT" --arg ns $NS '[
  {format:"dc+sd-jwt", type:$vct, claims:[["family_name"],["birthdate"],["age_equal_or_over","18"]]},
  {format:"mso_mdoc", type:"org.iso.18013.5.1.mDL",
   claims:[[$ns,"family_name"],[$ns,"birth_date"],[$ns,"driving_privileges"],[$ns,"age_over_18"]]}]' >allowed.json
"$bin" pki rp-issue pki --id peer --name "Peer verifier" --legal-basis "interop test" \
  --allowed allowed.json >/dev/null || fail "pki rp-issue"
SDQ=$(jq -nc --arg vct "$VCT" '{credentials:[{id:"pid", format:"dc+sd-jwt", meta:{vct_values:[$vct]},
  claims:[{path:["family_name"]},{path:["birthdate"]},{path:["age_equal_or_over","18"]}]}]}')
MDQ=$(jq -nc --arg ns $NS '{credentials:[{id:"mdl", format:"mso_mdoc",
  meta:{doctype_value:"org.iso.18013.5.1.mDL"}, claims:[{path:[$ns,"family_name"]},
  {path:[$ns,"birth_date"]},{path:[$ns,"driving_privileges"]},{path:[$ns,"age_over_18"]}]}]}')

# ======== verifier role: the peer asks, mobid's wallet answers
mkdir pv
cp pki/rp/peer.key pv/rp.key; cp pki/rp/peer.pem pv/rp.pem; cp pki/rp/peer.registration.jwt pv/rp.jwt
cp pki/iaca.pem pv/iaca.pem
PV="http://127.0.0.1:$((port + 1))"
node "$peer/verifier.mjs" $((port + 1)) "$tmp/pv" 2>pv.err &
PIDS+=($!)
wait_until -p $! test -f pv/ready
[ -f pv/ready ] || fail "the peer verifier did not start: $(cat pv.err)"

# ask QUERY MODE TAMPER [UNREGISTERED] -> the wallet's JSON in wallet.json, the peer's result in result.json
ask() {
  curl -s -X POST "$PV/sessions" -d "{\"query\":$1,\"mode\":\"$2\",\"tamper\":$3,\"unregistered\":${4:-false}}" \
    >session.json
  "$bin" wallet "${W[@]}" --yes present "$(jq -r .link session.json)" >wallet.json 2>wallet.err
  curl -s "$PV/result/$(jq -r .id session.json)" >result.json
}
ask "$SDQ" direct_post false
if jq -e '.status == "verified" and .mode == "direct_post" and .claims.pid.family_name == "Park" and
          .claims.pid.birthdate == "1995-03-14" and .claims.pid.age_equal_or_over["18"] == true and
          (.claims.pid | has("given_name") | not)' result.json >/dev/null; then
  ok "peer verifier: mobid's wallet answers dc+sd-jwt (direct_post), the asked claims only"
else bad "peer verifier, dc+sd-jwt: $(cat result.json wallet.json)"; fi
ask "$MDQ" direct_post.jwt false
if jq -e --arg ns $NS '.status == "verified" and .mode == "direct_post.jwt" and
          .claims.mdl[$ns].family_name == "Park" and .claims.mdl[$ns].age_over_18 == true and
          .claims.mdl[$ns].birth_date == {"full-date":"1995-03-14"}' result.json >/dev/null; then
  ok "peer verifier: mobid's wallet answers mso_mdoc (direct_post.jwt, OpenID4VPHandover)"
else bad "peer verifier, mso_mdoc: $(cat result.json wallet.json)"; fi
if jq -e --arg ns $NS '.claims.mdl[$ns].driving_privileges == [{"vehicle_category_code":"B",
          "issue_date":{"full-date":"2014-05-02"},"expiry_date":{"full-date":"2034-02-01"}}]' \
     result.json >/dev/null; then
  ok "  driving_privileges' issue_date and expiry_date are full-dates (tag 1004)"
else bad "driving_privileges: $(jq -c ".claims.mdl" result.json)"; fi
ask "$SDQ" direct_post.jwt true
jq -e '.status == "refused"' result.json >/dev/null &&
  ok "peer verifier refuses an altered dc+sd-jwt answer ($(jq -r .error result.json))" ||
  bad "altered dc+sd-jwt: $(cat result.json)"
ask "$MDQ" direct_post true
jq -e '.status == "refused"' result.json >/dev/null &&
  ok "peer verifier refuses an altered mso_mdoc answer ($(jq -r .error result.json))" ||
  bad "altered mso_mdoc: $(cat result.json)"
ask "$SDQ" direct_post false true
if jq -e '.error == "RP_NOT_REGISTERED"' wallet.json >/dev/null && jq -e '.status == "pending"' result.json >/dev/null; then
  ok "mobid's wallet refuses the peer's request without a registration (RP_NOT_REGISTERED), sends nothing"
else bad "unregistered request: $(cat wallet.json result.json)"; fi

# ======== wallet role: mobid's verifier asks, the peer wallet answers
verifier_start peer
api() { curl -s -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" "$@"; }
# session QUERY MODE -> $sid, $link
session() {
  api -X POST "$V/api/v1/verifications" -d "{\"dcql_query\":$1,\"response_mode\":\"$2\"}" >vs.json
  sid=$(jq -r .id vs.json); link=$(jq -r .deep_link vs.json)
}
answer() { node "$peer/wallet.mjs" "$link" "$tmp/held" "$@" >answer.json 2>answer.err; }
status() { api "$V/api/v1/verifications/$sid" >status.json; }

for fmt in sdjwt mdoc; do
  for mode in direct_post.jwt direct_post; do
    [ $fmt = sdjwt ] && q=$SDQ || q=$MDQ
    session "$q" $mode
    # an altered answer first (over direct_post.jwt), then the genuine one
    if [ $mode = direct_post.jwt ]; then
      answer tamper
      status
      if jq -e '.status == 400 and (.body | fromjson | .mobid_error | test("SIGNATURE|DIGEST"))' answer.json >/dev/null &&
         jq -e '.status == "pending" and (has("claims") | not)' status.json >/dev/null; then
        ok "mobid's verifier refuses the peer wallet's altered $fmt ($mode): $(jq -r '.body | fromjson | .mobid_error' answer.json), the session stays pending"
      else bad "altered $fmt $mode: $(cat answer.json answer.err status.json)"; fi
    fi
    answer
    status
    if [ $fmt = sdjwt ]; then
      want='.claims.pid == {"family_name":"Park","birthdate":"1995-03-14","age_equal_or_over":{"18":true}}'
    else
      want='.claims.mdl["org.iso.18013.5.1"] | .family_name == "Park" and .birth_date == "1995-03-14" and
            .age_over_18 == true and .driving_privileges[0].issue_date == "2014-05-02"'
    fi
    if jq -e '.status == 200 and .request.version == 100' answer.json >/dev/null &&
       jq -e ".status == \"verified\" and ($want)" status.json >/dev/null; then
      ok "the peer wallet answers mobid's verifier: $fmt over $mode, verified"
    else bad "peer wallet $fmt $mode: $(cat answer.json answer.err status.json)"; fi
  done
done

# ---- vct#integrity: mobid's verifier fetches the type metadata at the vct and checks
# the digest the issuer signed (credentials issued here with the issuer's own DS key)
curl -s "$VCT" >type.json
jq 'del(.d)' held/mdl_sdjwt_0.key.jwk >holder.pub.jwk
for which in good bad; do
  mkdir "held-$which"
  cp held/rp-ca.pem held/mdl_sdjwt_0.key.jwk "held-$which/"
  [ $which = good ] && sum=$(openssl dgst -sha256 -binary type.json | base64 -w0) ||
    sum=$(printf '{}' | openssl dgst -sha256 -binary | base64 -w0)
  jq -n --arg i "sha256-$sum" '{family_name:"Park", birthdate:"1995-03-14",
    age_equal_or_over:{"18":true}, "vct#integrity":$i}' >tm-claims.json
  "$bin" sdjwt issue --vct "$VCT" --claims tm-claims.json --sd family_name,birthdate,age_equal_or_over/18 \
    --issuer-key pki/ds-0001.key --issuer-chain pki/ds-0001.pem --holder-key holder.pub.jwk \
    -o "held-$which/mdl_sdjwt_0.cred" || bad "sdjwt issue ($which)"
done
for which in good bad; do
  session "$SDQ" direct_post.jwt
  node "$peer/wallet.mjs" "$link" "$tmp/held-$which" >answer.json 2>answer.err
  status
  [ $which = good ] && want='.status == "verified" and .claims.pid.family_name == "Park"' ||
    want='.status == "failed" and .error == "DIGEST_MISMATCH"'
  jq -e "$want" status.json >/dev/null &&
    ok "mobid's verifier checks vct#integrity against the type metadata at the vct ($which: $(jq -r '.error // .status' status.json))" ||
    bad "vct#integrity $which: $(cat answer.json answer.err status.json)"
done

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "OpenID4VP interop with @openid4vc/openid4vp 0.4.6 (verifier and wallet roles): ok"
