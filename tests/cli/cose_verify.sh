#!/usr/bin/env bash
# mobid cose verify/sign as scripts call it.
# Part 1 always runs: keys and certificates made here with openssl, messages made
# with `mobid cose sign`. Part 2 uses ../shared/vectors (Annex D issuerAuth and
# the AAMVA VICAL) and exits 77 (skip) after part 1 when that folder is absent.
set -u
MOBID=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
case $MOBID in /*) ;; *) MOBID=$PWD/$MOBID ;; esac # the script changes directory
VEC=${MOBID_VECTORS:-}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

# expect RC CMD... : run CMD, capture stdout in $T/out, compare the exit status.
expect() {
    local want=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL: exit $rc, want $want: $*" >&2
        cat "$T/out" "$T/err" >&2
        fails=$((fails + 1))
    fi
}
# has REGEX : the last stdout matches.
has() {
    if ! grep -Eq "$1" "$T/out"; then
        echo "FAIL: output lacks /$1/" >&2
        cat "$T/out" >&2
        fails=$((fails + 1))
    fi
}

# ---- part 1: test keys ----
cd "$T"
openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -subj "/CN=test ca" -days 3650 -out ca.pem \
    -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out leaf.key 2>/dev/null
openssl req -new -key leaf.key -subj "/CN=test signer" -out leaf.csr 2>/dev/null
printf 'basicConstraints=CA:false\nkeyUsage=critical,digitalSignature\n' >leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
    -extfile leaf.ext -out leaf.pem 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out other.key 2>/dev/null
openssl req -x509 -new -key other.key -subj "/CN=other ca" -days 30 -out other.pem \
    -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl genpkey -algorithm ed25519 -out ed.key 2>/dev/null
openssl pkey -in ed.key -pubout -out ed.pub 2>/dev/null
[ -s leaf.pem ] && [ -s ed.pub ] || { echo "FAIL: openssl could not make test keys" >&2; exit 1; }
printf 'hello COSE' >payload

expect 0 "$MOBID" cose --help
expect 0 "$MOBID" cose verify --help
has 'usage: mobid cose verify'
expect 0 "$MOBID" cose sign --help
expect 2 "$MOBID" cose
expect 2 "$MOBID" cose verify
expect 2 "$MOBID" cose verify --cert leaf.pem --bogus msg.cose

expect 0 "$MOBID" cose sign --key leaf.key --x5chain leaf.pem --out msg.cose payload
expect 0 "$MOBID" cose verify --cert leaf.pem --json msg.cose
has '"valid": *true'
has '"alg": *"ES256"'
has '"payload_size": *10'
has '"tagged": *true'
# The x5chain leaf, trusted through the anchor.
expect 0 "$MOBID" cose verify --anchor ca.pem --json msg.cose
has '"chain_verified": *true'
has '"signer": *"CN=test signer"'
expect 1 "$MOBID" cose verify --anchor other.pem --json msg.cose
has '"error": *"UNTRUSTED_ISSUER"'
expect 1 "$MOBID" cose verify --anchor ca.pem --at 2099-01-01T00:00:00Z --json msg.cose
has '"error": *"CERT_EXPIRED"'
expect 1 "$MOBID" cose verify --cert leaf.pem --alg ES384,EdDSA --json msg.cose
has '"error": *"ALG_NOT_ALLOWED"'
expect 1 "$MOBID" cose verify --cert ca.pem --json msg.cose
has '"error": *"SIGNATURE_INVALID"'
# The certificate as DER and as hex DER; a message without x5chain.
openssl x509 -in leaf.pem -outform DER -out leaf.der
od -An -tx1 -v leaf.der | tr -d ' \n' >leaf.hex
expect 0 "$MOBID" cose verify --cert leaf.der --anchor ca.pem msg.cose
expect 0 "$MOBID" cose sign --key leaf.key --out plain.cose payload
expect 0 "$MOBID" cose verify --cert leaf.hex --json plain.cose
has '"x5chain": *0'
expect 1 "$MOBID" cose verify --anchor ca.pem --json plain.cose
has '"error": *"NOT_FOUND"'
expect 0 "$MOBID" cose verify --cert leaf.pem --payload-out got msg.cose
cmp -s got payload || { echo "FAIL: --payload-out differs" >&2; fails=$((fails + 1)); }

# The last signature byte changed.
cp msg.cose bad.cose
last=$(($(stat -c %s bad.cose) - 1))
printf '\x00' | dd of=bad.cose bs=1 seek=$last conv=notrunc 2>/dev/null
cmp -s msg.cose bad.cose && printf '\x01' | dd of=bad.cose bs=1 seek=$last conv=notrunc 2>/dev/null
expect 1 "$MOBID" cose verify --cert leaf.pem --json bad.cose
has '"valid": *false'
has '"error": *"SIGNATURE_INVALID"'
# Not COSE at all.
printf 'not cbor' >junk
expect 1 "$MOBID" cose verify --cert leaf.pem --json junk
has '"valid": *false'

# Detached payload, external aad, untagged, hex output; Ed25519 with a bare key.
expect 0 "$MOBID" cose sign --key ed.key --detached --untagged --aad 0a0b --hex \
    --out det.hex payload
expect 0 "$MOBID" cose verify --key ed.pub --payload payload --aad 0a0b --json det.hex
has '"alg": *"EdDSA"'
has '"detached": *true'
expect 2 "$MOBID" cose verify --key ed.pub det.hex
expect 1 "$MOBID" cose verify --key ed.pub --payload payload --json det.hex
has '"error": *"SIGNATURE_INVALID"'
printf 'other' >payload2
expect 1 "$MOBID" cose verify --key ed.pub --payload payload2 --aad 0a0b --json det.hex

if [ "$fails" != 0 ]; then
    echo "$fails check(s) failed" >&2
    exit 1
fi

# ---- part 2: published vectors ----
if [ -z "$VEC" ] || [ ! -d "$VEC/mdoc" ]; then
    echo "SKIP: ../shared/vectors is absent; vector part not run (part 1 passed)"
    exit 77
fi
M=$VEC/mdoc
expect 0 "$MOBID" cose verify --anchor "$M/eudi_ios_annexD_d52_iaca.hex" \
    --at 2020-10-01T13:30:02Z --purpose ds --json "$M/eudi_ios_annexD_d52_issuerAuthCBOR.hex"
has '"valid": *true'
has '"signer": *"C=US,CN=utopia ds"'
expect 0 "$MOBID" cose verify --cert "$M/annexd_ds_cert.hex" \
    --anchor "$M/eudi_ios_annexD_d52_iaca.hex" \
    --at 2020-10-01T13:30:02Z --json "$M/eudi_ios_annexD_d52_issuerAuthCBOR.hex"
has '"payload_size": *930'
# The DS certificate's notAfter (2021-10-01T00:00:00Z), read with openssl.
printf "$(tr -d ' \n' <"$M/annexd_ds_cert.hex" | sed 's/../\\x&/g')" >ds.der
na=$(openssl x509 -inform DER -noout -enddate -in ds.der | cut -d= -f2)
before=$(date -u -d "$na - 1 second" +%Y-%m-%dT%H:%M:%SZ)
after=$(date -u -d "$na + 1 second" +%Y-%m-%dT%H:%M:%SZ)
if [ "$after" != 2021-10-01T00:00:01Z ]; then
    echo "FAIL: DS notAfter read as '$na'" >&2
    fails=$((fails + 1))
fi
expect 0 "$MOBID" cose verify --anchor "$M/eudi_ios_annexD_d52_iaca.hex" --at "$before" \
    "$M/eudi_ios_annexD_d52_issuerAuthCBOR.hex"
expect 1 "$MOBID" cose verify --anchor "$M/eudi_ios_annexD_d52_iaca.hex" --at "$after" --json \
    "$M/eudi_ios_annexD_d52_issuerAuthCBOR.hex"
has '"error": *"CERT_EXPIRED"'
expect 0 "$MOBID" cose verify --anchor "$M/vical/aamva_ca_root.crt" --at 2025-11-18T12:00:00Z \
    --json "$M/vical/aamva-vical-2025-11-18.cbor"
has '"signer": *".*Vical-Signer-01'
expect 1 "$MOBID" cose verify --anchor "$M/eudi_ios_annexD_d52_iaca.hex" --at 2025-11-18T12:00:00Z \
    --json "$M/vical/aamva-vical-2025-11-18.cbor"
has '"error": *"UNTRUSTED_ISSUER"'

if [ "$fails" != 0 ]; then
    echo "$fails check(s) failed" >&2
    exit 1
fi
echo "cose CLI: all checks passed"
