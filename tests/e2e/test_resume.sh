#!/usr/bin/env bash
# chaff score after kill -9 or SIGINT: the same command takes the run up
# again and completes it; every comment is scored exactly once in that run
# and nothing committed is lost.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
train_test_model
cat "$ROOT"/fixtures/labelled/*/*.jsonl > dump.jsonl
n=$(wc -l < dump.jsonl)

# wait until the run has committed at least $1 scores (or the process ended)
wait_scores() {
    local pid=$1 want=$2 i
    for i in $(seq 1 400); do
        got=$(sqlite3 r.db "SELECT count(*) FROM scores" 2>/dev/null || echo 0)
        [ "${got:-0}" -ge "$want" ] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

for how in KILL INT; do
    rm -f r.db r.db-wal r.db-shm
    "$CHAFF" score --model model --db r.db --threads 1 --batch 100 dump.jsonl 2>score1.err &
    pid=$!
    wait_scores "$pid" 200 || fail "$how: the first run ended before it could be stopped ($(cat score1.err))"
    kill -s "$how" "$pid"
    rc=0
    wait "$pid" || rc=$?
    if [ "$how" = INT ]; then
        assert_eq "$rc" "130" "exit status after SIGINT"
        assert_eq "$(sqlite3 r.db "SELECT status FROM runs")" "interrupted" "run status after SIGINT"
    else
        assert_eq "$(sqlite3 r.db "SELECT status FROM runs")" "running" "run status after kill -9"
    fi
    before=$(sqlite3 r.db "SELECT count(*) FROM scores")
    [ "$before" -ge 200 ] && [ "$before" -lt "$n" ] || fail "$how: $before scores kept, want 200..$((n - 1))"

    capture "$CHAFF" score --model model --db r.db --threads 2 dump.jsonl
    assert_rc 0 "$how: the same command again"
    assert_err_has "taking up unfinished run 1 ($before comments already scored)" "$how: resume message"
    assert_eq "$(sqlite3 r.db "SELECT count(*) || ' ' || status || ' ' || n_scored FROM runs")" "1 done $n" \
        "$how: one run, done, every comment scored"
    assert_eq "$(sqlite3 r.db "SELECT count(*), count(DISTINCT comment_id) FROM scores")" "$n|$n" \
        "$how: each comment scored exactly once"
    assert_eq "$(sqlite3 r.db "SELECT count(*) FROM comments")" "$n" "$how: comments stored once"
    ok "$how: $before of $n scores survived; the same command completed the run"
done

# a finished run is not taken up: scoring again is a new run
capture "$CHAFF" score --model model --db r.db dump.jsonl
assert_rc 0 "scoring a finished dump again"
assert_eq "$(sqlite3 r.db "SELECT count(*) FROM runs")" "2" "a new run after a finished one"
ok "a finished run is not taken up again"
