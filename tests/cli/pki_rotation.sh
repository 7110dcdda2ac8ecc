#!/usr/bin/env bash
# Signing keys rotate without touching issued cards, end to end through the issuer,
# a wallet and the verifier service. Card A is issued under ds-0001 and the first
# status-list signer. `mobid pki add-ds` rolls in ds-0002 and the issuer restarts:
# card B is signed by ds-0002, while A (ds-0001) still verifies at the verifier, in
# mdoc and in SD-JWT VC. `mobid pki retire-ds` then leaves ds-0002 signing and A still
# verifying. `mobid pki add-status` rolls in status-0002: after a restart the served
# lists and the audit checkpoint carry the new signer, a list token the old signer
# made stays valid until its exp, and a suspension made after the rotation is seen by
# the verifier through the list the new signer signed. `mobid pki retire-ds` of
# status-0002 hands the lists back to the first status-list signer.
set -euo pipefail

bin=${MOBID_BIN:?}
for c in jq curl openssl sqlite3; do
  command -v $c >/dev/null || { echo "SKIP: $c not installed (scripts/deps installs it)"; exit 77; }
done
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/issuer_serve.sh"
issuer_test_begin rotation
ok() { echo "ok - $*"; }

# lists re-read at once by the verifier (ttl 1 s), and small
ISSUER_EXTRA_CONFIG='"status_list":{"ttl_s":1,"size":1024}'
issuer_serve_start "$db" || fail "issuer did not start"
restart() { issuer_serve_stop; issuer_serve "$db" || fail "issuer did not restart"; }

# ---- one relying party registered for two claims in both formats, and its verifier
vct="$url/vct/resident_card/1"
ns=kr.go.mois.resident.1
jq -n --arg ns "$ns" --arg vct "$vct" '[
  {format:"mso_mdoc", type:$ns, claims:[[$ns,"family_name"],[$ns,"given_name"]]},
  {format:"dc+sd-jwt", type:$vct, claims:[["family_name"],["given_name"]]}]' >allowed.json
"$bin" pki rp-issue pki --id gov --name "Government 24" --legal-basis "rotation test" \
  --allowed allowed.json --out rp >/dev/null 2>&1 || fail "rp-issue"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >seal.hex
api_key=$(openssl rand -hex 24)
vbase=$(free_base)
V=http://127.0.0.1:$vbase
jq -n --arg h "$("$bin" verifier hash-key "$api_key")" --arg ns "$ns" --arg vct "$vct" \
  --arg pub "$V" '{public_url:$pub, seal_key_file:"seal.hex",
  trust_anchors:["pki/iaca.pem"], registration_anchors:["pki/iaca.pem"],
  relying_parties:[{id:"gov", api_key_sha256:$h, key:"rp/gov.key", cert:"rp/gov.pem",
                    registration:"rp/gov.registration.jwt", response_mode:"direct_post"}],
  profiles:{
    name_mdoc:{credentials:[{id:"card", format:"mso_mdoc", meta:{doctype_value:$ns},
      claims:[{path:[$ns,"family_name"]},{path:[$ns,"given_name"]}]}]},
    name_sdjwt:{credentials:[{id:"card", format:"dc+sd-jwt", meta:{vct_values:[$vct]},
      claims:[{path:["family_name"]},{path:["given_name"]}]}]}}}' >verifier.json
"$bin" verifier serve --db "sqlite:$tmp/verifier.db" --listen "127.0.0.1:$vbase" \
  --config verifier.json >verifier.out 2>verifier.err &
vpid=$!
PIDS+=("$vpid")
wait_until -p "$vpid" grep -q url verifier.out || { cat verifier.err; fail "verifier did not start"; }

# ---- cards: each in its own wallet
echo 135790 >pin
wallet() { local w=$1; shift; "$bin" wallet --wallet "$w.wallet" --pin-file pin --yes --json "$@"; }
card() { # rrn name given -> wallet NAME holding that person's resident card
  jq -n --arg rrn "$1" --arg g "$3" '{family_name:"Kim", given_name:$g,
    family_name_national_character:"김", given_name_national_character:"민지",
    birth_date:"1990-05-17", sex:2, resident_registration_number:$rrn, nationality:"KR",
    resident_country:"DE", residence_status:"permanent", passport_number:"M12345678",
    issuing_office:"berlin"}' >claims.json
  "$bin" issuer offer --db "$db" --config issuer.json --cardtype resident_card \
    --claims claims.json --person "$1" >"$2.offer" || fail "offer $2"
  wallet "$2" --issuer-roots pki/iaca.pem --rp-roots pki/rp-ca.pem \
    --registration-roots pki/iaca.pem --scrypt-n 16384 init >/dev/null 2>&1 || fail "wallet init $2"
  wallet "$2" --tx-code "$(jq -r .tx_code "$2.offer")" receive "$(jq -r .offer_ref_uri "$2.offer")" \
    >"$2.rx" 2>/dev/null || fail "receive $2: $(cat "$2.rx")"
}
# The document signer of a person's credentials, as the issuer recorded it.
signer() { sqlite3 "$tmp/issuer.db" "SELECT DISTINCT c.signer_id FROM issuer_credentials c
  JOIN issuer_cards k ON k.id = c.card_id WHERE k.offer_id = '$(jq -r .offer_id "$1.offer")'"; }
verify() { # wallet profile -> verdict.json; the verdict's status on stdout
  curl -fs -H "Authorization: Bearer $api_key" -H 'Content-Type: application/json' \
    -d "{\"profile\":\"$2\"}" "$V/api/v1/verifications" >session.json || fail "session: $(cat session.json)"
  wallet "$1" present "$(jq -r .deep_link session.json)" >present.json 2>/dev/null || true
  curl -fs -H "Authorization: Bearer $api_key" \
    "$V/api/v1/verifications/$(jq -r .id session.json)?wait=20" >verdict.json
  jq -r 'if .status == "failed" then "failed " + .error else .status end' verdict.json
}
both() { # wallet -> "verified verified" when both formats pass
  echo "$(verify "$1" name_mdoc) $(verify "$1" name_sdjwt)"
}
lists() { sqlite3 "$tmp/issuer.db" "SELECT id FROM issuer_status_lists ORDER BY id"; }
leaf_of() { # JWT (compact) -> its x5c leaf, base64
  local h; h=$(cut -d. -f1 | tr '_-' '/+')
  while [ $((${#h} % 4)) != 0 ]; do h="$h="; done
  printf %s "$h" | base64 -d | jq -r '.x5c[0]'
}
der_b64() { openssl x509 -in "$1" -outform DER | base64 -w0; }

card 900517-2345678 A Minji
[ "$(signer A)" = ds-0001 ] || fail "card A signed by '$(signer A)'"
[ "$(both A)" = "verified verified" ] || fail "card A before any rotation: $(cat verdict.json)"
ok "card A issued under ds-0001 verifies in mdoc and SD-JWT VC"

# ---- document signer: roll in ds-0002
"$bin" pki add-ds pki --json >add.json || fail "add-ds"
[ "$(jq -r .ds add.json)" = ds-0002 ] || fail "add-ds made $(cat add.json)"
"$bin" pki check pki/ds-0002.pem >/dev/null 2>&1 || fail "ds-0002 fails the Annex B profile"
[ "$(openssl x509 -in pki/ds-0002.pem -noout -ext subjectAltName | tail -1 | tr -d ' ')" = "URI:$url" ] \
  || fail "ds-0002 does not name the issuer URL init was given"
restart
card 800101-1234567 B Jisoo
[ "$(signer B)" = ds-0002 ] || fail "card B after add-ds signed by '$(signer B)'"
curl -fs "$url/.well-known/jwt-vc-issuer" | jq -e '.jwks.keys | length == 2' >/dev/null \
  || fail "jwt-vc-issuer does not list both signers"
[ "$(both B)" = "verified verified" ] || fail "card B (ds-0002): $(cat verdict.json)"
[ "$(both A)" = "verified verified" ] || fail "card A (ds-0001) after the roll-in: $(cat verdict.json)"
ok "after add-ds: new card B signed by ds-0002, card A (ds-0001) still verifies, both formats"

"$bin" pki retire-ds pki ds-0001 || fail "retire-ds"
restart
card 850303-1111111 C Hana
[ "$(signer C)" = ds-0002 ] || fail "card C after retire-ds signed by '$(signer C)'"
[ "$(both A)" = "verified verified" ] || fail "card A after ds-0001 retired: $(cat verdict.json)"
ok "retired ds-0001 signs nothing new; its card A still verifies"

# ---- status-list signer: roll in status-0002
list=$(lists | head -1)
curl -fs "$url/status/$list" >old.jwt || fail "list before add-status"
[ "$(leaf_of <old.jwt)" = "$(der_b64 pki/status.pem)" ] || fail "the list was not signed by status"
"$bin" pki add-status pki --json >adds.json || fail "add-status"
[ "$(jq -r .status adds.json)" = status-0002 ] || fail "add-status made $(cat adds.json)"
"$bin" pki check pki/status-0002.pem --json | jq -e '.valid and .certificates[0].profile == "signer"' \
  >/dev/null || fail "status-0002 fails the signer profile"
restart
for l in $(lists); do
  curl -fs "$url/status/$l" >new.jwt || fail "list $l after add-status"
  [ "$(leaf_of <new.jwt)" = "$(der_b64 pki/status-0002.pem)" ] || fail "list $l not signed by status-0002"
done
[ "$(sqlite3 "$tmp/issuer.db" "SELECT DISTINCT signer FROM issuer_status_lists")" = status-0002 ] \
  || fail "lists recorded as signed by $(sqlite3 "$tmp/issuer.db" "SELECT signer FROM issuer_status_lists")"
curl -fs "$url/audit/checkpoint" | jq -r .checkpoint | leaf_of >cp.leaf
[ "$(cat cp.leaf)" = "$(der_b64 pki/status-0002.pem)" ] || fail "audit checkpoint not signed by status-0002"
ok "after add-status: every list and the audit checkpoint are signed by status-0002"
# a token the old signer made before the roll-in still verifies until its exp
idx=$(sqlite3 "$tmp/issuer.db" "SELECT MIN(idx) FROM issuer_status_entries WHERE list_id = '$list'")
"$bin" status check --token old.jwt --uri "$url/status/$list" --trust pki/iaca.pem --idx "$idx" \
  --json >oldcheck.json || fail "the old signer's list token: $(cat oldcheck.json)"
"$bin" status check --token new.jwt --uri "$url/status/$l" --trust pki/iaca.pem --idx 0 \
  --json >/dev/null || fail "the new signer's list token"
ok "list tokens of both status-list signers verify against the IACA"

[ "$(both A)" = "verified verified" ] || fail "card A after add-status: $(cat verdict.json)"
"$bin" issuer card suspend --db "$db" --config issuer.json --reason rotation-test \
  "$(jq -r .offer_id A.offer)" >/dev/null || fail "suspend A"
# The verifier may hold the list it fetched for the presentations just above for its
# ttl (1 s): past that it must fetch again, so a wait of twice the ttl is the bound.
sleep 2
[ "$(both A)" = "failed SUSPENDED failed SUSPENDED" ] || fail "suspended A: $(cat verdict.json)"
[ "$(both C)" = "verified verified" ] || fail "card C after A's suspension: $(cat verdict.json)"
ok "a suspension after the status-signer rotation is seen by the verifier (mdoc and SD-JWT VC)"

# ---- status-0002 retired by command: the first status-list signer signs again
if "$bin" pki retire-ds pki status >/dev/null 2>&1; then fail "retire-ds took the fallback status"; fi
"$bin" pki retire-ds pki status-0002 || fail "retire-ds status-0002"
[ -f pki/status-0002.retired ] || fail "retire-ds wrote no status-0002.retired"
restart
for l in $(lists); do
  curl -fs "$url/status/$l" >back.jwt || fail "list $l after status-0002 retired"
  [ "$(leaf_of <back.jwt)" = "$(der_b64 pki/status.pem)" ] || fail "list $l not signed by status again"
done
[ "$(both A)" = "failed SUSPENDED failed SUSPENDED" ] || fail "A after the retire: $(cat verdict.json)"
[ "$(both C)" = "verified verified" ] || fail "card C after the retire: $(cat verdict.json)"
ok "retire-ds status-0002: every list is signed by status again, A still suspended, C valid"
"$bin" issuer audit verify --db "$db" --json >audit.json || fail "audit chain: $(cat audit.json)"
echo "pki_rotation: ok"
