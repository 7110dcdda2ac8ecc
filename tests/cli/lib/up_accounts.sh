# Sourced by the tests that run `mobid up`: sign-in for the accounts its first start
# made, and its relying parties' API keys. The passwords are one-time
# (DIR/one-time-passwords.json, 0600): the first sign-in of an account trades its
# one for $UP_TEST_PASSWORD, later ones use that. Needs curl and jq.
UP_TEST_PASSWORD=${UP_TEST_PASSWORD:-Chosen-at-first-signin-42}

# up_one_time DIR USER: USER's one-time password, empty once it has been changed.
up_one_time() {
  jq -r --arg u "$2" '.accounts[] | select(.username == $u) | .password' \
    "$1/one-time-passwords.json" 2>/dev/null || true
}

# up_api_key DIR RP: the API key of relying party RP (DIR/rp/RP.api-key).
up_api_key() { head -n 1 "$1/rp/$2.api-key"; }

# up_token DIR ISSUER_URL USER: an API token (empty on failure). The data folder's
# parent notes which accounts have traded their one-time password already.
up_token() {
  local note once body
  note="$(dirname "$1")/.up-first-signins"
  once=$(up_one_time "$1" "$3")
  if [ -n "$once" ] && ! grep -qx "$3" "$note" 2>/dev/null; then
    body=$(jq -n --arg u "$3" --arg p "$once" --arg n "$UP_TEST_PASSWORD" \
      '{username: $u, password: $p, new_password: $n, label: "test"}')
    echo "$3" >>"$note"
  else
    body=$(jq -n --arg u "$3" --arg p "$UP_TEST_PASSWORD" '{username: $u, password: $p, label: "test"}')
  fi
  curl -s -H 'Content-Type: application/json' -d "$body" "$2/api/v1/tokens" | jq -r '.token // empty'
}
