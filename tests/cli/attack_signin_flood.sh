#!/usr/bin/env bash
# Many simultaneous sign-ins against the running issuer (unknown and known names, each
# from its own source so no per-source lock refuses them before the password check):
# at most max_password_hashes scrypt runs at once (the rest 503 BUSY with Retry-After),
# /healthz answers during the flood, the service's peak memory stays far below one
# 32 MiB hash per request, and the right password still signs in afterwards.
set -euo pipefail

bin=${MOBID_BIN:?}
. "$(dirname "$0")/lib/issuer_serve.sh"
issuer_test_begin signin-flood
issuer_bootstrap || fail "bootstrap"

ISSUER_EXTRA_CONFIG='"trusted_proxies": ["127.0.0.1"], "console": {"max_password_hashes": 2}' \
  issuer_serve_start "$db" || fail "issuer did not start"
admin=$(issuer_admin_token)
[ -n "$admin" ] || fail "admin login"

n=48
mkdir "$tmp/flood"
for i in $(seq $n); do
  curl -s -o /dev/null -w '%{http_code}\n' -H "X-Forwarded-For: 198.51.100.$i" \
    -H 'Content-Type: application/json' \
    -d "{\"username\":\"nobody$i\",\"password\":\"guess number $i\"}" \
    "$url/api/v1/tokens" >"$tmp/flood/$i" &
done
health=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 "$url/healthz")
wait $(jobs -p | grep -v "^$pid\$") 2>/dev/null || true
[ "$health" = 200 ] || fail "/healthz during the flood gave $health"
cat "$tmp/flood"/* | sort | uniq -c
busy=$(cat "$tmp/flood"/* | grep -c '^503$' || true)
denied=$(cat "$tmp/flood"/* | grep -c '^401$' || true)
[ $((busy + denied)) = $n ] || fail "answers other than 401 and 503"
[ "$busy" -gt 0 ] || fail "no 503 BUSY: the hash cap never applied to $n simultaneous sign-ins"

# peak memory: the cap allows 2 hashes of 32 MiB at once; 48 (or the 8 workers) at
# once would be 256 MiB and more. Under ASan freed memory sits in its quarantine, so
# the figure is only checked in a plain build.
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
echo "issuer peak RSS: $((hwm / 1024)) MiB after $n simultaneous sign-ins"
if ! ldd "$bin" 2>/dev/null | grep -q libasan; then
  [ "$hwm" -lt $((200 * 1024)) ] || fail "peak RSS $((hwm / 1024)) MiB"
fi
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")" = 200 ] || fail "/healthz after"
st=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -d "{\"username\":\"minister\",\"password\":\"$admin_pw\"}" "$url/api/v1/tokens")
[ "$st" = 201 ] || fail "the right password after the flood gave $st"
echo "ok: $busy of $n sign-ins refused 503 BUSY, /healthz 200 during and after"
