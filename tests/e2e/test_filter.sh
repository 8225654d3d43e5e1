#!/usr/bin/env bash
# End-to-end tests of `chaff filter`: golden output, one answer line per
# record, errors in place, answers streamed before stdin closes, --format
# text, and a reader going away (SIGPIPE).
#
# Golden files: golden/filter-input.jsonl (invented records: one without an
# id, a numeric id, a blank line and a malformed line 6) and
# golden/filter-output.jsonl, what `chaff filter --model model
# filter-input.jsonl` prints with the small model trained below. To
# regenerate after an intended change, run with UPDATE_GOLDEN=1, e.g.
#   UPDATE_GOLDEN=1 bash tests/e2e/test_filter.sh build/chaff .
# and review the diff of golden/filter-output.jsonl before committing.
#
# Usage: bash test_filter.sh PATH_TO_chaff REPO_ROOT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

train_test_model
cp "$GOLDEN/filter-input.jsonl" filter-input.jsonl # a relative path: error messages name it so

# ---- golden output ----
capture "$CHAFF" filter --model model filter-input.jsonl
assert_rc 0 "filter on an input with one malformed line"
cp out filter-output.jsonl
golden_compare filter-output.jsonl "$GOLDEN/filter-output.jsonl" "chaff filter output"
assert_err_has "filter-input.jsonl:6: invalid JSON" "the malformed line is reported on stderr too"
ok "output equals golden/filter-output.jsonl"

# ---- one output line per non-blank input line, in order ----
assert_eq "$(wc -l <filter-output.jsonl)" "$(nonblank_lines filter-input.jsonl)" \
    "output lines vs non-blank input lines"
python3 - filter-input.jsonl filter-output.jsonl <<'PY' || fail "filter output does not match its input line by line (see above)"
import json, sys
inp = [(n, l) for n, l in enumerate(open(sys.argv[1], encoding="utf-8"), 1) if l.strip()]
out = [l for l in open(sys.argv[2], encoding="utf-8")]
problems = []
index = 0  # records that parsed, 1-based, as chaff numbers records without an id
for (lineno, line), o in zip(inp, out):
    try:
        got = json.loads(o)
    except ValueError:
        problems.append("output for line %d is not JSON: %r" % (lineno, o))
        continue
    try:
        rec = json.loads(line)
    except ValueError:
        rec = None
    if rec is None:
        if set(got) != {"line", "error"} or got["line"] != lineno or "invalid JSON" not in got["error"]:
            problems.append("malformed line %d gave %r, want {\"line\": %d, \"error\": \"...invalid JSON...\"}"
                            % (lineno, got, lineno))
        continue
    index += 1
    want_id = str(rec["id"]) if "id" in rec else index
    if list(got) != ["id", "label", "p", "action", "reasons"]:
        problems.append("line %d: keys %r" % (lineno, list(got)))
        continue
    if got["id"] != want_id:
        problems.append("line %d: id %r, want %r" % (lineno, got["id"], want_id))
    p = got["p"]
    if list(p) != ["human", "low-effort", "machine"] or abs(sum(p.values()) - 1) > 2e-4:
        problems.append("line %d: p %r (4 decimals each, so the sum is 1 within 1.5e-4)" % (lineno, p))
    elif got["label"] not in p or p[got["label"]] < max(p.values()) - 1e-4:
        # p is rounded to 4 decimals: the label's must be the largest within that
        problems.append("line %d: label %s is not the most probable class of %r" % (lineno, got["label"], p))
    elif abs(p["human"] - 0.5) > 1e-4 and (got["action"] == "pass") != (p["human"] > 0.5):
        problems.append("line %d: action %s with P(human) %s (the shipped model reviews at 0.5)"
                        % (lineno, got["action"], p["human"]))
    if got["action"] not in ("pass", "review", "hold"):
        problems.append("line %d: action %r" % (lineno, got["action"]))
    if not isinstance(got["reasons"], list) or not all(isinstance(r, str) for r in got["reasons"]):
        problems.append("line %d: reasons %r" % (lineno, got["reasons"]))
for p in problems:
    print("  " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
ok "one line per non-blank input line; the malformed line 6 gives {\"line\": 6, \"error\": ...} in place"

capture "$CHAFF" filter --model model --strict filter-input.jsonl
assert_rc 2 "filter --strict on an input with a malformed line"
assert_eq "$(cat out)" "$(head -n 5 filter-output.jsonl)" "--strict output: the 4 records and the error, then stop"
ok "--strict stops at the malformed line with exit 2"

# ---- streaming: each answer arrives before the next line is written ----
# Line N of the golden output is the answer to the N-th record.
for fmt in jsonl auto; do
    args=(filter --model model)
    [ "$fmt" = auto ] || args+=(--format "$fmt")
    coproc FILT { exec "$CHAFF" "${args[@]}" 2>stream.err; }
    fpid=$FILT_PID
    to_filter=${FILT[1]}
    from_filter=${FILT[0]}
    answers=()
    for n in 1 2; do
        sed -n "${n}p" filter-input.jsonl >&"$to_filter"
        if ! IFS= read -r -t 10 answer <&"$from_filter"; then
            kill "$fpid" 2>/dev/null || true
            fail "streaming (--format $fmt): no answer to input line $n within 10 s while stdin stays open"
        fi
        answers+=("$answer")
    done
    kill -0 "$fpid" 2>/dev/null || fail "streaming (--format $fmt): chaff filter ended before its stdin was closed"
    exec {to_filter}>&-
    frc=0
    wait "$fpid" || frc=$? # bash closes the coprocess's other pipe when it is reaped
    assert_eq "$frc" 0 "exit status of the streaming chaff filter (--format $fmt) after stdin closed"
    assert_eq "${answers[0]}" "$(sed -n 1p filter-output.jsonl)" "streamed answer 1 (--format $fmt)"
    assert_eq "${answers[1]}" "$(sed -n 2p filter-output.jsonl)" "streamed answer 2 (--format $fmt)"
    [ ! -s stream.err ] || fail "streaming (--format $fmt): unexpected stderr: $(cat stream.err)"
done
ok "streaming: answers arrive one by one before stdin is closed (--format jsonl and sniffed)"

# ---- --format text: one comment per line, e.g. from cut -f2 ----
python3 - filter-input.jsonl <<'PY' >comments.tsv
import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    try:
        r = json.loads(l)
    except ValueError:
        continue
    print("%s\t%s" % (r.get("id", "-"), r["text"]))
PY
cut -f2 comments.tsv >comments.txt
capture "$CHAFF" filter --model model --format text - <comments.txt
assert_rc 0 "filter --format text"
assert_eq "$(wc -l <out)" "$(wc -l <comments.txt)" "output lines of --format text"
# the same texts as the JSONL records, so the same verdicts; ids are 1, 2, ...
python3 - out filter-output.jsonl <<'PY' || fail "--format text verdicts differ from the JSONL ones (see above)"
import json, sys
text = [json.loads(l) for l in open(sys.argv[1])]
ref = [json.loads(l) for l in open(sys.argv[2])]
ref = [r for r in ref if "error" not in r]
bad = 0
for i, (t, r) in enumerate(zip(text, ref), 1):
    if t["id"] != i:
        print("  text line %d: id %r, want %d" % (i, t["id"], i), file=sys.stderr); bad = 1
    t.pop("id"); r.pop("id")
    if t != r:
        print("  text line %d: %r\n     jsonl: %r" % (i, t, r), file=sys.stderr); bad = 1
sys.exit(bad)
PY
ok "--format text on cut -f2 lines: one verdict per line, ids 1..N, same verdicts as JSONL"

# ---- a reader that goes away: chaff ends quietly ----
set +o pipefail
yes '{"text":"hi"}' | head -c 2000000 | "$CHAFF" filter --model model 2>sigpipe.err | head -n 1 >first.txt
statuses=("${PIPESTATUS[@]}")
set -o pipefail
[ ! -s sigpipe.err ] || fail "filter | head -1: chaff wrote to stderr: $(head -c 500 sigpipe.err)"
case ${statuses[2]} in
0 | 141) ;; # finished, or ended by SIGPIPE (128 + 13)
*) fail "filter | head -1: chaff exit status ${statuses[2]}, want 0 or 141 (SIGPIPE)" ;;
esac
python3 -c 'import json,sys; json.loads(open("first.txt").read())' ||
    fail "filter | head -1: the first line is not JSON: $(cat first.txt)"
ok "SIGPIPE: filter | head -1 ends without a message"

# ---- stdin: the same output, the same line numbers ----
# Regression: with the format sniffed (stdin, or a name without a known
# extension) the reader once re-read the sniffed line without counting it,
# so every line number was one too small.
capture "$CHAFF" filter --model model - <filter-input.jsonl
assert_rc 0 "filter from stdin"
assert_eq "$(cat out)" "$(sed 's/"filter-input.jsonl:/"-:/' filter-output.jsonl)" \
    "filter from stdin vs the golden output (the error must say line 6, as for the file)"
assert_err_has "-:6: invalid JSON" "stdin: the malformed line is reported as -:6"
ok "stdin: same output, same line numbers"

# ---- the shipped model: every flagged verdict says why, a passed human says nothing ----
capture "$CHAFF" filter --model "$ROOT/models/default" "$ROOT/fixtures/heldout"
assert_rc 0 "filter fixtures/heldout with the shipped model"
python3 - out <<'PY' || fail "a verdict's reasons do not match its action (see above)"
import json, sys
bad, flagged = [], 0
for line in open(sys.argv[1], encoding="utf-8"):
    v = json.loads(line)
    if v["action"] != "pass":
        flagged += 1
        if not v["reasons"]:
            bad.append("%s: %s %s without reasons" % (v["id"], v["label"], v["action"]))
    elif v["label"] == "human" and v["reasons"]:
        bad.append("%s: human and passed, yet reasons %r" % (v["id"], v["reasons"]))
    # the wording reason quotes no phrase another reason quotes already
    quoted = [r.split("('", 1)[1] for r in v["reasons"] if "('" in r]
    wording = [r.split("('", 1)[1] for r in v["reasons"] if r.startswith("wording typical") and "('" in r]
    if any(quoted.count(q) > 1 for q in wording):
        bad.append("%s: the wording reason repeats another's phrase: %r" % (v["id"], v["reasons"]))
if flagged < 100:
    bad.append("only %d flagged verdicts: not the held-out fixtures?" % flagged)
for b in bad[:10]:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
ok "shipped model on fixtures/heldout: every comment sent to review or held has a reason, the wording one quoting nothing twice"
