#!/usr/bin/env bash
# mobid trust vical verify / list on the real AAMVA VICAL (../shared/vectors/mdoc/vical):
# its signer chain to the AAMVA root, its date and nextUpdate, its 14 IACAs.
set -u
: "${MOBID_BIN:?MOBID_BIN must point at the mobid binary}"
V=${MOBID_VECTORS:-}/mdoc/vical
if [ -z "${MOBID_VECTORS:-}" ] || [ ! -f "$V/aamva-vical-2025-11-18.cbor" ]; then
  echo "SKIP: ../shared/vectors/mdoc/vical is absent; the AAMVA VICAL test is not run"; exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
check() { # check NAME EXPECTED_RC ACTUAL_RC FILE PATTERN
  if [ "$3" != "$2" ]; then echo "FAIL $1: exit $3, want $2"; cat "$4"; fails=$((fails+1)); return; fi
  if ! grep -q -- "$5" "$4"; then echo "FAIL $1: output lacks $5"; cat "$4"; fails=$((fails+1)); return; fi
  echo "ok   $1"
}
L=$V/aamva-vical-2025-11-18.cbor
"$MOBID_BIN" trust vical verify --anchor "$V/aamva_ca_root.crt" --at 2025-11-18T20:00:00Z \
  --json "$L" > "$T/out" 2>&1
check "AAMVA VICAL verifies on its day" 0 $? "$T/out" '"usable": 14'
check "  its provider" 0 0 "$T/out" '"vicalProvider": "AAMVA"'
check "  its nextUpdate" 0 0 "$T/out" '"nextUpdate": "2025-11-19T18:38:12Z"'
"$MOBID_BIN" trust vical verify --anchor "$V/aamva_ca_intermediate.crt" \
  --at 2025-11-18T20:00:00Z --json "$L" > "$T/out" 2>&1
check "  also under the intermediate" 0 $? "$T/out" '"valid": true'
"$MOBID_BIN" trust vical verify --anchor "$V/aamva_ca_root.crt" --at 2025-11-25T00:00:00Z \
  --json "$L" > "$T/out" 2>/dev/null
check "  expired a week later" 1 $? "$T/out" '"error": "VICAL_EXPIRED"'
"$MOBID_BIN" trust vical list --json "$L" > "$T/out" 2>&1
check "AAMVA VICAL list" 0 $? "$T/out" '"stateOrProvinceName": "US-MD"'
"$MOBID_BIN" trust vical list "$L" > "$T/out" 2>&1
check "  as text" 0 $? "$T/out" 'Arizona Department of Transportation'
echo "$fails failed"
[ "$fails" = 0 ]
