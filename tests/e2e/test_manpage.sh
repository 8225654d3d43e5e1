#!/usr/bin/env bash
# The man page doc/chaff.1 stays in step with the tool: it renders without
# groff warnings, it has a section for every command, and every long option
# that a command's --help lists is in it. When this fails after you added an
# option, document the option in doc/chaff.1 (and README.md).
#
# Usage: bash test_manpage.sh PATH_TO_chaff REPO_ROOT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

PAGE=$ROOT/doc/chaff.1
[ -s "$PAGE" ] || fail "$PAGE is missing"

if command -v groff >/dev/null; then
    groff -man -Tutf8 -ww -z "$PAGE" 2>groff.err || fail "groff -man failed on doc/chaff.1: $(cat groff.err)"
    [ ! -s groff.err ] || fail "groff warns about doc/chaff.1: $(head -c 1000 groff.err)"
    ok "doc/chaff.1 renders without groff warnings"
else
    echo "note [$TEST_NAME]: groff is not installed; rendering not checked"
fi

# the roff source with its escaped hyphens plain, so that options read as typed
sed 's/\\-/-/g' "$PAGE" >page.txt

commands=$("$CHAFF" --help | sed -n '/^commands:/,/^$/p' | awk 'NF && $1 != "commands:" {print $1}')
[ "$(wc -w <<<"$commands")" -ge 6 ] || fail "chaff --help lists too few commands: $commands"
missing=()
for cmd in $commands; do
    grep -q "^\.SS chaff $cmd\b" page.txt || missing+=("section '.SS chaff $cmd'")
    "$CHAFF" "$cmd" --help >help.txt 2>&1 || fail "chaff $cmd --help failed"
    for opt in $(grep -oE -- '--[a-z][a-z-]*[a-z]' help.txt | sort -u); do
        grep -qF -- "$opt" page.txt || missing+=("$opt of chaff $cmd")
    done
done
[ ${#missing[@]} -eq 0 ] || fail "doc/chaff.1 lacks: ${missing[*]}"
ok "doc/chaff.1 has a section for each of: ${commands//$'\n'/ }, and every long option of their --help"

grep -qF "0 pass, 1 review, 2 hold, 3 error" page.txt || fail "doc/chaff.1 does not give chaff check's exit statuses"
ok "doc/chaff.1 gives chaff check's exit statuses"
