#!/usr/bin/env bash
# In person (ISO 18013-5) between two processes: `mobid wallet engage --qr` (the holder,
# with the card `mobid demo --keep` issued to phone 2) and `mobid reader scan` (a hotel
# desk registered by `mobid pki rp-issue --reader`) over the TCP loopback transport.
# Checked: a verified answer with exactly the items asked and a history entry; an
# untrusted reader certificate, a certificate without the reader EKU, a request beyond
# the registration, a reader without a registration and a refused consent are all
# refused by the holder with nothing shown; a SessionData altered on the way fails at
# the reader (DECRYPT_FAILED) and a replayed reader message (an old message counter)
# fails at the holder (MESSAGE_REPLAYED). The last two run through a small relay
# that sits between the two and is what the reader's QR code points at.
set -u
BIN=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
for tool in jq python3 setsid timeout; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not found"; exit 77; }
done
"$BIN" demo --help >/dev/null 2>&1 || { echo "SKIP: this mobid has no demo (services not built)"; exit 77; }
T=$(mktemp -d)
D=""
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  [ -n "$D" ] && rm -rf "$D"
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

timeout 300 "$BIN" demo --json --keep > "$T/steps.jsonl" 2> "$T/demo.err"
D=$(jq -r 'select(.name=="system_up") | .detail' "$T/steps.jsonl" | sed -n 's/.*data in \(.*\)$/\1/p')
[ -d "$D" ] || { cat "$T/demo.err"; echo "FAIL demo did not leave its directory"; exit 1; }
W="$D/phone2.wallet"
DT=kr.go.mois.resident.1

# The hotel desk: a reader certificate under the RP CA and a registration for three items.
cat > "$T/allowed.json" <<EOF
[{"format":"mso_mdoc","type":"$DT","claims":[["$DT","family_name"],["$DT","given_name"],["$DT","age_over_19"]]}]
EOF
"$BIN" pki rp-issue "$D/pki" --id hotel --name "Hotel desk" --legal-basis "guest registration" \
  --allowed "$T/allowed.json" --out "$T/rp" --reader > "$T/out" 2>&1 || { cat "$T/out"; bad "rp-issue --reader"; exit 1; }
# A second PKI the wallet does not trust, and a certificate without the reader EKU.
"$BIN" pki init "$T/other" > /dev/null 2>&1 && \
"$BIN" pki rp-issue "$T/other" --id rogue --name "Rogue desk" --legal-basis "none" \
  --allowed "$T/allowed.json" --out "$T/rp" --reader > /dev/null 2>&1 || { bad "other pki"; exit 1; }
"$BIN" pki rp-issue "$D/pki" --id noeku --name "Plain RP" --legal-basis "none" \
  --allowed "$T/allowed.json" --out "$T/rp" > /dev/null 2>&1 || { bad "rp-issue without --reader"; exit 1; }

profile() { # profile FILE ELEM... (the first element is kept by the reader)
  local f=$1 keep=true; shift
  { printf '{"credentials":[{"id":"card","format":"mso_mdoc","meta":{"doctype_value":"%s"},"claims":[' "$DT"
    local sep=""
    for e in "$@"; do printf '%s{"path":["%s","%s"],"intent_to_retain":%s}' "$sep" "$DT" "$e" "$keep"; sep=,; keep=false; done
    printf ']}]}\n'; } > "$f"
}
profile "$T/hotel.json" family_name given_name age_over_19
profile "$T/greedy.json" family_name resident_registration_number

# engage QR [wallet options...]: the holder in the background; returns once the QR exists.
engage() {
  local qr=$1; shift
  rm -f "$qr" "$T/w.out" "$T/w.err"
  setsid "$BIN" wallet --wallet "$W" --pin-file "$D/pin" --json engage --qr "$qr" "$@" \
    > "$T/w.out" 2> "$T/w.err" < /dev/null &
  WP=$!
  PIDS+=("$WP")
  for _ in $(seq 1 600); do
    [ -s "$qr" ] && return 0
    kill -0 "$WP" 2>/dev/null || break
    sleep 0.1
  done
  cat "$T/w.err"; return 1
}
holder_wait() { wait "$WP"; hrc=$?; }
# reader QR PROFILE RP-ID [--no-registration]
reader() {
  local reg=(--registration "$T/rp/$3.registration.jwt")
  [ "${4:-}" = --no-registration ] && reg=()
  timeout 120 "$BIN" reader scan --qr "$1" --profile "$2" --reader-key "$T/rp/$3.key" \
    --reader-chain "$T/rp/$3.pem" --trust "$D/pki/iaca.pem" "${reg[@]}" --json > "$T/r.out" 2> "$T/r.err"
}
history_len() { "$BIN" wallet --wallet "$W" --pin-file "$D/pin" --json history | jq length; }

"$BIN" reader --help > "$T/out" 2>&1 && grep -q "reader scan" "$T/out" && ok "reader --help" || bad "reader --help"
"$BIN" reader scan --qr x.png > "$T/out" 2>&1; [ $? = 2 ] && ok "reader scan without its options is a usage error" || bad "usage"
"$BIN" wallet --wallet "$W" engage > "$T/out" 2>&1; [ $? = 2 ] && ok "engage needs --qr" || bad "engage usage"

# 1. Success: the answer verifies and holds exactly the three items asked.
before=$(history_len)
engage "$T/qr.png" --yes || bad "engage did not write its QR"
reader "$T/qr.png" "$T/hotel.json" hotel; rrc=$?
holder_wait
if [ "$rrc" = 0 ] && jq -e --arg dt "$DT" '.valid == true and (.documents[0].claims[$dt] | keys == ["age_over_19","family_name","given_name"]) and .documents[0].claims[$dt].family_name == "KIM"' "$T/r.out" >/dev/null; then
  ok "reader verified family_name, given_name, age_over_19 and nothing else"
else bad "reader: rc $rrc $(cat "$T/r.out" "$T/r.err")"; fi
[ "$hrc" = 0 ] && jq -e '.rp == "Hotel desk" and .channel == "in_person"' "$T/w.out" >/dev/null \
  && ok "holder answered the Hotel desk" || bad "holder: rc $hrc $(cat "$T/w.out" "$T/w.err")"
grep -q "family_name (kept by the reader)" "$T/w.err" && ok "consent shows what the reader keeps" || bad "consent text: $(cat "$T/w.err")"
[ "$(history_len)" = $((before + 1)) ] && ok "history grew by one" || bad "history"

expect_refusal() { # NAME HOLDER-ERROR
  local hrc; holder_wait
  if [ "$hrc" = 1 ] && jq -e --arg e "$2" '.error == $e' "$T/w.out" >/dev/null; then ok "$1: holder refused with $2"
  else bad "$1: holder rc $hrc $(cat "$T/w.out" "$T/w.err")"; fi
  if [ "$rrc" = 1 ] && jq -e '.valid == false and .error == "SESSION_TERMINATED"' "$T/r.out" >/dev/null; then ok "$1: reader got nothing"
  else bad "$1: reader rc $rrc $(cat "$T/r.out" "$T/r.err")"; fi
}

# 2. A reader certificate from a CA the wallet does not trust.
engage "$T/qr.png" --yes && { reader "$T/qr.png" "$T/hotel.json" rogue; rrc=$?; }
expect_refusal "untrusted reader certificate" UNTRUSTED_ISSUER
# 3. A certificate of the right CA but without the 18013-5 reader EKU.
engage "$T/qr.png" --yes && { reader "$T/qr.png" "$T/hotel.json" noeku; rrc=$?; }
expect_refusal "certificate without the reader EKU" CERT_USAGE
# 4. Claims beyond the registration.
engage "$T/qr.png" --yes && { reader "$T/qr.png" "$T/greedy.json" hotel; rrc=$?; }
expect_refusal "request beyond the registration" CLAIM_NOT_ALLOWED
# 5. No registration at all.
engage "$T/qr.png" --yes && { reader "$T/qr.png" "$T/hotel.json" hotel --no-registration; rrc=$?; }
expect_refusal "unregistered reader" RP_NOT_REGISTERED
# 6. Consent refused (no --yes and no terminal to ask on).
engage "$T/qr.png" && { reader "$T/qr.png" "$T/hotel.json" hotel; rrc=$?; }
expect_refusal "consent refused" CONSENT_DENIED
[ "$(history_len)" = $((before + 1)) ] && ok "refusals left no history" || bad "history after refusals"

# The relay: listens on a free port, relays length-prefixed frames between the reader
# and the holder, and alters one message on the way.
cat > "$T/relay.py" <<'EOF'
import socket, struct, sys
mode, portfile, targetfile = sys.argv[1], sys.argv[2], sys.argv[3]
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
open(portfile + ".tmp", "w").write(str(ls.getsockname()[1]))
import os; os.rename(portfile + ".tmp", portfile)
ls.settimeout(120)
r, _ = ls.accept()
w = socket.create_connection(("127.0.0.1", int(open(targetfile).read())))
def recv(s):
    h = b""
    while len(h) < 4:
        c = s.recv(4 - len(h))
        if not c: return None
        h += c
    n = struct.unpack(">I", h)[0]; b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c: return None
        b += c
    return b
def send(s, b): s.sendall(struct.pack(">I", len(b)) + b)
est = recv(r); send(w, est)                      # SessionEstablishment
resp = recv(w)                                   # SessionData with the response
if mode == "tamper":
    resp = resp[:-20] + bytes([resp[-20] ^ 1]) + resp[-19:]
send(r, resp)
nxt = recv(r)                                    # the reader's termination
if mode == "replay":
    # SessionEstablishment: a2 6a "eReaderKey" d8 18 58 LEN key 64 "data" <bstr>
    k = 16 + est[15]
    assert est[k:k + 5] == b"\x64data"
    nxt = b"\xa1" + est[k:]                      # SessionData {"data": the same ciphertext}
if nxt is not None:
    send(w, nxt)
    last = recv(w)                               # the holder's status, if any
    if last is not None:
        try: send(r, last)
        except OSError: pass
EOF
# relayed MODE: start the relay, engage with the relay's address in the QR code (as a
# port forward in front of the holder would), run the reader through it.
relayed() {
  rm -f "$T/relay.port" "$T/relay.target"
  python3 "$T/relay.py" "$1" "$T/relay.port" "$T/relay.target" 2> "$T/relay.err" &
  PIDS+=("$!")
  for _ in $(seq 1 300); do [ -s "$T/relay.port" ] && break; sleep 0.1; done
  [ -s "$T/relay.port" ] || { cat "$T/relay.err"; return 1; }
  engage "$T/qr.png" --yes --advertise "127.0.0.1:$(cat "$T/relay.port")" || return 1
  sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/w.err" > "$T/relay.target"
  reader "$T/qr.png" "$T/hotel.json" hotel; rrc=$?
}

# 7. SessionData altered on its way to the reader.
relayed tamper || bad "relay (tamper) did not start"
if [ "$rrc" = 1 ] && jq -e '.error == "DECRYPT_FAILED"' "$T/r.out" >/dev/null; then ok "tampered SessionData refused by the reader"
else bad "tamper: reader rc $rrc $(cat "$T/r.out" "$T/r.err")"; fi
holder_wait
[ "$hrc" = 1 ] && jq -e '.error == "SESSION_TERMINATED"' "$T/w.out" >/dev/null \
  && ok "the reader's status 10 ended the holder's session" || bad "tamper: holder rc $hrc $(cat "$T/w.out")"
# 8. The reader's first message sent again in place of its termination.
relayed replay || bad "relay (replay) did not start"
[ "$rrc" = 0 ] && ok "replay: the reader had its answer" || bad "replay: reader rc $rrc $(cat "$T/r.out")"
holder_wait
if [ "$hrc" = 1 ] && jq -e '.error == "MESSAGE_REPLAYED"' "$T/w.out" >/dev/null; then ok "replayed message counter refused by the holder"
else bad "replay: holder rc $hrc $(cat "$T/w.out" "$T/w.err")"; fi

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all in-person checks passed"
