#!/usr/bin/env bash
# mobid status: new, set, sign (JWT and CWT), check (token file, file: URL, offline
# mapping, HTTP from a local server), decode; every rejection with its own code.
# Keys and certificates are made here with the openssl command line.
set -euo pipefail

BIN=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
T=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT
cd "$T"

fails=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

# expect CODE DESC -- command...: exit status must be CODE.
expect() {
    local want=$1 desc=$2
    shift 3
    local got=0
    "$@" >out.json 2>err.txt || got=$?
    if [ "$got" = "$want" ]; then ok "$desc"; else bad "$desc: exit $got, wanted $want"; cat err.txt; fi
}
# field NAME: value of a top-level field of out.json.
field() { jq -r ".$1" out.json; }
check_field() {
    local name=$1 want=$2 desc=$3
    local got
    got=$(field "$name")
    if [ "$got" = "$want" ]; then ok "$desc"; else bad "$desc: $name=$got, wanted $want"; fi
}

# ---- a ministry root with a status list signer, and an unrelated one
make_pki() {
    local n=$1
    openssl ecparam -name prime256v1 -genkey -noout -out "$n-ca.key" 2>/dev/null
    openssl req -x509 -new -key "$n-ca.key" -subj "/CN=$n Root/C=KR" -days 3650 -out "$n-ca.pem" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl ecparam -name prime256v1 -genkey -noout -out "$n-signer.key" 2>/dev/null
    openssl req -new -key "$n-signer.key" -subj "/CN=$n status list signer/C=KR" -out "$n.csr" 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' >ext.cnf
    openssl x509 -req -in "$n.csr" -CA "$n-ca.pem" -CAkey "$n-ca.key" -CAcreateserial -days 365 \
        -extfile ext.cnf -out "$n-signer.pem" 2>/dev/null
}
make_pki good
make_pki other

URI=https://status.example.kr/lists/1
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EXP=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
AFTER_EXP=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)

# ---- new / set / decode
expect 0 "new" -- "$BIN" status new --bits 2 --size 100 -o list.json --json
check_field bits 2 "new: bits"
check_field size 100 "new: size"
expect 0 "set" -- "$BIN" status set list.json 3=1 7=2 9=3 --json
expect 0 "decode list" -- "$BIN" status decode --json list.json
check_field size 100 "decode: size"
[ "$(jq -c '[.values[3], .values[7], .values[9], .values[0], (.values | length)]' out.json)" = "[1,2,3,0,100]" ] \
    && ok "decode: values" || bad "decode: values $(jq -c '.values[0:10]' out.json)"
expect 1 "set past the end" -- "$BIN" status set list.json 100=1 --json
check_field error STATUS_INDEX_OUT_OF_RANGE "set past the end: code"
expect 2 "set value too wide" -- "$BIN" status set list.json 5=4
expect 2 "new with bits 3" -- "$BIN" status new --bits 3 --size 10 -o x.json
for a in new set sign check decode; do
    expect 0 "$a --help" -- "$BIN" status "$a" --help
done
expect 0 "status --help" -- "$BIN" status --help
expect 2 "unknown action" -- "$BIN" status frobnicate

# ---- sign and check, both forms
for fmt in jwt cwt; do
    expect 0 "sign $fmt" -- "$BIN" status sign --format "$fmt" --key good-signer.key --chain good-signer.pem \
        --uri "$URI" --ttl 3600 --exp "$EXP" list.json -o "tok.$fmt" --json
    for case in "3 INVALID" "7 SUSPENDED" "9 0x3" "0 VALID" "99 VALID"; do
        set -- $case
        expect 0 "check $fmt idx $1" -- "$BIN" status check --token "tok.$fmt" --trust good-ca.pem --idx "$1" --json
        check_field status "$2" "check $fmt idx $1: status"
        check_field idx "$1" "check $fmt idx $1: idx"
    done
    check_field uri "$URI" "check $fmt: uri"
    check_field ttl 3600 "check $fmt: ttl"
    expect 1 "check $fmt out of range" -- "$BIN" status check --token "tok.$fmt" --trust good-ca.pem --idx 100 --json
    check_field error STATUS_INDEX_OUT_OF_RANGE "check $fmt out of range: code"
    check_field valid false "check $fmt out of range: valid"
    expect 1 "check $fmt wrong trust" -- "$BIN" status check --token "tok.$fmt" --trust other-ca.pem --idx 3 --json
    check_field error UNTRUSTED_ISSUER "check $fmt wrong trust: code"
    expect 1 "check $fmt expired" -- "$BIN" status check --token "tok.$fmt" --trust good-ca.pem --idx 3 --at "$AFTER_EXP" --json
    check_field error EXPIRED "check $fmt expired: code"
    expect 1 "check $fmt other uri" -- "$BIN" status check --token "tok.$fmt" --uri https://elsewhere.example/1 \
        --trust good-ca.pem --idx 3 --json
    check_field error SUBJECT_MISMATCH "check $fmt other uri: code"
    expect 0 "check $fmt with its uri" -- "$BIN" status check --token "tok.$fmt" --uri "$URI" --trust good-ca.pem --idx 3 --json
    expect 0 "decode $fmt token" -- "$BIN" status decode --json "tok.$fmt"
    [ "$(jq -c '[.bits, .size, .values[7]]' out.json)" = "[2,100,2]" ] && ok "decode $fmt token: values" \
        || bad "decode $fmt token: $(jq -c '[.bits,.size]' out.json)"
done

# The signer key as a JWK (built from openssl's dump of the PEM key) signs as well.
openssl ec -in good-signer.key -text -noout 2>/dev/null | python3 -c '
import sys, re, base64, json
t = sys.stdin.read()
def block(name):
    m = re.search(name + r":\s*\n((?:\s+[0-9a-f:]+\n)+)", t)
    return bytes.fromhex(re.sub(r"[\s:]", "", m.group(1)))
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
d = block("priv").rjust(32, b"\0")[-32:]
pub = block("pub")
print(json.dumps({"kty": "EC", "crv": "P-256", "x": b64(pub[1:33]), "y": b64(pub[33:65]), "d": b64(d)}))
' >good-signer.jwk
expect 0 "sign with a JWK key" -- "$BIN" status sign --format jwt --key good-signer.jwk --chain good-signer.pem \
    --uri "$URI" list.json -o jwk.jwt
expect 0 "check JWK-signed token" -- "$BIN" status check --token jwk.jwt --trust good-ca.pem --idx 7 --json
check_field status SUSPENDED "check JWK-signed token: status"

# Signed by the other ministry's signer: the chain does not reach our root.
expect 0 "sign by other signer" -- "$BIN" status sign --format jwt --key other-signer.key --chain other-signer.pem \
    --uri "$URI" list.json -o other.jwt
expect 1 "check other signer" -- "$BIN" status check --token other.jwt --trust good-ca.pem --idx 3 --json
check_field error UNTRUSTED_ISSUER "check other signer: code"

# Tampered JWT: payload swapped for one where nobody is revoked, signature kept.
"$BIN" status new --bits 2 --size 100 -o clean.json
python3 - "$URI" <<'EOF'
import base64, json, sys
tok = open("tok.jwt").read().strip()
h, p, s = tok.split(".")
claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
claims["status_list"] = json.load(open("clean.json"))
p2 = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).rstrip(b"=").decode()
open("tampered.jwt", "w").write(".".join([h, p2, s]))
# Tampered CWT: one bit of the compressed list flipped.
b = bytearray(open("tok.cwt", "rb").read())
i = b.find(b"\x78\xda")
b[i + 4] ^= 1
open("tampered.cwt", "wb").write(bytes(b))
EOF
for fmt in jwt cwt; do
    expect 1 "check tampered $fmt" -- "$BIN" status check --token "tampered.$fmt" --trust good-ca.pem --idx 3 --json
    check_field error SIGNATURE_INVALID "check tampered $fmt: code"
done

# ---- fetching: file: URL, offline mapping, HTTP
expect 0 "check --uri file:" -- "$BIN" status check --uri "file://$T/tok.jwt" --trust good-ca.pem --idx 7 --json
check_field status SUSPENDED "check --uri file: status"
expect 0 "check --uri --from" -- "$BIN" status check --uri "$URI" --from "$T/tok.cwt" --trust good-ca.pem --idx 3 --json
check_field status INVALID "check --uri --from: status"
expect 1 "check --uri --from other uri" -- "$BIN" status check --uri https://elsewhere.example/1 --from "$T/tok.cwt" \
    --trust good-ca.pem --idx 3 --json
check_field error SUBJECT_MISMATCH "check --uri --from other uri: code"

. "$(dirname "$0")/../common/free_ports.sh"
. "$(dirname "$0")/../common/wait.sh"
PORT=$(free_base)
mkdir www
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory www >server.log 2>&1 &
SERVER_PID=$!
HTTP_URI="http://127.0.0.1:$PORT/lists/1"
mkdir -p www/lists
"$BIN" status sign --format cwt --key good-signer.key --chain good-signer.pem --uri "$HTTP_URI" --ttl 60 \
    list.json -o www/lists/1
wait_until -p "$SERVER_PID" curl -s -o /dev/null "http://127.0.0.1:$PORT/" || { echo "FAIL - http.server did not start"; exit 1; }
expect 0 "check --uri http" -- "$BIN" status check --uri "$HTTP_URI" --trust good-ca.pem --idx 9 --json
check_field status 0x3 "check --uri http: status"
check_field format cwt "check --uri http: format"
expect 1 "check --uri http 404" -- "$BIN" status check --uri "http://127.0.0.1:$PORT/lists/2" --trust good-ca.pem --idx 9 --json
check_field error FETCH_FAILED "check --uri http 404: code"

expect 2 "check without --trust" -- "$BIN" status check --token tok.jwt --idx 1
expect 2 "check without --idx" -- "$BIN" status check --token tok.jwt --trust good-ca.pem

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all status CLI checks passed"
