# Sourced by tests/cli/*.sh that need one `mobid issuer serve` on SQLite in the current
# directory. The PKI and the configuration name the issuer's URL, so a start that finds
# its port taken makes them again on another.
#   issuer_serve_start DB   pki/, data.key, issuer.json, the service; sets port, url, pid
#   issuer_serve DB         (re)start on $port with the files made; false if it did not
#   issuer_serve_stop
# $ISSUER_EXTRA_CONFIG: more members for issuer.json ("\"a\":1,\"b\":2").
# The caller's EXIT trap calls issuer_serve_stop; output goes to serve.out, serve.err.
issuer_serve() {
  : >serve.out
  "$bin" issuer serve --db "$1" --listen "127.0.0.1:$port" --config issuer.json \
    >serve.out 2>>serve.err &
  pid=$!
  for _ in $(seq 100); do
    grep -q listen serve.out 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  issuer_serve_stop
  return 1
}
issuer_serve_stop() {
  if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pid=""
}
issuer_serve_start() {
  for _ in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 12700)); url="http://127.0.0.1:$port"
    rm -rf pki; "$bin" pki init pki --issuer-url "$url" 2>/dev/null || return 1
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >data.key
    printf '{"issuer_url":"%s","pki_dir":"pki","data_key_file":"data.key"%s}\n' "$url" \
      "${ISSUER_EXTRA_CONFIG:+,$ISSUER_EXTRA_CONFIG}" >issuer.json
    issuer_serve "$1" && return 0
  done
  return 1
}

# The head every such test shares: a temporary folder to work in (sets tmp and db, the
# SQLite database inside it), removed with the service on exit, and fail(), which shows
# the service's last errors. issuer_test_begin NAME (NAME only names the folder).
issuer_test_begin() {
  tmp=$(mktemp -d "/tmp/mobid-$1-XXXXXX")
  pid=""
  trap 'issuer_serve_stop; rm -rf "$tmp"' EXIT
  cd "$tmp"
  db=sqlite:$tmp/issuer.db
}
fail() { echo "FAIL: $*" >&2; [ -f "$tmp/serve.err" ] && tail -5 "$tmp/serve.err" >&2; exit 1; }
