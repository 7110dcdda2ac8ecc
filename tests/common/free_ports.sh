# Sourced by tests/cli/*.sh: free_base prints N such that loopback ports N to N+3 are
# free now (the four services of `mobid up`). N stays below Linux's ephemeral
# range (32768-60999), where the outgoing connections of tests running beside this one
# take their ports; a port free now can still be taken before it is bound, so a caller
# that sees "in use" picks again (see up_lifecycle.sh).
free_base() {
  local b
  for _ in $(seq 1 50); do
    b=$((20000 + RANDOM % 12700))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$b) 2>/dev/null &&
       ! (exec 3<>/dev/tcp/127.0.0.1/$((b + 1))) 2>/dev/null &&
       ! (exec 3<>/dev/tcp/127.0.0.1/$((b + 2))) 2>/dev/null &&
       ! (exec 3<>/dev/tcp/127.0.0.1/$((b + 3))) 2>/dev/null; then
      echo "$b"; return
    fi
  done
  echo "no free ports" >&2; exit 1
}
