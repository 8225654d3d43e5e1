#!/usr/bin/env bash
# End-to-end tests of `chaff features` (the extractor alone): golden JSONL
# output for the demo dump, and the TSV and libsvm layouts.
#
# Golden file: golden/features-demo.jsonl, what `chaff features --output
# jsonl fixtures/demo/news-comments.jsonl` prints. To regenerate after an
# intended change (a new feature, a fixed extractor, a changed demo dump),
# run with UPDATE_GOLDEN=1, e.g.
#   UPDATE_GOLDEN=1 bash tests/e2e/test_features.sh build/chaff .
# and review the diff of golden/features-demo.jsonl before committing.
#
# Usage: bash test_features.sh PATH_TO_chaff REPO_ROOT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

DEMO=$ROOT/fixtures/demo/news-comments.jsonl
NFEATURES=$(grep -c '^X(' "$ROOT/features/table.def") # one line per feature
NDEMO=$(nonblank_lines "$DEMO")

# ---- golden JSONL ----
capture "$CHAFF" features --output jsonl "$DEMO"
assert_rc 0 "features --output jsonl on the demo dump"
[ ! -s err ] || fail "features --output jsonl wrote to stderr: $(head -c 500 err)"
cp out features-demo.jsonl
golden_compare features-demo.jsonl "$GOLDEN/features-demo.jsonl" "chaff features --output jsonl"
python3 - features-demo.jsonl "$DEMO" "$NFEATURES" <<'PY' || fail "features JSONL is not as documented (see above)"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
recs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
n = int(sys.argv[3])
bad = []
if len(rows) != len(recs):
    bad.append("%d rows for %d records" % (len(rows), len(recs)))
for row, rec in zip(rows, recs):
    if list(row) != ["id", "features"] or row["id"] != rec["id"]:
        bad.append("row %r: want keys id, features and id %r" % (list(row), rec["id"]))
    elif len(row["features"]) != n:
        bad.append("%s: %d features, want %d" % (rec["id"], len(row["features"]), n))
    # bytes is the first feature: the UTF-8 length of the text
    elif row["features"].get("bytes") != len(rec["text"].encode("utf-8")):
        bad.append("%s: bytes %r, the text has %d" % (rec["id"], row["features"].get("bytes"), len(rec["text"].encode("utf-8"))))
for b in bad[:10]:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
ok "JSONL equals golden/features-demo.jsonl: $NDEMO rows of $NFEATURES features, ids and byte counts right"

# ---- TSV: a header of names, then one row per comment, same values ----
capture "$CHAFF" features --output tsv "$DEMO"
assert_rc 0 "features --output tsv"
cp out features.tsv
assert_eq "$(wc -l <features.tsv)" "$((NDEMO + 1))" "TSV lines (header + one per comment)"
assert_eq "$(awk -F'\t' '{print NF}' features.tsv | sort -u)" "$NFEATURES" "columns on every TSV line"
python3 - features.tsv features-demo.jsonl <<'PY' || fail "TSV and JSONL disagree (see above)"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
assert lines[-1] == "", "the TSV does not end in a newline"
header, rows = lines[0].split("\t"), [l.split("\t") for l in lines[1:-1]]
ref = [json.loads(l, parse_float=str, parse_int=str) for l in open(sys.argv[2], encoding="utf-8")]
bad = []
if header != list(ref[0]["features"]):
    bad.append("TSV header %r\n  JSONL names %r" % (header, list(ref[0]["features"])))
for i, (row, r) in enumerate(zip(rows, ref), 1):
    if row != list(r["features"].values()):
        bad.append("row %d: TSV %r\n  JSONL %r" % (i, row, list(r["features"].values())))
for b in bad[:5]:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
ok "TSV: header of $NFEATURES names in JSONL order, $NDEMO rows of $NFEATURES columns, same values"

# ---- libsvm: the label first, then increasing index:value pairs ----
L=$ROOT/fixtures/labelled
capture "$CHAFF" features --output libsvm "$L/human/chess.jsonl" "$L/low-effort/chess.jsonl" "$L/machine/chess.jsonl"
assert_rc 0 "features --output libsvm on labelled chess comments"
cp out chess.libsvm
capture "$CHAFF" features --output jsonl "$L/human/chess.jsonl" "$L/low-effort/chess.jsonl" "$L/machine/chess.jsonl"
cp out chess.jsonl
n_h=$(nonblank_lines "$L/human/chess.jsonl")
n_l=$(nonblank_lines "$L/low-effort/chess.jsonl")
n_m=$(nonblank_lines "$L/machine/chess.jsonl")
python3 - chess.libsvm chess.jsonl "$n_h" "$n_l" "$n_m" "$NFEATURES" <<'PY' || fail "libsvm output is not as documented (see above)"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
ref = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
n_h, n_l, n_m, nf = map(int, sys.argv[3:7])
# labels 1 human, 2 low-effort, 3 machine, in file order
want_labels = ["1"] * n_h + ["2"] * n_l + ["3"] * n_m
bad = []
if len(lines) != len(want_labels):
    bad.append("%d lines, want %d" % (len(lines), len(want_labels)))
for i, (line, want, r) in enumerate(zip(lines, want_labels, ref), 1):
    parts = line.split(" ")
    if parts[0] != want:
        bad.append("line %d starts with %r, want %s" % (i, parts[0], want))
    idx = []
    for p in parts[1:]:
        k, _, v = p.partition(":")
        idx.append(int(k))
        if not 1 <= int(k) <= nf:
            bad.append("line %d: index %s out of 1..%d" % (i, k, nf))
            continue
        name = list(r["features"])[int(k) - 1]
        if float(v) == 0 or abs(float(v) - r["features"][name]) > 1e-9 * max(1, abs(float(v))):
            bad.append("line %d: %s (%s) is %s, JSONL says %r" % (i, k, name, v, r["features"][name]))
    if idx != sorted(set(idx)):
        bad.append("line %d: indices do not increase: %r" % (i, idx))
    # zero features are left out, every non-zero one is there
    nonzero = [j + 1 for j, v in enumerate(r["features"].values()) if v != 0]
    if idx != nonzero:
        bad.append("line %d: indices %r, the non-zero features are %r" % (i, idx, nonzero))
for b in bad[:10]:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
ok "libsvm: lines start with 1/2/3 by label, indices increase, values match the JSONL"

printf '{"id":"u1","text":"no label on this one"}\n' >unlabelled.jsonl
capture "$CHAFF" features --output libsvm unlabelled.jsonl
assert_rc 0 "features --output libsvm on an unlabelled record"
assert_eq "$(cut -d' ' -f1 out)" 0 "libsvm label of an unlabelled record"
ok "libsvm: an unlabelled record starts with 0"

capture "$CHAFF" features --output yaml "$DEMO"
assert_rc 2 "features --output yaml"
assert_err_has "yaml" "the error names the bad --output"
ok "an unknown --output is refused with exit 2"

capture "$CHAFF" features --output tsv "$DEMO" no-such-dump.jsonl
assert_rc 2 "features on an existing and a missing file"
assert_err_has "no-such-dump.jsonl" "the error names the missing file"
ok "a missing input gives exit 2"

# ---- --model DIR: the learned n-gram features from the model's tables ----
# A tiny model whose every machine row is "zebra", human row "otter" and
# low-effort row "subscribe" (10 each). Its word table holds one bucket per
# class, 10 documents each, so for "zebra" (one bucket, no bigram), with
# alpha 1 over B = 2^17 buckets:
#   nb_word_machine = ln((10+1)/(10+B)) - ln((0+1)/(20+B)) = 2.39797 (6 digits)
#   nb_word_human   = ln((0+1)/(10+B))  - ln((10+1)/(20+B)) = -2.39782
# and a text of words no row had gets ln((20+B)/(10+B)) = 7.62852e-05.
for i in 1 2 3 4 5 6 7 8 9 10; do
    printf 'machine\tzebra\nhuman\totter\nlow-effort\tsubscribe\n'
done >tiny.tsv
capture "$CHAFF" train -o tiny --C 4 --gamma 0.02 tiny.tsv
assert_rc 0 "training the tiny n-gram model"
printf '{"id":"z","text":"zebra"}\n{"id":"o","text":"Otter!"}\n{"id":"u","text":"nothing known here"}\n' >nb.jsonl
capture "$CHAFF" features --model tiny --output tsv nb.jsonl
assert_rc 0 "features --model tiny"
nb() { # ROW NAME: a value of the TSV in ./out
    awk -F'\t' -v row="$1" -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
        NR == row + 1 { print $c }' out
}
assert_eq "$(nb 1 nb_word_machine) $(nb 1 nb_word_human) $(nb 1 nb_word_low_effort)" "2.39797 -2.39782 -2.39782" \
    "zebra's word features"
assert_eq "$(nb 2 nb_word_human) $(nb 2 nb_word_machine)" "2.39797 -2.39782" "otter's word features"
assert_eq "$(nb 3 nb_word_human) $(nb 3 nb_word_machine)" "7.62852e-05 7.62852e-05" "unseen words' features"
ok "--model: the learned word features are the hand-computed log-count ratios of the model's table"

# the shipped model: the same extractor otherwise, every nb_* column set
capture "$CHAFF" features --output tsv "$DEMO"
cp out plain.tsv
capture "$CHAFF" features --model "$ROOT/models/default" --output tsv "$DEMO"
assert_rc 0 "features --model models/default"
cp out withmodel.tsv
python3 - plain.tsv withmodel.tsv <<'PY' || fail "--model changed more than the nb_* columns, or left them 0 (see above)"
import sys
a = [l.split("\t") for l in open(sys.argv[1], encoding="utf-8").read().splitlines()]
b = [l.split("\t") for l in open(sys.argv[2], encoding="utf-8").read().splitlines()]
assert a[0] == b[0] and len(a) == len(b), "headers or row counts differ"
nb = [i for i, n in enumerate(a[0]) if n.startswith("nb_")]
words = a[0].index("words")
bad = []
for r, (x, y) in enumerate(zip(a[1:], b[1:]), 1):
    for i, n in enumerate(a[0]):
        if i in nb:
            # a comment without words ("🔥🔥🔥") has no word n-grams: its
            # word features stay 0
            want_set = not (n.startswith("nb_word") and x[words] == "0")
            if x[i] != "0" or (y[i] != "0") != want_set:
                bad.append("row %d: %s is %s without the model and %s with it" % (r, n, x[i], y[i]))
        elif x[i] != y[i]:
            bad.append("row %d: %s is %s without the model but %s with it" % (r, n, x[i], y[i]))
for m in bad[:10]:
    print("  " + m, file=sys.stderr)
sys.exit(1 if bad or len(nb) != 6 else 0)
PY
ok "--model models/default: the nb_* columns filled on every demo row (word ones where it has words), every other column unchanged"

capture "$CHAFF" features --model no-such-model "$DEMO"
assert_rc 2 "features --model with a missing folder"
assert_err_has "no-such-model: model folder not found" "the error names the missing model folder"
ok "a missing --model folder gives exit 2 and names it"
