#!/usr/bin/env bash
# SD-JWT VC interop with sd-jwt-js (@sd-jwt/sd-jwt-vc 0.19.0, pinned in tests/interop/sdjwt/):
#   the JS library issues and presents with key binding, mobid verifies;
#   mobid issues and presents with key binding, the JS library verifies;
#   a tampered presentation is refused both ways.
set -u
: "${MOBID_BIN:?MOBID_BIN must point at the mobid binary}"
here=$(cd "$(dirname "$0")" && pwd)
peer="$here/sdjwt"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIP: node/npm not installed (scripts/deps installs them)"; exit 77
fi
if [ ! -d "$peer/node_modules/@sd-jwt/sd-jwt-vc" ]; then
  echo "SKIP: $peer/node_modules missing (run scripts/deps, which runs npm ci there)"; exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
check() { # check NAME EXPECTED_RC ACTUAL_RC FILE PATTERN
  if [ "$3" != "$2" ]; then echo "FAIL $1: exit $3, want $2"; cat "$4"; fails=$((fails+1)); return; fi
  if ! grep -q -- "$5" "$4"; then echo "FAIL $1: output lacks $5"; cat "$4"; fails=$((fails+1)); return; fi
  echo "ok   $1"
}
# Flip one character in the issuer JWT's payload (keeps the base64url alphabet).
tamper() { sed 's/^\([^.]*\.[^.]\{10\}\)\(.\)/\1\n\2/' "$1" | awk 'NR==1{printf "%s",$0; next} {c=substr($0,1,1); r=(c=="A")?"B":"A"; print r substr($0,2)}'; }

NONCE="n-$(date +%s)-$$"
AUD="https://rp.example"
node "$peer/peer.js" keys "$T" || { echo "FAIL: peer key generation"; exit 1; }

# 1. sd-jwt-js issues and presents; mobid verifies.
node "$peer/peer.js" issue-present "$T" "$NONCE" "$AUD" > "$T/js.txt" || { echo "FAIL: JS issue"; exit 1; }
"$MOBID_BIN" sdjwt verify --issuer-key "$T/issuer.pub.jwk" --nonce "$NONCE" --aud "$AUD" \
  --require-kb --json "$T/js.txt" > "$T/out" 2>"$T/err"
check "mobid verifies sd-jwt-js" 0 $? "$T/out" '"key_bound": true'
check "  disclosed claim" 0 0 "$T/out" '"given_name": "Jimin"'
check "  recursive disclosure" 0 0 "$T/out" '"country": "KR"'
check "  array element" 0 0 "$T/out" '"US"'
if grep -q '"family_name"\|"locality"\|"birthdate"' "$T/out"; then
  echo "FAIL   undisclosed claims visible"; fails=$((fails+1))
fi
tamper "$T/js.txt" > "$T/js-bad.txt"
"$MOBID_BIN" sdjwt verify --issuer-key "$T/issuer.pub.jwk" --nonce "$NONCE" --aud "$AUD" \
  --require-kb --json "$T/js-bad.txt" > "$T/out" 2>/dev/null
check "mobid refuses tampered sd-jwt-js" 1 $? "$T/out" '"valid": false'
"$MOBID_BIN" sdjwt verify --issuer-key "$T/issuer.pub.jwk" --nonce other --aud "$AUD" \
  --require-kb --json "$T/js.txt" > "$T/out" 2>/dev/null
check "mobid refuses sd-jwt-js with another nonce" 1 $? "$T/out" '"NONCE_MISMATCH"'

# 2. mobid issues and presents; sd-jwt-js verifies.
echo '{"given_name":"Jimin","family_name":"Kim","birthdate":"1990-01-31",
  "address":{"street_address":"12 Sejong-daero","locality":"Seoul","country":"KR"},
  "nationalities":["KR","US"]}' > "$T/claims.json"
"$MOBID_BIN" sdjwt issue --vct urn:mobid:interop:1 --iss https://mobid-issuer.example \
  --claims "$T/claims.json" --sd given_name,family_name,birthdate,address,address/country,address/locality,nationalities/1 \
  --decoys 2 --issuer-key "$T/issuer.jwk" --holder-key "$T/holder.pub.jwk" -o "$T/cred.txt" \
  || { echo "FAIL: mobid issue"; exit 1; }
"$MOBID_BIN" sdjwt present --credential "$T/cred.txt" --holder-key "$T/holder.jwk" \
  --reveal given_name,address/country,nationalities/1 --nonce "$NONCE" --aud "$AUD" -o "$T/mobid.txt" \
  || { echo "FAIL: mobid present"; exit 1; }
node "$peer/peer.js" verify "$T" "$NONCE" "$AUD" "$T/mobid.txt" > "$T/out" 2>&1
check "sd-jwt-js verifies mobid" 0 $? "$T/out" '"valid":true'
check "  disclosed claims" 0 0 "$T/out" '"given_name":"Jimin"'
check "  recursive disclosure" 0 0 "$T/out" '"address":{"street_address":"12 Sejong-daero","country":"KR"}'
check "  array element" 0 0 "$T/out" '"nationalities":\["KR","US"\]'
tamper "$T/mobid.txt" > "$T/mobid-bad.txt"
node "$peer/peer.js" verify "$T" "$NONCE" "$AUD" "$T/mobid-bad.txt" > "$T/out" 2>&1
check "sd-jwt-js refuses tampered mobid" 1 $? "$T/out" '"valid":false'
node "$peer/peer.js" verify "$T" "other-nonce" "$AUD" "$T/mobid.txt" > "$T/out" 2>&1
check "sd-jwt-js refuses mobid with another nonce" 1 $? "$T/out" '"valid":false'

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "sd-jwt-js interop: all checks passed"
