#!/usr/bin/env bash
# The ISO 18013-5 Annex B certificate profile: `mobid pki check` passes every
# certificate that `mobid pki init` and a fresh `mobid up` make (IACA and document
# signer with IssuerAltName, CRL distribution point, key identifiers, key usages,
# a DS of at most 457 days), and names each broken rule of certificates made
# otherwise by its stable code. The CRL that the distribution point names is served
# by the running issuer, signed by the IACA and current; `pki revoke-ds` + `pki crl`
# put a signer into it.
set -euo pipefail

bin=${MOBID_BIN:?}
. "$(dirname "$0")/../common/free_ports.sh"
tmp=$(mktemp -d /tmp/mobid-profile-XXXXXX)
up_pid=""
cleanup() {
  if [ -n "$up_pid" ] && kill -0 "$up_pid" 2>/dev/null; then
    kill -TERM "$up_pid" 2>/dev/null || true; wait "$up_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$tmp"

check_all() { # dir... : every certificate in every .pem passes
  local n=0
  while IFS= read -r f; do
    "$bin" pki check --json "$f" >c.json || fail "$f: $(jq -c '.certificates[] | select(.valid|not)' c.json)"
    jq -e '.valid == true and (.certificates | length) >= 1' c.json >/dev/null || fail "$f: $(cat c.json)"
    n=$((n + $(jq '.certificates | length' c.json)))
  done < <(find "$@" -name '*.pem' | sort)
  echo "$n"
}

# ---- pki init ----
"$bin" pki init pki --issuer-url https://id.example.kr/issuer 2>/dev/null || fail "pki init"
[ "$(check_all pki)" -ge 5 ] || fail "pki init made fewer than 5 certificates"
"$bin" pki check --json pki/ds-0001.pem | jq -e '.certificates[0].profile == "ds"' >/dev/null \
  || fail "ds-0001 not checked as a document signer"
"$bin" pki check --json pki/iaca.pem | jq -e '.certificates[0].profile == "iaca"' >/dev/null \
  || fail "iaca not checked as an IACA"
days=$(( ( $(date -d "$(openssl x509 -in pki/ds-0001.pem -noout -enddate | cut -d= -f2)" +%s) \
         - $(date -d "$(openssl x509 -in pki/ds-0001.pem -noout -startdate | cut -d= -f2)" +%s) ) / 86400 ))
[ "$days" -le 457 ] || fail "document signer lives $days days"
for f in iaca ds-0001; do
  openssl x509 -in "pki/$f.pem" -noout -ext issuerAltName,crlDistributionPoints >ext.txt
  grep -q 'URI:https://id.example.kr/issuer$' ext.txt && grep -q 'URI:https://id.example.kr/issuer/pki/iaca.crl' ext.txt \
    || fail "$f extensions: $(cat ext.txt)"
done
"$bin" pki add-ds pki --issuer-url https://id.example.kr/issuer >/dev/null 2>&1 || fail "add-ds"
"$bin" pki check pki/ds-0002.pem 2>/dev/null || fail "a second document signer breaks the profile"

# ---- broken certificates: each rule by its code ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
  -subj "/CN=Bare CA" -days 9000 -set_serial 5 >/dev/null 2>&1
set +e; "$bin" pki check --json ca.pem >bad.json; rc=$?; set -e
[ $rc -eq 1 ] || fail "a non-conforming IACA passed (exit $rc)"
jq -e '.error == "CERT_PROFILE" and .certificates[0].profile == "iaca"' bad.json >/dev/null || fail "$(cat bad.json)"
for code in PROFILE_SERIAL PROFILE_COUNTRY PROFILE_ISSUER_ALT_NAME PROFILE_CRL_DP PROFILE_KEY_USAGE \
            PROFILE_BASIC_CONSTRAINTS; do
  jq -e --arg c "$code" '[.certificates[0].failures[].code] | index($c)' bad.json >/dev/null \
    || fail "IACA without $code not reported: $(cat bad.json)"
done
printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=critical,1.0.18013.5.1.2\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >ds.ext
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ds.key -out ds.csr \
  -subj "/C=KR/CN=Long DS" >/dev/null 2>&1
openssl x509 -req -in ds.csr -CA ca.pem -CAkey ca.key -set_serial 0x7a1b2c3d4e5f60718293 -days 1825 \
  -extfile ds.ext -out ds.pem >/dev/null 2>&1
set +e; "$bin" pki check --json ds.pem >bad.json; rc=$?; set -e
[ $rc -eq 1 ] && jq -e '.certificates[0].profile == "ds"' bad.json >/dev/null || fail "5-year DS: $(cat bad.json)"
codes=$(jq -c '[.certificates[0].failures[].code]' bad.json)
[ "$codes" = '["PROFILE_COUNTRY","PROFILE_VALIDITY","PROFILE_ISSUER_ALT_NAME","PROFILE_CRL_DP"]' ] \
  || fail "5-year DS codes: $codes"
"$bin" pki check --profile iaca ds.pem >/dev/null 2>&1 && fail "--profile iaca passed a leaf"
set +e; "$bin" pki check --profile nonsense ds.pem 2>/dev/null; rc=$?; set -e
[ $rc -eq 2 ] || fail "bad --profile is not a usage error (exit $rc)"

# ---- a fresh mobid up: every certificate it made, and the CRL its issuer serves ----
for _ in 1 2 3; do
  base=$(free_base)
  "$bin" up --dir "$tmp/var" --port-base "$base" --json >events 2>up.err &
  up_pid=$!
  for _ in $(seq 1 600); do
    grep -q '"event":"ready"' events && break
    kill -0 "$up_pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q '"event":"ready"' events && break
  wait "$up_pid" 2>/dev/null || true; up_pid=""
  grep -q 'is in use by another program' up.err || fail "mobid up: $(cat up.err)"
  rm -rf "$tmp/var"
done
[ -n "$up_pid" ] || fail "mobid up did not start"
n=$(check_all var)
[ "$n" -ge 8 ] || fail "mobid up made only $n certificates"
iss=http://127.0.0.1:$base
dp=$(openssl x509 -in var/pki/ds-0001.pem -noout -ext crlDistributionPoints | grep -o 'URI:.*' | cut -c5-)
[ "$dp" = "$iss/pki/iaca.crl" ] || fail "DS distribution point $dp"
for ca in iaca rp-ca; do
  curl -sf "$iss/pki/$ca.crl" -o "$ca.crl" || fail "$ca CRL not served"
  openssl crl -inform DER -in "$ca.crl" -CAfile "var/pki/$ca.pem" -noout 2>&1 | grep -q 'verify OK' \
    || fail "$ca CRL not signed by its CA"
  next=$(date -d "$(openssl crl -inform DER -in "$ca.crl" -noout -nextupdate | cut -d= -f2)" +%s)
  [ "$next" -gt "$(date +%s)" ] || fail "$ca CRL is stale"
done
curl -s -o /dev/null -w '%{http_code}' "$iss/pki/other.crl" | grep -q 404 || fail "unknown CRL name"

# ---- a revoked document signer is listed once the CRL is signed again ----
"$bin" pki revoke-ds pki ds-0001 || fail "revoke-ds"
"$bin" pki crl pki || fail "pki crl"
serial=$(openssl x509 -in pki/ds-0001.pem -noout -serial | cut -d= -f2)
openssl crl -inform DER -in pki/iaca.crl -noout -text | tr -d ' ' | grep -qi "SerialNumber:$serial" \
  || fail "revoked signer $serial not in the CRL"
openssl crl -inform DER -in pki/rp-ca.crl -noout -text | grep -q 'No Revoked Certificates' \
  || fail "the RP CA's CRL lists an IACA signer"
echo "pki_profile: ok ($n certificates from mobid up)"
