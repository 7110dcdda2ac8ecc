#!/usr/bin/env bash
# `mobid jwk`, `mobid jws`, `mobid jwe`: RFC vectors through the command line, round trips,
# the failure codes scripts rely on (exit 1 + {"valid":false,"error":CODE}), usage errors.
set -u
: "${MOBID_BIN:?MOBID_BIN must point at the mobid binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# run WANT_STATUS ARGS... : stdout in $tmp/out, stderr in $tmp/err
run() {
    local want=$1
    shift
    "$MOBID_BIN" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" = "$want" ] || fail "mobid $*: exit $rc, expected $want ($(head -c 300 "$tmp/err"))"
}

# expect_error CODE ARGS... : exit 1 and {"valid":false,"error":CODE} on stdout (with --json)
expect_error() {
    local code=$1
    shift
    run 1 "$@"
    grep -q '"valid": false' "$tmp/out" || fail "mobid $*: no valid:false in $(cat "$tmp/out")"
    grep -q "\"error\": \"$code\"" "$tmp/out" || fail "mobid $*: expected $code, got $(cat "$tmp/out")"
}

# ---- RFC 7638 §3.1 thumbprint from a JWK file (RSA: thumbprints work for any kty) ----
cat > "$tmp/rsa.jwk" <<'JWK'
{"kty":"RSA",
 "n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
 "e":"AQAB","alg":"RS256","kid":"2011-04-29"}
JWK
run 0 jwk thumbprint "$tmp/rsa.jwk"
[ "$(cat "$tmp/out")" = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" ] || fail "RFC 7638 thumbprint: $(cat "$tmp/out")"
run 0 jwk thumbprint --json "$tmp/rsa.jwk"
grep -q '"thumbprint": "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"' "$tmp/out" || fail "thumbprint --json"

# ---- RFC 8037 A.4: Ed25519 signing is deterministic, so the exact JWS is known ----
printf '{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}' > "$tmp/ed.jwk"
printf 'Example of Ed25519 signing' > "$tmp/ex.txt"
run 0 jws sign --key "$tmp/ed.jwk" "$tmp/ex.txt"
[ "$(cat "$tmp/out")" = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg" ] ||
    fail "RFC 8037 A.4 signature: $(cat "$tmp/out")"
run 0 jwk thumbprint "$tmp/ed.jwk"
[ "$(cat "$tmp/out")" = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" ] || fail "RFC 8037 A.3 thumbprint"

# ---- RFC 7515 A.3 verifies with the RFC's public key as JWK and as PEM ----
printf '{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}' > "$tmp/a3.jwk"
printf 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q\n' > "$tmp/a3.jws"
run 0 jws verify --key "$tmp/a3.jwk" --json "$tmp/a3.jws"
grep -q '"valid": true' "$tmp/out" || fail "A.3 verify: $(cat "$tmp/out")"
grep -q '"iss": "joe"' "$tmp/out" || fail "A.3 payload not shown: $(cat "$tmp/out")"
run 0 jwk to-pem "$tmp/a3.jwk"
cp "$tmp/out" "$tmp/a3.pem"
grep -q 'BEGIN PUBLIC KEY' "$tmp/a3.pem" || fail "to-pem: $(cat "$tmp/a3.pem")"
run 0 jws verify --key "$tmp/a3.pem" "$tmp/a3.jws"
run 0 jwk from-pem "$tmp/a3.pem"
grep -q '"x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"' "$tmp/out" || fail "from-pem x"
sed 's/\.Dt/.Du/' "$tmp/a3.jws" > "$tmp/a3-bad.jws"
expect_error SIGNATURE_INVALID jws verify --key "$tmp/a3.jwk" --json "$tmp/a3-bad.jws"
expect_error ALG_NOT_ALLOWED jws verify --key "$tmp/a3.jwk" --alg ES384 --json "$tmp/a3.jws"

# ---- alg none and HS256 signed with the issuer's public key: never accepted ----
payload=$(printf '{"iss":"joe"}' | base64 -w0 | tr '+/' '-_' | tr -d '=')
printf 'eyJhbGciOiJub25lIn0.%s.\n' "$payload" > "$tmp/none.jws"
expect_error ALG_NOT_ALLOWED jws verify --key "$tmp/a3.jwk" --json "$tmp/none.jws"
expect_error ALG_NOT_ALLOWED jws verify --key "$tmp/a3.jwk" --alg ES256,ES384,ES512,EdDSA --json "$tmp/none.jws"
hs_input="eyJhbGciOiJIUzI1NiJ9.$payload"
if command -v openssl >/dev/null; then
    mac=$(printf '%s' "$hs_input" | openssl dgst -sha256 -mac HMAC -macopt "key:$(cat "$tmp/a3.pem")" -binary |
        base64 -w0 | tr '+/' '-_' | tr -d '=')
else
    mac=c2lnbmF0dXJl
fi
printf '%s.%s\n' "$hs_input" "$mac" > "$tmp/hs.jws"
expect_error ALG_NOT_ALLOWED jws verify --key "$tmp/a3.pem" --json "$tmp/hs.jws"

# ---- alg/key mismatch, malformed tokens ----
run 0 jwk generate --crv P-384 --out "$tmp/p384.jwk"
expect_error KEY_INVALID jws verify --key "$tmp/p384.jwk" --alg ES256 --json "$tmp/a3.jws"
printf 'eyJhbGciOiJFUzI1NiJ9=.e30.eA\n' > "$tmp/pad.jws"
expect_error BAD_BASE64 jws verify --key "$tmp/a3.jwk" --json "$tmp/pad.jws"
printf 'WyJhbGciXQ.e30.eA\n' > "$tmp/arr.jws"
expect_error MALFORMED jws verify --key "$tmp/a3.jwk" --json "$tmp/arr.jws"

# ---- sign and verify with generated keys, headers as asked ----
for crv in P-256 P-384 P-521 Ed25519; do
    run 0 jwk generate --crv "$crv" --kid "k-$crv" --out "$tmp/k.jwk"
    [ "$(stat -c %a "$tmp/k.jwk")" = 600 ] || fail "generate $crv: private key file not 0600"
    printf '{"vct":"urn:example","n":1}' > "$tmp/p.json"
    run 0 jws sign --key "$tmp/k.jwk" --typ dc+sd-jwt --kid "k-$crv" --out "$tmp/t.jws" "$tmp/p.json"
    run 0 jwk from-pem "$tmp/k.jwk"
    cp "$tmp/out" "$tmp/pub.jwk"
    grep -q '"d"' "$tmp/pub.jwk" && fail "from-pem without --private printed d"
    run 0 jws verify --key "$tmp/pub.jwk" --json "$tmp/t.jws"
    grep -q '"typ": "dc+sd-jwt"' "$tmp/out" || fail "$crv: typ header missing"
    grep -q "\"kid\": \"k-$crv\"" "$tmp/out" || fail "$crv: kid header missing"
done

# ---- JWE round trip, wrong key, tampering ----
run 0 jwk generate --crv P-256 --out "$tmp/rp.jwk"
run 0 jwk generate --crv P-256 --out "$tmp/other.jwk"
run 0 jwk from-pem "$tmp/rp.jwk"
cp "$tmp/out" "$tmp/rp-pub.jwk"
printf '{"vp_token":{"pid":["eyJ.x.y"]},"state":"abc"}' > "$tmp/resp.json"
for enc in A128GCM A256GCM; do
    run 0 jwe encrypt --key "$tmp/rp-pub.jwk" --enc "$enc" --apv nonce-1 --out "$tmp/r.jwe" "$tmp/resp.json"
    run 0 jwe decrypt --key "$tmp/rp.jwk" "$tmp/r.jwe"
    [ "$(cat "$tmp/out")" = "$(cat "$tmp/resp.json")" ] || fail "$enc: plaintext differs"
    run 0 jwe decrypt --key "$tmp/rp.jwk" --json "$tmp/r.jwe"
    grep -q "\"enc\": \"$enc\"" "$tmp/out" || fail "$enc: header not shown"
    grep -q '"state": "abc"' "$tmp/out" || fail "$enc: plaintext not shown"
    expect_error DECRYPT_FAILED jwe decrypt --key "$tmp/other.jwk" --json "$tmp/r.jwe"
    expect_error KEY_INVALID jwe decrypt --key "$tmp/rp-pub.jwk" --json "$tmp/r.jwe"
    # Flip the first character of the ciphertext (4th part).
    awk -F. 'BEGIN{OFS="."} {c=substr($4,1,1); $4=(c=="A"?"B":"A") substr($4,2); print}' "$tmp/r.jwe" > "$tmp/t.jwe"
    expect_error DECRYPT_FAILED jwe decrypt --key "$tmp/rp.jwk" --json "$tmp/t.jwe"
done

# ---- JWK key files where PEM is expected; broken key files ----
printf '{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEyRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}' > "$tmp/off.jwk"
expect_error POINT_NOT_ON_CURVE jws verify --key "$tmp/off.jwk" --json "$tmp/a3.jws"
printf '{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"}' > "$tmp/noy.jwk"
expect_error MALFORMED jwk to-pem --json "$tmp/noy.jwk"
expect_error IO jwk thumbprint --json "$tmp/nonexistent"

# ---- x5c: chain to an anchor, expiry, wrong anchor (certificates made with openssl) ----
if command -v openssl >/dev/null; then
    (
        cd "$tmp" || exit 1
        openssl ecparam -name prime256v1 -genkey -noout -out ca.key
        openssl req -x509 -new -key ca.key -subj "/CN=Test CA" -days 30 -out ca.pem \
            -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign"
        openssl req -x509 -new -key ca.key -subj "/CN=Other CA" -days 30 -out other.pem \
            -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign"
        openssl ecparam -name prime256v1 -genkey -noout -out leaf.key
        openssl req -new -key leaf.key -subj "/CN=Issuer" -out leaf.csr
        printf 'basicConstraints=CA:false\nkeyUsage=critical,digitalSignature\n' > leaf.ext
        openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 10 \
            -extfile leaf.ext -out leaf.pem
    ) >/dev/null 2>&1 || fail "openssl could not make the test certificates"
    x5c=$(openssl x509 -in "$tmp/leaf.pem" -outform der | base64 -w0)
    run 0 jws sign --key "$tmp/leaf.key" --typ JWT --header "{\"x5c\":[\"$x5c\"]}" \
        --out "$tmp/x5c.jws" "$tmp/p.json"
    run 0 jws verify --anchor "$tmp/ca.pem" --json "$tmp/x5c.jws"
    grep -q '"valid": true' "$tmp/out" || fail "x5c chain to anchor: $(cat "$tmp/out")"
    run 0 jws verify --cert "$tmp/leaf.pem" "$tmp/x5c.jws"
    expect_error CERT_EXPIRED jws verify --anchor "$tmp/ca.pem" --at 2099-01-01T00:00:00Z --json "$tmp/x5c.jws"
    expect_error CERT_NOT_YET_VALID jws verify --anchor "$tmp/ca.pem" --at 2001-01-01T00:00:00Z --json "$tmp/x5c.jws"
    expect_error UNTRUSTED_ISSUER jws verify --anchor "$tmp/other.pem" --json "$tmp/x5c.jws"
    expect_error SIGNATURE_INVALID jws verify --cert "$tmp/ca.pem" --json "$tmp/x5c.jws"
    # No x5c in the token: nothing to chain.
    expect_error NOT_FOUND jws verify --anchor "$tmp/ca.pem" --json "$tmp/a3.jws"
else
    echo "SKIP: openssl command absent; x5c chain checks not run" >&2
fi

# ---- ISO 18013-5 Annex D server-retrieval JWS (EUDI test data), when ../shared is there ----
vec=${MOBID_VECTORS:-}/mdoc
if [ -n "${MOBID_VECTORS:-}" ] && [ -f "$vec/eudi_ios_annexD_server_retrieval_jws.txt" ]; then
    run 0 jws verify --anchor "$vec/eudi_ios_annexD_d52_iaca.hex" --at 2020-10-01T13:30:02Z \
        --json "$vec/eudi_ios_annexD_server_retrieval_jws.txt"
    grep -q '"doctype": "org.iso.18013.5.1.mDL"' "$tmp/out" || fail "Annex D JWS payload: $(head -c 300 "$tmp/out")"
    expect_error CERT_EXPIRED jws verify --anchor "$vec/eudi_ios_annexD_d52_iaca.hex" \
        --at 2021-10-01T00:00:01Z --json "$vec/eudi_ios_annexD_server_retrieval_jws.txt"
else
    echo "SKIP: ../shared/vectors is absent; Annex D JWS check not run" >&2
fi

# ---- JWK key files in other commands (cli_load_key -> cli_load_key_jwk) ----
if "$MOBID_BIN" cose --help >/dev/null 2>&1; then
    run 0 jwk generate --crv P-256 --out "$tmp/cose.jwk"
    run 0 jwk from-pem --out "$tmp/cose-pub.jwk" "$tmp/cose.jwk"
    run 0 cose sign --key "$tmp/cose.jwk" --out "$tmp/msg.cose" "$tmp/ex.txt"
    run 0 cose verify --key "$tmp/cose-pub.jwk" --json "$tmp/msg.cose"
    grep -q '"valid": true' "$tmp/out" || fail "cose verify with a JWK key file: $(cat "$tmp/out")"
else
    echo "SKIP: mobid built without cose; JWK files in other commands not checked" >&2
fi

# ---- --help and usage errors ----
for cmd in jwk jws jwe; do
    run 0 "$cmd" --help
    grep -q "usage: mobid $cmd" "$tmp/out" || fail "$cmd --help"
    run 2 "$cmd"
    run 2 "$cmd" bogus
done
run 0 jws verify --help
run 2 jws verify "$tmp/a3.jws"
run 2 jws verify --key "$tmp/a3.jwk" --anchor "$tmp/a3.pem" "$tmp/a3.jws"
run 2 jws verify --key "$tmp/a3.jwk"
run 2 jws sign "$tmp/ex.txt"
run 2 jwe decrypt "$tmp/ex.txt"
run 2 jws verify --key "$tmp/a3.jwk" --alg HS256 "$tmp/a3.jws"
run 2 jws sign --key "$tmp/ed.jwk" --header '[1]' "$tmp/ex.txt"
run 2 jwe encrypt --key "$tmp/rp-pub.jwk" --enc A128CBC-HS256 "$tmp/resp.json"
run 2 jwk generate --crv secp256k1
run 2 jwk generate extra-arg --crv P-256
run 2 jwk thumbprint --bogus "$tmp/ed.jwk"

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "jose CLI: all checks passed"
