#!/usr/bin/env bash
# The whole journey over https://: nginx runs etc/nginx/mobid.conf as shipped (only the
# listen ports, certificate paths and upstream ports changed for this run) with a
# throwaway CA; `mobid demo` starts the services with their public URLs on nginx, and
# every step, the wallet (--ca-file) and the verifier's status-list fetches go through
# TLS. Then: the console and the portal answer through nginx, the console's cookies
# are Secure behind TLS, nginx's request id reaches the services' JSON logs, plain
# http redirects to https, and the wallet refuses a plain http:// issuer that is not
# on loopback. Skips (77) only when nginx, openssl or curl is missing.
set -euo pipefail

src=${MOBID_SOURCE_DIR:?}
bin=${MOBID_BIN:?}
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
for tool in "$nginx_bin" openssl curl jq; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed" >&2; exit 77; }
done
. "$src/tests/cli/lib/fleet.sh" # fleet_ca

T=$(mktemp -d /tmp/mobid-tls-XXXXXX)
DEMO_DIR=
UP_PID=
cleanup() {
  [ -n "$UP_PID" ] && { kill "$UP_PID" 2>/dev/null || true; wait "$UP_PID" 2>/dev/null || true; }
  [ -s "$T/nginx/nginx.pid" ] && kill "$(cat "$T/nginx/nginx.pid")" 2>/dev/null || true
  for _ in $(seq 50); do [ -s "$T/nginx/nginx.pid" ] || break; sleep 0.1; done
  [ -n "$DEMO_DIR" ] && rm -rf "$DEMO_DIR"
  rm -rf "$T"
}
trap cleanup EXIT
trap 'echo "FAIL - line $LINENO: $BASH_COMMAND (exit $?)"' ERR
fails=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
die() { echo "FAIL - $*"; [ -f "$T/nginx/error.log" ] && tail -5 "$T/nginx/error.log"; exit 1; }
cd "$T"
fleet_ca certs

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# nginx with the shipped configuration; ports chosen at random, retried when taken.
start_nginx() { # B P1 P2 P3 P4
  mkdir -p nginx/tmp
  sed -e "s|listen 443 ssl;  # mobid-issuer|listen 127.0.0.1:$2 ssl;|" \
      -e "s|listen 443 ssl;  # mobid-verifier|listen 127.0.0.1:$3 ssl;|" \
      -e "s|listen 443 ssl;  # mobid-portal|listen 127.0.0.1:$4 ssl;|" \
      -e "s|listen 80;|listen 127.0.0.1:$5;|" \
      -e "s|/etc/mobid/tls/[a-z.]*\.pem|$T/certs/server.pem|" \
      -e "s|/etc/mobid/tls/[a-z.]*\.key|$T/certs/server.key|" \
      -e "s|127.0.0.1:8441|127.0.0.1:$1|" -e "s|127.0.0.1:8442|127.0.0.1:$(($1 + 1))|" \
      -e "s|127.0.0.1:8443|127.0.0.1:$(($1 + 2))|" "$src/etc/nginx/mobid.conf" >nginx/mobid.conf
  grep -q "listen 127.0.0.1:$5;" nginx/mobid.conf || die "the shipped configuration changed shape"
  local user=""
  [ "$(id -u)" = 0 ] && user="user root;"
  cat >nginx/nginx.conf <<CONF
$user
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 1024; }
http {
  log_format ids '\$request_id \$request_method \$uri \$status';
  access_log $T/nginx/access.log ids;
  client_body_temp_path $T/nginx/tmp/body;
  proxy_temp_path $T/nginx/tmp/proxy;
  fastcgi_temp_path $T/nginx/tmp/fastcgi;
  uwsgi_temp_path $T/nginx/tmp/uwsgi;
  scgi_temp_path $T/nginx/tmp/scgi;
  include $T/nginx/mobid.conf;
}
CONF
  "$nginx_bin" -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" 2>/dev/null
}
for _ in $(seq 10); do
  B=$((20000 + RANDOM % 12700)); P=$((20000 + RANDOM % 12700))
  all_free=1
  for p in $B $((B + 1)) $((B + 2)) $P $((P + 1)) $((P + 2)) $((P + 3)); do
    port_free "$p" || all_free=0
  done
  [ "$all_free" = 1 ] && start_nginx "$B" "$P" "$((P + 1))" "$((P + 2))" "$((P + 3))" && break
  B=
done
[ -n "$B" ] || die "nginx did not start"
ISSUER=https://127.0.0.1:$P VERIFIER=https://127.0.0.1:$((P + 1)) PORTAL=https://127.0.0.1:$((P + 2))
ok "nginx runs etc/nginx/mobid.conf on $ISSUER, $VERIFIER, $PORTAL"

# ---- the journey, every step through TLS
rc=0
timeout 400 "$bin" demo --json --keep --port-base "$B" --issuer-url "$ISSUER" \
  --verifier-url "$VERIFIER" --ca-file certs/ca.pem >steps.jsonl 2>demo.err || rc=$?
DEMO_DIR=$(jq -r 'select(.name=="system_up") | .detail' steps.jsonl | sed -n 's/.*data in \([^ ]*\).*/\1/p')
notok=$(jq -r 'select(.ok != true) | "\(.name): \(.detail)"' steps.jsonl)
[ "$rc" = 0 ] && [ -z "$notok" ] && [ "$(jq -s length steps.jsonl)" -ge 15 ] \
  && ok "all $(jq -s length steps.jsonl) steps of the journey over https" \
  || bad "journey over https: exit $rc; $notok $(tail -3 demo.err)"
[[ "$(jq -r 'select(.name=="gov24_verifies") | .detail' steps.jsonl)" == *900315-2345678* ]] \
  && ok "Government 24 verified through TLS" || bad "gov24 step"
[[ "$(jq -r 'select(.name=="refused_suspended") | .detail' steps.jsonl)" == *SUSPENDED* ]] \
  && ok "the suspension reached the verifier through the status list over https" \
  || bad "suspension not seen over https"
for want in "POST /token 200" "POST /credential 200" "GET /.well-known/openid-credential-issuer 200"; do
  grep -q " $want\$" nginx/access.log && ok "nginx carried $want" || bad "nginx never saw $want"
done
grep -Eq ' GET /status/[^ ]+ 200$' nginx/access.log && ok "the verifier fetched status lists through TLS" \
  || bad "no status list fetch through nginx"
grep -Eq ' (POST|GET) /oid4vp/[^ ]+ 200$' nginx/access.log && ok "wallet presented through TLS" \
  || bad "no presentation through nginx"
jq -e --arg u "$ISSUER" '.issuer_url == $u' "$DEMO_DIR/issuer.json" >/dev/null \
  && jq -e --arg u "$VERIFIER" '.public_url == $u' "$DEMO_DIR/verifier.json" >/dev/null \
  && ok "issuer_url and public_url are the public https URLs" || bad "public URLs not configured"

# ---- nginx's request id is the services' request id
rid=$(awk '$3 == "/credential" { print $1; exit }' nginx/access.log)
# (access lines reach the file at the server's 200 ms tick)
[ -n "$rid" ] && wait_until -t 10 grep -q "\"request_id\":\"$rid\"" "$DEMO_DIR/log/issuer.log" \
  && ok "request id $rid from nginx is in the issuer's JSON log" || bad "request id not carried ($rid)"

# ---- the issuer URL is in the PKI: a restart under another URL is refused
rc=0
"$bin" up --dir "$DEMO_DIR" --port-base "$B" --json >/dev/null 2>wrongurl.err || rc=$?
[ "$rc" = 1 ] && grep -q "issuer URL $ISSUER" wrongurl.err \
  && ok "a restart without the public issuer URL is refused" || bad "restart under another URL: exit $rc"

# ---- the pages through TLS (the same system started again on its data)
"$bin" up --dir "$DEMO_DIR" --port-base "$B" --json --issuer-url "$ISSUER" --verifier-url "$VERIFIER" \
  --portal-url "$PORTAL" --ca-file certs/ca.pem >up.out 2>up.err &
UP_PID=$!
for _ in $(seq 300); do grep -q '"ready"' up.out 2>/dev/null && break; sleep 0.1; done
grep -q '"ready"' up.out || die "up did not start again: $(tail -3 up.err)"
jq -e --arg u "$ISSUER" 'select(.event=="ready") | .urls.issuer == $u' up.out >/dev/null \
  && ok "the banner gives the public URLs" || bad "banner URLs: $(grep ready up.out)"
loc=$(curl -s --cacert certs/ca.pem -o /dev/null -w '%{http_code} %{redirect_url}' "$ISSUER/console/" || true)
[[ "$loc" == "303 $ISSUER/console/applications" || "$loc" == "303 "*"/console/applications" ]] \
  && ok "$ISSUER/console/ leads to the console ($loc)" || bad "/console/ over https: $loc"
signin=$(curl -s --cacert certs/ca.pem -L -D headers.txt "$ISSUER/" || true)
grep -qi '<form' <<<"$signin" && ok "/ on the issuer ends at the sign-in page" || bad "no sign-in page"
grep -i '^set-cookie:' headers.txt | grep -qi 'secure' && ok "console cookies are Secure behind TLS" \
  || bad "console cookies without Secure: $(grep -i set-cookie headers.txt)"
[ "$(curl -s --cacert certs/ca.pem -o page.html -w '%{http_code}' "$PORTAL/")" = 200 ] \
  && grep -qi '<html' page.html && ok "the portal page answers through TLS" || bad "portal over https"
[ "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Host: id.example.kr' \
  "http://127.0.0.1:$((P + 3))/console/")" = "301 https://id.example.kr/console/" ] \
  && ok "plain http redirects to https" || bad "no redirect from plain http"

# ---- the wallet refuses plain http:// to anything but loopback
echo 482917 >pin
"$bin" wallet --wallet w.wallet --pin-file pin --json init --issuer-roots "$DEMO_DIR/pki/iaca.pem" \
  --rp-roots "$DEMO_DIR/pki/rp-ca.pem" --registration-roots "$DEMO_DIR/pki/iaca.pem" \
  --scrypt-n 16384 >/dev/null
rc=0
"$bin" wallet --wallet w.wallet --pin-file pin --json --tx-code 1234 receive \
  'openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fid.example.kr%2Foffers%2F1' \
  >insecure.json 2>/dev/null || rc=$?
[ "$rc" = 1 ] && jq -e '.error == "INSECURE_TRANSPORT"' insecure.json >/dev/null \
  && ok "a plain http:// issuer off loopback is refused (INSECURE_TRANSPORT)" \
  || bad "http issuer: exit $rc $(cat insecure.json)"

[ "$fails" = 0 ] || exit 1
