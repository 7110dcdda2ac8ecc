# Sourced by tests/cli/*.sh: one issuer service on SQLite with a fresh PKI, data key,
# offices open since two days and the ministry admin, for the tests
# that attack or drive a single issuer over HTTP (a second office, tokyo, for scoping).
#   issuer_fixture_start [EXTRA_CONFIG_JSON]  sets tmp, url, port, db, issuer_pid and
#       admin_pw; EXTRA_CONFIG_JSON (members without braces) goes into issuer.json
#   issuer_fixture_admin_token                prints a ministry admin API token
#   issuer_fixture_console USER PASSWORD JAR [SOURCE]  signs in through the console form
#       (with its login-CSRF token); prints the HTTP status, the cookies in JAR
#   issuer_fixture_stop                       stops the issuer and removes tmp
#   fail MESSAGE                              stops the test, with the service's last words
#   day N                                     the UTC date N days from today
# The caller sets bin (the mobid binary) first and traps issuer_fixture_stop on EXIT.
source "$(dirname "${BASH_SOURCE[0]}")/free_ports.sh"

fail() { echo "FAIL: $*" >&2; [ -f "${tmp:-}/serve.err" ] && tail -5 "$tmp/serve.err" >&2; exit 1; }
day() { date -u -d "$1 days" +%F; }

issuer_fixture_stop() {
  if [ -n "${issuer_pid:-}" ]; then
    kill "$issuer_pid" 2>/dev/null || true; wait "$issuer_pid" 2>/dev/null || true
  fi
  [ -n "${tmp:-}" ] && rm -rf "$tmp"
}

issuer_fixture_start() {
  local extra=${1:-} day
  tmp=$(mktemp -d /tmp/mobid-issuer-fixture-XXXXXX)
  port=$(free_base)
  url="http://127.0.0.1:$port"
  db="sqlite:$tmp/issuer.db"
  admin_pw="ministry secret pw"
  day=$(date -u -d "-2 days" +%F)
  "$bin" pki init "$tmp/pki" --name "mobid test" --issuer-url "$url" --country KR >/dev/null
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/data.key"
  cat >"$tmp/offices.json" <<JSON
{"offices": [{"id": "los-angeles", "name": "Consulate General in Los Angeles", "country": "US",
  "city": "Los Angeles", "tz": "America/Los_Angeles", "accepts_from": "$day", "wave": 1},
 {"id": "tokyo", "name": "Embassy in Tokyo", "country": "JP", "city": "Tokyo",
  "tz": "Asia/Tokyo", "accepts_from": "$day", "wave": 1}]}
JSON
  cat >"$tmp/issuer.json" <<JSON
{"issuer_url": "$url", "pki_dir": "$tmp/pki", "data_key_file": "$tmp/data.key"${extra:+, $extra}}
JSON
  MOBID_PASSWORD="$admin_pw" "$bin" office bootstrap --db "$db" --user minister \
    --offices "$tmp/offices.json" >/dev/null || return 1
  "$bin" issuer serve --db "$db" --listen "127.0.0.1:$port" --config "$tmp/issuer.json" \
    >"$tmp/serve.out" 2>"$tmp/serve.err" &
  issuer_pid=$!
  # readiness: the service says it listens (no fixed sleep decides anything)
  for _ in $(seq 300); do grep -q listen "$tmp/serve.out" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

issuer_fixture_admin_token() {
  MOBID_PASSWORD="$admin_pw" MOBID_ISSUER_URL="$url" "$bin" office login --user minister |
    sed -n 's/.*"token": *"\([^"]*\)".*/\1/p'
}

issuer_fixture_console() {
  local csrf fwd=()
  [ -n "${4:-}" ] && fwd=(-H "X-Forwarded-For: $4")
  rm -f "$3"
  csrf=$(curl -s -c "$3" "${fwd[@]}" "$url/console/signin" |
    sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
  [ -n "$csrf" ] || { echo "no sign-in form"; return 1; }
  curl -s -o "$tmp/console.b" -D "$tmp/console.h" -w '%{http_code}' -b "$3" -c "$3" "${fwd[@]}" \
    --data-urlencode "csrf=$csrf" --data-urlencode "username=$1" \
    --data-urlencode "password=$2" "$url/console/signin"
}
