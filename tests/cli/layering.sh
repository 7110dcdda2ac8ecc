#!/usr/bin/env bash
# The layers of docs/architecture.md, checked on the source: the command line uses a
# service only through its interface header (never *_int.h or a file-local header of
# another folder); lib/ includes nothing from src/; only lib/crypto includes OpenSSL;
# lib/ calls no file, socket or HTTP function (a transport comes in from src/).
set -u
: "${MOBID_SOURCE_DIR:?MOBID_SOURCE_DIR must point at the source tree}"
cd "$MOBID_SOURCE_DIR"
fails=0
check() { # name, then the offending lines on stdin
  local out; out=$(cat)
  if [ -n "$out" ]; then echo "FAIL $1:"; echo "$out"; fails=$((fails + 1)); else echo "ok   $1"; fi
}
grep -nE '#include "services/[^"]*(_int|_internal|internal)\.h"' src/cli/*.c src/cli/*.h \
  | check "no CLI file includes a service's internal header"
grep -nE '#include "(http|store|services|cli|qr)/' $(find lib -name '*.[ch]') \
  | check "lib/ includes nothing from src/"
grep -nE '#include <(openssl|curl)/' $(find lib -name '*.[ch]' -not -path 'lib/crypto/*') \
  | check "only lib/crypto includes OpenSSL, and no lib/ file libcurl"
grep -nE '\b(fopen|open|socket|connect|curl_[a-z_]+)\(' $(find lib -name '*.c') \
  | check "lib/ opens no file, socket or URL itself"
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "layering: ok"
