#!/usr/bin/env bash
# OpenID4VCI interop, issuer role peer: @openid4vc/openid4vci 0.4.6 (Openid4vciIssuer,
# with Oauth2AuthorizationServer from @openid4vc/oauth2) runs an issuer whose identifier
# has a path (<origin>/tenant) and whose token endpoint is <origin>/oauth/token, issuing
# an EU PID-shaped SD-JWT VC (@sd-jwt/sd-jwt-vc 0.19.0) under an x5c chain. mobid's
# wallet receives from it by the book (pre-authorized code with a transaction code,
# nonce endpoint, JWT proof) and holds the credential with the peer's claim names; a
# wrong transaction code is refused by the peer and the wallet holds nothing more.
set -u
: "${MOBID_BIN:?MOBID_BIN must point at the mobid binary}"
here=$(cd "$(dirname "$0")" && pwd)
peer="$here/oid4vci"
if ! command -v node >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1 || ! command -v jq >/dev/null 2>&1; then
  echo "SKIP: node, openssl or jq not installed (scripts/deps installs them)"; exit 77
fi
if [ ! -d "$peer/node_modules/@openid4vc/openid4vci" ]; then
  echo "SKIP: $peer/node_modules missing (run scripts/deps, which runs npm ci there)"; exit 77
fi
T=$(mktemp -d)
PID=""
cleanup() {
  [ -n "$PID" ] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
. "$here/../common/free_ports.sh"
PORT=$(free_base)

# A CA and a document signer whose URI SAN is the peer's identifier (SD-JWT VC: iss
# must be a URI SAN of the x5c leaf).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca.key" \
  -out "$T/ca.pem" -days 30 -subj "/CN=peer issuer CA/C=DE" \
  -addext "basicConstraints=critical,CA:true,pathlen:0" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ds.key" \
  -out "$T/ds.csr" -subj "/CN=peer issuer DS/C=DE" 2>/dev/null
printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=critical,1.0.18013.5.1.2\nsubjectAltName=URI:http://127.0.0.1:%s/tenant\n' \
  "$PORT" >"$T/ds.ext"
openssl x509 -req -in "$T/ds.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
  -out "$T/ds.leaf" -days 20 -extfile "$T/ds.ext" 2>/dev/null
cat "$T/ds.leaf" "$T/ca.pem" >"$T/ds.pem"

node "$peer/issuer.mjs" "$PORT" "$T" 2>"$T/peer.err" &
PID=$!
for _ in $(seq 1 300); do
  [ -f "$T/ready" ] && break
  kill -0 "$PID" 2>/dev/null || break
  sleep 0.1
done
[ -f "$T/ready" ] || { cat "$T/peer.err"; echo "FAIL the peer issuer did not start"; exit 1; }
offer=$(jq -r .offer "$T/offer.json")
tx=$(jq -r .tx_code "$T/offer.json")
case "$offer" in *tenant*) ok "the peer's offer names an issuer with a path" ;; *) bad "offer: $offer" ;; esac

echo 246810 >"$T/pin"
W=$T/w.wallet
wallet() { "$MOBID_BIN" wallet --wallet "$W" --pin-file "$T/pin" --yes --json "$@"; }
wallet --issuer-roots "$T/ca.pem" --rp-roots "$T/ca.pem" --registration-roots "$T/ca.pem" \
  --scrypt-n 16384 init >"$T/init" 2>"$T/wallet.err" || { cat "$T/init" "$T/wallet.err"; echo "FAIL wallet init"; exit 1; }

wrong=$(printf '%06d' $(( (10#$tx + 1) % 1000000 )))
if wallet --tx-code "$wrong" receive "$offer" >"$T/bad" 2>>"$T/wallet.err"; then
  bad "a wrong transaction code was accepted: $(cat "$T/bad")"
else
  ok "a wrong transaction code: the peer refuses ($(jq -r '.error // empty' "$T/bad"))"
fi
if wallet --tx-code "$tx" receive "$offer" >"$T/recv" 2>>"$T/wallet.err"; then
  ok "mobid's wallet received from the peer issuer (token at /oauth/token, identifier with a path)"
else
  bad "receive: $(cat "$T/recv") $(tail -3 "$T/wallet.err") $(tail -5 "$T/peer.err")"
fi
wallet list >"$T/list" 2>>"$T/wallet.err"
jq -e '[.. | strings | select(. == "urn:eudi:pid:1")] | length > 0' "$T/list" >/dev/null \
  && ok "the wallet holds the peer's urn:eudi:pid:1 credential" || bad "wallet list: $(cat "$T/list")"
grep -q '"POST /oauth/token' "$T/peer.err" && bad "the peer logged an error at /oauth/token: $(cat "$T/peer.err")"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "OpenID4VCI interop with @openid4vc/openid4vci 0.4.6 (issuer role): ok"
