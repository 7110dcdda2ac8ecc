#!/usr/bin/env bash
# mobid wallet end to end against the real issuer and verifier: `mobid demo --keep`
# walks the journey (the wallet receives from the issuer and presents to Government 24
# and a bank), then this script checks the phone's wallet file and history, restarts
# the services on the same data and has the wallet face the verifier: a request
# object with a bad signature and a link whose client_id is another party's are
# refused and the verifier receives nothing; a QR code from the verifier's API is
# read with --qr and answered with yet another single-use copy.
set -u
. "$(dirname "$0")/../common/wait.sh"
BIN=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
for tool in jq python3 curl base64; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not found"; exit 77; }
done
"$BIN" demo --help >/dev/null 2>&1 || { echo "SKIP: this mobid has no demo/up (services not built)"; exit 77; }
T=$(mktemp -d)
D=""
UP=""
SRV=""
cleanup() {
  [ -n "$SRV" ] && kill "$SRV" 2>/dev/null
  [ -n "$UP" ] && { kill -INT "$UP" 2>/dev/null; wait "$UP" 2>/dev/null; }
  [ -n "$D" ] && [ -z "${WALLET_E2E_KEEP:-}" ] && rm -rf "$D"
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

timeout 300 "$BIN" demo --json --keep > "$T/steps.jsonl" 2> "$T/demo.err"
D=$(jq -r 'select(.name=="system_up") | .detail' "$T/steps.jsonl" | sed -n 's/.*data in \(.*\)$/\1/p')
[ -d "$D" ] || { cat "$T/demo.err"; echo "FAIL demo did not leave its directory"; exit 1; }
for s in wallet_receives gov24_verifies bank_verifies; do
  jq -se --arg s "$s" 'map(select(.name==$s))[0].ok' "$T/steps.jsonl" >/dev/null \
    && ok "demo step $s" || bad "demo step $s"
done
W="$D/phone1.wallet"
wallet() { "$BIN" wallet --wallet "$W" --pin-file "$D/pin" --json "$@"; }

# The wallet file: 0600, no plaintext claim, key or credential.
[ "$(stat -c %a "$W")" = 600 ] && ok "wallet file mode 0600" || bad "wallet mode $(stat -c %a "$W")"
for s in MINJI Minji 900315-2345678 1990-03-15 '"d"' eyJhbGci eyJ0eXAi; do
  grep -q -- "$s" "$W" && bad "wallet file holds $s in plaintext" || ok "no $s in the wallet file"
done
wallet list > "$T/list" && jq -e 'length >= 1 and all(.[]; .unused >= 0 and .total >= 1)' "$T/list" >/dev/null \
  && ok "list" || bad "list: $(cat "$T/list")"
wallet history > "$T/hist" || bad "history"
jq -e '[.[] | select(.rp_id=="gov24" or .rp_id=="bank")] | length >= 2' "$T/hist" >/dev/null \
  && ok "history names Government 24 and the bank" || bad "history: $(cat "$T/hist")"
# Two relying parties, two different copies (each with its own device key and salts).
jq -e '[.[] | {c: .credentials[0], n: .copies[0]}] | (unique | length) == length' "$T/hist" >/dev/null \
  && ok "every presentation used another copy" || bad "a copy was shown twice"

# Restart the services on the same data. Phone 1's card was revoked at the end of the
# journey (issued anew to phone 2), so phone 2 faces the verifier.
W="$D/phone2.wallet"

PB=$(jq -r '.port_base' "$D/up.json")
"$BIN" up --dir "$D" --port-base "$PB" --json > "$T/up.log" 2>&1 &
UP=$!
V="http://127.0.0.1:$((PB + 1))"
I="http://127.0.0.1:$PB"
both_up() { curl -fs "$V/healthz" >/dev/null 2>&1 && curl -fs "$I/healthz" >/dev/null 2>&1; }
wait_until -t 180 -p "$UP" both_up || true
curl -fs "$V/healthz" >/dev/null && curl -fs "$I/healthz" >/dev/null \
  || { bad "issuer and verifier did not come back"; exit 1; }
KEY=$(head -n 1 "$D/rp/gov24.api-key")
session() {
  curl -fs -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d '{"profile":"resident_full"}' "$V/api/v1/verifications"
}
status() { curl -fs -H "Authorization: Bearer $KEY" "$V/api/v1/verifications/$1" | jq -r .status; }
session > "$T/s1" || { bad "cannot create a verification"; exit 1; }
ID=$(jq -r .id "$T/s1"); LINK=$(jq -r .deep_link "$T/s1"); RURI=$(jq -r .request_uri "$T/s1")

# 1. Another party's client_id in the link.
BANK_CID=$(jq -r '[.[] | select(.rp_id=="bank")][0].client_id' "$T/hist")
ENC=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "$BANK_CID")
BADLINK=$(echo "$LINK" | sed "s/client_id=[^&]*/client_id=$ENC/")
wallet --yes present "$BADLINK" > "$T/out" 2>/dev/null
[ $? = 1 ] && jq -e '.error=="SUBJECT_MISMATCH"' "$T/out" >/dev/null \
  && ok "client_id of another party refused" || bad "client_id mismatch: $(cat "$T/out")"

# 2. The real request object with one payload character changed, served elsewhere.
mkdir -p "$T/www"
curl -fs "$RURI" > "$T/ro" || bad "cannot fetch the request object"
python3 - "$T/ro" "$T/www/req" <<'EOF'
import sys
h, p, s = open(sys.argv[1]).read().strip().split('.')
c = 'A' if p[10] != 'A' else 'B'
open(sys.argv[2], 'w').write('.'.join([h, p[:10] + c + p[11:], s]))
EOF
SPORT=$((PB + 7))
(cd "$T/www" && exec python3 -m http.server "$SPORT" --bind 127.0.0.1 >/dev/null 2>&1) &
SRV=$!
wait_until -p "$SRV" curl -fs -o /dev/null "http://127.0.0.1:$SPORT/req" || true
TAMPERED=$(echo "$LINK" | sed "s|request_uri=[^&]*|request_uri=http%3A%2F%2F127.0.0.1%3A$SPORT%2Freq|")
wallet --yes present "$TAMPERED" > "$T/out" 2>/dev/null
[ $? = 1 ] && jq -e '.error=="SIGNATURE_INVALID" or .error=="MALFORMED"' "$T/out" >/dev/null \
  && ok "tampered request object refused" || bad "tampered request: $(cat "$T/out")"
[ "$(status "$ID")" = pending ] && ok "the verifier received nothing" || bad "verifier status $(status "$ID")"

# 3. The verifier's QR code (rendered when asked for), read with --qr, answered with a
#    fresh copy.
curl -fsS -H "Authorization: Bearer $KEY" -o "$T/qr.png" "$(jq -r .qr_png_url "$T/s1")" \
  && ok "the session's qr.png" || bad "qr.png"
wallet history > "$T/hist"
before=$(jq length "$T/hist")
wallet --yes present --qr "$T/qr.png" > "$T/out" 2>/dev/null
[ $? = 0 ] && jq -e '.rp=="Government 24"' "$T/out" >/dev/null && ok "present from the QR code" \
  || bad "present --qr: $(cat "$T/out")"
answered() { [ "$(status "$ID")" != pending ]; }
wait_until answered || true
[ "$(status "$ID")" = verified ] && ok "the verifier verified it" || bad "status $(status "$ID")"
wallet history > "$T/hist2"
jq -e --argjson n "$before" 'length == $n + 1' "$T/hist2" >/dev/null && ok "history grew by one" || bad "history"
jq -e '[.[] | {c: .credentials[0], n: .copies[0]}] | (unique | length) == length' "$T/hist2" >/dev/null \
  && ok "still no copy shown twice" || bad "a copy was shown twice"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all wallet end-to-end checks passed"
