#!/usr/bin/env bash
# The load tool against a running deployment (`mobid bench verifier --target`): a
# `mobid verifier serve` on SQLite with its own PKI, six wallets driven from two threads
# (state machines over one curl multi handle each). Whole loops complete without error;
# when the verifier refuses the relying party's key, or the wallets do not trust the
# relying party, every loop is counted under a stable code of the step that failed and
# the tool still ends and reports. Speed is never asserted here (docs/benchmarks.md).
set -euo pipefail
. "$(dirname "$0")/../common/wait.sh"

bin=${MOBID_BIN:?}
T=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
die() { echo "FAIL - $*"; [ -f "$T/v.log" ] && tail -5 "$T/v.log"; exit 1; }
cd "$T"

"$bin" pki init pki --issuer-url https://issuer.example >/dev/null 2>&1 || die "pki init"
"$bin" pki init other --issuer-url https://issuer.example >/dev/null 2>&1 || die "pki init other"
echo '[{"format":"dc+sd-jwt","type":"urn:mobid:kr:resident_card:1",
        "claims":[["family_name"],["age_over_19"]]}]' >allowed.json
"$bin" pki rp-issue pki --id bank --name "Example Bank" --legal-basis KYC \
  --allowed allowed.json --out rp >/dev/null 2>&1 || die "rp-issue"
openssl rand -hex 32 >seal.hex
KEY=$(openssl rand -hex 24)
jq -n --arg h "$("$bin" verifier hash-key "$KEY")" '{seal_key_file:"seal.hex",
    trust_anchors:["pki/iaca.pem"], registration_anchors:["pki/iaca.pem"],
    relying_parties:[{id:"bank", api_key_sha256:$h, key:"rp/bank.key", cert:"rp/bank.pem",
                      registration:"rp/bank.registration.jwt"}],
    http:{per_client_connections:0}}' >verifier.json
"$bin" verifier serve --db "sqlite:$T/v.db" --listen 127.0.0.1:0 --config verifier.json \
  >v.url 2>v.log &
pid=$!
wait_until test -s v.url || true
URL=$(jq -r .url v.url 2>/dev/null) || die "verifier did not start"
[ -n "$URL" ] && [ "$URL" != null ] || die "verifier printed no URL"

load() { # KEY ROOTS -> JSON of six wallets on two threads
  "$bin" bench verifier --target "$URL" --api-key "$1" --wallet-roots "$2" --clients 6 \
    --threads 2 --seconds 0.5 --no-baseline --json
}

load "$KEY" pki >ok.json || bad "bench verifier: $(cat ok.json)"
jq -e '.clients == 6 and .verifications > 0 and .errors == 0 and .errors_by_code == {}
       and (.steps_ms | keys | sort) == ["create","fetch","post","result","wallet"]
       and .steps_ms.wallet.p50 > 0 and .steps_ms.result.p50 > 0
       and .loop_ms.p99 >= .loop_ms.p50 and .cpu_ms_per_verification.this_process > 0' \
  ok.json >/dev/null && ok "six wallets on two threads: whole loops, every step timed, no error" \
  || bad "six wallets: $(cat ok.json)"

load wrong-key pki >key.json || bad "bench verifier, wrong key: $(cat key.json)"
jq -e '.verifications == 0 and .errors > 0 and (.errors_by_code | keys) == ["create_HTTP_401"]
       and .errors_by_code.create_HTTP_401 == .errors' key.json >/dev/null \
  && ok "a refused API key: every loop counted as create_HTTP_401" || bad "wrong key: $(cat key.json)"

load "$KEY" other >trust.json || bad "bench verifier, other roots: $(cat trust.json)"
jq -e '.verifications == 0 and .errors > 0 and (.errors_by_code | keys | length) == 1
       and (.errors_by_code | keys[0] | startswith("wallet_"))' trust.json >/dev/null \
  && ok "an untrusted relying party: every loop counted under one wallet_ code" \
  || bad "other roots: $(cat trust.json)"

code=0; "$bin" bench verifier --threads 0 2>/dev/null || code=$?
[ "$code" = 2 ] && ok "--threads 0 is a usage error" || bad "--threads 0 exit $code"

kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
[ "$fails" = 0 ] || exit 1
