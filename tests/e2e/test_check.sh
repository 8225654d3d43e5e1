#!/usr/bin/env bash
# End-to-end tests of `chaff check`: the exit status follows the action it
# prints (0 pass, 1 review, 2 hold, 3 error), thresholds move the action,
# and the verdict equals chaff filter's for the same text.
# Usage: bash test_check.sh PATH_TO_chaff REPO_ROOT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

train_test_model

# invented comments of every kind
comments=(
    "first"
    "The 14 bus skipped our stop twice this morning, had to walk to Mill Lane in the rain."
    "What a truly inspiring story! It's a powerful reminder that community and resilience matter. ✨🙏"
    "lol"
    "Ultimately, it is important to note that both sides raise valid points, and open dialogue will be key."
    "check out my channel for FREE gift cards!!! 🎁🎁"
)

# Prints the action word of check's first line: "LABEL  (...)  -> ACTION".
action_of() {
    sed -n '1s/.*-> \([a-z]*\)$/\1/p' "$1"
}

status_for() {
    case $1 in
    pass) echo 0 ;;
    review) echo 1 ;;
    hold) echo 2 ;;
    *) echo "unknown action '$1'" ;;
    esac
}

# ---- the model's own thresholds: status follows the printed action ----
for text in "${comments[@]}"; do
    capture "$CHAFF" check --model model "$text"
    action=$(action_of out)
    [ -n "$action" ] || fail "check '$text': no '-> ACTION' on the first line: $(head -n 1 out)"
    assert_rc "$(status_for "$action")" "check '$text' printed '-> $action'"
    # the same verdict as chaff filter gives
    printf '%s\n' "$text" >one.txt
    "$CHAFF" filter --model model --format text one.txt >one.json 2>one.err || fail "filter on '$text' failed"
    python3 - out one.json <<'PY' || fail "check '$text' disagrees with chaff filter on the same text (see above)"
import json, re, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
v = json.load(open(sys.argv[2], encoding="utf-8"))
m = re.fullmatch(r"(\S+)  \(human ([0-9.]+), low-effort ([0-9.]+), machine ([0-9.]+)\)  -> (\S+)", lines[0])
if not m:
    sys.exit("  first line not as documented: %r" % lines[0])
label, ph, pl, pm, action = m.groups()
bad = []
if (label, action) != (v["label"], v["action"]):
    bad.append("label/action %s/%s, filter says %s/%s" % (label, action, v["label"], v["action"]))
# check prints 2 decimals, filter 4: equal within 0.005 + 0.00005
for name, got in (("human", ph), ("low-effort", pl), ("machine", pm)):
    if abs(float(got) - v["p"][name]) > 0.00506:
        bad.append("p(%s) %s, filter says %s" % (name, got, v["p"][name]))
if lines[1:] != ["  - " + r for r in v["reasons"]]:
    bad.append("reasons %r, filter says %r" % (lines[1:], v["reasons"]))
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
done
ok "exit status 0/1/2 follows the printed pass/review/hold; same verdicts as filter"

# ---- stdin instead of arguments ----
capture "$CHAFF" check --model model "${comments[1]}"
by_args=$(cat out)
args_rc=$RC
printf '%s\n' "${comments[1]}" >stdin.txt
capture "$CHAFF" check --model model <stdin.txt
assert_rc "$args_rc" "check from stdin vs from arguments"
assert_eq "$(cat out)" "$by_args" "check output from stdin vs from arguments"
ok "the comment can come on stdin"

# ---- thresholds decide the action whatever the model says ----
for text in "${comments[@]}"; do
    # P(not human) >= 0 always: hold
    capture "$CHAFF" check --model model --hold-at 0 --review-at 0 "$text"
    assert_rc 2 "check --hold-at 0 --review-at 0 '$text'"
    assert_eq "$(action_of out)" hold "action with --hold-at 0 --review-at 0 for '$text'"
    # P(not human) >= 1 only when P(human) is exactly 0: pass
    capture "$CHAFF" check --model model --review-at 1 --hold-at 1 "$text"
    assert_rc 0 "check --review-at 1 --hold-at 1 '$text'"
    assert_eq "$(action_of out)" pass "action with --review-at 1 --hold-at 1 for '$text'"
    # review from 0, hold only at 1: review
    capture "$CHAFF" check --model model --review-at 0 --hold-at 1 "$text"
    assert_rc 1 "check --review-at 0 --hold-at 1 '$text'"
    assert_eq "$(action_of out)" review "action with --review-at 0 --hold-at 1 for '$text'"
done
ok "--hold-at 0 gives hold (2), --review-at 1 --hold-at 1 pass (0), --review-at 0 --hold-at 1 review (1)"

# ---- errors: exit 3 ----
capture "$CHAFF" check --model no-such-model "hello there"
assert_rc 3 "check with a missing model folder"
assert_err_has "no-such-model" "the error names the model folder"
cp -r model badmodel
printf 'svm_type c_svc\nkernel_type sideways\n' >badmodel/model.svm
capture "$CHAFF" check --model badmodel "hello there"
assert_rc 3 "check with a garbage model.svm"
assert_err_has "badmodel/model.svm" "the error names the model file"
capture "$CHAFF" check --model model --hold-at 1.5 "hello there"
assert_rc 3 "check --hold-at 1.5"
assert_err_has "--hold-at" "the error names the option"
capture "$CHAFF" check --model model --no-such-option "hello there"
assert_rc 3 "check with an unknown option"
ok "a bad model or option gives exit 3"
