#!/usr/bin/env bash
# Floods against a real issuer (`mobid issuer serve`, SQLite), at small sizes: 300
# slowloris connections from 127.0.0.1 (at most 256 per address are kept; /healthz
# from 127.0.0.2 answers meanwhile; every held one ends with 408 or a close at the
# request deadline), a slow /credential body (408 or closed), an oversized body (413),
# a flood of anonymous POST /nonce (429 with Retry-After once the per-address burst is
# spent), and the issuer still serving afterwards. Nothing is timed.
set -euo pipefail

bin=${MOBID_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/issuer_serve.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 is missing" >&2; exit 77; }
python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null \
  || { echo "SKIP: 127.0.0.2 is not a loopback address here" >&2; exit 77; }
issuer_test_begin floods
ISSUER_EXTRA_CONFIG='"nonce_per_second":1,"nonce_burst":5' issuer_serve_start "$db" || fail "issuer did not start"
flood() { python3 "$here/http_flood_client.py" "$@" 127.0.0.1 "$port" 2>&1 || true; }

# --- slowloris: the per-address cap, liveness from elsewhere, the deadline ---
out=$(python3 "$here/http_flood_client.py" slowloris 127.0.0.1 "$port" 300) || fail "slowloris: $out"
echo "slowloris: $out"
python3 - "$out" <<'PY' || fail "slowloris summary: $out"
import json, sys
r = json.loads(sys.argv[1])
assert r["answered_408"] + r["closed"] + r["refused_at_connect"] == 300
assert r["answered_408"] >= 1, "no 408 at the deadline"
PY

# --- slow and oversized bodies ---
out=$(python3 "$here/http_flood_client.py" slowbody 127.0.0.1 "$port" /credential) || fail "slow body: $out"
echo "slow body: $out"
out=$(python3 "$here/http_flood_client.py" oversize 127.0.0.1 "$port" /credential) || fail "oversize: $out"
echo "oversize: $out"

# --- anonymous nonce flood: burst of 5, then 429 with Retry-After ---
ok=0; limited=0
for _ in $(seq 12); do
  code=$(curl -s -o /dev/null -D hdr -w '%{http_code}' -X POST "$url/nonce")
  case "$code" in
    200) ok=$((ok + 1)) ;;
    429) limited=$((limited + 1)); grep -qi '^retry-after: [1-9]' hdr || fail "429 without Retry-After" ;;
    *) fail "nonce flood: HTTP $code" ;;
  esac
done
[ "$ok" -ge 5 ] && [ "$limited" -ge 1 ] || fail "nonce flood: $ok ok, $limited limited"
echo "nonce flood: $ok answered, $limited limited (429)"

# --- still serving ---
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")" = 200 ] || fail "/healthz after the floods"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" = 200 ] || fail "/readyz after the floods"
curl -sf "$url/.well-known/openid-credential-issuer" >/dev/null || fail "metadata after the floods"
kill -0 "$pid" || fail "the issuer died"
echo "http floods: ok"
