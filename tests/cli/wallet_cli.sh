#!/usr/bin/env bash
# mobid wallet without services: init, the wallet file's mode and contents, usage
# errors, five wrong PINs lock for good, and kill -9 during writes never corrupts it.
set -u
: "${MOBID_BIN:?MOBID_BIN must point at the mobid binary}"
if ! command -v openssl >/dev/null 2>&1; then
  echo "SKIP: openssl command not found (needed to make test certificates)"; exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
check() { # check NAME EXPECTED_RC ACTUAL_RC [FILE PATTERN]
  local name=$1 want=$2 got=$3
  if [ "$got" != "$want" ]; then echo "FAIL $name: exit $got, want $want"; fails=$((fails+1)); return; fi
  # JSON may be pretty-printed: match the text as is or without blanks.
  if [ $# -ge 5 ] && ! grep -q -- "$5" "$4" && ! tr -d ' \n' < "$4" | grep -q -- "$5"; then
    echo "FAIL $name: output lacks $5"; cat "$4"; fails=$((fails+1)); return
  fi
  echo "ok   $name"
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca.key" \
  -out "$T/ca.pem" -days 3650 -subj "/CN=Ministry root/C=KR" \
  -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
echo 135790 > "$T/pin"
echo 000000 > "$T/bad"
W="$T/w.mobid"
wallet() { "$MOBID_BIN" wallet --wallet "$W" "$@"; }
roots=(--issuer-roots "$T/ca.pem" --rp-roots "$T/ca.pem" --registration-roots "$T/ca.pem")

wallet --help > "$T/out" 2>&1; check "help" 0 $? "$T/out" "lock-status"
wallet > "$T/out" 2>&1; check "no command is a usage error" 2 $? "$T/out" "missing command"
wallet frobnicate > "$T/out" 2>&1; check "unknown command" 2 $? "$T/out" "unknown command"
wallet --pin-file "$T/pin" init > "$T/out" 2>&1; check "init needs roots" 2 $?
wallet --pin-file "$T/pin" --json lock-status > "$T/out" 2>/dev/null
check "lock-status without a wallet" 1 $? "$T/out" '"error":"NOT_FOUND"'
wallet --pin-file "$T/pin" --scrypt-n 16384 --json "${roots[@]}" init > "$T/out" 2>&1
check "init" 0 $? "$T/out" '"created":true'
mode=$(stat -c %a "$W")
[ "$mode" = 600 ] && echo "ok   wallet file mode 0600" || { echo "FAIL mode $mode"; fails=$((fails+1)); }
wallet --pin-file "$T/pin" --json "${roots[@]}" init > "$T/out" 2>/dev/null
check "init refuses to overwrite" 1 $? "$T/out" '"error":"INVALID_ARG"'
wallet --pin-file "$T/pin" --json list > "$T/out" 2>/dev/null; check "list (empty)" 0 $? "$T/out" '^\[\]'
wallet --json show nope --pin-file "$T/pin" > "$T/out" 2>/dev/null
check "show unknown id (options after the command)" 1 $? "$T/out" '"error":"NOT_FOUND"'
wallet --pin-file "$T/pin" --json present 'https://not-openid4vp' > "$T/out" 2>/dev/null
check "present refuses another scheme" 1 $? "$T/out" '"error":"MALFORMED"'
wallet --pin-file "$T/pin" --json receive 'openid-credential-offer://?x=1' > "$T/out" 2>/dev/null
check "receive refuses a broken offer" 1 $? "$T/out" '"error":"MALFORMED"'
grep -q '"vault"' "$W" && ! grep -q -- '-----BEGIN PRIVATE' "$W" && echo "ok   sealed vault, no key" \
  || { echo "FAIL wallet contents"; fails=$((fails+1)); }

# The device secret lives in a file of its own (mode 0600): the wallet file alone does
# not open (no offline PIN search), another device's secret or an edited counter is
# refused, and the anchors are bound to it.
mode=$(stat -c %a "$W.key" 2>/dev/null)
[ "$mode" = 600 ] && [ "$(stat -c %s "$W.key")" = 32 ] && grep -q '"device_bound":true' "$W" \
  && echo "ok   device key beside, mode 0600, wallet bound" || { echo "FAIL device key $mode"; fails=$((fails+1)); }
mv "$W.key" "$T/away.key"
wallet --pin-file "$T/pin" --json list > "$T/out" 2>/dev/null
check "wallet file alone does not open" 1 $? "$T/out" '"error":"KEY_INVALID"'
wallet --device-key "$T/away.key" --pin-file "$T/pin" --json list > "$T/out" 2>/dev/null
check "--device-key elsewhere opens it" 0 $? "$T/out" '^\[\]'
head -c 32 /dev/urandom > "$T/other.key"
MOBID_WALLET_DEVICE_KEY="$T/other.key" wallet --json lock-status > "$T/out" 2>/dev/null
check "another device's secret" 1 $? "$T/out" '"error":"WALLET_TAMPERED"'
mv "$T/away.key" "$W.key"
cp "$W" "$T/pristine"
wallet --pin-file "$T/bad" list >/dev/null 2>&1
sed -i 's/"failed":1/"failed":0/' "$W"
wallet --json lock-status > "$T/out" 2>/dev/null
check "edited counter refused" 1 $? "$T/out" '"error":"WALLET_TAMPERED"'
cp "$T/pristine" "$W"

# Wrong PINs: four are counted, the fifth locks for good (the right PIN no longer helps).
for i in 1 2 3 4; do
  wallet --pin-file "$T/bad" --json list > "$T/out" 2>/dev/null
  check "wrong PIN $i" 1 $? "$T/out" '"error":"PIN_WRONG"'
done
wallet --json lock-status > "$T/out"; check "four counted" 0 $? "$T/out" '"failed":4'
wallet --pin-file "$T/pin" --json list > "$T/out" 2>/dev/null; check "right PIN resets" 0 $?
wallet --json lock-status > "$T/out"; check "count reset" 0 $? "$T/out" '"failed":0'
for i in 1 2 3 4; do wallet --pin-file "$T/bad" list >/dev/null 2>&1; done
wallet --pin-file "$T/bad" --json list > "$T/out" 2>/dev/null
check "fifth wrong PIN locks" 1 $? "$T/out" '"error":"WALLET_LOCKED"'
wallet --pin-file "$T/pin" --json list > "$T/out" 2>/dev/null
check "locked for good" 1 $? "$T/out" '"error":"WALLET_LOCKED"'
wallet --json lock-status > "$T/out"; check "lock-status says locked" 0 $? "$T/out" '"locked":true'

# kill -9 while the wallet writes (every unlock saves the counter twice): the file
# must always open with the right PIN afterwards.
W="$T/k.mobid"
wallet --pin-file "$T/pin" --scrypt-n 16384 "${roots[@]}" init >/dev/null 2>&1
bad=0
for i in $(seq 1 40); do
  wallet --pin-file "$T/pin" list >/dev/null 2>&1 &
  pid=$!
  sleep "0.00$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  wallet --pin-file "$T/pin" list >/dev/null 2>&1 || bad=$((bad+1))
done
[ "$bad" = 0 ] && echo "ok   40 kills during writes, wallet always opens" \
  || { echo "FAIL $bad of 40 kills left an unreadable wallet"; fails=$((fails+1)); }

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all wallet CLI checks passed"
