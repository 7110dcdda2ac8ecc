#!/usr/bin/env bash
# The logs keep no secrets: after the whole journey (`mobid demo`) at the most verbose
# level, no log of any service, the bootstrap or the wallet holds the resident
# registration number, a password, an API key, the tx_code, a nonce or state (issuer
# c_nonces, verifier request nonces), and no word of the logs hashes to a stored access
# token, API token, console session or pre-authorized code. The services' lines are JSON
# with the fields operators rely on, and paths appear as route patterns (no ids).
set -euo pipefail

bin=${MOBID_BIN:?}
T=$(mktemp -d /tmp/mobid-logs-XXXXXX)
D=
cleanup() { [ -n "$D" ] && rm -rf "$D"; rm -rf "$T"; }
trap cleanup EXIT
fails=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

rc=0
MOBID_LOG_LEVEL=debug timeout 400 "$bin" demo --json --keep >"$T/steps.jsonl" 2>"$T/err.txt" || rc=$?
D=$(jq -r 'select(.name=="system_up") | .detail' "$T/steps.jsonl" | sed -n 's/.*data in \([^ ]*\).*/\1/p')
[ "$rc" = 0 ] && [ -d "$D/log" ] && ok "the journey ran ($(jq -s length "$T/steps.jsonl") steps), logs in $D/log" \
  || { bad "demo: exit $rc $(tail -3 "$T/err.txt")"; exit 1; }
logs=("$D"/log/*.log)
[ "${#logs[@]}" -ge 4 ] && ok "${#logs[@]} logs: $(cd "$D/log" && echo *.log)" || bad "too few logs"

# ---- known secrets, by value
secrets="$T/secrets"
{
  echo "900315-2345678"                                             # resident registration number
  jq -r '.accounts[].password' "$D/one-time-passwords.json"       # the unused ones
  cat "$D"/rp/*.api-key
  jq -r 'select(.name=="offer") | .detail' "$T/steps.jsonl" | grep -oE '[0-9]{4,8}$'  # tx_code
  python3 - "$D" <<'PY'
import sqlite3, sys
d = sys.argv[1]
for db, sql in (("issuer.db", "SELECT nonce FROM issuer_nonces"),
                ("verifier.db", "SELECT nonce FROM verifier_sessions"),
                ("verifier.db", "SELECT state FROM verifier_sessions")):
    for (v,) in sqlite3.connect(f"{d}/{db}").execute(sql):
        print(v)
PY
} | grep -v '^$' | sort -u >"$secrets"
n=$(wc -l <"$secrets")
[ "$(grep -c '^[0-9]\{4,8\}$' "$secrets")" -ge 1 ] && [ "$n" -ge 10 ] \
  && ok "$n secrets known by value (RRN, passwords, API keys, tx_code, nonces, states)" \
  || bad "too few secrets collected ($n)"
found=$(grep -F -o -f "$secrets" "${logs[@]}" | head -5 || true)
[ -z "$found" ] && ok "none of them is in any log" || bad "secrets in the logs: $found"

# ---- secrets stored only as hashes: hash every word of the logs and look it up
python3 - "$D" "${logs[@]}" >"$T/hashed.txt" <<'PY'
import hashlib, re, sqlite3, sys
d, logs = sys.argv[1], sys.argv[2:]
db = sqlite3.connect(f"{d}/issuer.db")
stored = set()
for sql in ("SELECT token_hash FROM issuer_access_tokens", "SELECT token_hash FROM issuer_api_tokens",
            "SELECT session_hash FROM issuer_sessions", "SELECT code_hash FROM issuer_offers"):
    stored |= {r[0] for r in db.execute(sql)}
words = set()
for f in logs:
    words |= set(re.findall(r"[A-Za-z0-9_.~+/=-]{16,}", open(f, errors="replace").read()))
hits = [w for w in words if hashlib.sha256(w.encode()).hexdigest() in stored]
print(len(stored), len(words), *hits)
PY
read -r nstored nwords hits <"$T/hashed.txt" || true
[ "$nstored" -ge 3 ] && [ -z "${hits:-}" ] \
  && ok "no word of the logs ($nwords) is a stored access token, API token, session or code ($nstored hashes)" \
  || bad "stored secrets in the logs: ${hits:-} (of $nstored)"

# ---- no secret-bearing field or header was written at all
names=$(grep -Eoi '"(password|tx_code|access_token|pre-authorized_code|c_nonce|nonce|api_key|authorization|cookie)"|bearer [A-Za-z0-9]' "${logs[@]}" | head -3 || true)
[ -z "$names" ] && ok "no password, code, token, nonce, cookie or Authorization field in the logs" \
  || bad "secret-bearing fields logged: $names"

# ---- the services' lines are the JSON operators rely on
for s in issuer verifier; do
  jq -e -R 'fromjson? | select(.method) | has("ts") and has("level") and has("service")
            and has("request_id") and has("path") and has("status") and has("ms")' \
    "$D/log/$s.log" | grep -q true && ok "$s: JSON access lines (ts, level, service, request_id, method, path, status, ms)" \
    || bad "$s: no JSON access lines"
done
paths=$(cat "$D"/log/issuer.log "$D"/log/verifier.log | jq -R -r 'fromjson? | .path // empty' | sort -u)
# An id is a long segment with capitals, digits or '_' (the ids are random base64url).
ids=$(python3 -c 'import re,sys
print(" ".join(p for p in sys.stdin.read().split() for g in p.split("/")
      if len(g) >= 16 and re.fullmatch(r"[A-Za-z0-9_-]+", g) and re.search(r"[A-Z0-9_]", g)))' <<<"$paths")
grep -q '{id}' <<<"$paths" && [ -z "$ids" ] \
  && ok "paths are logged as route patterns, without the ids they carry" \
  || bad "ids in logged paths: $ids"

[ "$fails" = 0 ] || exit 1
