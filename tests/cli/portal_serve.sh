#!/usr/bin/env bash
# mobid portal serve: usage errors, key files only their owner may read, the pages
# with their security headers, the
# start endpoint refusing a cross-site form post, and a clear 502 when the
# verifier is down. The whole journey with a real verifier is in web_browser.sh.
set -euo pipefail
: "${MOBID_BIN:?MOBID_BIN must point to the mobid binary}"
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$MOBID_BIN" portal serve --help | grep -q -- "--bank-api-key" || fail "--help"
set +e
"$MOBID_BIN" portal serve --api-key k 2>/dev/null; rc=$?
[ "$rc" = 2 ] || fail "missing --verifier: exit $rc, want 2"
"$MOBID_BIN" portal serve --verifier ftp://x --api-key k 2>/dev/null; rc=$?
[ "$rc" = 2 ] || fail "non-http verifier: exit $rc, want 2"
echo k >"$tmp/gov.key"; echo b >"$tmp/bank.key"; chmod 644 "$tmp/gov.key"; chmod 600 "$tmp/bank.key"
"$MOBID_BIN" portal serve --verifier http://127.0.0.1:9 --api-key-file "$tmp/gov.key" 2>"$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -q 'may be read by others' "$tmp/err" || fail "a 0644 key file: exit $rc, $(cat "$tmp/err")"
"$MOBID_BIN" portal serve --verifier http://127.0.0.1:9 --api-key-file "$tmp/none.key" 2>/dev/null; rc=$?
[ "$rc" = 2 ] || fail "a missing key file: exit $rc, want 2"
chmod 600 "$tmp/gov.key"
set -e

# a verifier URL where nothing listens (the keys from 0600 files)
"$MOBID_BIN" portal serve --listen 127.0.0.1:0 --verifier http://127.0.0.1:9 \
    --api-key-file "$tmp/gov.key" --bank-api-key-file "$tmp/bank.key" >"$tmp/out" 2>"$tmp/err" &
pid=$!
. "$(dirname "$0")/../common/wait.sh"
wait_until -p "$pid" grep -q '"url"' "$tmp/out" || true
url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$tmp/out")
[ -n "$url" ] || fail "no {\"url\":...} line"

curl -si "$url/" >"$tmp/gov"
grep -qi '^content-security-policy: default-src .none.; script-src .self.' "$tmp/gov" || fail "CSP on /"
grep -qi '^x-content-type-options: nosniff' "$tmp/gov" || fail "nosniff on /"
grep -q 'Verify with Mobile ID' "$tmp/gov" || fail "gov page"
grep -qiE 'on(click|load|error)=' "$tmp/gov" && fail "inline event handler on /"
curl -s "$url/bank" | grep -q 'age_over_19\|19 or older' || fail "bank page"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/static/..%2f..%2fetc%2fpasswd")" = 404 ] || fail "traversal"

code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d 'x=1' "$url/api/v1/start/gov")
[ "$code" = 415 ] || fail "form post to start: $code, want 415"
curl -s -X POST -H 'Content-Type: application/json' -d '{}' "$url/api/v1/start/gov" >"$tmp/start"
grep -q '"BAD_GATEWAY"' "$tmp/start" || fail "verifier down: $(cat "$tmp/start")"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/result?site=gov&ticket=abc.def")
[ "$code" = 404 ] || fail "forged ticket: $code, want 404"

kill "$pid"; wait "$pid" || true; pid=
echo "portal serve: ok"
