# Helpers for the install and package tests (sourced; not a test of its own).

# hidden SRC CMD...: run CMD with the source tree SRC (and the build folder inside it)
# covered by an empty tmpfs in a private mount namespace, so whatever CMD runs cannot
# read a file of the source tree. Falls back to running CMD as it is (saying so on
# stderr) where mount namespaces are not allowed; HIDDEN is then "no".
HIDDEN=yes
hidden() {
  local src=$1; shift
  local opt=-m
  [ "$(id -u)" = 0 ] || opt=-rm
  if unshare "$opt" true 2>/dev/null; then
    unshare "$opt" -- bash -c 'mount -t tmpfs -o size=1m tmpfs "$0" && exec "$@"' "$src" "$@"
  else
    HIDDEN=no
    echo "note: no mount namespace here; the source tree stays visible" >&2
    "$@"
  fi
}

# stop_all DIR: end every process whose command line names DIR (the services started
# through hidden(), whose own pid the caller does not have), and wait for them.
stop_all() {
  pkill -TERM -f -- "$1/" 2>/dev/null || true
  for _ in $(seq 50); do pgrep -f -- "$1/" >/dev/null || return 0; sleep 0.1; done
  pkill -KILL -f -- "$1/" 2>/dev/null || true
}

# free_base: three consecutive free loopback ports, printed as the first one (below the
# ephemeral range, where other tests' outgoing connections take their ports).
free_base() {
  local b i busy
  for i in $(seq 50); do
    b=$((20000 + RANDOM % 12700)); busy=0
    for p in $b $((b + 1)) $((b + 2)); do
      (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && busy=1
    done
    [ "$busy" = 0 ] && { echo "$b"; return 0; }
  done
  return 1
}
