#!/usr/bin/env bash
# End-to-end tests of `chaff train`: deterministic output, meta.json that
# describes every input, --cap, and refusing a single-class training set.
# Usage: bash test_train.sh PATH_TO_chaff REPO_ROOT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

L=$ROOT/fixtures/labelled
inputs=("$L"/*/news-politics.jsonl "$L"/*/football-soccer.jsonl "$L"/*/recipes-cooking.jsonl)

# ---- the same arguments twice: byte-identical model ----
train_test_model a
train_test_model b
for f in model.svm ranges.txt; do
    cmp -s "a/$f" "b/$f" || fail "two trainings with the same arguments wrote different $f"
done
ok "training twice gives byte-identical model.svm and ranges.txt"

# ---- meta.json: every input with its sha256 and counts ----
for f in "${inputs[@]}"; do sha256sum "$f"; done >sums.txt
for f in "${inputs[@]}"; do echo "$(nonblank_lines "$f") $f"; done >counts.txt
ROOT="$ROOT" python3 - a/meta.json sums.txt counts.txt <<'PY' || fail "meta.json does not describe the inputs (see above)"
import json, os, sys
meta = json.load(open(sys.argv[1], encoding="utf-8"))
sums = [l.split(None, 1) for l in open(sys.argv[2]).read().splitlines()]
counts = [l.split(" ", 1) for l in open(sys.argv[3]).read().splitlines()]
labels = ["human", "low-effort", "machine"]
bad = []
ins = meta["inputs"]
if [i["path"] for i in ins] != [p for _, p in sums]:
    bad.append("inputs %r\n  want %r" % ([i["path"] for i in ins], [p for _, p in sums]))
total = dict.fromkeys(labels, 0)
for i, (sha, path), (n, _) in zip(ins, sums, counts):
    n = int(n)
    truth = path.split("/")[-2]  # fixtures/labelled/<label>/<topic>.jsonl
    if i["sha256"] != sha:
        bad.append("%s: sha256 %s, sha256sum says %s" % (path, i["sha256"], sha))
    if i["records"] != n:
        bad.append("%s: records %r, the file has %d" % (path, i["records"], n))
    want_used = {k: (n if k == truth else 0) for k in labels}
    if i["used"] != want_used:
        bad.append("%s: used %r, want %r" % (path, i["used"], want_used))
    if i["bad"] != 0 or i["unlabelled"] != 0 or i["weight"] != 1:
        bad.append("%s: bad %r, unlabelled %r, weight %r, want 0, 0, 1" % (path, i["bad"], i["unlabelled"], i["weight"]))
    for k in labels:
        total[k] += i["used"][k]
if meta["training_counts"] != total:
    bad.append("training_counts %r, the inputs' used add up to %r" % (meta["training_counts"], total))
if meta["cross_validation"]["rows"] != sum(total.values()):
    bad.append("cross_validation rows %r, want %d" % (meta["cross_validation"]["rows"], sum(total.values())))
if meta["cap_per_file"] != 0:
    bad.append("cap_per_file %r without --cap" % meta["cap_per_file"])
nfeat = sum(1 for l in open(os.path.join(os.environ["ROOT"], "features/table.def")) if l.startswith("X("))
if meta["feature_set"]["count"] != nfeat or len(meta["feature_set"]["names"]) != nfeat:
    bad.append("feature_set count %r" % meta["feature_set"]["count"])
lib = meta["libsvm"]
if (lib["kernel"], lib["C"], lib["gamma"]) != ("rbf", 4, 0.02):
    bad.append("libsvm kernel/C/gamma %r, want rbf/4/0.02 as asked" % ((lib["kernel"], lib["C"], lib["gamma"]),))
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
ok "meta.json lists every input in order with its sha256 (as sha256sum) and record counts"

# ---- --cap 10: at most 10 rows of each file, deterministically ----
capture "$CHAFF" train -o capped --cap 10 --C 4 --gamma 0.02 "${inputs[@]}"
assert_rc 0 "train --cap 10"
capture "$CHAFF" train -o capped2 --cap 10 --C 4 --gamma 0.02 "${inputs[@]}"
assert_rc 0 "train --cap 10 again"
cmp -s capped/model.svm capped2/model.svm || fail "two trainings with --cap 10 wrote different model.svm"
python3 - capped/meta.json counts.txt <<'PY' || fail "--cap 10 did not keep at most 10 rows per file (see above)"
import json, sys
meta = json.load(open(sys.argv[1], encoding="utf-8"))
counts = [int(l.split(" ", 1)[0]) for l in open(sys.argv[2]).read().splitlines()]
bad = []
if meta["cap_per_file"] != 10:
    bad.append("cap_per_file %r" % meta["cap_per_file"])
kept = 0
for i, n in zip(meta["inputs"], counts):
    used = sum(i["used"].values())
    kept += used
    if i["records"] != n or used != min(10, n):
        bad.append("%s: %d records, %d used, want %d, min(10, %d)" % (i["path"], i["records"], used, n, n))
if sum(meta["training_counts"].values()) != kept or meta["cross_validation"]["rows"] != kept:
    bad.append("training_counts %r / cross_validation rows %r, want %d rows in all"
               % (meta["training_counts"], meta["cross_validation"]["rows"], kept))
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
ok "--cap 10 keeps min(10, records) rows of each file, the same rows every time"

# ---- the sample depends on the files, not on the paths they are given by ----
ln -s "$L" fixtures-alias
alias_inputs=()
for f in "${inputs[@]}"; do alias_inputs+=("fixtures-alias/${f#"$L"/}"); done
capture "$CHAFF" train -o capped3 --cap 10 --C 4 --gamma 0.02 "${alias_inputs[@]}"
assert_rc 0 "train --cap 10 through a relative path"
cmp -s capped/model.svm capped3/model.svm ||
    fail "--cap 10 kept other rows when the same files were named by another path"
ok "--cap 10 keeps the same rows whatever path names the files"

# ---- a single class cannot be trained ----
capture "$CHAFF" train -o single "$L/human/chess.jsonl"
assert_rc 2 "train on human comments only"
assert_err_has "training needs at least 2" "the error says what is missing"
[ ! -e single/model.svm ] || fail "a failed training left single/model.svm behind"
ok "one class only: exit 2, 'training needs at least 2 ...', no model written"

# ---- --balance-links: the class with more links loses some, the same rows every time ----
# humans: 4 of 6 rows with a link or mention; machines: 1 of 4. To even
# the shares out, 1 - (1/4)/(4/6) = 62.5% of the 4 linked human rows lose
# theirs; which ones is decided by a hash of the text and the seed.
printf '%b\n' \
    'human\thttps://a.example/x lol this again' 'human\t@sam no it was tuesday' \
    'human\tsource? www.b.example' 'human\tread it yourself https://c.example' \
    'human\tmeh' 'human\tthe ref was blind' \
    'machine\tWhat a thoughtful take @lee, it really makes you think.' \
    'machine\tTruly inspiring work by everyone involved.' \
    'machine\tA powerful reminder of what matters most.' \
    'machine\tIt is fascinating how far we have come.' \
    'low-effort\tfirst!!' 'low-effort\tcheck my channel https://d.example' >links.tsv
for d in bal1 bal2; do
    capture "$CHAFF" train -o "$d" --C 4 --gamma 0.02 --balance-links links links.tsv
    assert_rc 0 "train --balance-links"
done
assert_err_has "links.tsv: links and mentions dropped from" "the run says what it changed"
python3 - bal1/meta.json <<'PY2' || fail "meta.json does not record the balancing"
import json, sys
i = json.load(open(sys.argv[1]))["inputs"][0]["links_balanced"]
want_share = 1 - (1 / 4) / (4 / 6)
assert i["thinned"] == "human", i
assert abs(i["share"] - want_share) < 1e-6, i
assert 0 <= i["rows_changed"] <= 4, i
PY2
cmp -s bal1/model.svm bal2/model.svm || fail "two trainings with --balance-links differ"
capture "$CHAFF" train -o none --C 4 --gamma 0.02 --balance-links nomatch links.tsv
assert_rc 0 "train --balance-links nomatch"
grep -q links_balanced none/meta.json && fail "--balance-links with a pattern that matches nothing changed rows"
capture "$CHAFF" train -o stdin --balance-links - - <links.tsv
assert_rc 2 "--balance-links on stdin"
assert_err_has "cannot take stdin" "the error says why"
ok "--balance-links thins the linked rows of the class with more links, deterministically, and says so"

# ---- --ngram-cap: rows beyond --cap still teach the n-gram tables ----
# Three files of one class each (news-politics); --cap 20 trains the SVM on
# 20 rows of each; with --ngram-cap 1000 the final tables count every row,
# exactly as a training without any cap does.
np=("$L"/human/news-politics.jsonl "$L"/low-effort/news-politics.jsonl "$L"/machine/news-politics.jsonl)
capture "$CHAFF" train -o ngall --C 4 --gamma 0.02 "${np[@]}"
assert_rc 0 "train without a cap"
capture "$CHAFF" train -o ng20 --C 4 --gamma 0.02 --cap 20 "${np[@]}"
assert_rc 0 "train --cap 20"
capture "$CHAFF" train -o ngmore --C 4 --gamma 0.02 --cap 20 --ngram-cap 1000 "${np[@]}"
assert_rc 0 "train --cap 20 --ngram-cap 1000"
cmp -s ng20/ngrams.bin ngall/ngrams.bin && fail "--cap 20 should leave rows out of the n-gram tables"
cmp -s ngmore/ngrams.bin ngall/ngrams.bin || fail "--ngram-cap 1000: tables differ from the tables of all rows"
cmp -s ngmore/model.svm ng20/model.svm && fail "--ngram-cap: the out-of-fold n-gram values should change the model"
python3 - ng20/meta.json ngmore/meta.json ngall/meta.json <<'PY2' || fail "meta.json does not record the n-gram-only rows"
import json, sys
a, b, c = (json.load(open(p)) for p in sys.argv[1:4])
for ia, ib, ic in zip(a["inputs"], b["inputs"], c["inputs"]):
    assert sum(ib["used"].values()) == 20 and ib["used"] == ia["used"], (ia, ib)
    assert ib["ngram_only"] == sum(ic["used"].values()) - 20, (ib, ic)
    assert "ngram_only" not in ia, ia
assert b["ngram_cap_per_file"] == 1000 and a["ngram_cap_per_file"] == 20, (a["ngram_cap_per_file"], b["ngram_cap_per_file"])
PY2
capture "$CHAFF" train -o ngbad --cap 20 --ngram-cap 5 "${np[@]}"
assert_rc 2 "--ngram-cap below --cap"
assert_eq "$(cat err)" "chaff: --ngram-cap 5 is below --cap 20: the n-gram tables learn from every row the model does" \
    "the error says why"
ok "--ngram-cap: the rows beyond --cap add to the n-gram tables only, as recorded in meta.json"

# ---- --edit: the rows of matching inputs that cross-validation gets wrong
# stay out of the final model ----
# noise.jsonl: the human news-politics comments again, labelled machine, so
# that many of its rows are misclassified and would each be an SV.
python3 - "$L"/human/news-politics.jsonl noise.jsonl <<'PY2'
import json, sys
with open(sys.argv[2], "w") as o:
    for line in open(sys.argv[1]):
        r = json.loads(line)
        r["label"] = "machine"
        o.write(json.dumps(r) + "\n")
PY2
capture "$CHAFF" train -o edno --C 4 --gamma 0.02 "${np[@]}" noise.jsonl
assert_rc 0 "train with the noise"
capture "$CHAFF" train -o ednone --C 4 --gamma 0.02 --edit no-such-input "${np[@]}" noise.jsonl
assert_rc 0 "train --edit matching no input"
cmp -s ednone/model.svm edno/model.svm || fail "--edit matching no input changed the model"
capture "$CHAFF" train -o edyes --C 4 --gamma 0.02 --edit noise "${np[@]}" noise.jsonl
assert_rc 0 "train --edit noise"
assert_err_has "misclassified in cross-validation left out" "the progress line names the rows left out"
python3 - edno/meta.json ednone/meta.json edyes/meta.json <<'PY2' || fail "meta.json: --edit did not leave out rows or SVs"
import json, sys
no, none, yes = (json.load(open(p))["libsvm"] for p in sys.argv[1:4])
assert "edited_rows" not in no and none["edited_rows"] == 0, (no, none)
assert yes["edited_rows"] > 0 and yes["total_sv"] < no["total_sv"], (no, yes)
PY2
capture "$CHAFF" train -o edbad --edit "" "${np[@]}"
assert_rc 2 "--edit with an empty pattern"
assert_eq "$(cat err)" "chaff: --edit: expected a path pattern (at most 16 of them), got ''" "the error says why"
ok "--edit PAT: misclassified rows of the matching inputs leave the final model, with fewer SVs"

# ---- --human-weight: stored in meta.json, applied to every verdict ----
capture "$CHAFF" train -o hw --C 4 --gamma 0.02 --human-weight 2 "${inputs[@]}"
assert_rc 0 "train --human-weight 2"
cmp -s a/model.svm hw/model.svm || fail "--human-weight changed the trained model.svm"
python3 -c 'import json,sys; t = json.load(open("hw/meta.json"))["thresholds"]; sys.exit(t["human_weight"] != 2)' ||
    fail "meta.json thresholds.human_weight is not 2"
printf '%s\n' "great video" "As an AI language model I think this is truly a pivotal moment." \
    "ref was blind, 2 pens not given" "check out my channel for free giveaways" >hw.txt
"$CHAFF" filter --model a --format text hw.txt >hw1.jsonl
"$CHAFF" filter --model hw --format text hw.txt >hw2.jsonl
python3 - hw1.jsonl hw2.jsonl <<'PY' || fail "--human-weight 2 did not give P(human) 2h / (2h + 1 - h) (see above)"
import json, sys
bad = []
for a, b in zip(open(sys.argv[1]), open(sys.argv[2])):
    a, b = json.loads(a), json.loads(b)
    h = a["p"]["human"]
    want = 2 * h / (2 * h + 1 - h)
    if abs(b["p"]["human"] - want) > 2e-4:
        bad.append("P(human) %s weighted by 2 is %s, want %.4f" % (h, b["p"]["human"], want))
    if b["label"] != max(b["p"], key=b["p"].get):
        bad.append("label %s is not the most probable of %r" % (b["label"], b["p"]))
for x in bad:
    print("  " + x, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
capture "$CHAFF" train -o hwbad --human-weight 200 "${inputs[@]}"
assert_rc 2 "train --human-weight 200"
assert_eq "$(cat err)" "chaff: --human-weight: expected a number from 0.01 to 100, got '200'" "the error says why"
capture "$CHAFF" train -o hwbad --human-weight heavy "${inputs[@]}"
assert_rc 2 "train --human-weight heavy"
assert_eq "$(cat err)" "chaff: --human-weight: expected a positive number, got 'heavy'" "the error says why"
ok "--human-weight W: the same model.svm, W in meta.json, P(human) weighted by W in every verdict"

# (an existing file first and a --weight: under the sanitizers a leak on
# this error path would turn the status into LeakSanitizer's)
capture "$CHAFF" train -o missing --weight politics=2 "$L/human/chess.jsonl" "$L/human/no-such-topic.jsonl"
assert_rc 2 "train on an existing and a missing file"
assert_err_has "no-such-topic.jsonl" "the error names the missing file"
[ ! -e missing/model.svm ] || fail "a training with a missing input wrote missing/model.svm"
capture "$CHAFF" train -o badweight --weight politics=2 --weight nothing "$L/human/chess.jsonl"
assert_rc 2 "train --weight nothing"
assert_err_has "--weight" "the error names the option"
ok "a missing input or a bad option gives exit 2"
