#!/usr/bin/env bash
# Lifecycle by time: the service's sweep (every "lifecycle"."sweep_s" seconds) moves an
# application whose offer expired unredeemed to offer_expired by itself: nothing reads
# the application meanwhile, the test only watches the database. So does one whose
# offer is stale: its code was redeemed, but the access token expired before a card was
# made. An application whose offer is still valid, or whose redeemed code still has a
# live access token, stays offer_issued. The changes are audited (with what became of
# the offer) and the chain holds.
set -euo pipefail

bin=${MOBID_BIN:?}
. "$(dirname "$0")/lib/issuer_serve.sh"
issuer_test_begin expiry
ISSUER_EXTRA_CONFIG='"lifecycle":{"sweep_s":1}' issuer_serve_start "$db" || fail "issuer did not start"

issuer_claims
for p in 1 2 3 4; do
  "$bin" issuer offer --db "$db" --config issuer.json --cardtype resident_card --claims claims.json \
    --person "900517-234567$p" >"o$p.json" || fail "offer $p"
done
# Four applications in offer_issued, one per offer; the first offer's time runs out.
sql() {
  python3 - "$tmp/issuer.db" "$@" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
rows = db.execute(sys.argv[2], sys.argv[3:]).fetchall()
db.commit()
for r in rows: print(*r)
PY
}
for p in 1 2 3 4; do
  sql "INSERT INTO issuer_applications (id, office_id, cardtype, person_ref, state, pii_sealed,
       received_by, offer_id, created_at, updated_at) VALUES (?, 'x', 'resident_card', ?,
       'offer_issued', 'x', 'x', ?, 0, 0)" "app$p" "person$p" "$(jq -r .offer_id "o$p.json")"
done
sql "UPDATE issuer_offers SET expires_at = 1 WHERE id = ?" "$(jq -r .offer_id o1.json)"
# offers 3 and 4 redeemed (code used), no card yet: 3's access token has expired, 4's lives
# (the token first: the sweep never sees offer 4 redeemed without it)
for p in 3 4; do
  sql "INSERT INTO issuer_access_tokens (token_hash, offer_id, created_at, expires_at)
       VALUES (?, ?, 1, ?)" "tok$p" "$(jq -r .offer_id "o$p.json")" "$([ $p = 3 ] && echo 2 || echo 4000000000)"
  sql "UPDATE issuer_offers SET used_at = 1 WHERE id = ?" "$(jq -r .offer_id "o$p.json")"
done
state() { sql "SELECT state FROM issuer_applications WHERE id = ?" "$1"; }
both_expired() { [ "$(state app1)/$(state app3)" = offer_expired/offer_expired ]; }
wait_until -p "$pid" both_expired || true
[ "$(state app1)" = offer_expired ] || fail "expired offer's application: $(state app1)"
[ "$(state app3)" = offer_expired ] || fail "stale offer's application: $(state app3)"
[ "$(state app2)" = offer_issued ] || fail "valid offer's application moved: $(state app2)"
[ "$(state app4)" = offer_issued ] || fail "redeemed offer with a live token moved: $(state app4)"
audited() { sql "SELECT detail FROM issuer_audit WHERE action = 'application.offer_expired' AND subject = ?" "$1"; }
[ "$(audited app1)" = '{"offer":"expired"}' ] || fail "app1 audited as '$(audited app1)'"
[ "$(audited app3)" = '{"offer":"stale"}' ] || fail "app3 audited as '$(audited app3)'"
"$bin" issuer audit verify --db "$db" >/dev/null || fail "audit chain"
echo "issuer_offer_expiry: ok"
