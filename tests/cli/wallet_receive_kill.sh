#!/usr/bin/env bash
# Receiving never loses a card. The wallet is killed (SIGKILL, through the
# MOBID_WALLET_KILL_AT test hook) at every step of `mobid wallet receive`: before and
# after each HTTP exchange and each save. Afterwards either the card is in the wallet
# or running receive again with the same link completes it (a pending receipt sealed
# in the vault, or the offer still redeemable). Also: a wrong PIN spends nothing, the
# refusal of a spent offer is one sentence without the raw HTTP body, and without a
# terminal the wallet says which option to use (exit 2).
set -u
bin=${MOBID_BIN:?}
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
command -v setsid >/dev/null || { echo "SKIP: setsid not found"; exit 77; }
"$bin" issuer --help >/dev/null 2>&1 || { echo "SKIP: no issuer in this build"; exit 77; }
. "$(dirname "$0")/lib/issuer_serve.sh"
issuer_test_begin rxkill
ISSUER_EXTRA_CONFIG='"offer":{"lifetime_s":600,"tx_code_attempts":5},"batch_size":3' \
  issuer_serve_start "$db" || { echo "FAIL issuer did not start"; exit 1; }

issuer_claims
echo 135790 >pin
echo 000000 >badpin
offer() { # -> offer.json, $uri, $tx
  "$bin" issuer offer --db "sqlite:$tmp/issuer.db" --config issuer.json \
    --cardtype resident_card --claims claims.json --person 900517-2345678 >offer.json \
    || { echo "FAIL offer"; exit 1; }
  uri=$(jq -r .offer_ref_uri offer.json); tx=$(jq -r .tx_code offer.json)
}
fresh_wallet() { # $1 -> a new empty wallet
  rm -f "$1"
  "$bin" wallet --wallet "$1" --pin-file pin --json init --issuer-roots pki/iaca.pem \
    --rp-roots pki/rp-ca.pem --registration-roots pki/iaca.pem --scrypt-n 16384 >/dev/null \
    || { echo "FAIL wallet init"; exit 1; }
}
receive() { # wallet [pin file] -> exit status; JSON in rx.json
  "$bin" wallet --wallet "$1" --pin-file "${2:-pin}" --json --tx-code "$tx" receive "$uri" \
    >rx.json 2>rx.err
}
held() { # wallet -> number of copies held (both formats)
  "$bin" wallet --wallet "$1" --pin-file pin --json list 2>/dev/null | jq '[.[].total] | add // 0'
}

# ---- a wrong PIN spends nothing
fresh_wallet w.wallet
offer
receive w.wallet badpin; rc=$?
[ "$rc" = 1 ] && jq -e '.error == "PIN_WRONG"' rx.json >/dev/null && grep -q "tries left" rx.err \
  && ok "wrong PIN refused, tries left said" || bad "wrong PIN: $rc $(cat rx.json rx.err)"
receive w.wallet && [ "$(held w.wallet)" = 6 ] && ok "the offer still works after a wrong PIN" \
  || bad "after a wrong PIN: $(cat rx.json)"
# ---- the spent offer: one sentence, no raw body
receive w.wallet; rc=$?
[ "$rc" = 1 ] && jq -e '.error == "FETCH_FAILED" and (.detail | test("no longer has this offer")) and (.detail | test("[{}]") | not)' \
  rx.json >/dev/null && ok "a spent offer is refused in one sentence" || bad "spent offer: $(cat rx.json)"

# ---- without a terminal (setsid: no controlling terminal)
offer
setsid -w "$bin" wallet --wallet w.wallet --tx-code "$tx" receive "$uri" >out 2>err </dev/null; rc=$?
[ "$rc" = 2 ] && grep -q "no terminal to ask the PIN: use --pin-file" err \
  && ok "no terminal: use --pin-file, exit 2" || bad "no terminal: $rc $(cat err)"
receive w.wallet && ok "the offer still works after the missing terminal" || bad "after no tty: $(cat rx.json)"
setsid -w "$bin" wallet --wallet w.wallet --pin-file pin present 'openid4vp://?request_uri=x' \
  >out 2>err </dev/null; rc=$?
# a broken request is refused before consent; what matters is that no terminal is
# never reported as the holder declining
grep -q CONSENT_DENIED err && bad "present without a terminal said CONSENT_DENIED" \
  || ok "present without a terminal is not a refusal by the holder ($rc)"

# ---- SIGKILL at every step
n=1; killed=0
while [ "$n" -lt 60 ]; do
  fresh_wallet k.wallet
  offer
  (MOBID_WALLET_KILL_AT=$n receive k.wallet) 2>/dev/null; rc=$?
  if [ "$rc" = 0 ]; then break; fi
  if [ "$rc" != 137 ]; then bad "step $n: exit $rc $(cat rx.json)"; n=$((n + 1)); continue; fi
  killed=$((killed + 1))
  have=$(held k.wallet)
  if [ "$have" = 6 ]; then
    ok "killed at step $n: the card is in the wallet"
  elif receive k.wallet && [ "$(held k.wallet)" = 6 ]; then
    ok "killed at step $n ($have copies held): receive again completes it"
  else
    bad "killed at step $n: card lost ($have copies, $(cat rx.json))"
  fi
  n=$((n + 1))
done
[ "$killed" -ge 10 ] && ok "$killed kill points exercised" || bad "only $killed kill points"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "every kill point of receive keeps the card"
