#!/usr/bin/env bash
# ISO 18013-5 mdoc interop with @auth0/mdl 3.0.1, @animo-id/mdoc 0.5.2 and @owf/mdoc 0.6.0 (pinned in
# tests/interop/mdoc/): each peer issues an mDL and presents three elements over a
# SessionTranscript that mobid built, and mobid verifies; mobid issues and presents,
# and each peer verifies; a tampered response is refused both ways. Then the trust
# policy on @auth0/mdl's usual signers: pinned without EKU, no EKU and a TLS EKU.
set -u
: "${MOBID_BIN:?MOBID_BIN must point at the mobid binary}"
here=$(cd "$(dirname "$0")" && pwd)
peer="$here/mdoc"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIP: node/npm not installed (scripts/deps installs them)"; exit 77
fi
if [ ! -d "$peer/node_modules/@auth0/mdl" ] || [ ! -d "$peer/node_modules/@animo-id/mdoc" ] ||
   [ ! -d "$peer/node_modules/@owf/mdoc" ]; then
  echo "SKIP: $peer/node_modules missing (run scripts/deps, which runs npm ci there)"; exit 77
fi
if ! command -v openssl >/dev/null 2>&1; then
  echo "SKIP: openssl command not found (needed to make test certificates)"; exit 77
fi
T=${MDOC_INTEROP_DIR:-$(mktemp -d)}
[ -n "${MDOC_INTEROP_DIR:-}" ] || trap 'rm -rf "$T"' EXIT
fails=0
check() { # check NAME EXPECTED_RC ACTUAL_RC FILE PATTERN
  if [ "$3" != "$2" ]; then echo "FAIL $1: exit $3, want $2"; cat "$4"; fails=$((fails+1)); return; fi
  if ! grep -q -- "$5" "$4"; then echo "FAIL $1: output lacks $5"; cat "$4"; fails=$((fails+1)); return; fi
  echo "ok   $1"
}
# Flip one byte inside the last 40 bytes (the device signature).
tamper() {
  local n; n=$(wc -c < "$1")
  cp "$1" "$2"
  printf '\x00' | dd of="$2" bs=1 seek=$((n - 20)) conv=notrunc status=none
}

# IACA (with a country, as 18013-5 asks) over a document signer with the DS usage.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/iaca.key" \
  -out "$T/iaca.pem" -days 3650 -subj "/CN=mobid interop IACA/C=KR" \
  -addext "basicConstraints=critical,CA:true,pathlen:0" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ds.key" \
  -out "$T/ds.csr" -subj "/CN=mobid interop DS/C=KR" 2>/dev/null
printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=critical,1.0.18013.5.1.2\n' > "$T/ds.ext"
openssl x509 -req -in "$T/ds.csr" -CA "$T/iaca.pem" -CAkey "$T/iaca.key" -CAcreateserial \
  -out "$T/ds.pem" -days 365 -extfile "$T/ds.ext" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/device.key" 2>/dev/null
openssl pkey -in "$T/device.key" -pubout -out "$T/device.pub" 2>/dev/null
"$MOBID_BIN" mdoc transcript --oid4vp --client-id x509_san_dns:rp.example \
  --nonce "n-$(date +%s)-$$" --response-uri https://rp.example/post -o "$T/t.cbor" ||
  { echo "FAIL: mobid transcript"; exit 1; }
NS=org.iso.18013.5.1

for lib in auth0 animo owf; do
  # 1. The peer issues and presents; mobid verifies.
  if node "$peer/peer.js" issue-present $lib "$T" "$T/$lib.cbor" 2> "$T/err"; then
    "$MOBID_BIN" mdoc verify --trust "$T/iaca.pem" --transcript "$T/t.cbor" --json "$T/$lib.cbor" \
      > "$T/out" 2>&1
    check "mobid verifies $lib" 0 $? "$T/out" '"family_name": "Doe"'
    check "  $lib birth_date" 0 0 "$T/out" '"birth_date": "2000-06-15"'
    if grep -q '"given_name"\|"document_number"' "$T/out"; then
      echo "FAIL   $lib: undisclosed elements visible"; fails=$((fails+1))
    fi
    tamper "$T/$lib.cbor" "$T/$lib-bad.cbor"
    "$MOBID_BIN" mdoc verify --trust "$T/iaca.pem" --transcript "$T/t.cbor" --json \
      "$T/$lib-bad.cbor" > "$T/out" 2>/dev/null
    check "mobid refuses tampered $lib response" 1 $? "$T/out" '"valid": false'
  else
    echo "FAIL: $lib could not issue and present"; cat "$T/err"; fails=$((fails+1))
  fi

  # 2. mobid issues and presents; the peer verifies.
  cat > "$T/claims.json" <<JSON
{"$NS": {"family_name": "Doe", "given_name": "Jane", "birth_date": {"\$date": "2000-06-15"},
 "issue_date": {"\$date": "2025-01-01"}, "expiry_date": {"\$date": "2030-01-01"},
 "issuing_country": "KR", "document_number": "M7654321"}}
JSON
  "$MOBID_BIN" mdoc issue --doctype org.iso.18013.5.1.mDL --claims "$T/claims.json" \
    --issuer-key "$T/ds.key" --issuer-chain "$T/ds.pem" --device-key "$T/device.pub" \
    --age-over 18 -o "$T/cred.cbor" &&
  "$MOBID_BIN" mdoc present --issuer-signed "$T/cred.cbor" --device-key "$T/device.key" \
    --transcript "$T/t.cbor" --reveal $NS/family_name,$NS/birth_date,$NS/age_over_18 \
    -o "$T/mobid.cbor" || { echo "FAIL: mobid issue/present"; fails=$((fails+1)); continue; }
  node "$peer/peer.js" verify $lib "$T" "$T/mobid.cbor" > "$T/out" 2>&1
  check "$lib verifies mobid" 0 $? "$T/out" '"family_name":"Doe"'
  check "  $lib sees age_over_18" 0 0 "$T/out" '"age_over_18":true'
  tamper "$T/mobid.cbor" "$T/mobid-bad.cbor"
  node "$peer/peer.js" verify $lib "$T" "$T/mobid-bad.cbor" > "$T/out" 2>&1
  check "$lib refuses tampered mobid response" 1 $? "$T/out" '"valid":false'
done

# 3. Real issuers' signers break Annex B: @auth0/mdl's usual self-signed signer has
#    keyCertSign + digitalSignature and no EKU. Pinned as the trust anchor it verifies;
#    a DS without EKU under the IACA verifies with the warning DS_EKU_MISSING, and one
#    with serverAuth is refused (CERT_USAGE) unless --lenient.
mkdir -p "$T/pin" "$T/noeku" "$T/tls"
cp "$T/device.key" "$T/t.cbor" "$T/pin/"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/pin/ds.key" \
  -out "$T/pin/ds.pem" -days 365 -subj "/CN=auth0 style signer/C=US" \
  -addext "keyUsage=keyCertSign,digitalSignature" 2>/dev/null
if openssl x509 -in "$T/pin/ds.pem" -noout -ext extendedKeyUsage 2>/dev/null | grep -q .; then
  echo "FAIL: the pinned signer was meant to have no EKU"; fails=$((fails+1))
fi
if node "$peer/peer.js" issue-present auth0 "$T/pin" "$T/pin.cbor" 2> "$T/err"; then
  "$MOBID_BIN" mdoc verify --trust "$T/pin/ds.pem" --transcript "$T/t.cbor" --json \
    "$T/pin.cbor" > "$T/out" 2>&1
  check "mobid verifies auth0 with a pinned signer without EKU" 0 $? "$T/out" '"family_name": "Doe"'
  check "  no warning for a pinned signer" 0 0 "$T/out" '"warnings": \[\]'
  "$MOBID_BIN" mdoc verify --trust "$T/pin/ds.pem" --transcript "$T/t.cbor" --strict --json \
    "$T/pin.cbor" > "$T/out" 2>/dev/null
  check "  --strict refuses it" 1 $? "$T/out" '"error": "DS_EKU_MISSING"'
else
  echo "FAIL: auth0 could not issue with the pinned signer"; cat "$T/err"; fails=$((fails+1))
fi
for kind in noeku tls; do
  cp "$T/device.key" "$T/t.cbor" "$T/$kind/"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$kind/ds.key" \
    -out "$T/$kind/ds.csr" -subj "/CN=mobid interop $kind DS/C=KR" 2>/dev/null
  printf 'keyUsage=critical,digitalSignature\n' > "$T/$kind/ds.ext"
  [ $kind = tls ] && printf 'extendedKeyUsage=serverAuth,clientAuth\n' >> "$T/$kind/ds.ext"
  openssl x509 -req -in "$T/$kind/ds.csr" -CA "$T/iaca.pem" -CAkey "$T/iaca.key" \
    -CAcreateserial -out "$T/$kind/ds.pem" -days 365 -extfile "$T/$kind/ds.ext" 2>/dev/null
  node "$peer/peer.js" issue-present auth0 "$T/$kind" "$T/$kind.cbor" 2> "$T/err" ||
    { echo "FAIL: auth0 could not issue with the $kind DS"; cat "$T/err"; fails=$((fails+1)); }
done
"$MOBID_BIN" mdoc verify --trust "$T/iaca.pem" --transcript "$T/t.cbor" --json "$T/noeku.cbor" \
  > "$T/out" 2>&1
check "mobid verifies a DS without EKU under the IACA" 0 $? "$T/out" '"DS_EKU_MISSING"'
"$MOBID_BIN" mdoc verify --trust "$T/iaca.pem" --transcript "$T/t.cbor" --json "$T/tls.cbor" \
  > "$T/out" 2>/dev/null
check "mobid refuses a DS with a TLS EKU" 1 $? "$T/out" '"error": "CERT_USAGE"'
"$MOBID_BIN" mdoc verify --trust "$T/iaca.pem" --transcript "$T/t.cbor" --lenient --json \
  "$T/tls.cbor" > "$T/out" 2>&1
check "  --lenient accepts it with a warning" 0 $? "$T/out" '"DS_EKU_OTHER"'

echo "$fails failed"
[ "$fails" = 0 ]
