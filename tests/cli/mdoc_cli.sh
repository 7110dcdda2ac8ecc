#!/usr/bin/env bash
# mobid mdoc issue / transcript / present / verify as scripts call them: exit codes,
# JSON fields, error codes; plus the Annex D response through the CLI when the
# vectors are there.
set -u
: "${MOBID_BIN:?MOBID_BIN must point at the mobid binary}"
if ! command -v openssl >/dev/null 2>&1; then
  echo "SKIP: openssl command not found (needed to make test certificates)"; exit 77
fi
T=${MDOC_TEST_DIR:-$(mktemp -d)}
[ -n "${MDOC_TEST_DIR:-}" ] || trap 'rm -rf "$T"' EXIT
fails=0
check() { # check NAME EXPECTED_RC ACTUAL_RC [FILE PATTERN]
  local name=$1 want=$2 got=$3
  if [ "$got" != "$want" ]; then echo "FAIL $name: exit $got, want $want"; fails=$((fails+1)); return; fi
  if [ $# -ge 5 ] && ! grep -q -- "$5" "$4"; then
    echo "FAIL $name: output lacks $5"; cat "$4"; fails=$((fails+1)); return
  fi
  echo "ok   $name"
}

# An IACA over a document signer (18013-5 DS extended key usage), and an unrelated IACA.
mkca() { # mkca NAME
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
    -out "$T/$1.pem" -days 3650 -subj "/CN=$1/C=KR" \
    -addext "basicConstraints=critical,CA:true,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
mkca iaca; mkca rogue
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ds.key" \
  -out "$T/ds.csr" -subj "/CN=DS/C=KR" 2>/dev/null
printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=critical,1.0.18013.5.1.2\n' > "$T/ds.ext"
openssl x509 -req -in "$T/ds.csr" -CA "$T/iaca.pem" -CAkey "$T/iaca.key" -CAcreateserial \
  -out "$T/ds.pem" -days 365 -extfile "$T/ds.ext" 2>/dev/null
for k in device reader; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/$k.key" 2>/dev/null
  openssl pkey -in "$T/$k.key" -pubout -out "$T/$k.pub" 2>/dev/null
done
NS=org.iso.18013.5.1
cat > "$T/claims.json" <<JSON
{"$NS": {"family_name": "Doe", "given_name": "Jane",
  "birth_date": {"\$date": "2000-06-15"}, "issue_date": {"\$date": "2025-01-01"},
  "expiry_date": {"\$date": "2030-01-01"}, "document_number": "M1234567",
  "portrait": {"\$bytes": "_9j_4AAQ"}, "issuing_country": "KR",
  "driving_privileges": [{"vehicle_category_code": "B", "issue_date": {"\$date": "2020-02-02"}}]}}
JSON

for sub in issue transcript present verify; do
  "$MOBID_BIN" mdoc $sub --help > "$T/help" 2>&1; check "$sub --help" 0 $? "$T/help" "usage"
done
"$MOBID_BIN" mdoc issue --claims "$T/claims.json" > /dev/null 2>&1; check "issue without doctype" 2 $?
"$MOBID_BIN" mdoc verify "$T/none" > /dev/null 2>&1; check "verify without trust" 2 $?
"$MOBID_BIN" mdoc frobnicate > /dev/null 2>&1; check "unknown subcommand" 2 $?

"$MOBID_BIN" mdoc issue --doctype org.iso.18013.5.1.mDL --claims "$T/claims.json" \
  --issuer-key "$T/ds.key" --issuer-chain "$T/ds.pem" --device-key "$T/device.pub" \
  --age-over 18,21,65 --status-uri https://status.example/lists/1 --status-idx 7 \
  -o "$T/cred.cbor"
check "issue" 0 $?

"$MOBID_BIN" mdoc transcript --oid4vp --client-id x509_san_dns:rp.example --nonce n-1 \
  --response-uri https://rp.example/post --jwk-thumbprint QoPsknrg8gjaqi0CaoFPKyLcpSz4X_qPP4Ymxr1mkEc \
  -o "$T/t.cbor"
check "transcript" 0 $?
"$MOBID_BIN" mdoc transcript --oid4vp --client-id c --nonce n > /dev/null 2>&1
check "transcript without response uri" 2 $?

"$MOBID_BIN" mdoc present --issuer-signed "$T/cred.cbor" --device-key "$T/device.key" \
  --transcript "$T/t.cbor" --reveal $NS/family_name,$NS/portrait --reveal $NS/age_over_18 \
  --reveal $NS/driving_privileges -o "$T/resp.cbor"
check "present" 0 $?

"$MOBID_BIN" mdoc verify --trust "$T/iaca.pem" --transcript "$T/t.cbor" --json "$T/resp.cbor" \
  > "$T/out"
check "verify" 0 $? "$T/out" '"valid": true'
check "verify family_name" 0 0 "$T/out" '"family_name": "Doe"'
check "verify portrait as base64url" 0 0 "$T/out" '"portrait": "_9j_4AAQ"'
check "verify age_over_18" 0 0 "$T/out" '"age_over_18": true'
check "verify dates as strings" 0 0 "$T/out" '"issue_date": "2020-02-02"'
check "verify validUntil" 0 0 "$T/out" '"validUntil"'
if grep -q '"given_name"\|"birth_date"\|"age_over_65"' "$T/out"; then
  echo "FAIL verify shows only revealed elements"; fails=$((fails+1))
else
  echo "ok   verify shows only revealed elements"
fi

# Hex input is accepted wherever binary is.
xxd -p "$T/resp.cbor" > "$T/resp.hex" 2>/dev/null || od -An -tx1 -v "$T/resp.cbor" > "$T/resp.hex"
"$MOBID_BIN" mdoc verify --trust "$T/iaca.pem" --transcript "$T/t.cbor" --json "$T/resp.hex" \
  > "$T/out"
check "verify hex input" 0 $? "$T/out" '"valid": true'

"$MOBID_BIN" mdoc verify --trust "$T/rogue.pem" --transcript "$T/t.cbor" --json "$T/resp.cbor" \
  > "$T/out" 2>/dev/null
check "verify untrusted issuer" 1 $? "$T/out" '"error": "UNTRUSTED_ISSUER"'

"$MOBID_BIN" mdoc transcript --oid4vp --client-id x509_san_dns:rp.example --nonce n-2 \
  --response-uri https://rp.example/post -o "$T/t2.cbor"
"$MOBID_BIN" mdoc verify --trust "$T/iaca.pem" --transcript "$T/t2.cbor" --json "$T/resp.cbor" \
  > "$T/out" 2>/dev/null
check "verify other transcript" 1 $? "$T/out" '"error": "DEVICE_SIGNATURE_INVALID"'

"$MOBID_BIN" mdoc verify --trust "$T/iaca.pem" --transcript "$T/t.cbor" --at 2099-01-01T00:00:00Z \
  --json "$T/resp.cbor" > "$T/out" 2>/dev/null
check "verify long after expiry" 1 $? "$T/out" '"valid": false'

"$MOBID_BIN" mdoc verify --trust "$T/iaca.pem" --transcript "$T/t.cbor" --doctype org.example.x \
  --json "$T/resp.cbor" > "$T/out" 2>/dev/null
check "verify docType expectation" 1 $? "$T/out" '"error": "DOCTYPE_MISMATCH"'

head -c 200 "$T/resp.cbor" > "$T/trunc.cbor"
"$MOBID_BIN" mdoc verify --trust "$T/iaca.pem" --transcript "$T/t.cbor" --json "$T/trunc.cbor" \
  > "$T/out" 2>/dev/null
check "verify truncated" 1 $? "$T/out" '"error": "MALFORMED"'

"$MOBID_BIN" mdoc present --issuer-signed "$T/cred.cbor" --device-key "$T/device.key" \
  --transcript "$T/t.cbor" --reveal $NS/no_such -o "$T/x.cbor" 2>/dev/null
check "present unknown element" 1 $?

# Device MAC: the reader's ephemeral key on both sides.
"$MOBID_BIN" mdoc present --issuer-signed "$T/cred.cbor" --device-key "$T/device.key" \
  --transcript "$T/t.cbor" --reveal $NS/document_number --reader-key "$T/reader.pub" \
  -o "$T/resp_mac.cbor"
check "present with deviceMac" 0 $?
"$MOBID_BIN" mdoc verify --trust "$T/iaca.pem" --transcript "$T/t.cbor" --reader-key "$T/reader.key" \
  --json "$T/resp_mac.cbor" > "$T/out"
check "verify deviceMac" 0 $? "$T/out" '"document_number": "M1234567"'
"$MOBID_BIN" mdoc verify --trust "$T/iaca.pem" --transcript "$T/t.cbor" --reader-key "$T/device.key" \
  --json "$T/resp_mac.cbor" > "$T/out" 2>/dev/null
check "verify deviceMac wrong reader key" 1 $? "$T/out" '"error": "DEVICE_MAC_INVALID"'

# The project's card type with a namespace of its own.
cat > "$T/orid.json" <<'JSON'
{"kr.go.mois.resident.1": {"family_name": "HONG", "given_name": "GILDONG",
  "birth_date": {"$date": "1990-03-01"}, "resident_country": "DE",
  "card_number": "R-2026-000001"}}
JSON
O=kr.go.mois.resident.1
"$MOBID_BIN" mdoc issue --doctype $O --claims "$T/orid.json" --issuer-key "$T/ds.key" \
  --issuer-chain "$T/ds.pem" --device-key "$T/device.pub" --age-over 19 \
  --birth-date $O/birth_date --age-namespace $O -o "$T/orid.cbor"
check "issue overseas card" 0 $?
"$MOBID_BIN" mdoc present --issuer-signed "$T/orid.cbor" --device-key "$T/device.key" \
  --transcript "$T/t.cbor" --reveal $O/family_name,$O/age_over_19 -o "$T/orid_resp.cbor"
"$MOBID_BIN" mdoc verify --trust "$T/iaca.pem" --transcript "$T/t.cbor" --json "$T/orid_resp.cbor" \
  > "$T/out"
check "verify overseas card" 0 $? "$T/out" '"age_over_19": true'

# Annex D through the CLI.
V=${MOBID_VECTORS:-}
if [ -n "$V" ] && [ -d "$V/mdoc" ]; then
  xxd -r -p "$V/mdoc/eudi_ios_annexD_d52_iaca.hex" > "$T/annexd_iaca.der"
  for c in d x y; do tr -d ' \n' < "$V/mdoc/annexd_ephemeral_reader_key_$c.hex" > "$T/r_$c"; done
  # The reader's ephemeral key as an RFC 5915 ECPrivateKey (P-256), then PEM.
  printf '30770201010420%sa00a06082a8648ce3d030107a14403420004%s%s' "$(cat "$T/r_d")" \
    "$(cat "$T/r_x")" "$(cat "$T/r_y")" | xxd -r -p > "$T/annexd_reader.der"
  openssl ec -inform der -in "$T/annexd_reader.der" -out "$T/annexd_reader.pem" 2>/dev/null
  "$MOBID_BIN" mdoc verify --trust "$T/annexd_iaca.der" \
    --transcript "$V/mdoc/annexd_session_transcript_bytes.hex" \
    --reader-key "$T/annexd_reader.pem" --at 2020-10-01T13:30:02Z --json \
    "$V/mdoc/annexd_device_response.hex" > "$T/out"
  check "Annex D verifies" 0 $? "$T/out" '"family_name": "Doe"'
  check "Annex D driving privileges" 0 0 "$T/out" '"vehicle_category_code": "A"'
else
  echo "note: ../shared/vectors absent; Annex D CLI check not run"
fi

echo "$fails failed"
[ "$fails" = 0 ]
