#!/usr/bin/env bash
# A test that cannot run says so: every vector program (tests/vectors/*.c), run with
# MOBID_VECTORS pointing at a folder that does not exist (a fresh clone without
# ../shared), exits 77, which ctest shows as skipped, and prints why; none of them
# claims a pass. With the real folder present they do not skip.
set -u
: "${MOBID_BUILD_DIR:?MOBID_BUILD_DIR must point at the build tree}"
fails=0
n=0
for prog in "$MOBID_BUILD_DIR"/tests/vectors_*; do
  [ -x "$prog" ] || continue
  n=$((n + 1))
  name=$(basename "$prog")
  out=$(MOBID_VECTORS=/nonexistent/shared/vectors "$prog" 2>&1); rc=$?
  if [ "$rc" = 77 ] && grep -q 'SKIP: .*absent' <<<"$out"; then
    echo "ok   $name skips without vectors"
  else
    echo "FAIL $name without vectors: exit $rc: $out"; fails=$((fails + 1))
  fi
  if [ -d "${MOBID_VECTORS:-/nonexistent}" ]; then
    MOBID_VECTORS=$MOBID_VECTORS "$prog" >/dev/null 2>&1; rc=$?
    [ "$rc" != 77 ] || { echo "FAIL $name skipped although the vectors are there"; fails=$((fails + 1)); }
  fi
done
[ "$n" -ge 5 ] || { echo "FAIL found only $n vector programs in $MOBID_BUILD_DIR/tests"; exit 1; }
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all $n vector programs report skipped without vectors"
