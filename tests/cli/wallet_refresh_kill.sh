#!/usr/bin/env bash
# A refresh never loses a batch the issuer counted. On a fresh `mobid up` (its refresh
# cap raised), a wallet uses one copy of its card, then `mobid wallet refresh --force`
# is killed (SIGKILL, through the MOBID_WALLET_KILL_AT test hook) at every step: before
# and after each HTTP exchange and each save. Afterwards a plain refresh makes the
# card whole again (10 unused copies); once the grant is sealed in the vault, that
# refresh spends no second grant of the card's cap, even when the kill came after the
# issuer had answered with the batch.
set -u
BIN=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
for tool in jq curl sqlite3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not found"; exit 77; }
done
"$BIN" up --help >/dev/null 2>&1 || { echo "SKIP: this mobid has no up (services not built)"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/up.sh"
. "$HERE/lib/issuer_serve.sh" # issuer_claims: the usual applicant
up_test_begin refresh-kill
cd "$T" || exit 1

up_start_fresh events up.err var || { cat events up.err; echo "FAIL mobid up"; exit 1; }
# Many refreshes of one card today (the cap is not what this test is about): the
# issuer, killed, is started again by up with the new configuration.
jq '.refresh.max_per_period = 1000' var/issuer.json >issuer.json && cp issuer.json var/issuer.json
old=$(pgrep -P "$UP_PID" -f 'issuer serve')
kill -KILL "$old"
issuer_back() {
  local p
  p=$(pgrep -P "$UP_PID" -f 'issuer serve') && [ "$p" != "$old" ] \
    && curl -fs "http://127.0.0.1:$BASE/healthz" >/dev/null
}
wait_until -p "$UP_PID" issuer_back || { echo "FAIL the issuer did not come back"; exit 1; }
I=http://127.0.0.1:$BASE
V=http://127.0.0.1:$((BASE + 1))

issuer_claims
echo 135790 >pin
"$BIN" issuer offer --db "sqlite:$T/var/issuer.db" --config var/issuer.json --cardtype resident_card \
  --claims claims.json --person 900517-2345678 >offer.json || { echo "FAIL offer"; exit 1; }
wallet() { "$BIN" wallet --wallet w.wallet --pin-file pin --json "$@"; }
unused() { wallet list | jq '[.[].unused] | min'; }
grants() { sqlite3 var/issuer.db 'SELECT coalesce(sum(grants), 0) FROM issuer_refresh_rate'; }
wallet init --issuer-roots var/pki/iaca.pem --rp-roots var/pki/rp-ca.pem \
  --registration-roots var/pki/iaca.pem --scrypt-n 16384 >/dev/null || { echo "FAIL init"; exit 1; }
wallet --tx-code "$(jq -r .tx_code offer.json)" receive "$(jq -r .offer_ref_uri offer.json)" >rx.json \
  || { cat rx.json; echo "FAIL receive"; exit 1; }
KEY=$(head -n 1 var/rp/gov24.api-key)
present() { # one copy of each format used
  curl -fs -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d '{"profile":"resident_full"}' "$V/api/v1/verifications" >session.json || return 1
  wallet --yes present "$(jq -r .deep_link session.json)" >present.json 2>/dev/null
}

n=1; killed=0; spared=0; used=0
while [ "$n" -lt 40 ]; do
  [ "$used" = 1 ] || present || { bad "presentation before kill point $n: $(cat present.json)"; break; }
  used=1
  g0=$(grants)
  (MOBID_WALLET_KILL_AT=$n wallet refresh --force >r.json) 2>/dev/null; rc=$?
  [ "$rc" = 0 ] && break
  if [ "$rc" != 137 ]; then bad "kill point $n: exit $rc $(cat r.json)"; n=$((n + 1)); continue; fi
  killed=$((killed + 1))
  g1=$(grants)
  if [ "$g1" = "$g0" ]; then # before the grant: the next kill point's run opens it again
    ok "killed at step $n, before the grant: nothing spent"
    n=$((n + 1)); continue
  fi
  used=0
  if wallet refresh --force >r.json 2>/dev/null && [ "$(unused)" = 10 ]; then
    g2=$(grants)
    if [ "$g2" = "$g1" ]; then
      spared=$((spared + 1)); ok "killed at step $n after the grant: the next refresh finished it with that grant"
    else
      ok "killed at step $n (grants $g0 -> $g1 -> $g2): the next refresh made the card whole"
    fi
  else
    bad "killed at step $n: $(cat r.json), $(unused) unused"
  fi
  n=$((n + 1))
done
[ "$rc" = 0 ] && [ "$(unused)" = 10 ] && ok "an uninterrupted refresh after the last kill point makes the card whole" \
  || bad "the last refresh: $(cat r.json)"
[ "$killed" -ge 6 ] && ok "$killed kill points exercised" || bad "only $killed kill points"
[ "$spared" -ge 4 ] && ok "$spared kill points after the sealed grant cost no second grant" \
  || bad "only $spared kill points were finished without a new grant"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "a killed refresh keeps its grant and loses no batch"
