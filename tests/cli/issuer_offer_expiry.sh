#!/usr/bin/env bash
# Lifecycle by time: the service's sweep (every "lifecycle"."sweep_s" seconds) moves an
# application whose offer expired unredeemed to offer_expired by itself: nothing reads
# the application meanwhile, the test only watches the database. An application whose
# offer is still valid stays offer_issued. The change is audited and the chain holds.
set -euo pipefail

bin=${MOBID_BIN:?}
. "$(dirname "$0")/lib/issuer_serve.sh"
issuer_test_begin expiry
ISSUER_EXTRA_CONFIG='"lifecycle":{"sweep_s":1}' issuer_serve_start "$db" || fail "issuer did not start"

issuer_claims
for p in 1 2; do
  "$bin" issuer offer --db "$db" --config issuer.json --cardtype resident_card --claims claims.json \
    --person "900517-234567$p" >"o$p.json" || fail "offer $p"
done
# Two applications in offer_issued, one per offer; the first offer's time runs out.
sql() {
  python3 - "$tmp/issuer.db" "$@" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
rows = db.execute(sys.argv[2], sys.argv[3:]).fetchall()
db.commit()
for r in rows: print(*r)
PY
}
for p in 1 2; do
  sql "INSERT INTO issuer_applications (id, office_id, cardtype, person_ref, state, pii_sealed,
       received_by, offer_id, created_at, updated_at) VALUES (?, 'x', 'resident_card', ?,
       'offer_issued', 'x', 'x', ?, 0, 0)" "app$p" "person$p" "$(jq -r .offer_id "o$p.json")"
done
sql "UPDATE issuer_offers SET expires_at = 1 WHERE id = ?" "$(jq -r .offer_id o1.json)"
state() { sql "SELECT state FROM issuer_applications WHERE id = ?" "$1"; }
is_state() { [ "$(state "$1")" = "$2" ]; }
wait_until -p "$pid" is_state app1 offer_expired || fail "expired offer's application: $(state app1)"
[ "$(state app2)" = offer_issued ] || fail "valid offer's application moved: $(state app2)"
[ "$(sql "SELECT count(*) FROM issuer_audit WHERE action = 'application.offer_expired' AND subject = 'app1'")" = 1 ] \
  || fail "not audited"
"$bin" issuer audit verify --db "$db" >/dev/null || fail "audit chain"
echo "issuer_offer_expiry: ok"
