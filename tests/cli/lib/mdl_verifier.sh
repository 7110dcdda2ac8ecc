# Sourced after lib/issuer_serve.sh (issuer running, current directory its tmp) by the
# tests that present an mDL to a relying party: the holder's card and mobid's verifier.
#   mdl_offer FILE PERSON   claims.json of the usual mDL holder (Park Jiwoo, a class B
#                           privilege with its dates) and an offer of it for PERSON (a
#                           second delivery to one person supersedes the first cards)
#   mdl_wallet OFFER        w.mobid (PIN in pin) holding that offer's cards; W holds
#                           the wallet options (--wallet, --pin-file, --json)
#   verifier_start RP       mobid's verifier for the relying party pki/rp/RP.* made by
#                           `pki rp-issue` (direct_post.jwt by default), trusting the
#                           issuer's IACA; sets V (its URL) and KEY (the party's API key)
#                           and adds its pid to PIDS
mdl_offer() {
  cat >claims.json <<'JSON'
{"family_name":"Park","given_name":"Jiwoo","birth_date":"1995-03-14","document_number":"11-22-333333-44",
 "issue_date":"2024-02-01","expiry_date":"2034-02-01","issuing_country":"KR",
 "issuing_authority":"Korean National Police Agency","un_distinguishing_sign":"ROK",
 "driving_privileges":[{"vehicle_category_code":"B","issue_date":"2014-05-02","expiry_date":"2034-02-01"}],
 "portrait":"_9j_4AAQSkZJRg"}
JSON
  "$bin" issuer offer --db "$db" --config issuer.json --cardtype mdl --claims claims.json \
    --person "$2" >"$1" || fail "issuer offer"
}

mdl_wallet() {
  echo 135790 >pin
  W=(--wallet w.mobid --pin-file pin --json)
  "$bin" wallet "${W[@]}" --scrypt-n 16384 --issuer-roots pki/iaca.pem --rp-roots pki/rp-ca.pem \
    --registration-roots pki/iaca.pem init >/dev/null || fail "wallet init"
  "$bin" wallet "${W[@]}" --tx-code "$(jq -r .tx_code "$1")" receive "$(jq -r .offer_ref_uri "$1")" \
    >rx.json 2>rx.err || fail "wallet receive: $(cat rx.json rx.err)"
}

verifier_start() {
  openssl rand -hex 32 >seal.hex
  KEY=$(openssl rand -hex 24)
  jq -n --arg h "$("$bin" verifier hash-key "$KEY")" --arg rp "$1" '{seal_key_file:"seal.hex",
    trust_anchors:["pki/iaca.pem"], registration_anchors:["pki/iaca.pem"],
    relying_parties:[{id:$rp, api_key_sha256:$h, key:"pki/rp/\($rp).key", cert:"pki/rp/\($rp).pem",
                      registration:"pki/rp/\($rp).registration.jwt", response_mode:"direct_post.jwt"}]}' \
    >verifier.json
  "$bin" verifier serve --db "sqlite:$tmp/verifier.db" --listen 127.0.0.1:0 --config verifier.json \
    >verifier.url 2>verifier.log &
  PIDS+=($!)
  wait_until -p $! test -s verifier.url
  V=$(jq -r .url verifier.url 2>/dev/null)
  [ -n "$V" ] && [ "$V" != null ] || fail "mobid's verifier did not start: $(cat verifier.log)"
}
