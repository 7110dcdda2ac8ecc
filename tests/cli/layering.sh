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
# lib/ modules by layer (docs/architecture.md): a module includes the public headers
# of lower layers only, plus the named neighbours of its own layer. A wrong include
# fails here even where the compiler would take it.
declare -A RANK=([base]=0 [error]=0 [crypto]=0 [kdf]=0 [cbor]=1 [cose]=1 [jose]=1
                 [mdoc]=2 [sdjwt]=2 [statuslist]=2 [trust]=2
                 [oid4vci]=3 [oid4vp]=3 [proximity]=3 [wallet]=3)
declare -A SAME=([base]="error" [cose]="cbor" [crypto]="kdf base error" [wallet]="oid4vci oid4vp proximity")
may_use() { # module dep
  [ "$1" = "$2" ] && return 0
  [ -n "${RANK[$2]:-}" ] || return 1
  [ "${RANK[$2]}" -lt "${RANK[$1]}" ] && return 0
  [[ " ${SAME[$1]:-} " == *" $2 "* ]]
}
for m in $(ls lib); do
  [ -n "${RANK[$m]:-}" ] || { echo "FAIL lib/$m has no layer in this test"; fails=$((fails + 1)); continue; }
  files=$(ls lib/$m/*.[ch] include/mobid/$m.h 2>/dev/null)
  for dep in $(grep -ho '#include <mobid/[a-z0-9_]*\.h>' $files | sed 's/.*mobid\/\(.*\)\.h>/\1/' | sort -u); do
    may_use "$m" "$dep" || { echo "FAIL lib/$m includes mobid/$dep.h (a layer it may not use)"; fails=$((fails + 1)); }
  done
  # another module's internal header only where that module is a lower layer
  for dep in $(grep -ho '#include "[a-z0-9_]*/' $files | sed 's/#include "\(.*\)\//\1/' | sort -u); do
    [ "$dep" = "$m" ] || may_use "$m" "$dep" \
      || { echo "FAIL lib/$m includes an internal header of lib/$dep"; fails=$((fails + 1)); }
  done
done
[ "$fails" = 0 ] && echo "ok   every lib/ module includes only the layers below it"
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "layering: ok"
