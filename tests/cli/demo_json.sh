#!/usr/bin/env bash
# mobid demo --json: the whole journey against a fresh `mobid up` it starts itself.
# Every step prints one JSON object with "ok"; all of the issue's steps are there, in
# order; the exit status is 0 only when every step behaved as expected.
set -euo pipefail

BIN=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

fails=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

rc=0
timeout 300 "$BIN" demo --json >"$T/steps.jsonl" 2>"$T/err.txt" || rc=$?
cat "$T/steps.jsonl"

want="system_up application identity_check approval offer wallet_receives gov24_verifies
bank_verifies phone_lost refused_suspended resumed verifies_again new_phone
new_phone_verifies old_phone_refused"
got=$(jq -r .name "$T/steps.jsonl" | tr '\n' ' ' | sed 's/ $//')
[ "$got" = "$(echo $want)" ] && ok "every step of the journey, in order" || bad "steps: $got"
jq -e 'has("ok") and has("says") and (.says | length > 0)' "$T/steps.jsonl" >/dev/null \
    && ok "each step has ok and a plain-words narration" || bad "a step lacks ok or says"
notok=$(jq -r 'select(.ok != true) | "\(.name): \(.detail)"' "$T/steps.jsonl")
[ -z "$notok" ] && ok "every step behaved as expected" || bad "steps not as expected: $notok"
[ "$rc" = 0 ] && ok "exit 0" || { bad "exit $rc"; cat "$T/err.txt"; }
# The exit status follows the steps: 0 exactly when all are ok.
if [ -z "$notok" ] && [ "$rc" != 0 ]; then bad "all ok but exit $rc"; fi
detail() { jq -r --arg n "$1" 'select(.name==$n) | .detail' "$T/steps.jsonl"; }
[[ "$(detail gov24_verifies)" == *900315-2345678* ]] \
    && ok "Government 24 saw the resident registration number" || bad "no registration number shown"
bank=$(detail bank_verifies | sed 's/^the bank received only: //' | tr ',' '\n' | sort | paste -sd, -)
[ "$bank" = "age_over_19,birth_date,family_name,given_name" ] \
    && ok "the bank got name, birth date and age_over_19 only" || bad "bank: $(detail bank_verifies)"
[[ "$(detail refused_suspended)" == *SUSPENDED* ]] && ok "refused as suspended" || bad "not refused as SUSPENDED"

help=$("$BIN" demo --help)
grep -q -- '--json' <<<"$help" && ok "demo --help" || bad "demo --help"
rc=0; "$BIN" demo --bogus >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] && ok "unknown option is a usage error" || bad "unknown option: exit $rc"

[ "$fails" = 0 ] || { echo "$fails failures"; exit 1; }
