#!/usr/bin/env bash
# Browser test of the office console (tests/browser/console.mjs): state and history,
# actions by state and role, search, post/redirect/get, error pages. The same set-up
# and skips as web_browser.sh.
exec bash "$(dirname "$0")/web_browser.sh" console.mjs
