#!/usr/bin/env bash
# The citizen's wallet app in a browser (tests/browser/wallet_app.mjs): Debian's
# chromium at 390x844 through the whole journey against `mobid up`. The same set-up
# and skips as web_browser.sh.
exec bash "$(dirname "$0")/web_browser.sh" wallet_app.mjs
