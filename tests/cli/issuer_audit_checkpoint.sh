#!/usr/bin/env bash
# Signed audit checkpoints: the service publishes one at GET /audit/checkpoint (signed
# by the status-list signer, chained to the IACA); a copy saved elsewhere pins the
# entries it counts. Tampering with the database itself:
#   - one entry edited: the chain alone finds it;
#   - an entry before the checkpoint edited with every later hash and the head row
#     recomputed: the chain alone verifies, --checkpoint finds it;
#   - the tail cut back below the checkpoint with the head row moved: found;
#   - only entries after the checkpoint rewritten: the checkpoint still holds (a later
#     checkpoint covers them);
#   - a checkpoint signed by another PKI, or edited: refused.
set -euo pipefail

bin=${MOBID_BIN:?}
. "$(dirname "$0")/lib/issuer_serve.sh"
issuer_test_begin ckpt

issuer_serve_start "$db" || fail "issuer did not start"

issuer_claims
offer() { "$bin" issuer offer --db "$db" --config issuer.json --cardtype resident_card \
  --claims claims.json --person "900517-234567$1" >/dev/null || fail "offer $1"; }
for p in 1 2 3 4; do offer "$p"; done

# ---- published, and saved elsewhere ----
curl -sf "$url/audit/checkpoint" >ck.json || fail "GET /audit/checkpoint"
jq -e '.seq == 4 and (.head | length) == 64 and (.checkpoint | split(".") | length) == 3' ck.json \
  >/dev/null || fail "checkpoint: $(cat ck.json)"
# unchanged chain: the same checkpoint is served again
curl -sf "$url/audit/checkpoint" | jq -e --arg c "$(jq -r .checkpoint ck.json)" '.checkpoint == $c' \
  >/dev/null || fail "checkpoint re-signed though the chain did not move"
for p in 5 6 7; do offer "$p"; done
"$bin" issuer audit checkpoint --db "$db" --config issuer.json --out ck7.jws || fail "audit checkpoint"
verify() { "$bin" issuer audit verify --db "$db" --json "$@"; }
verify --checkpoint ck.json --trust pki/iaca.pem >v.json || fail "clean chain: $(cat v.json)"
jq -e '.valid and .entries == 7 and .checkpoint_seq == 4' v.json >/dev/null || fail "clean: $(cat v.json)"
verify --checkpoint ck7.jws --config issuer.json >/dev/null || fail "checkpoint 7 with --config"
set +e; verify --checkpoint ck.json >/dev/null 2>&1; rc=$?; set -e
[ $rc = 2 ] || fail "--checkpoint without trust is a usage error (exit $rc)"

# ---- a checkpoint from another PKI, and an edited one ----
"$bin" pki init other --issuer-url "$url" 2>/dev/null || fail "other pki"
set +e; verify --checkpoint ck.json --trust other/iaca.pem >bad.json 2>/dev/null; rc=$?; set -e
[ $rc = 1 ] && jq -e '.valid == false' bad.json >/dev/null || fail "foreign anchor accepted (exit $rc)"
jq -r .checkpoint ck.json | awk -F. '{print $1"."$2"."substr($3,1,10)"AAAA"substr($3,15)}' >forged.jws
set +e; verify --checkpoint forged.jws --trust pki/iaca.pem >bad.json 2>/dev/null; rc=$?; set -e
[ $rc = 1 ] || fail "edited checkpoint accepted (exit $rc)"

# ---- tampering with the database (the service is stopped) ----
issuer_serve_stop
cp issuer.db pristine.db
# Rewrite entry FROM's detail to DETAIL; with "rehash", recompute every hash from there
# on and the head row, as someone who knows the chain's construction would.
tamper() {
  python3 - "$tmp/issuer.db" "$@" <<'PY'
import hashlib, sqlite3, struct, sys
path, first, detail, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
db = sqlite3.connect(path)
db.execute("UPDATE issuer_audit SET detail = ? WHERE seq = ?", (detail, first))
if mode == "rehash":
    rows = db.execute("SELECT seq, at, actor, action, subject, detail, prev_hash FROM issuer_audit"
                      " WHERE seq >= ? ORDER BY seq", (first,)).fetchall()
    prev = bytes.fromhex(rows[0][6])
    for seq, at, actor, action, subject, det, _ in rows:
        m = prev + b"mobid-issuer-audit-v1" + struct.pack(">QQ", seq, at)
        for f in (actor, action, subject, det):
            b = f.encode()
            m += struct.pack(">Q", len(b)) + b
        h = hashlib.sha256(m).hexdigest()
        db.execute("UPDATE issuer_audit SET prev_hash = ?, hash = ? WHERE seq = ?", (prev.hex(), h, seq))
        prev = bytes.fromhex(h)
    db.execute("UPDATE issuer_audit_head SET hash = ? WHERE id = 1", (prev.hex(),))
db.commit()
PY
}
restore() { cp pristine.db issuer.db; rm -f issuer.db-wal issuer.db-shm; }
restore; tamper 2 '{"forged":1}' plain
set +e; verify >bad.json 2>/dev/null; rc=$?; set -e
[ $rc = 1 ] && jq -e '.first_bad_seq == 2' bad.json >/dev/null || fail "plain edit: $(cat bad.json)"

restore; tamper 3 '{"forged":1}' rehash
verify >ok.json || fail "the recomputed chain should hold together: $(cat ok.json)"
set +e; verify --checkpoint ck.json --trust pki/iaca.pem >bad.json 2>/dev/null; rc=$?; set -e
[ $rc = 1 ] && jq -e '.error == "DIGEST_MISMATCH" and .checkpoint_seq == 4' bad.json >/dev/null \
  || fail "tail rewrite with its head row not found (exit $rc): $(cat bad.json)"

restore
python3 - "$tmp/issuer.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
h = db.execute("SELECT hash FROM issuer_audit WHERE seq = 2").fetchone()[0]
db.execute("DELETE FROM issuer_audit WHERE seq > 2")
db.execute("UPDATE issuer_audit_head SET seq = 2, hash = ? WHERE id = 1", (h,))
db.commit()
PY
verify >/dev/null || fail "a cut chain with its head moved holds together on its own"
set +e; verify --checkpoint ck.json --trust pki/iaca.pem >bad.json 2>/dev/null; rc=$?; set -e
[ $rc = 1 ] || fail "chain cut below the checkpoint not found (exit $rc)"

restore; tamper 6 '{"forged":1}' rehash
verify --checkpoint ck.json --trust pki/iaca.pem >/dev/null \
  || fail "a rewrite after entry 4 is outside checkpoint 4"
set +e; verify --checkpoint ck7.jws --trust pki/iaca.pem >/dev/null 2>&1; rc=$?; set -e
[ $rc = 1 ] || fail "checkpoint 7 missed the rewrite of entry 6 (exit $rc)"
echo "issuer_audit_checkpoint: ok"
