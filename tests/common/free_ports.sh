# Sourced by tests/cli/*.sh: free_base prints N such that loopback ports N, N+1 and
# N+2 are free now (the three services of `mobid up`).
free_base() {
  local b
  for _ in $(seq 1 50); do
    b=$((20000 + RANDOM % 40000))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$b) 2>/dev/null &&
       ! (exec 3<>/dev/tcp/127.0.0.1/$((b + 1))) 2>/dev/null &&
       ! (exec 3<>/dev/tcp/127.0.0.1/$((b + 2))) 2>/dev/null; then
      echo "$b"; return
    fi
  done
  echo "no free ports" >&2; exit 1
}
