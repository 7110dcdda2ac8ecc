#!/usr/bin/env bash
# An installed mobid works away from its source tree: `cmake --install` with DESTDIR
# into a scratch root under another prefix, the tree copied elsewhere again, then, with
# the source tree hidden (an empty tmpfs over it in a private mount namespace), HOME and
# the working folder elsewhere, `mobid up` from the copy bootstraps and serves the
# office console and the portal with their pages and styles. The installed manual page,
# units, examples and pkg-config file are checked, and a program builds against the
# installed headers and library.
set -euo pipefail

src=${MOBID_SOURCE_DIR:?}
build=${MOBID_BUILD_DIR:?}
. "$src/tests/cli/lib/relocated.sh"
T=$(mktemp -d /tmp/mobid-inst-XXXXXX)
UP_PID=
cleanup() {
  [ -n "$UP_PID" ] && { kill "$UP_PID" 2>/dev/null || true; wait "$UP_PID" 2>/dev/null || true; }
  stop_all "$T"
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

DESTDIR="$T/stage" cmake --install "$build" --prefix /opt/mobid >"$T/install.log" 2>&1 \
  || { tail -20 "$T/install.log"; exit 1; }
mkdir -p "$T/elsewhere" "$T/home" "$T/run"
cp -a "$T/stage/opt/mobid" "$T/elsewhere/"
P="$T/elsewhere/mobid"
for f in bin/mobid include/mobid/base.h share/man/man1/mobid.1 share/doc/mobid/operations.md \
         share/doc/mobid/examples/nginx/mobid.conf share/doc/mobid/examples/issuer.example.json \
         lib/systemd/system/mobid-issuer.service lib/systemd/system/mobid-verifier.service \
         lib/systemd/system/mobid-portal.service; do
  [ -e "$P/$f" ] || bad "not installed: $f"
done
ls "$P"/lib*/libmobid.a "$P"/lib*/libmobid.so.* "$P"/lib*/pkgconfig/mobid.pc >/dev/null \
  && ok "binary, static and shared libmobid, headers, mobid.pc, units, docs, examples installed" \
  || bad "library files missing"
grep -q "^ExecStart=/opt/mobid/bin/mobid issuer serve" "$P/lib/systemd/system/mobid-issuer.service" \
  && ok "units name the installed binary" || bad "unit ExecStart: $(grep ExecStart "$P"/lib/systemd/system/mobid-issuer.service)"
man -l "$P/share/man/man1/mobid.1" 2>/dev/null | grep -q "mobid wallet" \
  && ok "mobid(1) renders and covers every command" || bad "manual page"

# ---- a program against the installed library (pkg-config from the moved tree)
# Every public header, and json_t (jansson) used as the headers use it: mobid.pc must
# name jansson as a public dependency for this to compile and link from pkg-config alone.
{ for h in "$P"/include/mobid/*.h; do echo "#include <mobid/$(basename "$h")>"; done
  cat <<'C'
#include <stdio.h>
int main(void)
{
    json_t *j = json_object();
    json_decref(j);
    puts(mobid_err_name(MOBID_ERR_EXPIRED));
    return 0;
}
C
} >"$T/hello.c"
pc=$(ls -d "$P"/lib*/pkgconfig)
san="" # a sanitizer build's library needs the sanitizer runtime in the program too
grep -q '^MOBID_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" && san="-fsanitize=address,undefined"
if cc $san -o "$T/hello" "$T/hello.c" $(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs mobid) \
     2>"$T/cc.log" && [ "$(LD_LIBRARY_PATH=${pc%/pkgconfig} "$T/hello")" = EXPIRED ]; then
  ok "a program builds and runs against the installed headers and library"
else
  bad "build against the install: $(head -5 "$T/cc.log")"
fi

# ---- mobid up from the copy, with the source tree hidden
B=$(free_base) || { echo "no free ports"; exit 1; }
cat >"$T/run/inside.sh" <<SH
set -e
[ ! -e "$src/CMakeLists.txt" ] || [ "\$1" = visible ] || { echo "source still visible"; exit 3; }
cd "$T/run"
export HOME="$T/home"
exec "$P/bin/mobid" up --dir "$T/var" --port-base $B --json
SH
mode=hidden
unshare -m true 2>/dev/null || unshare -rm true 2>/dev/null || mode=visible
hidden "$src" bash "$T/run/inside.sh" "$mode" >"$T/up.out" 2>"$T/up.err" &
UP_PID=$!
for _ in $(seq 600); do
  grep -q '"event":"ready"' "$T/up.out" 2>/dev/null && break
  kill -0 "$UP_PID" 2>/dev/null || break
  sleep 0.1
done
grep -q '"event":"ready"' "$T/up.out" || { bad "up did not start: $(tail -5 "$T/up.err")"; exit 1; }
[ "$mode" = hidden ] && ok "mobid up bootstrapped from $P with the source tree hidden" \
  || ok "mobid up bootstrapped from $P (source tree visible: no mount namespace)"
I="http://127.0.0.1:$B" PO="http://127.0.0.1:$((B + 2))"
get() { curl -s -o "$T/body" -w '%{http_code} %{content_type}' "$1"; }
[[ "$(get "$I/console/signin")" == "200 text/html"* ]] && grep -q '<form' "$T/body" \
  && ok "console sign-in page" || bad "console sign-in: $(get "$I/console/signin")"
[[ "$(get "$I/console/static/console.css")" == "200 text/css"* ]] \
  && cmp -s "$T/body" "$src/web/console/console.css" \
  && ok "console stylesheet served from the binary" || bad "console.css"
[[ "$(get "$I/console/static/console.js")" == "200 text/javascript"* ]] \
  && ok "console script served" || bad "console.js"
[[ "$(get "$PO/")" == "200 text/html"* ]] && grep -q 'static/portal.js' "$T/body" \
  && ok "portal page" || bad "portal /"
[[ "$(get "$PO/bank")" == "200 text/html"* ]] && ok "bank page" || bad "portal /bank"
[[ "$(get "$PO/static/portal.js")" == "200 text/javascript"* ]] && [ -s "$T/body" ] \
  && ok "portal script served" || bad "portal.js"
[ "$(jq -r 'select(.event=="ready") | .first_start' "$T/up.out")" = true ] \
  && [ "$(jq '.offices | length' "$T/var/offices.json")" -gt 7 ] \
  && ok "offices bootstrapped from the compiled-in etc/offices.example.json" || bad "offices"

[ "$fails" = 0 ] || exit 1
