# Helpers for the scale-out tests (sourced; not a test of its own): a throwaway CA and
# server certificate made with openssl, and Debian's nginx as a TLS-terminating
# round-robin load balancer started from its own prefix in a temporary folder (never
# the system service). Needs: openssl, nginx, curl.
. "$(dirname "${BASH_SOURCE[0]}")/../../common/wait.sh"

# fleet_skip_unless_tools: exit 77 (skip) when nginx or PostgreSQL is not installed.
fleet_skip_unless_tools() {
  if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    echo "SKIP: nginx is not installed (apt-get install nginx-light)" >&2; exit 77
  fi
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null \
     && [ -z "${PG_BIN:-}" ]; then
    echo "SKIP: PostgreSQL server binaries (initdb, pg_ctl) are not installed" >&2; exit 77
  fi
}

# fleet_ca DIR: DIR/ca.pem (a CA made for this run) over DIR/server.{pem,key} for
# 127.0.0.1 and localhost.
fleet_ca() {
  local d=$1
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=mobid test CA" -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=127.0.0.1" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null
}

# fleet_nginx DIR CERTDIR PORT UPSTREAM...: nginx on https://127.0.0.1:PORT in front of
# the given host:port upstreams, round robin. Returns non-zero when it cannot start
# (e.g. the port is taken); its error log is DIR/error.log.
fleet_nginx() {
  local d=$1 certs=$2 port=$3; shift 3
  local servers="" u
  for u in "$@"; do servers="$servers    server $u max_fails=1 fail_timeout=10s;
"; done
  mkdir -p "$d/tmp"
  # Run as root, nginx's workers would switch to nobody, who cannot enter this 0700
  # folder: keep them as the invoking user.
  local user=""
  [ "$(id -u)" = 0 ] && user="user root;"
  cat >"$d/nginx.conf" <<CONF
$user
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
  access_log $d/access.log;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  upstream fleet {
$servers    # idle connections kept open to the instances (with HTTP/1.1 and an empty
    # Connection header below): without it every request opens a new connection
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $certs/server.pem;
    ssl_certificate_key $certs/server.key;
    location / {
      proxy_pass http://fleet;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$remote_addr;
      # A refused connect goes to the other instance; a request already sent is not
      # sent twice (POSTs are not idempotent).
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
      proxy_read_timeout 90s;
    }
  }
}
CONF
  local nginx_bin
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  "$nginx_bin" -p "$d" -c "$d/nginx.conf" -e "$d/error.log" || return 1
  wait_until curl -s -o /dev/null --cacert "$certs/ca.pem" "https://127.0.0.1:$port/healthz"
}

# fleet_nginx_stop DIR
fleet_nginx_stop() {
  local d=$1
  [ -s "$d/nginx.pid" ] && kill "$(cat "$d/nginx.pid")" 2>/dev/null || true
  local i
  for i in $(seq 50); do [ -s "$d/nginx.pid" ] || return 0; sleep 0.1; done
}
