# shellcheck shell=bash
# tests/e2e/lib.sh: sourced by every tests/e2e/test_*.sh (it is not a test
# itself: ctest only runs test_*.sh). Usage inside a test:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
# Sets CHAFF (absolute path of the binary), ROOT (repo root), GOLDEN (the
# golden folder) and moves into a fresh scratch folder that is removed on
# exit. Every failure message starts with "FAIL [test name]:".

if [ $# -lt 2 ]; then
    echo "usage: bash $0 PATH_TO_chaff REPO_ROOT" >&2
    exit 2
fi
CHAFF=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$2" && pwd)
# shellcheck disable=SC2034 # used by the tests that source this file
GOLDEN=$ROOT/tests/e2e/golden
TEST_NAME=$(basename "$0" .sh)
[ -x "$CHAFF" ] || { echo "FAIL [$TEST_NAME]: $CHAFF is not an executable" >&2; exit 2; }

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/chaff-$TEST_NAME.XXXXXX")
cleanup() {
    chmod -R u+rwx "$SCRATCH" 2>/dev/null || true
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
# a command that fails outside an assertion still says where (-E: in functions too)
set -E
trap 'echo "FAIL [$TEST_NAME]: line $LINENO: command failed: $BASH_COMMAND" >&2' ERR
cd "$SCRATCH" || exit 2

fail() {
    echo "FAIL [$TEST_NAME]: $*" >&2
    if [ -s "$SCRATCH/err" ]; then
        echo "--- stderr of the last captured command:" >&2
        head -c 2000 "$SCRATCH/err" >&2
    fi
    exit 1
}

ok() {
    echo "ok [$TEST_NAME]: $*"
}

# capture CMD...: runs CMD with stdout in ./out and stderr in ./err (in the
# scratch folder); its exit status goes to RC. Never fails itself.
capture() {
    RC=0
    "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || RC=$?
}

assert_eq() { # GOT WANT WHAT
    [ "$1" == "$2" ] && return 0
    if [ ${#1} -gt 200 ] || [ ${#2} -gt 200 ] || [[ "$1$2" == *$'\n'* ]]; then
        printf '%s\n' "$2" >"$SCRATCH/want.txt"
        printf '%s\n' "$1" >"$SCRATCH/got.txt"
        echo "--- diff (expected vs got), first lines:" >&2
        diff "$SCRATCH/want.txt" "$SCRATCH/got.txt" | head -20 >&2 || true
        fail "$3: differs from what was expected (diff above)"
    fi
    fail "$3: expected '$2', got '$1'"
}

assert_rc() { # WANT WHAT (checks RC from capture)
    [ "$RC" == "$1" ] || fail "$2: expected exit status $1, got $RC"
}

assert_err_has() { # TEXT WHAT (checks ./err from capture)
    grep -qF -- "$1" "$SCRATCH/err" || fail "$2: stderr does not contain '$1'"
}

# Non-blank lines of a file (what chaff counts as records of a JSONL dump).
nonblank_lines() {
    grep -c '[^[:space:]]' "$1" || true
}

# Trains the small deterministic model every test uses, into ./model, so
# that the tests do not depend on the shipped model.
train_test_model() {
    local dir=${1:-model}
    "$CHAFF" train -o "$dir" --C 4 --gamma 0.02 "$ROOT"/fixtures/labelled/*/news-politics.jsonl \
        "$ROOT"/fixtures/labelled/*/football-soccer.jsonl "$ROOT"/fixtures/labelled/*/recipes-cooking.jsonl \
        >"$SCRATCH/train.log" 2>&1 || {
        cat "$SCRATCH/train.log" >&2
        fail "training the test model failed"
    }
    [ -s "$dir/model.svm" ] || fail "training the test model wrote no $dir/model.svm"
}

# For golden files: UPDATE_GOLDEN=1 rewrites GOLDEN_FILE from GOT instead of
# comparing. golden_compare GOT_FILE GOLDEN_FILE WHAT
golden_compare() {
    if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
        cp "$1" "$2"
        echo "updated $2"
        return 0
    fi
    [ -f "$2" ] || fail "$3: golden file $2 is missing (run with UPDATE_GOLDEN=1 to create it)"
    if ! cmp -s "$1" "$2"; then
        echo "--- diff (golden vs got):" >&2
        diff "$2" "$1" | head -40 >&2 || true
        fail "$3: output differs from $2 (if the change is intended, rerun with UPDATE_GOLDEN=1 and review the diff)"
    fi
}
