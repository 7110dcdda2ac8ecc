#!/usr/bin/env bash
# A verifier fleet as deployed at scale: PostgreSQL (scripts/pg-test), two
# `mobid verifier serve` instances, and nginx terminating TLS (a CA made for this run)
# and balancing round robin in front of them. Wallets and the relying party go through
# https:// only (`mobid bench verifier --target ... --ca-file`), so every step of a
# verification (creation, request object, response, result) may land on either
# instance; both must have served. Then one instance is killed with SIGKILL under
# load: the other carries on, every verification the store holds as verified was
# handed over exactly once, and none stays answered but unverified.
# Skips (77) only when nginx or the PostgreSQL server binaries are missing.
# As a benchmark (docs/benchmarks.md): MOBID_FLEET_CLIENTS=64 MOBID_FLEET_SECONDS=10
# make step 1 that size and print its JSON.
set -euo pipefail
. "$(dirname "$0")/../common/wait.sh"

src=${MOBID_SOURCE_DIR:?}
bin=${MOBID_BIN:?}
. "$src/tests/cli/lib/fleet.sh"
fleet_skip_unless_tools

T=$(mktemp -d /tmp/mobid-fleet-XXXXXX)
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
die() { echo "FAIL - $*"; for f in "$T"/v*.log "$T/nginx/error.log"; do [ -f "$f" ] && tail -5 "$f"; done; exit 1; }
cd "$T"

eval "$("$src/scripts/pg-test" start "$T/pg")"
[ -n "${MOBID_PG_URL:-}" ] || die "pg-test printed no URL"

# ---- PKI, a relying party allowed name and age, the verifier's configuration
"$bin" pki init pki --issuer-url https://issuer.example >/dev/null 2>&1 || die "pki init"
echo '[{"format":"dc+sd-jwt","type":"urn:mobid:kr:resident_card:1",
        "claims":[["family_name"],["age_over_19"]]}]' >allowed.json
"$bin" pki rp-issue pki --id bank --name "Example Bank" --legal-basis KYC \
  --allowed allowed.json --out rp >/dev/null 2>&1 || die "rp-issue"
openssl rand -hex 32 >seal.hex
API_KEY=$(openssl rand -hex 24)
jq -n --arg h "$("$bin" verifier hash-key "$API_KEY")" '{seal_key_file:"seal.hex",
    trust_anchors:["pki/iaca.pem"], registration_anchors:["pki/iaca.pem"],
    relying_parties:[{id:"bank", api_key_sha256:$h, key:"rp/bank.key", cert:"rp/bank.pem",
                      registration:"rp/bank.registration.jwt"}]}' >verifier.json
fleet_ca certs

# ---- two instances behind nginx; their public URL is the balancer's
start_fleet() { # LBPORT
  local i
  for i in 1 2; do
    "$bin" verifier serve --db "$MOBID_PG_URL" --listen 127.0.0.1:0 --config verifier.json \
      --public-url "https://127.0.0.1:$1" >"v$i.url" 2>"v$i.log" &
    pids+=($!)
    eval "vpid$i=$!"
  done
  for i in 1 2; do
    wait_until test -s "v$i.url" || true
    [ -s "v$i.url" ] || die "instance $i did not start"
  done
  up1=$(jq -r .url v1.url | sed 's|http://||'); up2=$(jq -r .url v2.url | sed 's|http://||')
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
ok "PostgreSQL, two instances ($up1, $up2) and nginx on $URL"

# Plain http to the balancer's TLS port is refused; https without our CA is not trusted.
curl -s -o /dev/null "$URL/healthz" && bad "https without the CA trusted" || ok "https needs the run's CA"

responses() { # instance -> verifications it processed (all outcomes)
  curl -s "http://$1/metrics" | awk '/^mobid_verifier_responses_total/ { s += $NF } END { print s + 0 }'
}
requests() { # instance -> HTTP requests it served
  curl -s "http://$1/metrics" | awk '/^mobid_http_requests_total/ { s += $NF } END { print s + 0 }'
}
bench() { # CLIENTS SECONDS -> JSON of mobid bench verifier on stdout
  "$bin" bench verifier --target "$URL" --api-key "$API_KEY" --wallet-roots pki \
    --ca-file certs/ca.pem --clients "$1" --seconds "$2" --no-baseline --json
}

# ---- 1. every step may land on either instance
bench "${MOBID_FLEET_CLIENTS:-2}" "${MOBID_FLEET_SECONDS:-1}" >run1.json || die "bench: $(cat run1.json)"
[ -z "${MOBID_FLEET_CLIENTS:-}" ] || jq -c . run1.json
n1=$(jq .verifications run1.json)
[ "$n1" -gt 0 ] && [ "$(jq .errors run1.json)" = 0 ] && ok "$n1 verifications through nginx, no error" \
  || bad "through nginx: $(cat run1.json)"
r1=$(responses "$up1"); r2=$(responses "$up2")
[ "$r1" -gt 0 ] && [ "$r2" -gt 0 ] && ok "both instances verified responses ($r1 + $r2)" \
  || bad "responses per instance: $r1, $r2"
[ $((r1 + r2)) -ge "$n1" ] && ok "the instances together processed every response" \
  || bad "$r1 + $r2 responses for $n1 verifications"

# ---- 2. SIGKILL one instance under load
bench 4 6 >run2.json &
bpid=$!
before=$(responses "$up2")
progressing() { [ "$(responses "$up2")" -gt $((before + 5)) ]; }
wait_until -p "$bpid" progressing || true
kill -9 "$vpid1"
wait "$vpid1" 2>/dev/null || true
at_kill=$(responses "$up2")
wait "$bpid" || die "bench under kill: $(cat run2.json)"
after=$(responses "$up2")
n2=$(jq .verifications run2.json); e2=$(jq .errors run2.json)
[ "$after" -gt "$at_kill" ] && ok "the surviving instance carried on ($at_kill -> $after responses)" \
  || bad "no progress after the kill ($at_kill -> $after)"
# Only requests in flight on the killed instance can fail: at most one per wallet.
[ "$e2" -le 4 ] && ok "$n2 verifications, $e2 failed in flight at the kill" \
  || bad "errors under kill: $(jq -c .errors_by_code run2.json)"

# ---- 3. nothing lost, nothing handed over twice
psql -Atq "$MOBID_PG_URL" -c "SELECT id, status FROM verifier_sessions" >sessions.txt \
  || die "psql"
verified=$(awk -F'|' '$2 == "verified"' sessions.txt | wc -l)
done_loops=$((n1 + n2))
[ "$verified" -ge "$done_loops" ] && [ "$verified" -le $((done_loops + e2)) ] \
  && ok "$verified verified in the store for $done_loops completed loops (+ $e2 in flight)" \
  || bad "$verified verified in the store, $done_loops loops completed, $e2 failed"
# One curl for all of them (kept-alive): each answer on a line of its own. The first
# read may still hand over the claims of a loop that failed in flight before its result
# step (at most one per failure); a second read must never hand any over.
awk -F'|' -v u="$URL" '$2 == "verified" { print "url = \"" u "/api/v1/verifications/" $1 "\"" }' \
  sessions.txt >urls.cfg
reread() {
  curl -s --cacert certs/ca.pem -H "Authorization: Bearer $API_KEY" -w '\n' -K urls.cfg >"$1"
  [ "$(grep -c . "$1")" = "$verified" ] || bad "re-read $(grep -c . "$1") of $verified"
}
reread first.txt
late=$(jq -c 'select(has("claims"))' first.txt | wc -l)
[ "$late" -le "$e2" ] && ok "$late verified sessions still held their claims ($e2 loops failed in flight)" \
  || bad "$late sessions still held claims, only $e2 loops failed"
reread again.txt
twice=$(jq -c 'select(.status != "verified" or .claims_delivered != true or has("claims"))' \
  again.txt | wc -l)
[ "$twice" = 0 ] && ok "no verified session hands its claims over a second time" \
  || bad "$twice sessions handed claims over again"
[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert certs/ca.pem "$URL/healthz")" = 200 ] \
  && ok "the fleet is healthy with one instance" || bad "healthz through nginx"

[ "$fails" = 0 ] || exit 1
