#!/usr/bin/env bash
# End-to-end tests of `chaff eval`: the JSON report adds up (per file and
# pooled), and its confusion matrices agree with chaff filter's labels.
# Usage: bash test_eval.sh PATH_TO_chaff REPO_ROOT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

train_test_model
H=$ROOT/fixtures/heldout
files=("$H/human/news-politics.jsonl" "$H/low-effort/news-politics.jsonl" "$H/machine/news-politics.jsonl")

capture "$CHAFF" eval --json --model model "${files[@]}"
assert_rc 0 "eval --json on the held-out news-politics files"
cp out eval.json

# what chaff filter predicts for each file, to check the matrices against
for f in "${files[@]}"; do
    "$CHAFF" filter --model model "$f" >"$(basename "$(dirname "$f")").filter.jsonl" 2>filter.err ||
        fail "filter on $f failed: $(cat filter.err)"
done

python3 - eval.json "${files[@]}" <<'PY' || fail "eval --json report does not add up (see above)"
import json, sys
try:
    rep = json.load(open(sys.argv[1], encoding="utf-8"))
except ValueError as e:
    sys.exit("  eval --json is not valid JSON: %s" % e)
paths = sys.argv[2:]
labels = ["human", "low-effort", "machine"]
bad = []
if [f["input"] for f in rep["files"]] != paths:
    bad.append("files %r, want %r" % ([f["input"] for f in rep["files"]], paths))
pooled_want = [[0] * 3 for _ in range(3)]
total = 0
for f, path in zip(rep["files"], paths):
    truth = path.split("/")[-2]  # fixtures/heldout/<label>/<topic>.jsonl
    t = labels.index(truth)
    n_lines = sum(1 for l in open(path, encoding="utf-8") if l.strip())
    total += n_lines
    cm = f["confusion_truth_by_predicted"]
    if f["n"] != n_lines:
        bad.append("%s: n %d, the file has %d records" % (path, f["n"], n_lines))
    if sum(map(sum, cm)) != n_lines:
        bad.append("%s: confusion matrix sums to %d, want %d" % (path, sum(map(sum, cm)), n_lines))
    for r in range(3):
        if r != t and any(cm[r]):
            bad.append("%s: row %s of the matrix is %r, the file only holds %s" % (path, labels[r], cm[r], truth))
    # the predicted labels are the ones chaff filter gives
    pred = [json.loads(l)["label"] for l in open("%s.filter.jsonl" % truth)]
    want_row = [pred.count(k) for k in labels]
    if cm[t] != want_row:
        bad.append("%s: row %s %r, chaff filter predicts %r" % (path, truth, cm[t], want_row))
    if f["per_class"][truth]["support"] != n_lines:
        bad.append("%s: support of %s %r" % (path, truth, f["per_class"][truth]["support"]))
    acc = cm[t][t] / n_lines
    if abs(f["accuracy"] - acc) > 1e-4:
        bad.append("%s: accuracy %r, want %d/%d" % (path, f["accuracy"], cm[t][t], n_lines))
    if truth == "human":
        # flagged counts labels; acted on counts actions review and hold
        acts = [json.loads(l)["action"] for l in open("human.filter.jsonl")]
        for key, want in (("humans_flagged", (n_lines - cm[0][0]) / n_lines),
                          ("humans_acted_on", sum(a != "pass" for a in acts) / n_lines),
                          ("humans_held", acts.count("hold") / n_lines)):
            if abs(f[key] - want) > 1e-4:
                bad.append("%s: %s %r, want %r from chaff filter" % (path, key, f[key], want))
    for r in range(3):
        for p in range(3):
            pooled_want[r][p] += cm[r][p]
pooled = rep["pooled"]
if pooled["confusion_truth_by_predicted"] != pooled_want:
    bad.append("pooled matrix %r, the sum of the files' is %r" % (pooled["confusion_truth_by_predicted"], pooled_want))
if sum(map(sum, pooled["confusion_truth_by_predicted"])) != total or pooled["n"] != total:
    bad.append("pooled matrix sums to %d and n is %r, want %d records" % (sum(map(sum, pooled["confusion_truth_by_predicted"])), pooled["n"], total))
correct = sum(pooled_want[k][k] for k in range(3))
if abs(pooled["accuracy"] - correct / total) > 1e-4:
    bad.append("pooled accuracy %r, want %d/%d" % (pooled["accuracy"], correct, total))
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
ok "eval --json: valid JSON; per-file n = records; matrices sum to n and match chaff filter; pooled = sum"

# ---- the text report carries the same pooled count ----
total=0
for f in "${files[@]}"; do total=$((total + $(nonblank_lines "$f"))); done
capture "$CHAFF" eval --model model "${files[@]}"
assert_rc 0 "eval (text report)"
grep -qF "== pooled ($total comments)" out || fail "text report lacks '== pooled ($total comments)'"
ok "text report: pooled over $total comments"

# ---- a folder, given with and without its final slash, names its files once-slashed ----
mkdir -p evdir/sub
cp "${files[0]}" evdir/sub/a.jsonl
for d in evdir evdir/; do
    capture "$CHAFF" eval --model model "$d"
    assert_rc 0 "eval $d"
    assert_eq "$(grep '^== evdir' out | head -1)" "== evdir/sub/a.jsonl ($(nonblank_lines "${files[0]}") comments)" \
        "eval $d: the file's name"
done
ok "eval DIR and DIR/ name the files they read as DIR/sub/a.jsonl"

capture "$CHAFF" eval --json --model model "${files[0]}" "$ROOT/fixtures/heldout/human/no-such-topic.jsonl"
assert_rc 2 "eval on an existing and a missing file"
assert_err_has "no-such-topic.jsonl" "the error names the missing file"
ok "a missing input gives exit 2"
