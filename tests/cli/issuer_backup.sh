#!/usr/bin/env bash
# Backup and restore of the issuer's database: cards A and B are issued, B is
# suspended, `mobid issuer backup` copies the database while the service runs; then C
# is issued, A suspended and B revoked. With the service stopped, `mobid issuer
# restore` brings the backup back: the audit chain verifies (the restore is its last
# entry), A is active and B suspended again, C is unknown, and the status list the
# service serves says VALID for A and SUSPENDED for B. A new card after the restore
# takes its index from a new list. Refusals: an existing --out, a damaged backup (the
# database is left as it was).
# SQLite by default; issuer_backup_pg.sh runs it on PostgreSQL (ISSUER_BACKUP_DB and
# ISSUER_BACKUP_RESTORE_DB, an empty database: pg_dump, then pg_restore into it).
set -euo pipefail

bin=${MOBID_BIN:?}
. "$(dirname "$0")/lib/issuer_serve.sh"
issuer_test_begin backup
db=${ISSUER_BACKUP_DB:-$db}
pg=""; case $db in postgres*) pg=1 ;; esac
if [ -n "$pg" ]; then bak=backup.dump; else bak=backup.db; fi
stop() { issuer_serve_stop; }

issuer_serve_start "$db" || fail "issuer did not start"

card() { # rrn name -> dir name with one card; offer id in $name.offer
  issuer_claims "$1"
  "$bin" issuer offer --db "$db" --config issuer.json --cardtype resident_card \
    --claims claims.json --person "$1" >"$2.offer" || fail "offer $2"
  mkdir "$2"
  "$bin" issuer fetch --offer "$(jq -r .offer_uri "$2.offer")" --tx-code "$(jq -r .tx_code "$2.offer")" \
    --out "$2" --batch 1 >/dev/null || fail "fetch $2"
  "$bin" sdjwt verify --trust pki/iaca.pem --json "$2/resident_card_sdjwt_0.cred" >"$2.v" || fail "verify $2"
}
oid() { jq -r .offer_id "$1.offer"; }
life() { "$bin" issuer card "$1" --db "$db" --config issuer.json --reason test "$(oid "$2")" >/dev/null \
  || fail "$1 $2"; }
state() { "$bin" issuer card show --db "$db" --config issuer.json "$(oid "$1")" | jq -r .state; }
st() { # card -> status in the served list
  "$bin" status check --uri "$(jq -r .claims.status.status_list.uri "$1.v")" --trust pki/iaca.pem \
    --idx "$(jq -r .claims.status.status_list.idx "$1.v")" --json | jq -r .status
}

card 900517-2345678 A
card 800101-1234567 B
life suspend B
[ "$(st A)/$(st B)" = VALID/SUSPENDED ] || fail "before the backup: $(st A)/$(st B)"

# ---- the backup, online ----
"$bin" issuer backup --db "$db" --out $bak --json >backup.json || fail "backup: $(cat backup.json)"
jq -e '.valid and .cards == 2 and .audit_entries > 0' backup.json >/dev/null || fail "backup facts: $(cat backup.json)"
[ "$(stat -c %a $bak)" = 600 ] || fail "backup file is not 0600"
[ ! -e $bak-wal ] || fail "backup left a -wal file"
entries=$(jq -r .audit_entries backup.json)
set +e; "$bin" issuer backup --db "$db" --out $bak --json >b2.json 2>/dev/null; rc=$?; set -e
[ $rc = 1 ] && jq -e '.error == "IO"' b2.json >/dev/null || fail "existing --out overwritten (exit $rc)"

# ---- life goes on ----
card 850303-1111111 C
life suspend A
life revoke B
[ "$(st A)/$(st B)/$(st C)" = SUSPENDED/INVALID/VALID ] || fail "after the backup: $(st A)/$(st B)/$(st C)"

# ---- refusals: a damaged backup changes nothing ----
head -c $(($(stat -c %s $bak) / 2)) $bak >broken.bak
stop
if [ -n "$pg" ]; then
  # into the live database (not empty) is refused; into an empty one, a damaged
  # archive leaves it empty (one transaction)
  set +e; "$bin" issuer restore --db "$db" --from $bak --json >r.json 2>/dev/null; rc=$?; set -e
  [ $rc = 1 ] && jq -e '.error == "STORE_CONFLICT"' r.json >/dev/null || fail "restore over a live database: $(cat r.json)"
  target=${ISSUER_BACKUP_RESTORE_DB:?}
else
  target=$db
fi
set +e; "$bin" issuer restore --db "$target" --from broken.bak --json >r.json 2>/dev/null; rc=$?; set -e
[ $rc = 1 ] || fail "damaged backup restored (exit $rc): $(cat r.json)"
[ "$(state A)" = suspended ] || fail "a refused restore changed the database"

# ---- the restore ----
"$bin" issuer restore --db "$target" --from $bak --json >restore.json || fail "restore: $(cat restore.json)"
db=$target
"$bin" issuer audit verify --db "$db" --json >audit.json || fail "audit after restore: $(cat audit.json)"
[ "$(jq -r .entries audit.json)" = $((entries + 1)) ] || fail "audit entries $(cat audit.json), backup had $entries"
[ "$(state A)/$(state B)" = active/suspended ] || fail "card states after restore: $(state A)/$(state B)"
set +e; "$bin" issuer card show --db "$db" --config issuer.json "$(oid C)" >/dev/null 2>&1; rc=$?; set -e
[ $rc = 1 ] || fail "card C issued after the backup is still known (exit $rc)"
issuer_serve "$db" || fail "issuer did not start after the restore"
[ "$(st A)/$(st B)" = VALID/SUSPENDED ] || fail "served list after restore: $(st A)/$(st B)"
card 700101-1212121 D
[ "$(jq -r .claims.status.status_list.uri D.v)" != "$(jq -r .claims.status.status_list.uri A.v)" ] \
  || fail "a card after the restore took an index from a list open before it"
echo "issuer_backup: ok"
