#!/usr/bin/env bash
# mobid trust vical sign / verify / list and mdoc verify --vical on synthetic lists:
# a good list, a bad signature, an expired list, a wrong signer, a signer without the
# VICAL EKU; a foreign mDL accepted through the list, refused for a docType its IACA
# is not listed for; exit codes, JSON fields and error codes. The real AAMVA list is
# in trust_vical_aamva.sh.
set -u
: "${MOBID_BIN:?MOBID_BIN must point at the mobid binary}"
if ! command -v openssl >/dev/null 2>&1; then
  echo "SKIP: openssl command not found (needed to make test certificates)"; exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
check() { # check NAME EXPECTED_RC ACTUAL_RC [FILE PATTERN]
  local name=$1 want=$2 got=$3
  if [ "$got" != "$want" ]; then echo "FAIL $name: exit $got, want $want"; [ $# -ge 4 ] && cat "$4"; fails=$((fails+1)); return; fi
  if [ $# -ge 5 ] && ! grep -q -- "$5" "$4"; then
    echo "FAIL $name: output lacks $5"; cat "$4"; fails=$((fails+1)); return
  fi
  echo "ok   $name"
}
M=$MOBID_BIN
ca() { # ca NAME SUBJECT
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
    -out "$T/$1.pem" -days 3650 -subj "$2" \
    -addext "basicConstraints=critical,CA:true,pathlen:1" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
leaf() { # leaf NAME CA EXTFILE-LINES
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
    -out "$T/$1.csr" -subj "/CN=$1/C=ZZ" 2>/dev/null
  printf "$3" > "$T/$1.ext"
  openssl x509 -req -in "$T/$1.csr" -CA "$T/$2.pem" -CAkey "$T/$2.key" -CAcreateserial \
    -out "$T/$1.pem" -days 365 -extfile "$T/$1.ext" 2>/dev/null
}
ca root "/CN=VICAL Root/C=ZZ"; ca rogue "/CN=Rogue Root/C=ZZ"; ca iaca "/CN=Foreign IACA/C=UT"
leaf signer root 'keyUsage=critical,digitalSignature\nextendedKeyUsage=critical,1.0.18013.5.1.8\n'
leaf rsigner rogue 'keyUsage=critical,digitalSignature\nextendedKeyUsage=critical,1.0.18013.5.1.8\n'
leaf plain root 'keyUsage=critical,digitalSignature\n'
leaf ds iaca 'keyUsage=critical,digitalSignature\nextendedKeyUsage=critical,1.0.18013.5.1.2\n'
MDL=org.iso.18013.5.1.mDL
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LATER=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
sign() { # sign SIGNER OUT [extra args]
  local s=$1 out=$2; shift 2
  "$M" trust vical sign --key "$T/$s.key" --chain "$T/$s.pem" --provider "Test" \
    --entry "$T/iaca.pem:$MDL" --country UT --date "$NOW" --issue-id 3 -o "$T/$out" "$@"
}
sign signer good.cbor --next-update "$LATER"
check "vical sign" 0 $?

"$M" trust vical verify --anchor "$T/root.pem" --json "$T/good.cbor" > "$T/out"
check "vical verify" 0 $? "$T/out" '"valid": true'
check "  provider and entries" 0 0 "$T/out" '"usable": 1'
"$M" trust vical list --json "$T/good.cbor" > "$T/out"
check "vical list --json" 0 $? "$T/out" '"org.iso.18013.5.1.mDL"'
grep -q '"issuingCountry": "UT"' "$T/out" || { echo "FAIL list lacks issuingCountry"; fails=$((fails+1)); }
"$M" trust vical list "$T/good.cbor" > "$T/out"
check "vical list (text)" 0 $? "$T/out" 'Foreign IACA'

# Refusals, each with its own code.
cp "$T/good.cbor" "$T/badsig.cbor"
n=$(wc -c < "$T/badsig.cbor")
printf '\x00' | dd of="$T/badsig.cbor" bs=1 seek=$((n - 5)) conv=notrunc status=none
"$M" trust vical verify --anchor "$T/root.pem" --json "$T/badsig.cbor" > "$T/out" 2>/dev/null
check "bad signature" 1 $? "$T/out" '"error": "VICAL_SIGNATURE_INVALID"'
"$M" trust vical verify --anchor "$T/root.pem" --at "$(date -u -d '+40 days' +%Y-%m-%dT%H:%M:%SZ)" \
  --json "$T/good.cbor" > "$T/out" 2>/dev/null
check "expired (past nextUpdate)" 1 $? "$T/out" '"error": "VICAL_EXPIRED"'
"$M" trust vical verify --anchor "$T/rogue.pem" --json "$T/good.cbor" > "$T/out" 2>/dev/null
check "wrong root" 1 $? "$T/out" '"error": "VICAL_SIGNER_UNTRUSTED"'
sign rsigner rogue.cbor
"$M" trust vical verify --anchor "$T/root.pem" --json "$T/rogue.cbor" > "$T/out" 2>/dev/null
check "wrong signer" 1 $? "$T/out" '"error": "VICAL_SIGNER_UNTRUSTED"'
sign plain plain.cbor
"$M" trust vical verify --anchor "$T/root.pem" --json "$T/plain.cbor" > "$T/out" 2>/dev/null
check "signer without the VICAL EKU" 1 $? "$T/out" '"error": "VICAL_SIGNER_UNTRUSTED"'
printf 'not a vical' > "$T/junk.cbor"
"$M" trust vical verify --anchor "$T/root.pem" --json "$T/junk.cbor" > "$T/out" 2>/dev/null
check "not a VICAL" 1 $? "$T/out" '"error": "VICAL_INVALID"'
"$M" trust vical verify "$T/good.cbor" > /dev/null 2>&1
check "verify without --anchor is a usage error" 2 $?
"$M" trust --help > "$T/out"
check "trust --help" 0 $? "$T/out" 'vical verify'

# A foreign mDL, trusted through the list for its docType only.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/device.key" 2>/dev/null
openssl pkey -in "$T/device.key" -pubout -out "$T/device.pub" 2>/dev/null
cat > "$T/claims.json" <<JSON
{"org.iso.18013.5.1": {"family_name": "Roe", "birth_date": {"\$date": "1990-02-03"},
 "issuing_country": "UT"}}
JSON
"$M" mdoc transcript --oid4vp --client-id x509_san_dns:rp.example --nonce n1 \
  --response-uri https://rp.example/post -o "$T/t.cbor"
for dt in $MDL org.example.other; do
  "$M" mdoc issue --doctype $dt --claims "$T/claims.json" --issuer-key "$T/ds.key" \
    --issuer-chain "$T/ds.pem" --device-key "$T/device.pub" --age-over 18 -o "$T/$dt.is" &&
  "$M" mdoc present --issuer-signed "$T/$dt.is" --device-key "$T/device.key" \
    --transcript "$T/t.cbor" --reveal org.iso.18013.5.1/age_over_18 -o "$T/$dt.resp" ||
    { echo "FAIL: issue/present $dt"; fails=$((fails+1)); }
done
"$M" mdoc verify --vical "$T/good.cbor" --vical-anchor "$T/root.pem" --transcript "$T/t.cbor" \
  --json "$T/$MDL.resp" > "$T/out" 2>&1
check "mdoc verify --vical: foreign mDL" 0 $? "$T/out" '"age_over_18": true'
"$M" mdoc verify --vical "$T/good.cbor" --vical-anchor "$T/root.pem" --transcript "$T/t.cbor" \
  --json "$T/org.example.other.resp" > "$T/out" 2>/dev/null
check "  its IACA outside its docTypes" 1 $? "$T/out" '"error": "DOCTYPE_NOT_ALLOWED"'
"$M" mdoc verify --trust "$T/iaca.pem" --transcript "$T/t.cbor" --json \
  "$T/org.example.other.resp" > "$T/out" 2>&1
check "  the IACA named directly is trusted for any docType" 0 $? "$T/out" '"valid": true'
"$M" mdoc verify --vical "$T/badsig.cbor" --vical-anchor "$T/root.pem" --transcript "$T/t.cbor" \
  --json "$T/$MDL.resp" > "$T/out" 2>/dev/null
check "  a refused list refuses the response" 1 $? "$T/out" '"error": "VICAL_SIGNATURE_INVALID"'
"$M" mdoc verify --vical "$T/good.cbor" --transcript "$T/t.cbor" "$T/$MDL.resp" > /dev/null 2>&1
check "  --vical without --vical-anchor is a usage error" 2 $?
"$M" mdoc verify --trust "$T/iaca.pem" --lenient --strict --transcript "$T/t.cbor" \
  "$T/$MDL.resp" > /dev/null 2>&1
check "  --lenient with --strict is a usage error" 2 $?

echo "$fails failed"
[ "$fails" = 0 ]
