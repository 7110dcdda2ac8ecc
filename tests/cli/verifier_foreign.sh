#!/usr/bin/env bash
# A relying party accepts a foreign mDL (org.iso.18013.5.1.mDL) from any issuer a VICAL
# lists, for age_over_18 only, through the real verifier service: a synthetic foreign
# IACA is listed in a VICAL signed here; the list the configuration names is stale and
# lists another IACA, so the service must fetch the fresh list from its url before the
# foreign card verifies. A second service whose url is down keeps its last good list.
# The same IACA signing another docType is refused (DOCTYPE_NOT_ALLOWED), a card from
# an unlisted IACA is refused (UNTRUSTED_ISSUER), and the result carries the trust
# policy's warnings. The wallet's side is played with mobid mdoc present.
set -euo pipefail
. "$(dirname "$0")/../common/wait.sh"

BIN=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
for c in curl jq openssl python3; do
    command -v $c >/dev/null || { echo "SKIP: $c not installed (scripts/deps installs it)"; exit 77; }
done
T=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    # servers started inside $(start ...) are not this shell's children: their pids are in files
    for f in "$T"/*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
cd "$T"
fails=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', wanted '$3'"; fi; }
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
iso() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }

# ---- PKI: the ministry's own, a VICAL root and signer, two foreign IACAs and their DSs
"$BIN" pki init pki >/dev/null 2>&1
ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
    -out "$1.pem" -days 3650 -subj "$2" -addext "basicConstraints=critical,CA:true,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null; }
leaf() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
    -out "$1.csr" -subj "/CN=$1/C=$3" 2>/dev/null; printf "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" \
    -days 365 -extfile "$1.ext" 2>/dev/null; }
ca vroot "/CN=VICAL Root/C=ZZ"; ca utah "/CN=Utah IACA/C=US"; ca other "/CN=Other IACA/C=US"
ca rogue "/CN=Unlisted IACA/C=US"
leaf vsigner vroot ZZ 'keyUsage=critical,digitalSignature\nextendedKeyUsage=critical,1.0.18013.5.1.8\n'
# The foreign DS has no EKU at all, as some real ones: accepted with a warning.
leaf utah-ds utah US 'keyUsage=critical,digitalSignature\n'
leaf rogue-ds rogue US 'keyUsage=critical,digitalSignature\nextendedKeyUsage=1.0.18013.5.1.2\n'
MDL=org.iso.18013.5.1.mDL
# The stale list (what the configuration names) lists only the other IACA; the fresh
# one, served over HTTP, lists Utah.
"$BIN" trust vical sign --key vsigner.key --chain vsigner.pem --provider "Test Lists" \
    --entry "other.pem:$MDL" --date "$(iso '-2 hours')" --next-update "$(iso '-1 hour')" -o stale.cbor
mkdir www
"$BIN" trust vical sign --key vsigner.key --chain vsigner.pem --provider "Test Lists" \
    --entry "utah.pem:$MDL" --entry "other.pem:$MDL" --country US --date "$(iso '-1 minute')" \
    --next-update "$(iso '+1 day')" -o www/vical.cbor
python3 -u -m http.server --bind 127.0.0.1 --directory www 0 > http.log 2>&1 &
PIDS+=($!)
wait_until -p "${PIDS[-1]}" grep -q 'port [0-9]' http.log || true
HPORT=$(sed -n 's/.*port \([0-9]*\).*/\1/p' http.log | head -1)
[ -n "$HPORT" ] || { cat http.log; echo "FAIL - no HTTP server"; exit 1; }

# ---- a relying party registered for age_over_18 of an mDL, and the profile
openssl ecparam -name prime256v1 -genkey -noout -out shop.ec 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in shop.ec -out shop.key
openssl req -new -key shop.key -subj "/CN=Example Shop/C=KR" -out shop.csr 2>/dev/null
printf 'keyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n' > ext.cnf
openssl x509 -req -in shop.csr -CA pki/rp-ca.pem -CAkey pki/rp-ca.key -CAcreateserial \
    -days 30 -extfile ext.cnf -out shop.pem 2>/dev/null
client_id="x509_hash:$(openssl x509 -in shop.pem -outform DER | openssl dgst -sha256 -binary | b64url)"
x5c=$(openssl x509 -in pki/registry.pem -outform DER | base64 -w0)
now=$(date +%s)
jq -n --arg cid "$client_id" --argjson now "$now" '{sub:"shop", name:"Example Shop",
    legal_basis:"age check", client_id:$cid, iat:$now, exp:($now + 86400),
    allowed:[{format:"mso_mdoc", type:"org.iso.18013.5.1.mDL",
              claims:[["org.iso.18013.5.1","age_over_18"]]}]}' > reg.json
"$BIN" jws sign --key pki/registry.key --typ rp-registration+jwt \
    --header "{\"x5c\":[\"$x5c\"]}" --out shop.registration.jwt reg.json
openssl rand -hex 32 > seal.hex
API_KEY=$(openssl rand -hex 24)
config() { # config VICAL_URL
jq -n --arg h "$("$BIN" verifier hash-key "$API_KEY")" --arg url "$1" '{seal_key_file:"seal.hex",
    trust_anchors:["pki/iaca.pem"], registration_anchors:["pki/iaca.pem"],
    vicals:[{file:"stale.cbor", url:$url}], vical_anchors:["vroot.pem"],
    relying_parties:[{id:"shop", api_key_sha256:$h, key:"shop.key", cert:"shop.pem",
                      registration:"shop.registration.jwt", response_mode:"direct_post"}],
    profiles:{foreign_age:{credentials:[{id:"mdl", format:"mso_mdoc",
        meta:{doctype_value:"org.iso.18013.5.1.mDL"},
        claims:[{path:["org.iso.18013.5.1","age_over_18"]}]}]}}}'
}
config "http://127.0.0.1:$HPORT/vical.cbor" > fresh.json
config "http://127.0.0.1:1/vical.cbor" > down.json

start() { # start CONFIG NAME -> URL in $NAME.url
    "$BIN" verifier serve --db "sqlite:$T/$2.db" --listen 127.0.0.1:0 --config "$1" \
        >"$2.url" 2>"$2.log" &
    echo $! >"$T/$2.pid"
    wait_until -p "$(cat "$T/$2.pid")" test -s "$2.url" || true
    jq -r .url "$2.url"
}
URL=$(start fresh.json fresh)
[ -n "$URL" ] && [ "$URL" != null ] || { cat fresh.log; echo "FAIL - verifier did not start"; exit 1; }
grep -q 'GET /vical.cbor' http.log && ok "the stale VICAL was fetched from its url" \
    || bad "no fetch of the VICAL: $(cat http.log fresh.log)"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out device.key 2>/dev/null
openssl pkey -in device.key -pubout -out device.pub 2>/dev/null
cat > claims.json <<JSON
{"org.iso.18013.5.1": {"family_name": "Roe", "given_name": "Sam",
 "birth_date": {"\$date": "1990-02-03"}, "issuing_country": "US"}}
JSON
issue() { # issue DS DOCTYPE OUT
    "$BIN" mdoc issue --doctype "$2" --claims claims.json --issuer-key "$1.key" \
        --issuer-chain "$1.pem" --device-key device.pub --age-over 18 -o "$3"
}
issue utah-ds "$MDL" utah.is
issue utah-ds org.example.resident utah-other.is
issue rogue-ds "$MDL" rogue.is

# One verification: the RP creates a session, the wallet answers with CRED (IssuerSigned).
verify() { # verify BASE_URL CRED -> status JSON in out.json
    local base=$1 cred=$2
    curl -s -o created.json -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
        -d '{"profile":"foreign_age"}' "$base/api/v1/verifications"
    local id req
    id=$(jq -r .id created.json)
    curl -s -o request.jwt "$(jq -r .request_uri created.json)"
    req=$(cut -d. -f2 request.jwt | tr '_-' '/+' | base64 -d 2>/dev/null || true)
    [ -n "$req" ] || req=$(cut -d. -f2 request.jwt | tr '_-' '/+' | sed 's/$/==/' | base64 -d 2>/dev/null)
    local nonce state ruri
    nonce=$(jq -r .nonce <<<"$req"); state=$(jq -r .state <<<"$req")
    ruri=$(jq -r .response_uri <<<"$req")
    "$BIN" mdoc transcript --oid4vp --client-id "$client_id" --nonce "$nonce" \
        --response-uri "$ruri" -o t.cbor
    "$BIN" mdoc present --issuer-signed "$cred" --device-key device.key --transcript t.cbor \
        --reveal org.iso.18013.5.1/age_over_18 -o resp.cbor
    jq -nc --arg r "$(b64url < resp.cbor)" '{mdl:[$r]}' > vp.json
    curl -s -o posted.json --data-urlencode "vp_token@vp.json" --data-urlencode "state=$state" "$ruri"
    curl -s -o out.json -H "Authorization: Bearer $API_KEY" "$base/api/v1/verifications/$id?wait=5"
}
verify "$URL" utah.is
check "foreign mDL from a VICAL-listed IACA" "$(jq -r .status out.json)" verified
check "  only age_over_18 handed over" "$(jq -c '.claims.mdl' out.json)" \
    '{"org.iso.18013.5.1":{"age_over_18":true}}'
check "  the DS without EKU is reported" "$(jq -c .warnings out.json)" '["DS_EKU_MISSING"]'
verify "$URL" utah-other.is
# (an answer that proves no holder is refused to the wallet; the session stays open)
check "the listed IACA signing another docType" "$(jq -r .mobid_error posted.json)" DOCTYPE_NOT_ALLOWED
verify "$URL" rogue.is
check "an IACA no list names" "$(jq -r .mobid_error posted.json)" UNTRUSTED_ISSUER
check "  the session still open" "$(jq -r .status out.json)" pending

# ---- the url is down: the last good (stale) list stays, the service keeps serving
"$BIN" trust vical sign --key vsigner.key --chain vsigner.pem --provider "Test Lists" \
    --entry "utah.pem:$MDL" --date "$(iso '-2 hours')" --next-update "$(iso '-1 hour')" -o stale.cbor
URL2=$(start down.json down)
[ -n "$URL2" ] && [ "$URL2" != null ] && ok "starts with its url down" || { cat down.log; bad "did not start"; }
grep -q 'keeping the last good list' down.log && ok "  says it keeps the last good list" \
    || bad "no word of the failed fetch: $(cat down.log)"
verify "$URL2" utah.is
check "  and still verifies with it" "$(jq -r .status out.json)" verified

if [ "$fails" -ne 0 ]; then cat fresh.log down.log; echo "$fails failed"; exit 1; fi
echo "all passed"
