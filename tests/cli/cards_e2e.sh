#!/usr/bin/env bash
# Every card type of etc/card-types.json, issued end to end and verified: `mobid up`
# provisions from the card types and the policy (etc/provisioning.example.json); for
# each of the four cards an officer files an application with the card type's own
# fields, checks it, a supervisor approves, the officer makes the offer, one phone's
# wallet (`mobid wallet`) receives the card, and Government 24 verifies it through the
# verifier with the profile the policy derives for that card. Then the refusals that
# come from the card types' own rules: a national asking for the foreign resident
# card, a foreigner for the resident card, a 16-year-old for the mDL or the resident
# card (17 and over), a bank asking for the mDL it was never granted. Between them, the
# names of each format and the Korean rules: the bank's account-opening and age-check
# profiles, and the Civil Act and Youth Protection Act ages told apart.
set -u
BIN=${MOBID_BIN:?MOBID_BIN must point at the mobid binary}
for tool in jq curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not found"; exit 77; }
done
"$BIN" up --help >/dev/null 2>&1 || { echo "SKIP: this mobid has no up (services not built)"; exit 77; }
. "$(dirname "$0")/lib/up.sh"
up_test_begin cards

BASE=$(free_base)
I=http://127.0.0.1:$BASE
V=http://127.0.0.1:$((BASE + 1))
D=$T/var
up_start "$T/events" "$T/up.err" --dir "$D" --port-base "$BASE" \
  || { cat "$T/events" "$T/up.err"; echo "FAIL mobid up"; exit 1; }

. "$(dirname "$0")/lib/up_accounts.sh"
OFF=$(up_token "$D" "$I" los-angeles.officer)
SUP=$(up_token "$D" "$I" los-angeles.supervisor)
[ -n "$OFF" ] && [ "$OFF" != null ] && [ -n "$SUP" ] && [ "$SUP" != null ] \
  || { echo "FAIL sign-in"; exit 1; }
GOV=$(up_api_key "$D" gov24)
BANK=$(up_api_key "$D" bank)
api() { # METHOD PATH TOKEN [BODY] -> body on stdout, status in $T/status
  curl -s -o "$T/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $3" \
    -H 'Content-Type: application/json' ${4:+-d "$4"} "$I$2" >"$T/status"
  cat "$T/body"
}

day() { date -u -d "$1 days" +%F; }
PORTRAIT=_9j_4AAQSkZJRgABAQAAAQABAAD_2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL_wAALCAABAAEBAREA_8QAFAABAAAAAAAAAAAAAAAAAAAACf_EABQQAQAAAAAAAAAAAAAAAAAAAAD_2gAIAQEAAD8AKp__2Q
common() { # birth-date -> the passport and identity fields every card asks for
  jq -n --arg b "$1" --arg e "$(day 900)" --arg p "$PORTRAIT" \
    '{family_name: "KIM", given_name: "MINJI", birth_date: $b, passport_number: "M12345678",
      passport_expiry: $e, portrait: $p}'
}
applicant() { # cardtype -> applicant JSON
  # born on the day the registration numbers below say (900101)
  local base; base=$(common 1990-01-01)
  case $1 in
  resident_card) jq --arg x "$(day -11000)" '. + {family_name_national_character: "김", given_name_national_character: "민지",
      sex: 2, resident_registration_number: "900101-2345671", nationality: "KR",
      country_of_residence: "US", residence_status: "permanent", e_passport: true}' <<<"$base" ;;
  mdl) jq --arg i "$(day -400)" --arg x "$(day 1400)" '. + {resident_registration_number: "900101-2345672",
      nationality: "KR", document_number: "11-24-123456-70", issue_date: $i, expiry_date: $x,
      issuing_country: "KR", issuing_authority: "Korean National Police Agency",
      un_distinguishing_sign: "ROK",
      driving_privileges: [{vehicle_category_code: "B", issue_date: $i, expiry_date: $x}]}' <<<"$base" ;;
  veterans_card) jq '. + {resident_registration_number: "900101-2345673", nationality: "KR",
      veteran_number: "V-2024-000123", service_category: "national merit"}' <<<"$base" ;;
  foreign_resident_card) jq '. + {family_name: "NGUYEN", given_name: "VAN AN", sex: 1,
      nationality: "VN", alien_registration_number: "900101-5345674", residence_status: "E-9",
      country_of_residence: "KR"}' <<<"$base" ;;
  esac
}

W=$T/phone.wallet
echo 135790 >"$T/pin"
wallet() { "$BIN" wallet --wallet "$W" --pin-file "$T/pin" --yes --json "$@"; }
wallet --issuer-roots "$D/pki/iaca.pem" --rp-roots "$D/pki/rp-ca.pem" \
  --registration-roots "$D/pki/iaca.pem" --scrypt-n 16384 init >"$T/init" 2>"$T/wallet.err" \
  || { cat "$T/init" "$T/wallet.err"; echo "FAIL wallet init"; exit 1; }

# profile per card type and a claim whose value proves it is that card
declare -A PROFILE=([resident_card]=resident_full [mdl]=mdl [veterans_card]=veterans_card
                    [foreign_resident_card]=foreign_resident_card)
declare -A PROOF=([resident_card]=resident_registration_number [mdl]=document_number
                  [veterans_card]=veteran_number [foreign_resident_card]=alien_registration_number)
verify() { # api-key profile -> verdict JSON in $T/verdict; 0 when a session was made
  curl -s -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    -d "{\"profile\":\"$2\"}" "$V/api/v1/verifications" >"$T/session"
  local id link; id=$(jq -r '.id // empty' "$T/session"); link=$(jq -r '.deep_link // empty' "$T/session")
  [ -n "$id" ] || return 1
  wallet present "$link" >"$T/present" 2>>"$T/wallet.err"
  curl -s -H "Authorization: Bearer $1" "$V/api/v1/verifications/$id?wait=20" >"$T/verdict"
}

for ct in resident_card mdl veterans_card foreign_resident_card; do
  body=$(jq -n --arg c "$ct" --argjson a "$(applicant "$ct")" '{cardtype: $c, applicant: $a}')
  id=$(api POST /api/v1/applications "$OFF" "$body" | jq -r '.id // empty')
  [ "$(cat "$T/status")" = 201 ] && [ -n "$id" ] || { bad "$ct: application: $(cat "$T/body")"; continue; }
  api POST "/api/v1/applications/$id/verify" "$OFF" \
    '{"evidence":{"passport":"chip read","residency":"seen"}}' >/dev/null
  api POST "/api/v1/applications/$id/approve" "$SUP" >/dev/null
  [ "$(cat "$T/status")" = 200 ] || { bad "$ct: approve: $(cat "$T/body")"; continue; }
  api POST "/api/v1/applications/$id/offer" "$OFF" >"$T/offer"
  [ "$(cat "$T/status")" = 201 ] || { bad "$ct: offer: $(cat "$T/offer")"; continue; }
  wallet --tx-code "$(jq -r .tx_code "$T/offer")" receive "$(jq -r .offer_uri "$T/offer")" \
    >"$T/recv" 2>>"$T/wallet.err" || { bad "$ct: wallet receive: $(cat "$T/recv")"; continue; }
  ok "$ct issued into the wallet"
  verify "$GOV" "${PROFILE[$ct]}" || { bad "$ct: no session: $(cat "$T/session")"; continue; }
  want=$(applicant "$ct" | jq -r --arg k "${PROOF[$ct]}" '.[$k]')
  if jq -e --arg k "${PROOF[$ct]}" --arg w "$want" '.status == "verified" and
       ([.. | objects | .[$k]? // empty] | index($w) != null)' "$T/verdict" >/dev/null; then
    ok "$ct verified by Government 24 (profile ${PROFILE[$ct]}: ${PROOF[$ct]} = $want)"
  else
    bad "$ct verification: $(cat "$T/verdict")"
  fi
done
verify "$GOV" mdl && jq -e '[.. | objects | .driving_privileges? // empty][0][0].vehicle_category_code == "B"' \
  "$T/verdict" >/dev/null && ok "the mDL's driving privileges arrive as structured data" \
  || bad "mDL driving_privileges: $(cat "$T/verdict")"

# Names and Korean rules (docs/claims.md). Government 24 in SD-JWT VC: EU PID names.
has() { # verdict-file key -> the first value of key anywhere in the verdict
  jq -c --arg k "$2" '[.. | objects | select(has($k)) | .[$k]][0]' "$1"
}
verify "$GOV" resident_sdjwt && [ "$(has "$T/verdict" personal_administrative_number)" = '"900101-2345671"' ] \
  && [ "$(has "$T/verdict" nationalities)" = '["KR"]' ] && [ "$(has "$T/verdict" birthdate)" = '"1990-01-01"' ] \
  && [ "$(has "$T/verdict" age_equal_or_over)" = '{"19":true}' ] \
  && ok "SD-JWT VC: birthdate, nationalities, personal_administrative_number, age_equal_or_over.19" \
  || bad "resident card in SD-JWT VC: $(cat "$T/verdict")"
# The bank: account opening receives the registration number, the age check does not.
verify "$BANK" bank_account_opening && [ "$(has "$T/verdict" resident_registration_number)" = '"900101-2345671"' ] \
  && ok "the bank's account opening receives the registration number (Real Name Act)" \
  || bad "bank_account_opening: $(cat "$T/verdict")"
verify "$BANK" bank_age_check && [ "$(has "$T/verdict" age_over_19)" = true ] \
  && [ "$(has "$T/verdict" resident_registration_number)" = null ] \
  && ok "the bank's age check gets age_over_19 and no registration number" \
  || bad "bank_age_check: $(cat "$T/verdict")"
# The two age rules apart: born 31 December nineteen years ago, one is 19 by year
# (Youth Protection Act) and 18 by the Civil Act until that day.
Y=$(( $(date -u +%Y) - 19 ))
civil=false; [ "$(date -u +%m-%d)" = 12-31 ] && civil=true
W2=$T/young.wallet
"$BIN" wallet --wallet "$W2" --pin-file "$T/pin" --yes --json --issuer-roots "$D/pki/iaca.pem" \
  --rp-roots "$D/pki/rp-ca.pem" --registration-roots "$D/pki/iaca.pem" --scrypt-n 16384 init \
  >/dev/null 2>>"$T/wallet.err"
body=$(jq -n --argjson a "$(applicant resident_card | jq --arg b "$Y-12-31" \
  --arg r "${Y:2:2}1231-4345671" '.birth_date = $b | .resident_registration_number = $r')" \
  '{cardtype: "resident_card", applicant: $a}')
id=$(api POST /api/v1/applications "$OFF" "$body" | jq -r '.id // empty')
api POST "/api/v1/applications/$id/verify" "$OFF" '{"evidence":{"passport":"chip read","residency":"seen"}}' >/dev/null
api POST "/api/v1/applications/$id/approve" "$SUP" >/dev/null
api POST "/api/v1/applications/$id/offer" "$OFF" >"$T/offer"
W_SAVE=$W; W=$W2
if wallet --tx-code "$(jq -r .tx_code "$T/offer")" receive "$(jq -r .offer_uri "$T/offer")" \
     >"$T/recv" 2>>"$T/wallet.err" && verify "$GOV" youth_protection_check \
   && [ "$(has "$T/verdict" age_over_19_by_year)" = true ] && verify "$BANK" bank_age_check \
   && [ "$(has "$T/verdict" age_over_19)" = "$civil" ]; then
  ok "born $Y-12-31: age_over_19_by_year true, age_over_19 $civil"
else
  bad "the two age rules (born $Y-12-31): $(cat "$T/body") $(cat "$T/verdict")"
fi
W=$W_SAVE

# Same-device (HAIP): with a redirect_uri the wallet is sent back with a one-time
# response code, and the claims go only to whoever presents it.
curl -s -H "Authorization: Bearer $GOV" -H 'Content-Type: application/json' \
  -d '{"profile":"bank_age_check","redirect_uri":"https://www.gov.kr/done?x=1"}' "$V/api/v1/verifications" >"$T/session"
sid=$(jq -r '.id // empty' "$T/session")
wallet present "$(jq -r .deep_link "$T/session")" >"$T/present" 2>>"$T/wallet.err"
rcode=$(jq -r '.. | strings | select(startswith("https://www.gov.kr/done?x=1#response_code="))' "$T/present" \
  | head -1 | sed 's/.*#response_code=//')
st() { curl -s -H "Authorization: Bearer $GOV" "$V/api/v1/verifications/$sid$1"; }
if [ -n "$rcode" ] && st "" | jq -e '.status == "verified" and .claims == null and .claims_withheld' >/dev/null &&
   st "?response_code=${rcode}x" | jq -e '.claims == null' >/dev/null &&
   st "?response_code=$rcode" | jq -e '.claims != null' >/dev/null &&
   st "?response_code=$rcode" | jq -e '.claims == null and .claims_delivered' >/dev/null; then
  ok "same-device: redirect_uri with a one-time response code; no code, a wrong code: no claims"
else
  bad "same-device response code: $(cat "$T/session") $(cat "$T/present") $(st "")"
fi

# Refusals from the card types' own eligibility.
refuse() { # name cardtype jq-edit want-error
  local body; body=$(jq -n --arg c "$2" --argjson a "$(applicant "$2" | jq "$3")" '{cardtype: $c, applicant: $a}')
  api POST /api/v1/applications "$OFF" "$body" >/dev/null
  jq -e --arg e "$4" '.error == $e' "$T/body" >/dev/null && ok "$1 refused ($4)" \
    || bad "$1: $(cat "$T/status") $(cat "$T/body")"
}
refuse "a national asking for the foreign resident card" foreign_resident_card \
  '.nationality = "KR" | .alien_registration_number = "900101-5345679"' INELIGIBLE_NATIONALITY
refuse "a foreigner asking for the resident card" resident_card \
  '.nationality = "VN" | .resident_registration_number = "900101-2345679"' INELIGIBLE_NATIONALITY
refuse "a foreigner living abroad asking for the foreign resident card" foreign_resident_card \
  '.country_of_residence = "VN" | .alien_registration_number = "900101-5345678"' INELIGIBLE_RESIDENCE
refuse "a 16-year-old asking for the mDL" mdl \
  ".birth_date = \"$(day -5900)\" | .resident_registration_number = \"100101-3345678\"" INELIGIBLE_AGE
refuse "a 16-year-old asking for the resident card" resident_card \
  ".birth_date = \"$(day -5900)\" | .resident_registration_number = \"100101-4345678\"" INELIGIBLE_AGE
# The bank was granted the resident and foreign resident cards only, never the mDL.
curl -s -H "Authorization: Bearer $BANK" -H 'Content-Type: application/json' \
  -d '{"profile":"mdl"}' "$V/api/v1/verifications" >"$T/bank"
jq -e '.error == "CLAIM_NOT_ALLOWED"' "$T/bank" >/dev/null && ok "the bank may not ask for the mDL" \
  || bad "bank asking for the mDL: $(cat "$T/bank")"

[ "$fails" = 0 ] || { tail -n 20 "$T/wallet.err" "$D"/log/*.log; echo "$fails failure(s)"; exit 1; }
echo "all four card types issued and verified end to end"
