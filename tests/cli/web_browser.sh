#!/usr/bin/env bash
# Browser tests of the office console and the portal (tests/browser/run.mjs):
# Debian's chromium driven by playwright-core against `mobid up`. Skips (77) only
# when chromium or the test's node_modules are missing, and says which.
set -euo pipefail
here=$(cd "$(dirname "$0")/../browser" && pwd)
: "${MOBID_BIN:?MOBID_BIN must point to the mobid binary}"
if [ ! -x /usr/bin/chromium ]; then
    echo "SKIP: /usr/bin/chromium is missing (apt-get install chromium)" >&2
    exit 77
fi
if ! command -v node >/dev/null || [ ! -d "$here/node_modules/playwright-core" ]; then
    echo "SKIP: node or tests/browser/node_modules is missing (cd tests/browser && npm ci)" >&2
    exit 77
fi
export MOBID_BIN
# an argument names another test of tests/browser/ (web_console.sh: console.mjs)
exec node "$here/${1:-run.mjs}"
