#!/usr/bin/env bash
# mobid up tells the truth: with a port of its range taken by another program it says
# which port on the terminal, exits non-zero and writes no up.json (the fresh data
# folder is not pinned to those ports, no bootstrap against the other program). A
# second `mobid up` on the same data folder is refused by the lock while the first
# runs, and writes nothing into the first one's logs; the first keeps running.
set -u
BIN=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
"$BIN" up --help >/dev/null 2>&1 || { echo "SKIP: this mobid has no up"; exit 77; }
. "$(dirname "$0")/lib/up.sh"
up_test_begin up-conflicts
BASE=$(free_base)

# ---- another program holds the verifier's port
python3 - "$((BASE + 1))" >"$T/hold.out" <<'EOF' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); c.close()
EOF
HOLD=$!
PIDS+=("$HOLD")
wait_until -p "$HOLD" grep -q listening "$T/hold.out" || { echo "FAIL the port holder did not start"; exit 1; }
timeout 60 "$BIN" up --dir "$T/var" --port-base "$BASE" >"$T/out" 2>"$T/err"; rc=$?
[ "$rc" != 0 ] && ok "busy port: exit $rc" || bad "busy port: exit 0"
grep -q "port $((BASE + 1)) is in use" "$T/err" && ok "the terminal names port $((BASE + 1))" \
  || bad "no port named: $(cat "$T/err")"
grep -q "healthy" "$T/err" && bad "reported healthy: $(cat "$T/err")" || ok "nothing reported healthy"
[ ! -e "$T/var/up.json" ] && ok "the data folder is not pinned to the busy ports" || bad "up.json written"
timeout 60 "$BIN" up --dir "$T/var" --port-base "$BASE" --json >"$T/out" 2>/dev/null
grep -q '"event":"failed".*in use' "$T/out" && ok "--json: a failed event names the port" \
  || bad "--json: $(cat "$T/out")"
kill "$HOLD"; wait "$HOLD" 2>/dev/null; HOLD=

# ---- a second instance on the same data folder
up_start "$T/events" "$T/up.err" --dir "$T/var" --port-base "$BASE" \
  || { cat "$T/events" "$T/up.err"; echo "FAIL first up not ready"; exit 1; }
# Access lines reach the files at the server's 200 ms tick: let the first instance's
# last lines (its readiness probes) land before the count, five still reads in a row.
log_size() { cat "$T"/var/log/*.log | wc -c; }
still=0 last=-1
logs_settled() {
  local n; n=$(log_size)
  if [ "$n" = "$last" ]; then still=$((still + 1)); else still=0 last=$n; fi
  [ "$still" -ge 5 ]
}
wait_until logs_settled || bad "the first instance's logs never settle"
logs_before=$(log_size)
BASE2=$(free_base)
timeout 60 "$BIN" up --dir "$T/var" --port-base "$BASE2" >"$T/out2" 2>"$T/err2"; rc=$?
[ "$rc" != 0 ] && grep -q "another mobid up (pid $UP_PID) already runs on $T/var" "$T/err2" \
  && ok "second instance refused by the lock, naming the first" || bad "second instance: $rc $(cat "$T/err2")"
grep -q "sign in\|http://" "$T/err2" && bad "second instance printed the banner" || ok "no banner from the second"
logs_after=$(log_size)
[ "$logs_before" = "$logs_after" ] && ok "the first instance's logs untouched" \
  || bad "logs grew by $((logs_after - logs_before)) bytes"
kill -0 "$UP_PID" 2>/dev/null && curl -fs "http://127.0.0.1:$BASE/healthz" >/dev/null \
  && ok "the first instance still runs" || bad "the first instance is gone"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "mobid up reports busy ports and refuses a second instance"
