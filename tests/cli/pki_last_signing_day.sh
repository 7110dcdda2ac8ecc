#!/usr/bin/env bash
# Issued on the last day a document signer could sign, verified on the card's final day.
# The clocks are real: the signer is made to end tomorrow (`mobid pki add-ds --days 1`),
# so today is its last signing day, and the resident card lives 3 days (its card type's
# validity_days), so its final day comes after the signer's end. Verification is
# offline at a pinned time (`--at`), in mdoc and in SD-JWT VC.
# - Without a roll, the issuer warns at start that its signer ends within 30 days, and
#   the card's credentials are cut at the signer's notAfter: they verify in the
#   signer's last minute and are refused after it, never outliving it (no CERT_EXPIRED
#   window inside a credential's validity).
# - Rolled in before the end (`mobid pki add-ds`, then a restart), on that same last
#   day the issuer signs with the new signer: the next card's credentials run to the
#   card's own expiry and verify on its final day, and stop after it.
set -euo pipefail

bin=${MOBID_BIN:?}
src=${MOBID_SOURCE_DIR:?}
for c in jq openssl sqlite3; do
  command -v $c >/dev/null || { echo "SKIP: $c not installed (scripts/deps installs it)"; exit 77; }
done
. "$(dirname "$0")/lib/issuer_serve.sh"
issuer_test_begin lastday
ok() { echo "ok - $*"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
not_after() { date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s; }

jq '.card_types |= map(if .id == "resident_card" then .validity_days = 3 else . end)' \
  "$src/etc/card-types.json" >card-types.json
ISSUER_EXTRA_CONFIG='"card_types":"card-types.json"' issuer_serve_start "$db" || fail "issuer did not start"

# today is the last day ds-0002 can sign; ds-0001 signs nothing more
"$bin" pki retire-ds pki ds-0001 || fail "retire-ds"
"$bin" pki add-ds pki --days 1 --json >add.json || fail "add-ds --days 1"
[ "$(jq -r .ds add.json)" = ds-0002 ] || fail "add-ds made $(cat add.json)"
"$bin" pki check pki/ds-0002.pem >/dev/null 2>&1 || fail "ds-0002 fails the profile"
ds_end=$(not_after pki/ds-0002.pem)
left=$((ds_end - $(date +%s)))
[ "$left" -gt 0 ] && [ "$left" -le 86400 ] || fail "ds-0002 does not end within a day ($left s)"
issuer_serve_stop; issuer_serve "$db" || fail "issuer did not restart"
grep -q '"level":"warn".*document signer ds-0002 ends at' serve.err \
  || fail "the issuer did not warn that its signer ends within 30 days"

card() { # rrn name -> NAME/ with the credentials, NAME.v (SD-JWT claims), NAME.exp (card)
  issuer_claims "$1"
  "$bin" issuer offer --db "$db" --config issuer.json --cardtype resident_card \
    --claims claims.json --person "$1" >"$2.offer" || fail "offer $2"
  mkdir "$2"
  "$bin" issuer fetch --offer "$(jq -r .offer_ref_uri "$2.offer")" --tx-code "$(jq -r .tx_code "$2.offer")" \
    --out "$2" --batch 1 --trust pki/iaca.pem >/dev/null || fail "fetch $2"
  "$bin" sdjwt verify --trust pki/iaca.pem --json "$2/resident_card_sdjwt_0.cred" >"$2.v" \
    || fail "verify $2: $(cat "$2.v")"
  sqlite3 "$tmp/issuer.db" "SELECT expires_at FROM issuer_cards WHERE offer_id = '$(jq -r .offer_id "$2.offer")'" >"$2.exp"
  sqlite3 "$tmp/issuer.db" "SELECT DISTINCT c.signer_id FROM issuer_credentials c JOIN issuer_cards k
    ON k.id = c.card_id WHERE k.offer_id = '$(jq -r .offer_id "$2.offer")'" >"$2.signer"
  # the mdoc copy presented once, for verification at any time
  tr -d '\n' <"$2/resident_card_mdoc_0.cred" | tr '_-' '/+' \
    | awk '{ n = length($0) % 4; p = n ? substr("===", 1, 4 - n) : ""; print $0 p }' | base64 -d >"$2.is"
  "$bin" mdoc transcript --oid4vp --client-id x509_hash:abc --nonce "n-$2" \
    --response-uri https://rp.example/cb -o "$2.t"
  "$bin" mdoc present --issuer-signed "$2.is" --device-key "$2/resident_card_mdoc_0.key.jwk" \
    --transcript "$2.t" --reveal kr.go.mois.resident.1/family_name -o "$2.resp" || fail "present $2"
}
at() { # NAME TIME -> "mdoc sdjwt" verdicts at TIME (ok, or the error code)
  local m s
  m=$("$bin" mdoc verify --trust pki/iaca.pem --transcript "$1.t" --at "$(iso "$2")" --json "$1.resp" \
      | jq -r 'if .valid then "ok" else .error end')
  s=$("$bin" sdjwt verify --trust pki/iaca.pem --at "$(iso "$2")" --json "$1/resident_card_sdjwt_0.cred" \
      | jq -r 'if .valid then "ok" else .error end')
  echo "$m $s"
}

# ---- no roll: the card issued on the signer's last day is cut at the signer's end
card 900517-2345678 A
[ "$(cat A.signer)" = ds-0002 ] || fail "card A signed by $(cat A.signer)"
[ "$(cat A.exp)" -gt "$ds_end" ] || fail "card A ends $(cat A.exp), before its signer ($ds_end)"
[ "$(jq -r .claims.exp A.v)" = "$ds_end" ] || fail "A's SD-JWT exp $(jq -r .claims.exp A.v), signer ends $ds_end"
[ "$(at A $((ds_end - 60)))" = "ok ok" ] || fail "A in its signer's last minute: $(at A $((ds_end - 60)))"
verdict=$(at A $((ds_end + 60)))
case $verdict in *ok*) fail "A verified after its signer's end: $verdict" ;; esac
ok "issued on ds-0002's last day: credentials cut at its notAfter, valid in its last minute, refused after ($verdict)"

# ---- rolled in before the end: the same day's next card runs to the card's final day
"$bin" pki add-ds pki --json >add.json || fail "add-ds"
[ "$(jq -r .ds add.json)" = ds-0003 ] || fail "add-ds made $(cat add.json)"
issuer_serve_stop; issuer_serve "$db" || fail "issuer did not restart"
[ "$(date +%s)" -lt "$ds_end" ] || fail "ds-0002 ended during the test"
[ "$(grep -c 'document signer .* ends at' serve.err)" = 1 ] || fail "a warning after the roll"
card 800101-1234567 B
[ "$(cat B.signer)" = ds-0003 ] || fail "card B, issued on ds-0002's last day after the roll, signed by $(cat B.signer)"
card_end=$(cat B.exp)
[ "$(jq -r .claims.exp B.v)" = "$card_end" ] || fail "B's SD-JWT exp $(jq -r .claims.exp B.v), the card ends $card_end"
[ "$card_end" -gt "$ds_end" ] || fail "card B ends before ds-0002 did"
[ "$(at B $((card_end - 3600)))" = "ok ok" ] || fail "B on the card's final day: $(at B $((card_end - 3600)))"
[ "$(at B $((ds_end + 60)))" = "ok ok" ] || fail "B just after ds-0002's end: $(at B $((ds_end + 60)))"
[ "$(at B $((card_end + 60)))" = "EXPIRED EXPIRED" ] || fail "B after the card's end: $(at B $((card_end + 60)))"
ok "after the roll on the last day: ds-0003 signs, credentials run to the card's final day and verify then, EXPIRED after"
echo "pki_last_signing_day: ok"
