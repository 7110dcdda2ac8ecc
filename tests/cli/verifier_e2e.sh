#!/usr/bin/env bash
# The verifier with the real issuer and wallet: `mobid demo --json` starts `mobid up`
# (issuer, verifier, portal) and drives `mobid wallet`; this script checks the
# verifier's verdicts along the journey — Government 24 verified (with the resident
# registration number), the bank verified with only the claims it is registered for,
# a suspended card refused as SUSPENDED, verified again after resumption and on the
# new phone, the old phone's card refused as REVOKED.
set -euo pipefail

BIN=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cd "$(dirname "$out")"
code=0
"$BIN" demo --json >"$out" 2>/dev/null || code=$?

fails=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
step() { jq -c "select(.name == \"$1\")" "$out"; }
expect() { # NAME PATTERN DESC
    local s
    s=$(step "$1")
    if [ "$(jq -r .ok <<<"$s")" = true ] && grep -q -- "$2" <<<"$(jq -r .detail <<<"$s")"; then
        ok "$3"
    else
        bad "$3: $s"
    fi
}

expect gov24_verifies "resident registration number [0-9]" "Government 24: verified, registration number passed on"
expect bank_verifies "only: family_name,given_name,birth_date,age_over_19$" "bank: only its registered claims"
names=$(jq -r 'select(.name|test("suspend|lost|refused|revoked|old")) | .name' "$out" | tr '\n' ' ')
jq -r '.detail' "$out" | grep -q "failed SUSPENDED" && ok "suspended card refused as SUSPENDED" \
    || bad "no SUSPENDED refusal ($names)"
jq -r '.detail' "$out" | grep -q "failed REVOKED" && ok "old phone's card refused as REVOKED" \
    || bad "no REVOKED refusal ($names)"
[ "$(jq -r 'select(.detail|test("^verified with the card on phone[12].wallet$"))|.ok' "$out" | sort -u)" = true ] \
    && ok "verified again after resumption and on the new phone" || bad "re-verifications"
[ "$code" = 0 ] && ok "the whole journey passed" || bad "mobid demo exited $code"
[ "$fails" = 0 ] || { cat "$out"; exit 1; }
echo "all passed"
