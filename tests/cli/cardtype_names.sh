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

issued=$(jq -r '.card_types[] | .doctype, .vct' "$CT" | sort -u)
# Names in the configurations: any doctype/vct key, at any depth.
from_json=$(for f in etc/*.json; do
  jq -r '.. | objects | (.doctype?, .doctype_value?, .vct?, (.vct_values? // [] | .[]?)) // empty
         | strings' "$f"
done)
# Names in prose: anything shaped like a docType or vct of this project or of ISO.
from_docs=$(grep -rhoE '\b(kr\.go\.[a-z_]+\.[a-z_]+\.[0-9]+|org\.iso\.18013\.5\.1\.[A-Za-z]+|urn:(mobid|kr|eudi):[a-z0-9_:]+)' \
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
       and .eligibility.nationals and .eligibility.min_age == 14' "$CT" >/dev/null \
  || bad "resident card definition"
# Every claim has Korean and English names; every form field is a claim or has its own.
jq -e '[.card_types[] | .claims[] | select((.display.ko // "") == "" or (.display.en // "") == "")]
       | length == 0' "$CT" >/dev/null || bad "a claim without ko/en display names"
jq -e '[.card_types[] | . as $ct | .application[]
        | select((.display == null) and ((.claim // .name) as $n | $ct.claims | map(.name) | index($n) | not))]
       | length == 0' "$CT" >/dev/null || bad "a form field with neither a claim nor labels"
# No public header names a card of this project.
grep -rnE 'kr\.go\.|urn:mobid' include/ && bad "a public header names project card data"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "card type names: ok"
