# Sourced by tests/cli/*.sh that run `mobid up` (set BIN, the mobid binary, first).
#   up_start EVENTS ERR ARG...   `mobid up --json ARG...` in the background (UP_PID), its
#                                events in EVENTS and its errors in ERR; true once it says
#                                ready, false if it exits first or the deadline passes
#   up_start_fresh EVENTS ERR DIR [ARG...]
#                                a first start in a fresh DIR on free ports (BASE): up to
#                                three port bases, since another program can take a port
#                                between the pick and up's bind
#   up_stop                      SIGINT to UP_PID (a clean shutdown) and wait for it
#   up_test_begin NAME           T, a temporary folder (NAME only names it), and an EXIT
#                                trap that stops up and every process in PIDS and removes
#                                T; ok MESSAGE and bad MESSAGE (counted in fails)
# A caller with its own EXIT trap calls up_stop there. Free ports: free_base.
here_up=$(dirname "${BASH_SOURCE[0]}")
. "$here_up/../../common/free_ports.sh"
. "$here_up/../../common/wait.sh"

UP_PID=""

up_test_begin() {
  T=$(mktemp -d "/tmp/mobid-$1-XXXXXX")
  PIDS=()
  fails=0
  trap up_test_end EXIT
  ok() { echo "ok   $*"; }
  bad() { echo "FAIL $*"; fails=$((fails + 1)); }
}
up_test_end() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  up_stop
  rm -rf "$T"
}

up_start() {
  local events=$1 err=$2
  shift 2
  # Emptied here, not only by the child's redirection: the wait below could otherwise
  # read a ready line that an earlier start left in the same file.
  : >"$events"
  "$BIN" up --json "$@" >"$events" 2>"$err" &
  UP_PID=$!
  # Setting up a fresh data folder (PKI, databases, officers) is the slow part: under
  # ASan on a loaded machine it takes far longer than the second or two it takes alone.
  wait_until -t 180 -p "$UP_PID" grep -q '"event":"ready"' "$events"
}

up_start_fresh() {
  local events=$1 err=$2 dir=$3 try
  shift 3
  for try in 1 2 3; do
    BASE=$(free_base)
    rm -rf "$dir"
    up_start "$events" "$err" --dir "$dir" --port-base "$BASE" "$@" && return 0
    up_stop
  done
  return 1
}

up_stop() {
  [ -n "$UP_PID" ] || return 0
  kill -INT "$UP_PID" 2>/dev/null || true
  wait "$UP_PID" 2>/dev/null || true
  UP_PID=""
}
