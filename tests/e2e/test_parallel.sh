#!/usr/bin/env bash
# End-to-end test of the README's GNU parallel example:
#   parallel --pipe --keep-order -N 1000 chaff filter
# splits the input into chunks of 1000 lines, runs one chaff filter per
# chunk on every core and writes the answers in input order: the output
# must equal what one chaff filter writes, when every record has an id
# (without one, a record is numbered within its chunk). Also with
# --pass-through, which needs no id. Skipped (exit 77) when GNU parallel is
# not installed (scripts/setup.sh installs it).
#
# Usage: bash test_parallel.sh PATH_TO_chaff REPO_ROOT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

if ! command -v parallel >/dev/null || ! parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
    echo "SKIP [$TEST_NAME]: GNU parallel is not installed (apt-get install parallel)"
    exit 77
fi

train_test_model

# 2500 records with ids (every fixture, repeated with fresh ids), and one
# malformed line at record 1500: 3 chunks of 1000, 1000 and 501 lines.
python3 - "$ROOT"/fixtures/labelled/*/*.jsonl >input.jsonl <<'PY'
import json, sys
recs = []
for path in sys.argv[1:]:
    recs += [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
out = []
for n in range(2500):
    r = dict(recs[n % len(recs)])
    r["id"] = "r%04d" % n
    out.append(json.dumps(r, ensure_ascii=False))
out.insert(1500, '{"id": "broken", "text": ')
sys.stdout.write("\n".join(out) + "\n")
PY
assert_eq "$(wc -l <input.jsonl)" 2501 "input lines (2500 records + 1 malformed)"

# A malformed line is answered in place, its line number counted within its
# chunk: line 1501 of the input is line 501 of the second chunk.
capture "$CHAFF" filter --model model input.jsonl
assert_rc 0 "one chaff filter"
sed 's/^{"line":1501,"error":"input.jsonl:1501:/{"line":501,"error":"-:501:/' out >want.jsonl
grep -q '^{"line":501,"error":"-:501: invalid JSON' want.jsonl || fail "the malformed line's answer was not found in the output"

parallel --pipe --keep-order -N 1000 "$CHAFF" filter --model model <input.jsonl >got.jsonl 2>parallel.err ||
    { cat parallel.err >&2; fail "parallel --pipe --keep-order -N 1000 chaff filter failed"; }
assert_eq "$(wc -l <got.jsonl)" 2501 "output lines through parallel"
cmp -s got.jsonl want.jsonl || {
    diff want.jsonl got.jsonl | head -20 >&2
    fail "output through parallel differs from one chaff filter (diff above)"
}
ok "parallel --pipe --keep-order -N 1000 chaff filter: the same 2501 answers, in order, as one chaff filter"

capture "$CHAFF" filter --model model --pass-through input.jsonl
assert_rc 0 "one chaff filter --pass-through"
sed 's/^{"line":1501,"error":"input.jsonl:1501:/{"line":501,"error":"-:501:/' out >want-pass.jsonl
parallel --pipe --keep-order -N 1000 "$CHAFF" filter --model model --pass-through <input.jsonl >got-pass.jsonl \
    2>parallel.err || { cat parallel.err >&2; fail "parallel ... chaff filter --pass-through failed"; }
cmp -s got-pass.jsonl want-pass.jsonl || {
    diff want-pass.jsonl got-pass.jsonl | head -20 >&2
    fail "--pass-through output through parallel differs from one chaff filter (diff above)"
}
ok "parallel with --pass-through: the same output as one chaff filter"
