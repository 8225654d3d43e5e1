#!/usr/bin/env bash
# End-to-end tests of the options of `chaff filter` for pipelines:
# --pass-through (each input object echoed byte for byte with one "chaff"
# member added), --keep (records whose action is not listed are dropped),
# --held-to (the dropped records, so that kept + held = all), error lines in
# place, and the usage errors.
#
# The input is built below: the chess fixtures of the three classes (a topic
# the small test model was not trained on, so all three actions occur),
# some of them re-spelled (spacing, escapes, number spellings, nesting,
# duplicate keys, no id, an existing "chaff" member), plus bad lines.
#
# Usage: bash test_filter_options.sh PATH_TO_chaff REPO_ROOT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

train_test_model

python3 - "$ROOT"/fixtures/labelled/{human,low-effort,machine}/chess.jsonl >input.jsonl <<'PY'
import json, sys
lines = []
for path in sys.argv[1:]:
    lines += [l.rstrip("\n") for l in open(path, encoding="utf-8") if l.strip()]
out = []
for i, line in enumerate(lines):
    rec = json.loads(line)
    k = i % 6
    if k == 1:    # compact, members in another order
        line = json.dumps({"meta": {"n": i, "tags": ["a", None, True]}, **rec}, separators=(",", ":"))
    elif k == 2:  # loose spacing, numbers spelt as the author spelt them
        line = '  { "score" : 1.50 , "big" : 1e3 , "neg" : -0 , ' + line.lstrip()[1:] + "  "
    elif k == 3:  # escaped non-ASCII text, an escaped slash
        line = json.dumps(rec, ensure_ascii=True)[:-1] + ', "url": "https:\\/\\/example.test\\/x"}'
    elif k == 4:  # no id
        rec.pop("id", None)
        line = json.dumps(rec, ensure_ascii=False)
    elif k == 5 and i % 12 == 5:  # a duplicate key, kept as it is
        line = line[:-1] + ', "topic": "again"}'
    out.append(line)
# bad lines, each answered in its place
out.insert(3, "{not json")
out.insert(10, "")  # blank: no answer at all
out.insert(11, "[1, 2]")
out.insert(20, '{"id": "no-text", "body": "the text is elsewhere"}')
out.insert(30, json.dumps({"id": "huge", "text": "x" * 5000}))
# an object that already has a "chaff" member: it is replaced
out.insert(40, '{"id": "had-chaff", "chaff": {"old": 1}, "text": "what a blunder on move 12, resign already", "z": 2}')
sys.stdout.write("\n".join(out) + "\n")
PY
# 2 invalid lines ({not json, [1, 2]) + 1 without text + 1 over --max-bytes 4096
# = 4 error lines; the blank line gets no answer
ARGS=(filter --model model --max-bytes 4096)

capture "$CHAFF" "${ARGS[@]}" input.jsonl
assert_rc 0 "plain filter on the input"
cp out plain.jsonl

# ---- --pass-through ----
capture "$CHAFF" "${ARGS[@]}" --pass-through input.jsonl
assert_rc 0 "filter --pass-through"
cp out pass.jsonl
python3 - input.jsonl pass.jsonl plain.jsonl <<'PY' || fail "--pass-through output (see above)"
import json, sys
def pairs(s):
    return json.loads(s, object_pairs_hook=lambda p: p)
inp = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
out = [l.rstrip("\n") for l in open(sys.argv[2], encoding="utf-8")]
plain = [json.loads(l) for l in open(sys.argv[3], encoding="utf-8")]
bad = []
if len(out) != len(inp) or len(plain) != len(inp):
    bad.append("%d non-blank input lines, %d pass-through lines, %d plain lines" % (len(inp), len(out), len(plain)))
errors = echoed = replaced = 0
for n, (i, o, p) in enumerate(zip(inp, out, plain), 1):
    got = json.loads(o)
    if "error" in p:
        errors += 1
        if got != p:
            bad.append("line %d: error line %r, want the plain filter's %r" % (n, got, p))
        continue
    want = [kv for kv in pairs(i) if kv[0] != "chaff"]
    gotp = pairs(o)
    if gotp[:-1] != want:
        bad.append("line %d: members %r, want %r" % (n, gotp[:-1], want))
    if gotp[-1][0] != "chaff" or [k for k, _ in gotp].count("chaff") != 1:
        bad.append("line %d: the last member is %r and \"chaff\" must occur once" % (n, gotp[-1][0]))
        continue
    verdict = dict(gotp[-1][1])
    p = {k: v for k, v in p.items() if k != "id"}
    if list(verdict) != ["label", "p", "action", "reasons"] or json.loads(json.dumps(got["chaff"])) != p:
        bad.append("line %d: chaff member %r, want the plain verdict %r" % (n, got["chaff"], p))
    if any(k == "chaff" for k, _ in pairs(i)):
        replaced += 1
        continue
    # byte for byte: the input up to its closing brace, the member, the rest
    end = i.rstrip().rfind("}")
    member = o[end:len(o) - (len(i) - end)]
    if not (o.startswith(i[:end]) and o.endswith(i[end:]) and member.startswith(',"chaff":{')):
        bad.append("line %d: not the input with one member spliced in:\n   in:  %r\n   out: %r" % (n, i, o))
    echoed += 1
# 4 error lines (see the generator), 1 object with a "chaff" member
if errors != 4 or replaced != 1:
    bad.append("%d error lines and %d replaced chaff members, want 4 and 1" % (errors, replaced))
for b in bad[:20]:
    print("  " + b, file=sys.stderr)
print("  %d objects echoed byte for byte" % echoed)
sys.exit(1 if bad else 0)
PY
ok "--pass-through: every object echoed byte for byte plus a last \"chaff\" member equal to the plain verdict; 4 error lines in place; an old \"chaff\" member replaced"

# ---- --keep and --held-to: kept + held = all, in order, error lines in place ----
# Expected: the plain or pass-through output split by action; error lines
# stay in stdout where they were.
split_by_action() { # FULL_OUTPUT KEEP_LIST -> kept.want held.want
    python3 - "$1" "$2" <<'PY'
import json, sys
keep = sys.argv[2].split(",")
kept, held = [], []
for line in open(sys.argv[1], encoding="utf-8"):
    v = json.loads(line)
    if "error" in v:
        kept.append(line)
        continue
    action = v["chaff"]["action"] if "chaff" in v and isinstance(v["chaff"], dict) and "action" in v["chaff"] else v["action"]
    (kept if action in keep else held).append(line)
open("kept.want", "w", encoding="utf-8").write("".join(kept))
open("held.want", "w", encoding="utf-8").write("".join(held))
PY
}
for mode in plain pass; do
    extra=()
    [ $mode = pass ] && extra=(--pass-through)
    for keep in pass pass,review review,hold hold; do
        capture "$CHAFF" "${ARGS[@]}" "${extra[@]}" --keep $keep --held-to held.jsonl input.jsonl
        assert_rc 0 "filter ${extra[*]} --keep $keep --held-to held.jsonl"
        split_by_action $mode.jsonl $keep
        [ -s held.want ] && [ "$(grep -vc '"error"' kept.want)" -gt 0 ] ||
            fail "--keep $keep: the test input must give both kept and held records"
        assert_eq "$(cat out)" "$(cat kept.want)" "stdout of ${extra[*]} --keep $keep (the kept records and the error lines, in order)"
        assert_eq "$(cat held.jsonl)" "$(cat held.want)" "--held-to file of ${extra[*]} --keep $keep"
        # kept + held = all: every line of the full output is in one of them
        assert_eq "$(($(wc -l <out) + $(wc -l <held.jsonl)))" "$(wc -l <$mode.jsonl)" \
            "stdout lines + held lines vs all output lines (${extra[*]} --keep $keep)"
    done
done
ok "--keep ACTIONS --held-to FILE: stdout has the kept records with the error lines in place, FILE the others, nothing lost (plain and --pass-through)"

capture "$CHAFF" "${ARGS[@]}" --keep hold input.jsonl
assert_rc 0 "--keep hold without --held-to"
split_by_action plain.jsonl hold
assert_eq "$(cat out)" "$(cat kept.want)" "--keep hold without --held-to: the others are dropped"
ok "--keep without --held-to drops the other records"

# ---- streaming: a held record reaches the --held-to file before stdin closes ----
# the first chess record of each class: find one that passes and one that is held
python3 - input.jsonl plain.jsonl <<'PY' >stream-input.jsonl
import json, sys
inp = [l for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
out = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
first = {}
for i, o in zip(inp, out):
    if "action" in o and o["action"] in ("pass", "hold"):
        first.setdefault(o["action"], i)
sys.stdout.write(first["pass"] + first["hold"])
PY
coproc FILT { exec "$CHAFF" "${ARGS[@]}" --pass-through --keep pass --held-to stream-held.jsonl 2>stream.err; }
fpid=$FILT_PID
to_filter=${FILT[1]}
from_filter=${FILT[0]}
sed -n 1p stream-input.jsonl >&"$to_filter"
IFS= read -r -t 10 answer <&"$from_filter" || { kill "$fpid" 2>/dev/null || true; fail "streaming: no answer to the passed record within 10 s"; }
sed -n 2p stream-input.jsonl >&"$to_filter"
for _ in $(seq 100); do
    [ -s stream-held.jsonl ] && break
    sleep 0.1
done
[ -s stream-held.jsonl ] || { kill "$fpid" 2>/dev/null || true; fail "streaming: the held record did not reach --held-to within 10 s while stdin stays open"; }
exec {to_filter}>&-
frc=0
wait "$fpid" || frc=$?
assert_eq "$frc" 0 "exit status of the streaming chaff filter --keep pass --held-to"
assert_eq "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["chaff"]["action"])' "$answer")" pass "streamed answer"
assert_eq "$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read())["chaff"]["action"])' stream-held.jsonl)" hold "streamed held record"
ok "streaming: a held record is written to --held-to before the next line is read"

# ---- SIGTERM while waiting for input: a clean end, exit 143 (128 + 15) ----
rm -f stream-held.jsonl
coproc FILT { exec "$CHAFF" "${ARGS[@]}" --keep pass --held-to stream-held.jsonl 2>term.err; }
fpid=$FILT_PID
to_filter=${FILT[1]}
from_filter=${FILT[0]}
sed -n 1p stream-input.jsonl >&"$to_filter"
IFS= read -r -t 10 answer <&"$from_filter" || { kill "$fpid" 2>/dev/null || true; fail "SIGTERM test: no answer within 10 s"; }
kill -TERM "$fpid"
for _ in $(seq 100); do
    kill -0 "$fpid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$fpid" 2>/dev/null; then
    kill -KILL "$fpid" 2>/dev/null || true
    fail "SIGTERM: chaff filter was still waiting for input 10 s after SIGTERM"
fi
frc=0
wait "$fpid" || frc=$?
exec {to_filter}>&-
assert_eq "$frc" 143 "exit status of chaff filter --keep --held-to ended by SIGTERM"
[ ! -s term.err ] || fail "SIGTERM: unexpected stderr: $(cat term.err)"
[ -f stream-held.jsonl ] || fail "SIGTERM: the --held-to file is missing"
ok "SIGTERM while waiting for input: exit 143, nothing on stderr"

# ---- usage errors: exit 2 before reading anything ----
cp input.jsonl keep-me.jsonl
capture "$CHAFF" filter --model model --held-to x.jsonl input.jsonl
assert_rc 2 "--held-to without --keep"
assert_err_has "--held-to needs --keep" "--held-to without --keep"
capture "$CHAFF" filter --model model --keep pass,drop input.jsonl
assert_rc 2 "--keep with an unknown action"
assert_err_has "--keep: expected actions among pass, review and hold" "--keep pass,drop"
capture "$CHAFF" filter --model model --keep "" input.jsonl
assert_rc 2 "--keep with an empty list"
capture "$CHAFF" filter --model model --pass-through --format csv input.jsonl
assert_rc 2 "--pass-through --format csv"
assert_err_has "--pass-through needs JSONL input" "--pass-through --format csv"
capture "$CHAFF" filter --model model --keep pass --held-to keep-me.jsonl keep-me.jsonl
assert_rc 2 "--held-to naming an input"
assert_err_has "is also an input" "--held-to naming an input"
cmp -s keep-me.jsonl input.jsonl || fail "--held-to naming an input emptied or changed it"
capture "$CHAFF" filter --model model --keep pass --held-to no-such-dir/held.jsonl input.jsonl
assert_rc 2 "--held-to in a missing folder"
assert_err_has "cannot open for writing" "--held-to in a missing folder"
if [ -w /dev/full ]; then
    # a full disk: the held records cannot be kept, so the run fails loudly
    capture "$CHAFF" "${ARGS[@]}" --keep pass --held-to /dev/full input.jsonl
    assert_rc 2 "--held-to /dev/full"
    assert_err_has "--held-to /dev/full: cannot write" "--held-to /dev/full"
fi
ok "usage errors exit 2: --held-to without --keep, a bad --keep, --pass-through with CSV, --held-to an input or unwritable or full"

# ---- --pass-through reads any name as JSONL ----
cp input.jsonl input.txt
capture "$CHAFF" "${ARGS[@]}" --pass-through input.txt
assert_rc 0 "--pass-through on a .txt name"
assert_eq "$(sed 's/"input\.txt:/"input.jsonl:/' out)" "$(cat pass.jsonl)" "--pass-through on input.txt vs input.jsonl"
ok "--pass-through reads every input as JSONL, whatever its name"

# ---- --no-reasons ----
# Expected: the plain and pass-through outputs with "reasons" left out of
# every verdict and nothing else changed (the error lines included); the
# flagged records did have reasons, so the option removed something.
for mode in plain pass; do
    extra=()
    [ $mode = pass ] && extra=(--pass-through)
    capture "$CHAFF" "${ARGS[@]}" "${extra[@]}" --no-reasons input.jsonl
    assert_rc 0 "filter --no-reasons ($mode)"
    python3 - $mode.jsonl out <<'PY' || fail "--no-reasons ($mode): output differs (see above)"
import json, sys
with_r = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
without = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert len(with_r) == len(without), (len(with_r), len(without))
had = 0
for a, b in zip(with_r, without):
    v = a.get("chaff", a) if "error" not in a else None
    if v is not None and "reasons" in v:
        had += len(v["reasons"]) > 0
        del v["reasons"]
    assert a == b, (a, b)
    assert "reasons" not in json.dumps(b.get("chaff", b) if "error" not in b else {}), b
assert had > 0, "no record had reasons to leave out"
PY
done
ok "--no-reasons: the same verdicts without \"reasons\" (plain and --pass-through)"
