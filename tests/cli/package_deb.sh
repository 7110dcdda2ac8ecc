#!/usr/bin/env bash
# The Debian package: cpack makes mobid_<version>_amd64.deb with the binary, libmobid,
# headers, pkg-config, the manual page, examples and three hardened systemd units
# (checked by systemd-analyze verify where it is installed). Unpacked with dpkg -x into
# a scratch root, its binary reports readiness the systemd way (READY=1 on
# $NOTIFY_SOCKET, STOPPING=1 on SIGTERM) and runs the whole journey (`mobid demo`)
# with the source tree hidden. Skips (77) only without dpkg-deb.
set -euo pipefail

src=${MOBID_SOURCE_DIR:?}
build=${MOBID_BUILD_DIR:?}
command -v dpkg-deb >/dev/null || { echo "SKIP: dpkg-deb is not installed" >&2; exit 77; }
. "$src/tests/cli/lib/relocated.sh"
T=$(mktemp -d /tmp/mobid-deb-XXXXXX)
PID=
cleanup() {
  [ -n "$PID" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  stop_all "$T"
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

cpack -G DEB -B "$T/cpack" --config "$build/CPackConfig.cmake" >"$T/cpack.log" 2>&1 \
  || { tail -20 "$T/cpack.log"; exit 1; }
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
deb="$T/cpack/mobid_${version}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] && ok "$(basename "$deb")" || { bad "no $(basename "$deb"): $(ls "$T/cpack")"; exit 1; }
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$T/files"
for f in /usr/bin/mobid /usr/include/mobid/wallet.h /usr/share/man/man1/mobid.1 \
         /usr/lib/systemd/system/mobid-issuer.service /usr/lib/systemd/system/mobid-verifier.service \
         /usr/lib/systemd/system/mobid-portal.service /usr/share/doc/mobid/operations.md \
         /usr/share/doc/mobid/examples/nginx/mobid.conf /usr/share/doc/mobid/examples/verifier.example.json; do
  grep -qx "$f" "$T/files" || bad "the package lacks $f"
done
grep -Eq '/libmobid\.a$' "$T/files" && grep -Eq '/libmobid\.so\.[0-9]' "$T/files" \
  && grep -Eq '/pkgconfig/mobid\.pc$' "$T/files" && ok "binary, libmobid (static and shared), headers, pkg-config, man page, units, examples" \
  || bad "library files missing from the package"
dpkg-deb -f "$deb" Depends | grep -q libmicrohttpd && ok "Depends: $(dpkg-deb -f "$deb" Depends | cut -c1-60)..." \
  || bad "no Depends"
dpkg-deb -e "$deb" "$T/control"
grep -q "adduser --system" "$T/control/postinst" && ok "postinst creates the mobid system user" || bad "postinst"

# ---- the units
dpkg -x "$deb" "$T/root"
R="$T/root"
for u in issuer verifier portal; do
  f="$R/usr/lib/systemd/system/mobid-$u.service"
  for want in "Type=notify" "User=mobid" "ProtectSystem=strict" "NoNewPrivileges=yes" \
              "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" "CapabilityBoundingSet=" \
              "ExecStart=/usr/bin/mobid $u serve"; do
    grep -q "^$want" "$f" || bad "mobid-$u.service lacks $want"
  done
done
grep -q '^StateDirectory=mobid' "$R/usr/lib/systemd/system/mobid-issuer.service" \
  && ok "units: Type=notify, own user, StateDirectory, ProtectSystem=strict, NoNewPrivileges, address families" \
  || bad "issuer unit lacks StateDirectory"
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$T/units"
  for u in issuer verifier portal; do # the binary where it was unpacked, for the existence check
    sed "s|/usr/bin/mobid|$R/usr/bin/mobid|" "$R/usr/lib/systemd/system/mobid-$u.service" \
      >"$T/units/mobid-$u.service"
  done
  if systemd-analyze verify --man=no "$T"/units/*.service >"$T/verify.log" 2>&1; then
    ok "systemd-analyze verify accepts the three units"
  else
    bad "systemd-analyze verify: $(head -5 "$T/verify.log")"
  fi
else
  echo "note: systemd-analyze is not installed; units checked by content only"
fi

# ---- Type=notify: READY=1 once listening, STOPPING=1 on SIGTERM
B=$(free_base) || { echo "no free ports"; exit 1; }
python3 - "$T/notify" >"$T/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(60)
print("bound", flush=True)
got = []
try:
    while "STOPPING=1" not in got:
        got.append(s.recv(4096).decode()); print(got[-1], flush=True)
except socket.timeout:
    pass
PY
LISTENER=$!
for _ in $(seq 100); do grep -q bound "$T/notify.out" && break; sleep 0.1; done
NOTIFY_SOCKET="$T/notify" MOBID_PORTAL_API_KEY=k "$R/usr/bin/mobid" portal serve \
  --listen "127.0.0.1:$B" --verifier http://127.0.0.1:9 >"$T/portal.out" 2>"$T/portal.err" &
PID=$!
for _ in $(seq 300); do grep -q READY=1 "$T/notify.out" && break; sleep 0.1; done
grep -q READY=1 "$T/notify.out" && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$B/")" = 200 ] \
  && ok "READY=1 on NOTIFY_SOCKET, and the portal answers (key from the environment)" \
  || bad "no READY=1: $(cat "$T/notify.out") $(tail -2 "$T/portal.err")"
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
wait "$LISTENER" 2>/dev/null || true
grep -q STOPPING=1 "$T/notify.out" && ok "STOPPING=1 on SIGTERM" || bad "no STOPPING=1"
grep -q '"level":"info","service":"portal","msg":"listening on' "$T/portal.err" \
  && ok "the portal logs JSON lines" || bad "portal log: $(head -2 "$T/portal.err")"

# ---- the journey from the unpacked package, source tree hidden
mkdir -p "$T/home" "$T/run"
cat >"$T/run/demo.sh" <<SH
cd "$T/run"
export HOME="$T/home" TMPDIR="$T/run"
exec timeout 400 "$R/usr/bin/mobid" demo --json
SH
rc=0
hidden "$src" bash "$T/run/demo.sh" >"$T/steps.jsonl" 2>"$T/demo.err" || rc=$?
notok=$(jq -r 'select(.ok != true) | "\(.name): \(.detail)"' "$T/steps.jsonl")
[ "$rc" = 0 ] && [ -z "$notok" ] && [ "$(jq -s length "$T/steps.jsonl")" -ge 15 ] \
  && ok "the journey ($(jq -s length "$T/steps.jsonl") steps) from the unpacked package (source tree hidden: $HIDDEN)" \
  || bad "journey from the package: exit $rc; $notok $(tail -3 "$T/demo.err")"

[ "$fails" = 0 ] || exit 1
