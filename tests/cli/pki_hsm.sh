#!/usr/bin/env bash
# The ministry's keys in a PKCS#11 token (SoftHSM2 with its own configuration and
# token folder): `mobid pki init --pkcs11-module --token-label --pin-file` makes every
# key inside the token, the issuer names them by pkcs11: URI (PIN from a file), and a
# whole issuance runs with no private key anywhere on disk; both formats verify, the
# status list (signed in the token) answers. Refused: a PIN in the configuration or a
# URI, a wrong PIN, a token key without its PIN. `pki add-ds` puts the next document
# signer in the same token.
set -euo pipefail

bin=${MOBID_BIN:?}
module=/usr/lib/softhsm/libsofthsm2.so
if [ ! -r "$module" ] || ! command -v softhsm2-util >/dev/null; then
  echo "SKIP: SoftHSM2 is not installed (scripts/deps installs softhsm2)"; exit 77
fi
. "$(dirname "$0")/lib/issuer_serve.sh"
issuer_test_begin hsm
unset MOBID_PKCS11_PIN

mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
  "$tmp" >softhsm2.conf
export SOFTHSM2_CONF=$tmp/softhsm2.conf
softhsm2-util --init-token --free --label ministry --pin 4711 --so-pin 87654321 >/dev/null \
  || fail "token init"
echo 4711 >pin
echo 0000 >wrong.pin

"$bin" pki init pki --pkcs11-module "$module" --token-label ministry 2>/dev/null \
  && fail "a token without its PIN was accepted"
port=$(free_base); url="http://127.0.0.1:$port"
"$bin" pki init pki --issuer-url "$url" --pkcs11-module "$module" --token-label ministry \
  --pin-file pin --json >init.json || fail "pki init in the token"
jq -e '.keys == "pkcs11"' init.json >/dev/null || fail "init: $(cat init.json)"
for k in iaca ds-0001 status registry rp-ca; do
  [ -f "pki/$k.pem" ] && [ ! -e "pki/$k.key" ] || fail "$k: certificate, and no key file"
  grep -q '^pkcs11:token=ministry;object='"$k"';type=private?module-path=' "pki/$k.uri" \
    || fail "$k.uri: $(cat "pki/$k.uri")"
done
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >data.key

conf() { # pin-file extra-json -> issuer.json
  cat >issuer.json <<JSON
{"issuer_url":"$url","pki_dir":"pki","data_key_file":"data.key","pkcs11_module":"$module",
 "pkcs11_pin_file":"$1",
 "signing_keys":{"ds-0001":"pkcs11:token=ministry;object=ds-0001;type=private",
                 "status":"pkcs11:token=ministry;object=status;type=private"}$2}
JSON
}
# a PIN never sits in the configuration, nor in a URI; a wrong PIN stops the start
conf pin ',"pkcs11_pin":"4711"'
: >serve.err
issuer_serve "$db" && fail "a PIN in the configuration was accepted"
grep -q "no PIN in the configuration" serve.err || fail "pkcs11_pin: $(cat serve.err)"
sed -i 's/type=private"}/type=private?pin-value=4711"}/' issuer.json
sed -i 's/,"pkcs11_pin":"4711"//' issuer.json
issuer_serve "$db" && fail "a URI with pin-value was accepted"
conf wrong.pin ''
: >serve.err
issuer_serve "$db" && fail "a wrong PIN was accepted"
grep -q PIN_WRONG serve.err || fail "wrong PIN: $(cat serve.err)"

conf pin ''
issuer_serve "$db" || fail "issuer with token keys did not start"
issuer_claims
"$bin" issuer offer --db "$db" --config issuer.json --cardtype resident_card \
  --claims claims.json --person 900517-2345678 >offer.json || fail "offer"
mkdir w
"$bin" issuer fetch --offer "$(jq -r .offer_ref_uri offer.json)" --tx-code "$(jq -r .tx_code offer.json)" \
  --out w --batch 2 --trust pki/iaca.pem >fetch.json || fail "fetch: $(cat fetch.json)"
jq -e '.resident_card_mdoc == 2 and .resident_card_sdjwt == 2' fetch.json >/dev/null \
  || fail "batch: $(cat fetch.json)"
"$bin" sdjwt verify --trust pki/iaca.pem --json w/resident_card_sdjwt_0.cred >v.json \
  || fail "sdjwt verify: $(cat v.json)"
tr -d '\n' <w/resident_card_mdoc_0.cred | tr '_-' '/+' \
  | awk '{ n = length($0) % 4; p = n ? substr("===", 1, 4 - n) : ""; print $0 p }' | base64 -d >is.cbor
"$bin" mdoc transcript --oid4vp --client-id x509_hash:abc --nonce n-1 \
  --response-uri https://rp.example/cb -o t.cbor
"$bin" mdoc present --issuer-signed is.cbor --device-key w/resident_card_mdoc_0.key.jwk \
  --transcript t.cbor --reveal kr.go.mois.resident.1/family_name -o resp.cbor || fail "present"
"$bin" mdoc verify --trust pki/iaca.pem --transcript t.cbor --json resp.cbor >mv.json \
  || fail "mdoc verify: $(cat mv.json)"
# the card lives 3 years, its signer 457 days: the copy ends with its signer, not after
ds_end=$(date -d "$(openssl x509 -in pki/ds-0001.pem -noout -enddate | cut -d= -f2)" +%s)
[ "$(jq -r .claims.exp v.json)" = "$ds_end" ] || fail "exp $(jq -r .claims.exp v.json) is not the DS notAfter $ds_end"
list=$(jq -r .claims.status.status_list.uri v.json); idx=$(jq -r .claims.status.status_list.idx v.json)
"$bin" status check --uri "$list" --trust pki/iaca.pem --idx "$idx" --json >st.json \
  || fail "status list: $(cat st.json)"
jq -e '.status == "VALID"' st.json >/dev/null || fail "status: $(cat st.json)"
# no private key anywhere on disk (the data key is a symmetric key for data at rest)
! grep -rlE 'PRIVATE KEY' "$tmp" --exclude-dir=tokens || fail "a private key file exists"
[ -z "$(find "$tmp" -name '*.key' ! -name data.key)" ] || fail "key files: $(find "$tmp" -name '*.key')"

# the next document signer goes into the same token
"$bin" pki add-ds pki --issuer-url "$url" --json 2>/dev/null && fail "add-ds without the PIN"
"$bin" pki add-ds pki --issuer-url "$url" --pin-file pin --json >add.json || fail "add-ds"
[ "$(jq -r .ds add.json)" = ds-0002 ] && [ -f pki/ds-0002.uri ] && [ ! -e pki/ds-0002.key ] \
  || fail "ds-0002: $(cat add.json)"
echo "pki_hsm: ok"
