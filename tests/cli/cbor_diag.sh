#!/usr/bin/env bash
# `mobid cbor diag`: hex and binary input, stdin, --json, --help, bad input and usage errors.
set -u
: "${MOBID_BIN:?MOBID_BIN must point at the mobid binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect_out NAME WANT_STATUS WANT_STDOUT -- ARGS...
expect_out() {
    local name=$1 want_rc=$2 want_out=$3
    shift 4
    local out rc
    out=$("$MOBID_BIN" "$@" 2>"$tmp/err")
    rc=$?
    [ "$rc" = "$want_rc" ] || fail "$name: exit $rc, expected $want_rc ($(cat "$tmp/err"))"
    [ "$out" = "$want_out" ] || fail "$name: printed '$out', expected '$want_out'"
}

# Hex text (with whitespace and a newline) and the same bytes in binary.
printf 'a2 6161 01\n6162 820203\n' > "$tmp/map.hex"
printf '\xa2\x61\x61\x01\x61\x62\x82\x02\x03' > "$tmp/map.bin"
expect_out hex 0 '{"a": 1, "b": [2, 3]}' -- cbor diag "$tmp/map.hex"
expect_out binary 0 '{"a": 1, "b": [2, 3]}' -- cbor diag "$tmp/map.bin"
out=$("$MOBID_BIN" cbor diag - < "$tmp/map.bin")
[ "$out" = '{"a": 1, "b": [2, 3]}' ] || fail "stdin: printed '$out'"

# Several items: one line each; floats, tags, indefinite items as in RFC 8949 Appendix A.
printf 'f90001 fb7e37e43c8800759c c11a514b67b0 5f42010243030405ff f97e00' > "$tmp/many.hex"
want=$(printf '5.960464477539063e-8\n1.0e+300\n1(1363896240)\n(_ h'"'"'0102'"'"', h'"'"'030405'"'"')\nNaN')
expect_out several 0 "$want" -- cbor diag "$tmp/many.hex"

# --json
out=$("$MOBID_BIN" cbor diag --json "$tmp/map.hex")
echo "$out" | grep -q '"valid": true' || fail "json: no valid:true in $out"
echo "$out" | grep -qF '"{\"a\": 1, \"b\": [2, 3]}"' || fail "json: no diag item in $out"

# Malformed input: exit 1 and the code name, on stderr and in the JSON.
printf '5b ffffffffffffffff 00' > "$tmp/huge.hex"
"$MOBID_BIN" cbor diag "$tmp/huge.hex" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" = 1 ] || fail "truncated: exit $rc"
grep -q TRUNCATED "$tmp/err" || fail "truncated: no TRUNCATED on stderr: $(cat "$tmp/err")"
printf '\xff' > "$tmp/break.bin"
out=$("$MOBID_BIN" cbor diag --json "$tmp/break.bin" 2>/dev/null)
rc=$?
[ "$rc" = 1 ] || fail "lone break: exit $rc"
echo "$out" | grep -q '"error": "MALFORMED"' || fail "lone break: JSON was $out"
echo "$out" | grep -q '"valid": false' || fail "lone break: JSON was $out"
{ head -c 100000 /dev/zero | tr '\0' '\201'; printf '\x00'; } > "$tmp/deep.bin"
[ "$(wc -c < "$tmp/deep.bin")" -eq 100001 ] || fail "deep: input not built"
"$MOBID_BIN" cbor diag "$tmp/deep.bin" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" = 1 ] || fail "deep: exit $rc"
grep -q TOO_DEEP "$tmp/err" || fail "deep: no TOO_DEEP: $(cat "$tmp/err")"
expect_out max-depth 1 '' -- cbor diag --max-depth 1 "$tmp/map.hex"

# --help and usage errors.
"$MOBID_BIN" cbor diag --help | grep -q 'usage: mobid cbor diag' || fail "diag --help"
"$MOBID_BIN" cbor --help | grep -q 'usage: mobid cbor diag' || fail "cbor --help"
for args in "cbor" "cbor frob" "cbor diag" "cbor diag --bogus x" "cbor diag a b" \
            "cbor diag --max-depth x $tmp/map.hex"; do
    # shellcheck disable=SC2086
    "$MOBID_BIN" $args >/dev/null 2>&1
    rc=$?
    [ "$rc" = 2 ] || fail "'$args': exit $rc, expected 2"
done
"$MOBID_BIN" cbor diag "$tmp/missing" >/dev/null 2>&1
rc=$?
[ "$rc" = 1 ] || fail "missing file: exit $rc, expected 1"

if [ "$failures" -gt 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "cbor diag: all checks passed"
