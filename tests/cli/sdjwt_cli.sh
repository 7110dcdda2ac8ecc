#!/usr/bin/env bash
# mobid sdjwt issue / present / verify as scripts call them: exit codes, JSON, error codes.
set -u
: "${MOBID_BIN:?MOBID_BIN must point at the mobid binary}"
if ! command -v openssl >/dev/null 2>&1; then
  echo "SKIP: openssl command not found (needed to make test certificates)"; exit 77
fi
T=${SDJWT_TEST_DIR:-$(mktemp -d)}
[ -n "${SDJWT_TEST_DIR:-}" ] || trap 'rm -rf "$T"' EXIT
fails=0
check() { # check NAME EXPECTED_RC ACTUAL_RC [FILE PATTERN]
  local name=$1 want=$2 got=$3
  if [ "$got" != "$want" ]; then echo "FAIL $name: exit $got, want $want"; fails=$((fails+1)); return; fi
  if [ $# -ge 5 ] && ! grep -q -- "$5" "$4"; then
    echo "FAIL $name: output lacks $5"; cat "$4"; fails=$((fails+1)); return
  fi
  echo "ok   $name"
}

# A ministry CA over a document signer with a URI SAN, and an unrelated CA.
mkca() { # mkca NAME
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
    -out "$T/$1.pem" -days 3650 -subj "/CN=$1/C=KR" \
    -addext "basicConstraints=critical,CA:true,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
mkca ca; mkca rogue
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ds.key" \
  -out "$T/ds.csr" -subj "/CN=DS/C=KR" 2>/dev/null
printf 'keyUsage=critical,digitalSignature\nsubjectAltName=URI:https://issuer.example\n' > "$T/ds.ext"
openssl x509 -req -in "$T/ds.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
  -out "$T/ds.pem" -days 365 -extfile "$T/ds.ext" 2>/dev/null
openssl pkey -in "$T/ds.key" -pubout -out "$T/ds.pub" 2>/dev/null
"$MOBID_BIN" jwk generate --crv P-256 --out "$T/holder.jwk"
"$MOBID_BIN" jwk generate --crv P-256 --out "$T/other.jwk"
cat > "$T/claims.json" <<'JSON'
{"given_name":"Erika","family_name":"Mustermann","birthdate":"1963-08-12",
 "address":{"street_address":"Heidestrasse 17","locality":"Koeln","country":"DE"},
 "nationalities":["DE","FR"]}
JSON

for sub in issue present verify; do
  "$MOBID_BIN" sdjwt $sub --help > "$T/help" 2>&1; check "$sub --help" 0 $? "$T/help" "usage"
done
"$MOBID_BIN" sdjwt issue --claims "$T/claims.json" > /dev/null 2>&1; check "issue without key" 2 $?
"$MOBID_BIN" sdjwt verify "$T/none" > /dev/null 2>&1; check "verify without trust" 2 $?

"$MOBID_BIN" sdjwt issue --vct urn:eudi:pid:kr:1 --claims "$T/claims.json" \
  --sd given_name,family_name,birthdate,address,address/country,nationalities/1 --decoys 2 \
  --issuer-key "$T/ds.key" --issuer-chain "$T/ds.pem" --holder-key "$T/holder.jwk" \
  --status-uri https://status.example/1 --status-idx 42 --valid-until 2099-01-01T00:00:00Z \
  -o "$T/cred.txt"
check "issue" 0 $?
"$MOBID_BIN" sdjwt issue --vct x --claims "$T/claims.json" --sd vct --issuer-key "$T/ds.key" \
  --json > "$T/out" 2>/dev/null
check "issue refuses a never-disclosable claim" 1 $? "$T/out" '"INVALID_ARG"'

"$MOBID_BIN" sdjwt present --credential "$T/cred.txt" --holder-key "$T/holder.jwk" \
  --reveal given_name,address/country --nonce n-123 --aud https://rp.example -o "$T/pres.txt"
check "present" 0 $?
"$MOBID_BIN" sdjwt present --credential "$T/cred.txt" --holder-key "$T/other.jwk" \
  --reveal given_name --nonce n --aud a --json > "$T/out" 2>/dev/null
check "present with a foreign key" 1 $? "$T/out" '"KEY_INVALID"'

V=("$MOBID_BIN" sdjwt verify --trust "$T/ca.pem" --require-kb --json)
"${V[@]}" --nonce n-123 --aud https://rp.example "$T/pres.txt" > "$T/out"
check "verify" 0 $? "$T/out" '"valid": true'
check "verify shows the revealed claim" 0 0 "$T/out" '"given_name": "Erika"'
check "verify shows the nested claim" 0 0 "$T/out" '"country": "DE"'
check "verify shows the status reference" 0 0 "$T/out" '"idx": 42'
check "iss from the DS certificate" 0 0 "$T/out" '"iss": "https://issuer.example"'
if grep -q '"family_name"\|"birthdate"\|"FR"' "$T/out"; then
  echo "FAIL verify: undisclosed claims are visible"; fails=$((fails+1))
fi
"$MOBID_BIN" sdjwt verify --issuer-key "$T/ds.pub" --nonce n-123 --aud https://rp.example \
  --json "$T/pres.txt" > "$T/out"
check "verify with an issuer key" 0 $? "$T/out" '"key_bound": true'

"${V[@]}" --nonce wrong --aud https://rp.example "$T/pres.txt" > "$T/out" 2>/dev/null
check "wrong nonce" 1 $? "$T/out" '"NONCE_MISMATCH"'
"${V[@]}" --nonce n-123 --aud https://evil.example "$T/pres.txt" > "$T/out" 2>/dev/null
check "wrong aud" 1 $? "$T/out" '"AUDIENCE_MISMATCH"'
"$MOBID_BIN" sdjwt verify --trust "$T/rogue.pem" --json "$T/pres.txt" > "$T/out" 2>/dev/null
check "untrusted chain" 1 $? "$T/out" '"UNTRUSTED_ISSUER"'
"${V[@]}" --at 2099-06-01T00:00:00Z "$T/pres.txt" > "$T/out" 2>/dev/null
check "expired" 1 $? "$T/out" '"error": "\(EXPIRED\|CERT_EXPIRED\)"'
"$MOBID_BIN" sdjwt present --credential "$T/cred.txt" --reveal given_name -o "$T/nokb.txt"
"${V[@]}" "$T/nokb.txt" > "$T/out" 2>/dev/null
check "missing KB" 1 $? "$T/out" '"KB_MISSING"'
sed 's/^\(eyJ[^.]*\.eyJ\)./\1A/' "$T/pres.txt" > "$T/tampered.txt"
"${V[@]}" --nonce n-123 --aud https://rp.example "$T/tampered.txt" > "$T/out" 2>/dev/null
check "tampered payload" 1 $? "$T/out" '"valid": false'
"${V[@]}" --nonce n-123 --aud https://rp.example --alg EdDSA "$T/pres.txt" > "$T/out" 2>/dev/null
check "alg not in allow-list" 1 $? "$T/out" '"ALG_NOT_ALLOWED"'

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all sdjwt CLI checks passed"
