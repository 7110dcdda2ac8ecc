#!/usr/bin/env bash
# Renewal without a new application. On a fresh `mobid up`, an office of our own (with
# a supervisor, two officers, and a second office) issues a resident card to a wallet;
# its expiry is brought within 90 days. The office's expiring-soon list (API and
# console) shows exactly its own such cards. A plain officer and the other office's
# supervisor may not renew; another passport gives PASSPORT_CHANGED, a passport on
# file that has expired PASSPORT_EXPIRED, a wallet without a key-bound refresh token
# RENEWAL_UNDELIVERABLE. The supervisor renews in the console (post/redirect/get,
# CSRF); until the wallet refreshes the old card still verifies. `mobid wallet
# refresh` then receives a full batch of a new card (same wallet key): Government 24
# verifies the new copies and refuses a copy of the old card (REVOKED, superseded),
# the renewed card left the list, and a second renewal over the admin API works the
# same way. Every step is in the audit chain, which verifies.
set -u
BIN=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
for tool in jq curl python3 sqlite3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not found"; exit 77; }
done
python3 -c 'import cryptography' 2>/dev/null || { echo "SKIP: python3-cryptography not found"; exit 77; }
"$BIN" up --help >/dev/null 2>&1 || { echo "SKIP: this mobid has no up (services not built)"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/up.sh"
up_test_begin renewal
die() { echo "FAIL $*"; exit 1; }
cd "$T" || exit 1

up_start_fresh events up.err var || { cat events up.err; die "mobid up"; }
I=http://127.0.0.1:$BASE
V=http://127.0.0.1:$((BASE + 1))
DB=$T/var/issuer.db
export MOBID_ISSUER_URL=$I
sql() { sqlite3 -cmd '.timeout 10000' "$DB" "$1"; }
day() { date -u -d "$1 days" +%F; }

# ---- our offices and people
cat >offices.json <<JSON
{"offices": [{"id": "renew-a", "name": "Consulate A", "country": "US", "city": "Seattle",
  "tz": "America/Los_Angeles", "accepts_from": "$(day -2)", "wave": 1},
 {"id": "renew-b", "name": "Consulate B", "country": "JP", "city": "Osaka",
  "tz": "Asia/Tokyo", "accepts_from": "$(day -2)", "wave": 1}]}
JSON
PW="correct horse battery"
MOBID_PASSWORD="ministry renewal pw" "$BIN" office bootstrap --db "sqlite:$DB" --user renew.admin \
  --offices offices.json >/dev/null || die "bootstrap"
login() { MOBID_PASSWORD="$2" "$BIN" office login --user "$1" | jq -r .token; }
ADMIN=$(login renew.admin "ministry renewal pw")
for u in a.sup:renew-a:supervisor a.one:renew-a:officer a.two:renew-a:officer b.sup:renew-b:supervisor; do
  IFS=: read -r name office role <<<"$u"
  MOBID_PASSWORD="$PW" "$BIN" office officers create --token "$ADMIN" --username "$name" \
    --role "$role" --office "$office" >/dev/null || die "officer $name"
done
SUP=$(login a.sup "$PW"); ONE=$(login a.one "$PW"); TWO=$(login a.two "$PW"); BSUP=$(login b.sup "$PW")

applicant() { # file rrn (19YYMMDD-S...) passport
  local sex=$(( ${2:7:1} % 2 ? 1 : 2 ))
  cat >"$1" <<JSON
{"family_name": "KIM", "given_name": "MINJI", "family_name_national_character": "김",
 "given_name_national_character": "민지", "sex": $sex, "birth_date": "19${2:0:2}-${2:2:2}-${2:4:2}",
 "resident_registration_number": "$2", "nationality": "KR", "country_of_residence": "US",
 "residence_status": "permanent", "passport_number": "$3", "passport_expiry": "$(day 400)",
 "e_passport": true}
JSON
}
application() { # rrn passport officer second -> offer.json, prints the application id
  local id
  applicant a.json "$1" "$2"
  id=$("$BIN" office apps create --token "$3" --cardtype resident_card --applicant a.json | jq -r .id)
  "$BIN" office apps verify "$id" --token "$3" --evidence '{"passport":"chip read","residency":"PR card"}' \
    >/dev/null || die "verify $id"
  "$BIN" office apps approve "$id" --token "$4" >/dev/null || die "approve $id"
  "$BIN" office apps offer "$id" --token "$3" >offer.json || die "offer $id"
  echo "$id"
}
card_of() { sql "SELECT id FROM issuer_cards WHERE application_id = '$1' AND state = 0"; }
api() { # token method path [json] -> body in api.json, prints the status
  local d=()
  [ -n "${4:-}" ] && d=(-H 'Content-Type: application/json' -d "$4")
  curl -s -o api.json -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1" "${d[@]}" "$I$3"
}

# ---- card A: to a wallet (DPoP-bound, with a refresh token)
echo 135790 >pin
wallet() { "$BIN" wallet --wallet "${W:-w.wallet}" --pin-file pin --json "$@"; }
APP_A=$(application 900517-2345678 M11112222 "$ONE" "$TWO")
wallet init --issuer-roots var/pki/iaca.pem --rp-roots var/pki/rp-ca.pem \
  --registration-roots var/pki/iaca.pem --scrypt-n 16384 >/dev/null || die "wallet init"
wallet --tx-code "$(jq -r .tx_code offer.json)" receive "$(jq -r .offer_ref_uri offer.json)" >rx.json \
  || die "receive: $(cat rx.json)"
CARD_A=$(card_of "$APP_A")
[ -n "$CARD_A" ] || die "no card for application A"
JKT=$(sql "SELECT jkt FROM issuer_refresh_tokens t JOIN issuer_cards c ON c.offer_id = t.offer_id WHERE c.id = '$CARD_A'")

# ---- card B (office A, fetched without a key binding) and card C (office B)
mkdir -p fetched
APP_B=$(application 850101-1234567 M33334444 "$ONE" "$TWO")
"$BIN" issuer fetch --offer "$(jq -r .offer_uri offer.json)" --tx-code "$(jq -r .tx_code offer.json)" \
  --out fetched >fetch.out 2>&1 || die "fetch B: $(cat fetch.out)"
BSUP_TWO=$(MOBID_PASSWORD="$PW" "$BIN" office officers create --token "$ADMIN" --username b.two \
  --role officer --office renew-b >/dev/null && login b.two "$PW")
APP_C=$(application 800202-1234567 M55556666 "$BSUP_TWO" "$BSUP")
"$BIN" issuer fetch --offer "$(jq -r .offer_uri offer.json)" --tx-code "$(jq -r .tx_code offer.json)" \
  --out fetched >fetch.out 2>&1 || die "fetch C: $(cat fetch.out)"
CARD_B=$(card_of "$APP_B"); CARD_C=$(card_of "$APP_C")
NOW=$(date +%s)
sql "UPDATE issuer_cards SET expires_at = $((NOW + 30 * 86400)) WHERE id = '$CARD_A'"
sql "UPDATE issuer_cards SET expires_at = $((NOW + 10 * 86400)) WHERE id = '$CARD_C'"

# ---- the expiring-soon lists, each office its own
st=$(api "$ONE" GET /api/v1/cards/expiring)
[ "$st" = 200 ] && jq -e --arg a "$CARD_A" '.within_days == 90 and .office_id == "renew-a"
  and (.cards | map(.card)) == [$a] and .cards[0].renewal_pending == false' api.json >/dev/null \
  && ok "office A's list: its card expiring in 30 days only (not B's 3-year card, not office B's)" \
  || bad "office A's list: $st $(cat api.json)"
st=$(api "$BSUP" GET /api/v1/cards/expiring)
[ "$st" = 200 ] && jq -e --arg c "$CARD_C" '(.cards | map(.card)) == [$c]' api.json >/dev/null \
  && ok "office B's list: its own card only" || bad "office B's list: $st $(cat api.json)"
st=$(api "$ONE" GET "/api/v1/cards/expiring?office=renew-b")
[ "$st" = 403 ] && jq -e '.error == "ACCESS_DENIED"' api.json >/dev/null \
  && ok "an officer cannot list another office's cards" || bad "other office's list: $st $(cat api.json)"
st=$(api "$ONE" GET "/api/v1/cards/expiring?days=20")
[ "$st" = 200 ] && jq -e '.cards == []' api.json >/dev/null \
  && ok "within 20 days: none in office A" || bad "days=20: $st $(cat api.json)"
st=$(api "$ADMIN" GET "/api/v1/cards/expiring")
[ "$st" = 200 ] && jq -e --arg a "$CARD_A" --arg c "$CARD_C" '(.cards | map(.card)) == [$c, $a]' api.json >/dev/null \
  && ok "the ministry sees both offices' cards, soonest first" || bad "admin list: $st $(cat api.json)"

# ---- console sign-in for the supervisor (login CSRF, then the session's CSRF)
console_signin() { # user password jar
  local csrf
  csrf=$(curl -s -c "$3" "$I/console/signin" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
  curl -s -o /dev/null -b "$3" -c "$3" --data-urlencode "csrf=$csrf" --data-urlencode "username=$1" \
    --data-urlencode "password=$2" "$I/console/signin"
}
console_signin a.sup "$PW" sup.jar
console_signin a.one "$PW" one.jar
curl -s -b sup.jar "$I/console/expiring" >expiring.html
grep -q "data-card=\"$CARD_A\"" expiring.html && ! grep -q "data-card=\"$CARD_C\"" expiring.html \
  && grep -q '김민지' expiring.html && ok "the console's expiring page lists office A's card with the holder's name" \
  || bad "console expiring page"
curl -s -b sup.jar "$I/console/applications/$APP_A" >detail.html
grep -q 'id="do-renew"' detail.html && ok "the supervisor sees the renew step" || bad "no renew step"
curl -s -b one.jar "$I/console/applications/$APP_A" >detail-one.html
grep -q 'data-why="renew"' detail-one.html && ! grep -q 'id="do-renew"' detail-one.html \
  && ok "a plain officer is told only a supervisor can renew" || bad "officer's page"
csrf_of() { sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$1" | head -n 1; }
console_post() { # jar page step [field=value] -> prints the redirect
  local f=()
  [ -n "${4:-}" ] && f=(--data-urlencode "$4")
  curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -b "$1" --data-urlencode "csrf=$(csrf_of "$2")" \
    "${f[@]}" "$I/console/applications/$APP_A/$3"
}

# ---- refusals
r=$(console_post one.jar detail-one.html renew)
[[ "$r" == "303 "*"refused=ACCESS_DENIED&step=renew" ]] && ok "console: a plain officer's renewal is refused" \
  || bad "officer renew: $r"
st=$(api "$BSUP" POST "/api/v1/applications/$APP_A/renew" '{}')
[ "$st" = 403 ] && jq -e '.error == "ACCESS_DENIED"' api.json >/dev/null \
  && ok "API: another office's supervisor cannot renew" || bad "office B renew: $st $(cat api.json)"
st=$(api "$ONE" POST "/api/v1/applications/$APP_A/renew" '{}')
[ "$st" = 403 ] && ok "API: a plain officer cannot renew" || bad "officer API renew: $st $(cat api.json)"
st=$(api "$SUP" POST "/api/v1/applications/$APP_A/renew" '{"passport_number":"M99990000"}')
[ "$st" = 422 ] && jq -e '.error == "PASSPORT_CHANGED" and (.detail | test("reissue"))' api.json >/dev/null \
  && ok "another passport: PASSPORT_CHANGED, a reissue" || bad "passport changed: $st $(cat api.json)"
st=$(api "$SUP" POST "/api/v1/applications/$APP_B/renew" '{}')
[ "$st" = 422 ] && jq -e '.error == "RENEWAL_UNDELIVERABLE"' api.json >/dev/null \
  && ok "a wallet without a key-bound refresh token: RENEWAL_UNDELIVERABLE" || bad "undeliverable: $st $(cat api.json)"
# the passport on file expires (re-sealed under the data key, as time would make it)
python3 - "$DB" "$T/var" "$APP_B" <<'PY' || die "reseal"
import sqlite3, sys, json, base64, os, glob
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
db, var, app = sys.argv[1:4]
cfg = json.load(open(os.path.join(var, "issuer.json")))
keyf = cfg["data_key_file"]
keyf = keyf if os.path.isabs(keyf) else os.path.join(var, keyf)
raw = open(keyf, "rb").read()
key = raw if len(raw) == 32 else bytes.fromhex(raw.decode().strip())
b64 = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
con = sqlite3.connect(db, timeout=10)
sealed = b64(con.execute("SELECT pii_sealed FROM issuer_applications WHERE id = ?", (app,)).fetchone()[0])
aad = ("mobid-application:" + app).encode()
pii = json.loads(AESGCM(key).decrypt(sealed[:12], sealed[12:], aad))
pii["passport_expiry"] = "2020-01-01"
iv = os.urandom(12)
out = iv + AESGCM(key).encrypt(iv, json.dumps(pii, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(), aad)
con.execute("UPDATE issuer_applications SET pii_sealed = ? WHERE id = ?",
            (base64.urlsafe_b64encode(out).decode().rstrip("="), app))
con.commit()
PY
st=$(api "$SUP" POST "/api/v1/applications/$APP_B/renew" '{}')
[ "$st" = 422 ] && jq -e '.error == "PASSPORT_EXPIRED" and (.detail | test("applies anew"))' api.json >/dev/null \
  && ok "the passport on file expired: PASSPORT_EXPIRED, apply anew" || bad "passport expired: $st $(cat api.json)"

# ---- Government 24 (its API key as mobid up keeps it)
KEY=$(head -n 1 var/rp/gov24.api-key)
verdict() { # wallet -> the verifier's status and error
  curl -fs -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d '{"profile":"resident_full"}' "$V/api/v1/verifications" >session.json || return 1
  W=$1 wallet --yes present "$(jq -r .deep_link session.json)" >present.json 2>/dev/null
  curl -fs -H "Authorization: Bearer $KEY" "$V/api/v1/verifications/$(jq -r .id session.json)?wait=20" \
    | jq -r '"\(.status) \(.error // "")"'
}

# ---- the supervisor renews in the console; the old card works until the wallet refreshes
r=$(console_post sup.jar detail.html renew "passport_number=m 1111 2222")
[[ "$r" == "303 "*"done=renew" ]] && ok "console: the supervisor renews (303 back, done=renew)" \
  || bad "console renew: $r"
curl -s -b sup.jar "$I/console/applications/$APP_A?done=renew" >after.html
grep -q 'data-why="renewal-pending"' after.html && ok "the page says the renewal waits for the wallet" \
  || bad "no pending notice"
st=$(api "$SUP" POST "/api/v1/applications/$APP_A/renew" '{}')
[ "$st" = 409 ] && jq -e '.error == "WRONG_STATE"' api.json >/dev/null \
  && ok "a second renewal while one waits: WRONG_STATE" || bad "double renewal: $st $(cat api.json)"
[ "$(sql "SELECT state FROM issuer_cards WHERE id = '$CARD_A'")" = 0 ] && [ "$(verdict w.wallet)" = "verified " ] \
  && ok "until the wallet refreshes, the old card stays active and verifies" || bad "old card before pickup"
cp w.wallet old.wallet && cp w.wallet.key old.wallet.key || die "copy the wallet"

wallet refresh --force >r.json || bad "refresh: $(cat r.json)"
jq -e '.refreshed | length == 2 and all(.[]; .unused == 10 and .total == 10)' r.json >/dev/null \
  && ok "the wallet's refresh received the renewed card: a full batch of 10 per format" \
  || bad "refresh: $(cat r.json)"
NEW_A=$(card_of "$APP_A")
[ -n "$NEW_A" ] && [ "$NEW_A" != "$CARD_A" ] \
  && [ "$(sql "SELECT state || ' ' || reason FROM issuer_cards WHERE id = '$CARD_A'")" = "1 renewed" ] \
  && ok "a new card; the old one is superseded (replaced, reason renewed)" || bad "cards: $(sql "SELECT id, state, reason FROM issuer_cards WHERE application_id = '$APP_A'")"
EXP=$(sql "SELECT expires_at FROM issuer_cards WHERE id = '$NEW_A'")
[ $((EXP - $(date +%s))) -gt $((1094 * 86400)) ] && ok "the renewed card is valid for the card type's 3 years" \
  || bad "renewed expiry $EXP"
[ "$(sql "SELECT jkt FROM issuer_refresh_tokens t JOIN issuer_cards c ON c.offer_id = t.offer_id WHERE c.id = '$NEW_A'")" = "$JKT" ] \
  && ok "the new card went to the same wallet key" || bad "wallet key changed"
[ "$(sql "SELECT count(*) FROM issuer_credentials c JOIN issuer_status_entries e ON e.list_id = c.list_id AND e.idx = c.status_idx WHERE c.card_id = '$CARD_A' AND e.status <> 1")" = 0 ] \
  && ok "every copy of the old card reads INVALID in the status lists" || bad "old status bits"
v=$(verdict w.wallet)
[ "$v" = "verified " ] && ok "Government 24 verifies a copy of the renewed card" || bad "new copy: $v"
# The verifier may answer from the status list it fetched a moment ago for as long as
# the list's ttl (1 s under mobid up): the old copy is presented again (one copy each
# time) until that has run out.
refused_old() { v=$(verdict old.wallet); [ "$v" = "failed REVOKED" ]; }
wait_until -t 30 refused_old && ok "Government 24 refuses a copy of the superseded card: REVOKED" \
  || bad "old copy: $v"
st=$(api "$ONE" GET /api/v1/cards/expiring)
[ "$st" = 200 ] && jq -e '.cards == []' api.json >/dev/null \
  && ok "the renewed card left office A's expiring list" || bad "list after renewal: $(cat api.json)"

# ---- a second renewal, over the API this time (through mobid office)
"$BIN" office apps renew "$APP_A" --passport M11112222 --token "$SUP" --json >api.json \
  && jq -e --arg n "$NEW_A" '.card == $n and .renewal_pending' api.json >/dev/null \
  && ok "mobid office apps renew: the supervisor renews the renewed card" || bad "CLI renew: $(cat api.json)"
"$BIN" office cards expiring --token "$ONE" --json >api.json; rc=$?
[ "$rc" = 0 ] && jq -e '.within_days == 90 and .cards == []' api.json >/dev/null \
  && ok "mobid office cards expiring: the office's list (empty now)" || bad "CLI list: $rc $(cat api.json)"
"$BIN" office apps renew "$APP_B" --token "$ONE" --json >api.json; rc=$?
[ "$rc" = 1 ] && jq -e '.error == "ACCESS_DENIED"' api.json >/dev/null \
  && ok "mobid office apps renew as a plain officer: exit 1, ACCESS_DENIED" || bad "CLI refusal: $rc $(cat api.json)"
wallet refresh --force >r.json && NEW2=$(card_of "$APP_A") && [ "$NEW2" != "$NEW_A" ] \
  && [ "$(verdict w.wallet)" = "verified " ] && ok "the wallet picks the second renewal up too" \
  || bad "second pickup: $(cat r.json)"

# ---- the audit trail
[ "$(sql "SELECT count(*) FROM issuer_audit WHERE action = 'card.renew' AND subject IN ('$CARD_A', '$NEW_A')")" = 2 ] \
  && [ "$(sql "SELECT count(*) FROM issuer_audit WHERE action = 'card.replace' AND subject = '$CARD_A' AND detail LIKE '%$NEW_A%'")" = 1 ] \
  && [ "$(sql "SELECT count(*) FROM issuer_audit WHERE action = 'card.issue' AND subject = '$NEW_A' AND detail LIKE '%$CARD_A%'")" = 1 ] \
  && ok "renewals, supersessions and new cards are audited" || bad "audit entries"
"$BIN" issuer audit verify --db "sqlite:$DB" >/dev/null && ok "the audit chain verifies" || bad "audit chain"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "cards renew for the same wallet; old copies are refused"
