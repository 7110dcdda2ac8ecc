# Sourced by tests/*.sh: readiness waits instead of fixed sleeps.
#   wait_until [-p PID] [-t SECONDS] COMMAND...
# runs COMMAND every 0.1 s until it succeeds (returns 0), or returns 1 once SECONDS
# (default 60) have passed or PID (the process that should make COMMAND true) has died.
# The deadline only bounds a hang: a loaded 2-core machine running ASan builds can take
# many seconds to start a service, so a short one would make a slow start a failure.
wait_until() {
  local watch="" secs=60 end
  while [ $# -gt 0 ]; do
    case $1 in
      -p) watch=$2; shift 2 ;;
      -t) secs=$2; shift 2 ;;
      *) break ;;
    esac
  done
  end=$((SECONDS + secs))
  while :; do
    "$@" && return 0
    [ -z "$watch" ] || kill -0 "$watch" 2>/dev/null || return 1
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.1
  done
}
