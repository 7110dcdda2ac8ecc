#!/usr/bin/env bash
# mobid pki rp-issue: a relying party's access certificate (chained to the RP CA, its
# client_id the x509_hash of the leaf) and its ministry-signed registration; nothing
# overwritten, nothing half-written when the registration input is bad.
set -euo pipefail
: "${MOBID_BIN:?}"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$MOBID_BIN" pki init pki >/dev/null 2>&1 || fail "pki init"

# A malformed registration (claims must be arrays of path segments) leaves no files.
echo '[{"format":"dc+sd-jwt","type":"urn:x","claims":["family_name"]}]' > bad.json
if "$MOBID_BIN" pki rp-issue pki --id bank --name "A Bank" --legal-basis "KYC" \
     --allowed bad.json --json > out.json 2>/dev/null; then fail "bad registration accepted"; fi
grep -q '"valid": false' out.json || fail "no JSON failure"
[ ! -e pki/rp/bank.key ] && [ ! -e pki/rp/bank.pem ] || fail "half-written files left"

echo '[{"format":"dc+sd-jwt","type":"urn:x","claims":[["family_name"],["birthdate"]]}]' > ok.json
"$MOBID_BIN" pki rp-issue pki --id bank --name "A Bank" --legal-basis "KYC" \
  --allowed ok.json --json > out.json || fail "rp-issue"
cid=$(sed -n 's/.*"client_id": "\(.*\)".*/\1/p' out.json)
[[ "$cid" == x509_hash:* ]] || fail "client_id $cid"
[ "$(stat -c %a pki/rp/bank.key)" = 600 ] || fail "key mode"
[ -s pki/rp/bank.registration.jwt ] || fail "no registration"

# client_id = base64url(SHA-256(DER of the leaf)).
want=$(openssl x509 -in pki/rp/bank.pem -outform DER | openssl dgst -sha256 -binary |
       base64 -w0 | tr '+/' '-_' | tr -d '=')
[ "$cid" = "x509_hash:$want" ] || fail "client_id $cid is not the leaf's hash $want"
# The leaf chains to the RP CA, not to the ministry root.
openssl verify -CAfile pki/rp-ca.pem pki/rp/bank.pem >/dev/null || fail "chain to the RP CA"

# The registration is a JWS signed under the ministry root (x5c) and names the RP.
"$MOBID_BIN" jws verify --anchor pki/iaca.pem --json pki/rp/bank.registration.jwt > reg.json ||
  fail "registration signature"
grep -q 'A Bank' reg.json || fail "registration lacks the RP's name"

# Nothing is overwritten.
if "$MOBID_BIN" pki rp-issue pki --id bank --name "B" --legal-basis "x" --allowed ok.json \
     2>/dev/null; then fail "overwrote an existing relying party"; fi
echo "pki rp-issue: ok"
