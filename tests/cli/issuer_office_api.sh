#!/usr/bin/env bash
# The consular flow over HTTP with `mobid office` against `mobid issuer serve`, on SQLite
# (and on PostgreSQL via scripts/pg-test when its server binaries are installed):
# officers of one office cannot touch another office's applications, one person cannot
# verify and approve alone, an office not yet open and ineligible applicants are refused
# with their codes, the approved application's offer is redeemed by a wallet and the
# card suspended by an officer, and an audit entry edited in the database is caught.
set -euo pipefail

bin=${MOBID_BIN:?}
src=${MOBID_SOURCE_DIR:?}
. "$(dirname "$0")/../common/wait.sh"
tmp=$(mktemp -d /tmp/mobid-office-api-XXXXXX)
pid=""
pgdir=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ -n "$pgdir" ]; then "$src/scripts/pg-test" stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$pgdir"; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$tmp/serve.err" ] && tail -5 "$tmp/serve.err" >&2; exit 1; }

day() { date -u -d "$1 days" +%F; }

# refused CMD... CODE: the command must exit 1 with "error":"CODE"
refused() {
  local code=${*: -1} out rc
  set +e; out=$("${@:1:$#-1}" --json 2>/dev/null); rc=$?; set -e
  [ $rc -eq 1 ] || fail "exit $rc (not 1) from: ${*:1:$#-1}: $out"
  grep -q "\"error\": *\"$code\"" <<<"$out" || fail "expected $code from ${*:1:$#-1}: $out"
}
field() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" | head -n 1; }

applicant() { # file rrn [key value]: an eligible applicant, one field replaced
  local -A f=([family_name]='"KIM"' [given_name]='"MINJI"' [family_name_national_character]='"김"'
    [given_name_national_character]='"민지"' [sex]=2 [birth_date]='"1990-01-01"'
    [resident_registration_number]="\"$2\"" [nationality]='"KR"'
    [country_of_residence]='"US"' [residence_status]='"permanent"'
    [passport_number]='"M12345678"' [passport_expiry]="\"$(day 400)\"" [e_passport]=true)
  [ $# -gt 2 ] && f[$3]=$4
  local k sep="{"
  for k in "${!f[@]}"; do printf '%s"%s": %s' "$sep" "$k" "${f[$k]}"; sep=", "; done >"$1"
  echo "}" >>"$1"
}

# one port for the whole run: the signers' certificates name the issuer URL
port=$((20000 + RANDOM % 12700))
export MOBID_ISSUER_URL="http://127.0.0.1:$port"

setup_once() {
  "$bin" pki init "$tmp/pki" --name "mobid test" --issuer-url "$MOBID_ISSUER_URL" --country KR >/dev/null
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/data.key"
  cat >"$tmp/offices.json" <<JSON
{"offices": [
 {"id": "los-angeles", "name": "Consulate General in Los Angeles", "country": "US",
  "city": "Los Angeles", "tz": "America/Los_Angeles", "accepts_from": "$(day -2)", "wave": 1},
 {"id": "tokyo", "name": "Embassy in Tokyo", "country": "JP", "city": "Tokyo",
  "tz": "Asia/Tokyo", "accepts_from": "$(day -2)", "wave": 1},
 {"id": "nairobi", "name": "Embassy in Nairobi", "country": "KE", "city": "Nairobi",
  "tz": "Africa/Nairobi", "accepts_from": "$(day 30)", "wave": 3}]}
JSON
}

start() { # db
  cat >"$tmp/issuer.json" <<JSON
{"issuer_url": "http://127.0.0.1:$port", "pki_dir": "$tmp/pki",
 "data_key_file": "$tmp/data.key"}
JSON
  "$bin" issuer serve --db "$1" --listen "127.0.0.1:$port" --config "$tmp/issuer.json" \
    >"$tmp/serve.out" 2>"$tmp/serve.err" &
  pid=$!
  wait_until -p "$pid" grep -q listen "$tmp/serve.out" || fail "issuer did not start"
}

stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

login() { MOBID_PASSWORD="$2" "$bin" office login --user "$1" | field token; }

run_flow() { # db sql-runner
  local db=$1 sqlrun=$2 pw="correct horse battery" n=$RANDOM
  MOBID_PASSWORD="ministry secret pw" "$bin" office bootstrap --db "$db" --user minister \
    --offices "$tmp/offices.json" >/dev/null || fail "bootstrap"
  # the tables exist now; put the issuer URL port into a fresh config and start
  start "$db"
  unset MOBID_TOKEN
  refused "$bin" office apps list UNAUTHENTICATED
  admin=$(login minister "ministry secret pw"); [ -n "$admin" ] || fail "admin login"
  for u in la.kim:los-angeles la.lee:los-angeles tokyo.sato:tokyo; do
    MOBID_PASSWORD="$pw" "$bin" office officers create --token "$admin" --username "${u%%:*}" \
      --role officer --office "${u##*:}" >/dev/null || fail "create officer $u"
  done
  kim=$(login la.kim "$pw"); lee=$(login la.lee "$pw"); sato=$(login tokyo.sato "$pw")
  refused env MOBID_PASSWORD="wrong password!" "$bin" office login --user la.kim UNAUTHENTICATED

  # office not open; ineligible applicants, each reason
  applicant "$tmp/a.json" "900101-2$(printf %06d $n)"
  refused "$bin" office apps create --token "$admin" --office nairobi --cardtype resident_card \
    --applicant "$tmp/a.json" OFFICE_NOT_OPEN
  applicant "$tmp/b.json" "900101-2000001" nationality '"JP"'
  refused "$bin" office apps create --token "$kim" --cardtype resident_card --applicant "$tmp/b.json" INELIGIBLE_NATIONALITY
  applicant "$tmp/b.json" "900101-2000002" residence_status '"temporary"'
  refused "$bin" office apps create --token "$kim" --cardtype resident_card --applicant "$tmp/b.json" INELIGIBLE_RESIDENCE
  applicant "$tmp/b.json" "900101-2000003" birth_date "\"$(day -4000)\""
  refused "$bin" office apps create --token "$kim" --cardtype resident_card --applicant "$tmp/b.json" INELIGIBLE_AGE
  applicant "$tmp/b.json" "900101-2000004" passport_expiry "\"$(day 0)\""
  refused "$bin" office apps create --token "$kim" --cardtype resident_card --applicant "$tmp/b.json" PASSPORT_EXPIRED
  applicant "$tmp/b.json" "900101-2000005" e_passport false
  refused "$bin" office apps create --token "$kim" --cardtype resident_card --applicant "$tmp/b.json" PASSPORT_INVALID

  # the LA application: Tokyo cannot see or act on it; Kim cannot approve alone
  id=$("$bin" office apps create --token "$kim" --cardtype resident_card --applicant "$tmp/a.json" | field id)
  [ -n "$id" ] || fail "application not created"
  refused "$bin" office apps show "$id" --token "$sato" ACCESS_DENIED
  refused "$bin" office apps verify "$id" --token "$sato" --evidence '{"passport":"seen","residency":"seen"}' ACCESS_DENIED
  refused "$bin" office apps create --token "$sato" --office los-angeles --cardtype resident_card \
    --applicant "$tmp/a.json" ACCESS_DENIED
  "$bin" office apps list --token "$sato" | grep -q "$id" && fail "Tokyo lists an LA application"
  "$bin" office apps verify "$id" --token "$kim" \
    --evidence '{"passport":"chip read","residency":"green card seen"}' >/dev/null || fail verify
  refused "$bin" office apps approve "$id" --token "$kim" FOUR_EYES
  refused "$bin" office apps approve "$id" --token "$sato" ACCESS_DENIED
  "$bin" office apps approve "$id" --token "$lee" | grep -q '"state": *"approved"' || fail approve
  "$bin" office apps offer "$id" --token "$kim" >"$tmp/offer.json" || fail offer
  uri=$(field offer_uri <"$tmp/offer.json"); code=$(field tx_code <"$tmp/offer.json")
  [ ${#code} -eq 6 ] || fail "tx_code: $(cat "$tmp/offer.json")"
  # a wallet redeems it; the application reads card_issued and Kim suspends the card
  rm -rf "$tmp/wallet"; mkdir -p "$tmp/wallet"
  "$bin" issuer fetch --offer "$uri" --tx-code "$code" --out "$tmp/wallet" >"$tmp/fetch.out" 2>&1 || fail "wallet fetch: $(cat "$tmp/fetch.out")"
  [ "$($sqlrun "SELECT state FROM issuer_applications WHERE id = '$id'" | tr -d ' \n')" = card_issued ] \
    || fail "the application was not marked card_issued when its card was made"
  "$bin" office apps show "$id" --token "$kim" | grep -q '"state": *"card_issued"' || fail "card_issued"
  refused "$bin" office apps suspend "$id" --token "$sato" --reason "not mine" ACCESS_DENIED
  "$bin" office apps suspend "$id" --token "$kim" --reason "lost phone reported" >/dev/null || fail suspend
  refused "$bin" office apps revoke "$id" --token "$kim" --reason "fraud" ACCESS_DENIED

  # the audit log: intact, then edited in the database
  "$bin" office audit verify --token "$admin" | grep -q '"valid": *true' || fail "audit not valid"
  refused "$bin" office audit verify --token "$kim" ACCESS_DENIED
  $sqlrun "UPDATE issuer_audit SET subject = 'x' WHERE seq = 4"
  set +e; out=$("$bin" office audit verify --token "$admin" 2>&1); rc=$?; set -e
  [ $rc -eq 1 ] && grep -q "entry 4" <<<"$out" || fail "edited audit entry not named (rc $rc): $out"
  stop
  echo "office API flow passed on $db"
}

command -v sqlite3 >/dev/null || fail "sqlite3 (the command) is needed to edit the database"
setup_once
run_flow "sqlite:$tmp/issuer.db" "sqlite3 $tmp/issuer.db"

if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || [ -n "${PG_BIN:-}" ]; then
  pgdir=$(mktemp -d /tmp/mobid-pg-XXXXXX)
  eval "$("$src/scripts/pg-test" start "$pgdir")"
  pq() { psql -q -t -A -v ON_ERROR_STOP=1 "$MOBID_PG_URL" -c "$1"; }
  run_flow "$MOBID_PG_URL" pq
else
  echo "PostgreSQL part not run: server binaries (initdb, pg_ctl) are not installed"
fi
