#!/usr/bin/env bash
# Every docType and vct that an example configuration or a page of the documentation
# names is issued by some card type of etc/card-types.json (the one definition), and
# the card types themselves are complete: the ISO mDL with its mandatory elements, a
# foreign resident card with its own eligibility. A second test (cards_e2e.sh) issues
# each card type end to end.
set -u
: "${MOBID_SOURCE_DIR:?MOBID_SOURCE_DIR must point at the source tree}"
command -v jq >/dev/null 2>&1 || { echo "SKIP: jq not found"; exit 77; }
cd "$MOBID_SOURCE_DIR"
fails=0
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
CT=etc/card-types.json
jq -e '.card_types | length == 4' "$CT" >/dev/null || bad "$CT does not hold the four card types"

# A vct "{issuer_url}/..." is the example issuer's (etc/issuer.example.json) once bound.
base=$(jq -r .issuer_url etc/issuer.example.json)
issued=$(jq -r --arg b "$base" '.card_types[] | .doctype, .vct, (.vct | sub("^\\{issuer_url\\}"; $b))' "$CT" | sort -u)
# Names in the configurations: any doctype/vct key, at any depth.
from_json=$(for f in etc/*.json; do
  jq -r '.. | objects | (.doctype?, .doctype_value?, .vct?, (.vct_values? // [] | .[]?)) // empty
         | strings' "$f"
done)
# Names in prose: anything shaped like a docType or vct of this project or of ISO.
from_docs=$(grep -rhoE '\b(kr\.go\.[a-z_]+\.[a-z_]+\.[0-9]+|org\.iso\.18013\.5\.1\.[A-Za-z]+|urn:(mobid|kr|eudi):[a-z0-9_:]+|https://[a-z.]+/vct/[a-z_]+/[0-9]+)' \
  README.md docs etc 2>/dev/null)
n=0
for name in $(printf '%s\n%s\n' "$from_json" "$from_docs" | sort -u); do
  n=$((n + 1))
  grep -qxF "$name" <<<"$issued" || bad "$name is named (etc/ or docs/) but no card type issues it"
done
[ "$n" -ge 8 ] || bad "found only $n names: the search itself is broken"
echo "ok   $n docType/vct names checked against $CT"

# The ISO mDL: its namespace and the mandatory elements of 18013-5 7.2.1.
for el in family_name given_name birth_date issue_date expiry_date issuing_country \
          issuing_authority document_number portrait driving_privileges un_distinguishing_sign; do
  jq -e --arg e "$el" '.card_types[] | select(.doctype == "org.iso.18013.5.1.mDL")
      | .namespace == "org.iso.18013.5.1" and any(.claims[]; .name == $e and .required)' \
      "$CT" >/dev/null || bad "mDL lacks mandatory element $el"
done
# The foreign resident card is not for nationals; the resident card only for them.
jq -e '.card_types[] | select(.id == "foreign_resident_card") | .eligibility.nationals == false
       and .person_key == "alien_registration_number"' "$CT" >/dev/null \
  || bad "the foreign resident card has no eligibility of its own"
jq -e '.card_types[] | select(.id == "resident_card") | .doctype == "kr.go.mois.resident.1"
       and .eligibility.nationals and .eligibility.min_age == 17' "$CT" >/dev/null \
  || bad "resident card definition"
# Every claim has Korean and English names; every form field is a claim or has its own.
jq -e '[.card_types[] | .claims[] | select((.display.ko // "") == "" or (.display.en // "") == "")]
       | length == 0' "$CT" >/dev/null || bad "a claim without ko/en display names"
jq -e '[.card_types[] | . as $ct | .application[]
        | select((.display == null) and ((.claim // .name) as $n | $ct.claims | map(.name) | index($n) | not))]
       | length == 0' "$CT" >/dev/null || bad "a form field with neither a claim nor labels"
# International names: ISO 18013-5 for Hangul and the administrative elements, EU PID
# names in SD-JWT VC, an https vct, ages 14/18/19 and the two Korean age rules.
for el in family_name_national_character given_name_national_character issue_date expiry_date \
          issuing_authority issuing_country document_number age_over_14 age_over_18 age_over_19 \
          age_over_19_by_year; do
  jq -e --arg e "$el" '.card_types[] | select(.id == "resident_card") | any(.claims[]; .name == $e)' \
    "$CT" >/dev/null || bad "resident card lacks $el"
done
jq -e '[.card_types[] | .claims[] | select(.name | test("hangul"))] | length == 0' "$CT" >/dev/null \
  || bad "a *_hangul name is left"
for pair in birth_date:birthdate nationality:nationalities \
            resident_registration_number:personal_administrative_number \
            issue_date:date_of_issuance expiry_date:date_of_expiry; do
  jq -e --arg m "${pair%%:*}" --arg s "${pair#*:}" '.card_types[] | select(.id == "resident_card")
      | any(.claims[]; .name == $m and .sd_jwt == $s)' "$CT" >/dev/null \
    || bad "resident card: $pair (mdoc name: SD-JWT VC name)"
done
jq -e '.card_types[] | select(.id == "resident_card") | any(.claims[]; .name == "age_over_18"
       and .sd_jwt == ["age_equal_or_over", "18"])' "$CT" >/dev/null || bad "age_equal_or_over.18"
jq -e '[.card_types[] | select(.vct | startswith("{issuer_url}/vct/") | not)] | length == 0' \
  "$CT" >/dev/null || bad "a vct not under the issuer's https identifier"
grep -q '^  "issuer_url": "https://' etc/issuer.example.json || bad "the example issuer is not https"
# No public header names a card of this project.
grep -rnE 'kr\.go\.|urn:mobid' include/ && bad "a public header names project card data"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "card type names: ok"
