# The one helper of the tests/cli/*.sh that drive a `mobid issuer serve`: sourced after
# the caller sets bin (the mobid binary). Everything happens in a temporary folder that
# becomes the current directory; the PKI and the configuration name the issuer's URL,
# so a start that finds its port taken makes them again on another.
#   issuer_test_begin NAME   tmp (cd there; NAME only names it), db (SQLite inside, or
#                            $ISSUER_DB), an EXIT trap that stops the service and
#                            every process in PIDS and removes tmp (KEEP=1 keeps tmp)
#   PIDS+=($!)               another process the test starts, stopped on exit
#   issuer_serve_start DB    pki/, data.key, issuer.json (members of
#                            $ISSUER_EXTRA_CONFIG added: "\"a\":1,\"b\":2") and the
#                            service on a free port; sets port, url, pid
#   issuer_serve DB [CONFIG] (re)start on $port with the files made (CONFIG: another
#                            issuer.json); false if it did not come up
#   issuer_serve_stop
#   issuer_bootstrap         offices.json (los-angeles and tokyo, open since two days)
#                            and the ministry admin `minister` with password $admin_pw
#   issuer_admin_token       prints a token of the ministry admin
#   issuer_console USER PASSWORD JAR [SOURCE]   signs in through the console form (with
#                            its login-CSRF token); prints the HTTP status, cookies in JAR
#   issuer_claims [RRN]      claims.json of the usual applicant (RRN: another number)
#   fail MESSAGE             stops the test, with the service's last words
#   ok MESSAGE, bad MESSAGE  a check passed, or failed and counted in fails (the test
#                            ends with [ "$fails" = 0 ])
#   day N                    the UTC date N days from today
# Output of the service goes to serve.out and serve.err in tmp.
here_issuer_serve=$(dirname "${BASH_SOURCE[0]}")
. "$here_issuer_serve/../../common/free_ports.sh"
. "$here_issuer_serve/../../common/wait.sh"

admin_pw="ministry secret pw"

fail() { echo "FAIL: $*" >&2; [ -f "${tmp:-}/serve.err" ] && tail -5 "$tmp/serve.err" >&2; exit 1; }
day() { date -u -d "$1 days" +%F; }
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

issuer_test_begin() {
  tmp=$(mktemp -d "/tmp/mobid-$1-XXXXXX")
  pid=""
  PIDS=()
  fails=0
  trap issuer_test_end EXIT
  cd "$tmp"
  db=${ISSUER_DB:-sqlite:$tmp/issuer.db}
}

issuer_test_end() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  issuer_serve_stop
  [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}

issuer_serve() {
  : >serve.out
  "$bin" issuer serve --db "$1" --listen "127.0.0.1:$port" --config "${2:-issuer.json}" \
    >serve.out 2>>serve.err &
  pid=$!
  wait_until -p "$pid" grep -q listen serve.out && return 0
  issuer_serve_stop
  return 1
}

issuer_serve_stop() {
  if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pid=""
}

issuer_serve_start() {
  for _ in 1 2 3 4 5; do
    port=$(free_base); url="http://127.0.0.1:$port"
    rm -rf pki; "$bin" pki init pki --issuer-url "$url" 2>/dev/null || return 1
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >data.key
    printf '{"issuer_url":"%s","pki_dir":"pki","data_key_file":"data.key"%s}\n' "$url" \
      "${ISSUER_EXTRA_CONFIG:+,$ISSUER_EXTRA_CONFIG}" >issuer.json
    issuer_serve "$1" && return 0
  done
  return 1
}

issuer_bootstrap() {
  cat >offices.json <<JSON
{"offices": [
 {"id": "los-angeles", "name": "Consulate General in Los Angeles", "country": "US",
  "city": "Los Angeles", "tz": "America/Los_Angeles", "accepts_from": "$(day -2)", "wave": 1},
 {"id": "tokyo", "name": "Embassy in Tokyo", "country": "JP", "city": "Tokyo",
  "tz": "Asia/Tokyo", "accepts_from": "$(day -2)", "wave": 1}]}
JSON
  MOBID_PASSWORD="$admin_pw" "$bin" office bootstrap --db "$db" --user minister \
    --offices offices.json >/dev/null
}

issuer_admin_token() {
  MOBID_PASSWORD="$admin_pw" MOBID_ISSUER_URL="$url" "$bin" office login --user minister |
    sed -n 's/.*"token": *"\([^"]*\)".*/\1/p'
}

issuer_console() {
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

issuer_claims() {
  sed -e "s/RRN/${1:-900517-2345678}/" >claims.json <<'JSON'
{"family_name":"Kim","given_name":"Minji","family_name_national_character":"김","given_name_national_character":"민지",
 "birth_date":"1990-05-17","sex":2,"resident_registration_number":"RRN",
 "nationality":"KR","resident_country":"DE","residence_status":"permanent",
 "passport_number":"M12345678","issuing_office":"berlin"}
JSON
}
