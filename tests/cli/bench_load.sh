#!/usr/bin/env bash
# The load tools at small sizes (what they report, not how fast): `mobid bench verifier`
# with two wallets against its in-process verifier, and as a child process; `mobid
# bench pending` parking 20 long-polls while it samples /healthz, creation and whole
# verifications; usage errors. Speed is recorded in docs/benchmarks.md, never asserted.
set -euo pipefail

bin=${MOBID_BIN:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

"$bin" bench verifier --clients 2 --seconds 0.5 --no-baseline --json >"$T/v.json" \
  || bad "bench verifier: $(cat "$T/v.json")"
jq -e '.clients == 2 and .verifications > 0 and .errors == 0 and .errors_by_code == {}
       and .loop_ms.p99 >= .loop_ms.p50 and (.steps_ms | keys | sort) ==
       ["create","fetch","post","result","wallet"] and .verifications_per_s > 0' "$T/v.json" \
  >/dev/null && ok "bench verifier: two wallets, every step timed, no error" \
  || bad "bench verifier JSON: $(cat "$T/v.json")"

"$bin" bench verifier --clients 1 --seconds 0.3 --format mdoc --mode post --child --no-baseline \
  --json >"$T/m.json" || bad "bench verifier --child: $(cat "$T/m.json")"
jq -e '.format == "mdoc" and .response_mode == "direct_post" and .verifications > 0
       and .errors == 0' "$T/m.json" >/dev/null \
  && ok "bench verifier: mdoc, direct_post, verifier as a child" || bad "mdoc: $(cat "$T/m.json")"

"$bin" bench pending --sessions 20 --seconds 0.5 --json >"$T/p.json" \
  || bad "bench pending: $(cat "$T/p.json")"
jq -e '.sessions == 20 and .parked_at_start == 20 and .parked_at_end == 20
       and .verifications > 0 and .verification_errors == 0 and .healthz_errors == 0
       and .server_rss_mb > 0 and .healthz_ms.p99 >= .healthz_ms.p50' "$T/p.json" >/dev/null \
  && ok "bench pending: 20 parked while /healthz and verifications are answered" \
  || bad "bench pending JSON: $(cat "$T/p.json")"

code=0; "$bin" bench verifier --clients 0 2>/dev/null || code=$?
[ "$code" = 2 ] && ok "--clients 0 is a usage error" || bad "--clients 0 exit $code"
code=0; "$bin" bench verifier --target https://x.example 2>/dev/null || code=$?
[ "$code" = 2 ] && ok "--target without --api-key is a usage error" || bad "--target alone exit $code"
code=0; "$bin" bench pending 2>/dev/null || code=$?
[ "$code" = 2 ] && ok "pending without --sessions is a usage error" || bad "pending exit $code"
"$bin" bench pending --help | grep -q -- --sessions && ok "pending --help" || bad "pending --help"
"$bin" bench http --help | grep -q -- --clients && ok "http --help" || bad "http --help"
# every benchmark the list names answers --help with its usage, exit 0, and runs nothing
for name in $("$bin" bench --help | awk '/^benchmarks:/ { on = 1; next } on && NF { print $1 }') verify; do
  out=$("$bin" bench "$name" --help 2>&1) && grep -qi usage <<<"$out" \
    && ok "bench $name --help" || bad "bench $name --help: $out"
done

[ "$fails" = 0 ] || exit 1
