#!/usr/bin/env bash
# mobid wallet serve without a browser: nothing served without the launch secret, the
# session cookie and the CSRF token, first start with a PIN twice, wrong PINs with the
# tries left, errors as stable codes, delete after a confirmation, a second opening
# replacing the first session. The journey in Chromium is web_wallet_app.sh.
set -euo pipefail
: "${MOBID_BIN:?MOBID_BIN must point to the mobid binary}"
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$MOBID_BIN" wallet --help | grep -q "serve" || fail "--help names serve"
"$MOBID_BIN" pki init "$tmp/pki" >/dev/null 2>&1 || fail "pki init"
set +e
MOBID_WALLET_APP_SECRET=short "$MOBID_BIN" wallet --wallet "$tmp/w" serve --listen 127.0.0.1:0 \
    >/dev/null 2>&1; rc=$?
set -e
[ "$rc" = 1 ] || fail "a too short secret: exit $rc, want 1"

"$MOBID_BIN" wallet --wallet "$tmp/phone.wallet" --issuer-roots "$tmp/pki/iaca.pem" \
    --rp-roots "$tmp/pki/rp-ca.pem" --registration-roots "$tmp/pki/iaca.pem" --scrypt-n 16384 \
    serve --listen 127.0.0.1:0 >"$tmp/out" 2>"$tmp/err" &
pid=$!
. "$(dirname "$0")/../common/wait.sh"
wait_until -p "$pid" grep -q '"url"' "$tmp/out" || true
open=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$tmp/out")
[ -n "$open" ] || fail "no {\"url\":...} line: $(cat "$tmp/err")"
base=${open%%/open*}
case "$open" in "$base"/open\?k=?????????????????*) ;; *) fail "url with a secret: $open" ;; esac

code() { curl -s -o "$tmp/body" -w '%{http_code}' "$@"; }
[ "$(code "$base/")" = 403 ] || fail "/ without a session"
[ "$(code "$base/static/wallet.js")" = 403 ] || fail "a static file without a session"
[ "$(code "$base/api/state")" = 401 ] || fail "the API without a session"
grep -q '"UNAUTHENTICATED"' "$tmp/body" || fail "its code: $(cat "$tmp/body")"
[ "$(code "$base/open?k=${open##*k=}x")" = 403 ] || fail "a wrong secret"
[ "$(code "$base/healthz")" = 200 ] || fail "/healthz stays open"

curl -s -D "$tmp/h" -c "$tmp/jar" -o /dev/null "$open"
grep -q '^HTTP/1.1 303' "$tmp/h" && grep -qi '^location: /' "$tmp/h" || fail "open: 303 to /"
grep -qi '^set-cookie: mobid_wallet=.*HttpOnly' "$tmp/h" && grep -qi 'SameSite=Strict' "$tmp/h" ||
    fail "session cookie flags: $(grep -i set-cookie "$tmp/h")"
curl -s -D "$tmp/h" -b "$tmp/jar" "$base/" >"$tmp/index"
grep -qi "^content-security-policy: default-src 'none'; script-src 'self'" "$tmp/h" || fail "CSP"
grep -qi '^cache-control: no-store' "$tmp/h" || fail "no-store"
grep -qiE ' on[a-z]+=|<script>|style=' "$tmp/index" && fail "inline script, style or handler"
grep -q 'for="pin-new"' "$tmp/index" || fail "labelled PIN input"

csrf=$(curl -s -b "$tmp/jar" "$base/api/state" | sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p')
[ -n "$csrf" ] || fail "state gives the CSRF token"
post() { curl -s -o "$tmp/body" -w '%{http_code}' -b "$tmp/jar" -H "X-CSRF-Token: $csrf" \
         -H 'Content-Type: application/json' -d "$2" "$base$1"; }
[ "$(curl -s -o "$tmp/body" -w '%{http_code}' -b "$tmp/jar" -H 'Content-Type: application/json' \
     -d '{"pin":"482916","pin2":"482916"}' "$base/api/init")" = 403 ] || fail "init without CSRF"
grep -q '"CSRF"' "$tmp/body" || fail "its code"
[ ! -e "$tmp/phone.wallet" ] || fail "a refused post made a wallet"
[ "$(post /api/init '{"pin":"482916","pin2":"482917"}')" = 400 ] || fail "two PINs"
case "$(post /api/init '{"pin":"123456","pin2":"123456"}')" in 4??) ;; *) fail "weak PIN: $(cat "$tmp/body")" ;; esac
grep -q '"PIN_TOO_WEAK"' "$tmp/body" || fail "its code: $(cat "$tmp/body")"
[ "$(post /api/init '{"pin":"482916","pin2":"482916"}')" = 200 ] || fail "init: $(cat "$tmp/body")"
[ "$(stat -c %a "$tmp/phone.wallet")" = 600 ] && [ -s "$tmp/phone.wallet.key" ] || fail "wallet 0600 and its device key"
grep -q '"unlocked":true' "$tmp/body" || fail "open after the first start"
[ "$(post /api/lock '{}')" = 200 ] || fail "lock"
[ "$(code -b "$tmp/jar" "$base/api/cards")" = 401 ] || fail "cards after lock: $(cat "$tmp/body")"
[ "$(post /api/unlock '{"pin":"000000"}')" = 403 ] || fail "wrong PIN"
grep -q '"PIN_WRONG".*4 tries left' "$tmp/body" || fail "tries left: $(cat "$tmp/body")"
[ "$(post /api/unlock '{"pin":"482916"}')" = 200 ] || fail "unlock"
[ "$(code -b "$tmp/jar" "$base/api/cards")" = 200 ] && grep -q '"cards":\[\]' "$tmp/body" || fail "no cards"
case "$(post /api/present/check '{"uri":"https://example.org/"}')" in 4??) ;; *) fail "not a request link: $(cat "$tmp/body")" ;; esac
grep -q '"MALFORMED"' "$tmp/body" || fail "its code: $(cat "$tmp/body")"
[ "$(post /api/present '{"uri":"openid4vp://x","pin":"482916"}')" = 400 ] || fail "present before check"
case "$(curl -s -o "$tmp/body" -w '%{http_code}' -b "$tmp/jar" -H "X-CSRF-Token: $csrf" \
     -H 'Content-Type: image/png' --data-binary 'not a png' "$base/api/qr")" in 4??) ;; *) fail "bad QR image" ;; esac
grep -q '"MALFORMED"' "$tmp/body" || fail "its code: $(cat "$tmp/body")"
[ "$(post /api/delete '{}')" = 400 ] && [ -e "$tmp/phone.wallet" ] || fail "delete without confirmation"
[ "$(post /api/delete '{"confirm":"delete"}')" = 200 ] || fail "delete"
[ ! -e "$tmp/phone.wallet" ] && [ ! -e "$tmp/phone.wallet.key" ] || fail "the wallet and its key are gone"

# opening the link again replaces the session: the old cookie is refused
cp "$tmp/jar" "$tmp/old"
curl -s -c "$tmp/jar" -o /dev/null "$open"
[ "$(code -b "$tmp/old" "$base/api/state")" = 401 ] || fail "the old session after a new opening"
[ "$(code -b "$tmp/jar" "$base/api/state")" = 200 ] || fail "the new session"
echo "wallet serve: secret, session, CSRF, PIN, codes and delete hold"
