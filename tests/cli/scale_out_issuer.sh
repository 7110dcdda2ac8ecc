#!/usr/bin/env bash
# The issuer as a fleet: PostgreSQL (scripts/pg-test), two `mobid issuer serve`
# instances and nginx terminating TLS (a CA made for this run) round robin in front.
# Real wallets (`mobid wallet receive --ca-file`) redeem offers through https:// only,
# so the offer, metadata, token, nonce and credential requests of one issuance land on
# both instances (nginx's round robin with one worker is strict, and the runs are
# staggered so credential requests reach each instance). Then one instance is killed
# with SIGKILL: the next wallet is served by the other, and a redeemed code stays
# redeemed. Skips (77) only when nginx or the PostgreSQL server binaries are missing.
set -euo pipefail
. "$(dirname "$0")/../common/wait.sh"

src=${MOBID_SOURCE_DIR:?}
bin=${MOBID_BIN:?}
. "$src/tests/cli/lib/fleet.sh"
fleet_skip_unless_tools

T=$(mktemp -d /tmp/mobid-ifleet-XXXXXX)
chmod 755 "$T" # pg-test runs the server as postgres when we are root
pids=()
cleanup() {
  fleet_nginx_stop "$T/nginx"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  "$src/scripts/pg-test" stop "$T/pg" >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
die() { echo "FAIL - $*"; for f in "$T"/i*.log "$T/nginx/error.log"; do [ -f "$f" ] && tail -5 "$f"; done; exit 1; }
cd "$T"

eval "$("$src/scripts/pg-test" start "$T/pg")"
[ -n "${MOBID_PG_URL:-}" ] || die "pg-test printed no URL"
fleet_ca certs
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >data.key

# ---- the issuer's URL is the balancer's: PKI and config name it, so retry on a taken port
start_fleet() { # LBPORT
  local i url="https://127.0.0.1:$1"
  rm -rf pki
  "$bin" pki init pki --issuer-url "$url" >/dev/null 2>&1 || die "pki init"
  jq -n --arg u "$url" '{issuer_url:$u, pki_dir:"pki", data_key_file:"data.key",
      offer:{lifetime_s:600, tx_code_attempts:5}, batch_size:2}' >issuer.json
  for i in 1 2; do
    "$bin" issuer serve --db "$MOBID_PG_URL" --listen 127.0.0.1:0 --config issuer.json \
      >"i$i.out" 2>"i$i.log" &
    pids+=($!)
    eval "ipid$i=$!"
  done
  for i in 1 2; do
    wait_until grep -q listen "i$i.out" 2>/dev/null || true
    grep -q listen "i$i.out" || die "instance $i did not start"
  done
  up1=$(jq -r .listen i1.out | sed 's|http://||'); up2=$(jq -r .listen i2.out | sed 's|http://||')
  fleet_nginx "$T/nginx" "$T/certs" "$1" "$up1" "$up2"
}
for _ in 1 2 3 4 5; do
  LB=$((20000 + RANDOM % 12700))
  start_fleet "$LB" && break
  fleet_nginx_stop "$T/nginx"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  pids=(); LB=
done
[ -n "$LB" ] || die "nginx did not start"
URL="https://127.0.0.1:$LB"
ok "PostgreSQL, two issuers ($up1, $up2) and nginx on $URL"

cat >claims.json <<'JSON'
{"family_name":"Kim","given_name":"Minji","family_name_national_character":"김","given_name_national_character":"민지",
 "birth_date":"1990-05-17","sex":2,"resident_registration_number":"900517-2345678",
 "nationality":"KR","resident_country":"DE","residence_status":"permanent",
 "passport_number":"M12345678","issuing_office":"berlin"}
JSON
echo 583102 >pin
issued() { # instance -> credentials it issued
  curl -s "http://$1/metrics" | awk '/^mobid_issuer_credentials_issued_total/ { s += $NF } END { print s + 0 }'
}
receive() { # N -> wallet N redeems a fresh offer through nginx; offer in offerN.json
  local w="w$1.wallet"
  "$bin" issuer offer --db "$MOBID_PG_URL" --config issuer.json --cardtype resident_card \
    --claims claims.json --person "9005$1-2345678" >"offer$1.json" || die "offer $1"
  "$bin" wallet --wallet "$w" --pin-file pin --json init --issuer-roots pki/iaca.pem \
    --rp-roots pki/rp-ca.pem --registration-roots pki/iaca.pem --scrypt-n 16384 >/dev/null \
    || die "wallet init $1"
  "$bin" wallet --wallet "$w" --pin-file pin --json --ca-file certs/ca.pem \
    --tx-code "$(jq -r .tx_code "offer$1.json")" receive "$(jq -r .offer_ref_uri "offer$1.json")" \
    >"recv$1.json"
}

# ---- without the CA the wallet does not trust the fleet
"$bin" issuer offer --db "$MOBID_PG_URL" --config issuer.json --cardtype resident_card \
  --claims claims.json --person 900500-2345678 >offer0.json || die "offer 0"
"$bin" wallet --wallet w0.wallet --pin-file pin --json init --issuer-roots pki/iaca.pem \
  --rp-roots pki/rp-ca.pem --registration-roots pki/iaca.pem --scrypt-n 16384 >/dev/null
code=0
"$bin" wallet --wallet w0.wallet --pin-file pin --json --tx-code "$(jq -r .tx_code offer0.json)" \
  receive "$(jq -r .offer_ref_uri offer0.json)" >recv0.json 2>/dev/null || code=$?
[ "$code" = 1 ] && jq -e '.error == "FETCH_FAILED"' recv0.json >/dev/null \
  && ok "a wallet without --ca-file refuses the private CA" || bad "without --ca-file: $code $(cat recv0.json)"

# ---- three wallets, staggered by one request so credential requests reach both
for n in 1 2 3; do
  [ "$n" = 3 ] && curl -s -o /dev/null --cacert certs/ca.pem "$URL/healthz"
  receive "$n" && ok "wallet $n received through nginx" || bad "receive $n: $(cat "recv$n.json")"
done
c1=$(issued "$up1"); c2=$(issued "$up2")
total=$(jq -s '[.[].received[].count] | add' recv1.json recv2.json recv3.json)
[ "$c1" -gt 0 ] && [ "$c2" -gt 0 ] && ok "both instances issued credentials ($c1 + $c2)" \
  || bad "issued per instance: $c1, $c2"
[ $((c1 + c2)) = "$total" ] && ok "$total credentials in the wallets, as many issued" \
  || bad "$c1 + $c2 issued, $total received"

# ---- SIGKILL one instance: the next wallet is served by the other
kill -9 "$ipid1"
wait "$ipid1" 2>/dev/null || true
receive 4 && ok "wallet 4 received with one instance down" || bad "after the kill: $(cat recv4.json)"
[ "$(issued "$up2")" -gt "$c2" ] && ok "the surviving instance issued" || bad "no issuance after the kill"
# A redeemed pre-authorized code stays redeemed on whichever instance answers.
pac=$(jq -r '.credential_offer.grants["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]' offer1.json)
curl -s --cacert certs/ca.pem -X POST "$URL/token" \
  --data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code" \
  --data-urlencode "pre-authorized_code=$pac" --data-urlencode "tx_code=$(jq -r .tx_code offer1.json)" \
  | jq -e '.error == "invalid_grant"' >/dev/null && ok "a redeemed code is refused after the kill" \
  || bad "redeemed code accepted again"

[ "$fails" = 0 ] || exit 1
