#!/usr/bin/env bash
# The layers of docs/architecture.md, checked on the source: the command line uses a
# service only through its interface header (never *_int.h or a file-local header of
# another folder); lib/ includes nothing from src/; only lib/crypto includes OpenSSL;
# lib/ calls no file, socket or HTTP function (a transport comes in from src/); and the
# build itself refuses a lib/ module's include of a layer it may not use.
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

# The build enforces the same: each module compiles against a view of the headers of
# the modules it builds on (cmake/modules.cmake), so a wrong include is a compile
# error, not just a finding here. Probe it with each module's own include path: every
# public header of a layer the module may not use must fail to compile, and so must
# another module's internal header; the module's own header must compile.
build=${MOBID_BUILD_DIR:-}
if [ -n "$build" ] && ls "$build"/layers/*.includes >/dev/null 2>&1; then
  probe() { # module, then the line to compile; succeeds when it compiles
    local flags; flags=$(sed 's/^/-I/' "$build/layers/$1.includes")
    # shellcheck disable=SC2086
    printf '%s\n' "$2" | ${CC:-cc} -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
      -E -o /dev/null $flags -x c - 2>&1
  }
  refuses() { # module, line: it fails to compile because the header is not there
    local out; out=$(probe "$1" "$2") && return 1
    grep -q "No such file" <<<"$out"
  }
  probes=0 refused=0
  for inc in "$build"/layers/*.includes; do
    m=$(basename "$inc" .includes)
    probe "$m" "#include <mobid/$m.h>" >/dev/null \
      || { echo "FAIL lib/$m cannot compile its own header mobid/$m.h"; fails=$((fails + 1)); }
    for h in include/mobid/*.h; do
      dep=$(basename "$h" .h)
      may_use "$m" "$dep" && continue
      probes=$((probes + 1))
      if refuses "$m" "#include <mobid/$dep.h>"; then refused=$((refused + 1))
      else echo "FAIL lib/$m compiles with mobid/$dep.h, a layer it may not use"; fails=$((fails + 1)); fi
    done
    for d in $(ls lib); do
      may_use "$m" "$d" && continue
      hdr=$(ls lib/$d/*_internal.h 2>/dev/null | head -1)
      [ -n "$hdr" ] || continue
      probes=$((probes + 1))
      if refuses "$m" "#include \"$d/$(basename "$hdr")\""; then refused=$((refused + 1))
      else echo "FAIL lib/$m compiles with lib/$d's internal $(basename "$hdr")"; fails=$((fails + 1)); fi
    done
  done
  [ "$probes" -gt 0 ] && [ "$refused" = "$probes" ] \
    && echo "ok   the build refuses all $probes wrong includes probed (each module's own flags)"
else
  echo "FAIL no per-module include paths under MOBID_BUILD_DIR/layers (cmake/modules.cmake)"
  fails=$((fails + 1))
fi
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "layering: ok"
