#!/usr/bin/env bash
# Write mobid(1) to stdout from the program's own --help texts (the same source as
# docs/cli.md), so the installed manual page never drifts from the binary.
#   scripts/manpage.sh path/to/mobid VERSION > mobid.1
set -euo pipefail
bin=$1
version=${2:-}
# In a sanitizer build, writing documentation is not the place to hunt leaks.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# Roff: a leading '.' or '\'' would be read as a request; backslashes are escapes.
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

cat <<ROFF
.TH MOBID 1 "" "mobid $version" "User Commands"
.SH NAME
mobid \\- mobile identity cards: issuer, verifier, portal, wallet and tools
.SH SYNOPSIS
.B mobid
.I command
.RI [ options ]
.SH DESCRIPTION
.nf
ROFF
"$bin" --help | esc
echo ".fi"
echo ".SH COMMANDS"
for cmd in $("$bin" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }'); do
  echo ".SS mobid $cmd"
  echo ".nf"
  "$bin" "$cmd" --help 2>&1 | esc || true
  echo ".fi"
done
cat <<'ROFF'
.SH ENVIRONMENT
.TP
.B MOBID_LOG_LEVEL
debug, info (default), warn, error or off: what the services log, as one JSON object
per line on standard error.
.TP
.B MOBID_PORTAL_API_KEY, MOBID_PORTAL_BANK_API_KEY
the portal's verifier API keys when not given on the command line.
.TP
.B NOTIFY_SOCKET
set by systemd for Type=notify units; the services report READY=1 there once listening.
.SH FILES
.TP
.I /etc/mobid/
configuration of the packaged services (issuer.json, verifier.json, portal.env).
.TP
.I /var/lib/mobid/
their state: the PKI and the SQLite databases.
.SH SEE ALSO
The documentation in /usr/share/doc/mobid (operations.md, cli.md, api.md).
ROFF
