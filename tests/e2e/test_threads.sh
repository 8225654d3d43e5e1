#!/usr/bin/env bash
# chaff score --threads N: the same rows whatever N (scoring runs in
# parallel; reading and writing stay in input order).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
train_test_model

# the labelled fixtures of six topics: more than two batches of 256
cat "$ROOT"/fixtures/labelled/*/elections.jsonl "$ROOT"/fixtures/labelled/*/chess.jsonl \
    "$ROOT"/fixtures/labelled/*/pets.jsonl "$ROOT"/fixtures/labelled/*/movies.jsonl \
    "$ROOT"/fixtures/labelled/*/tennis.jsonl "$ROOT"/fixtures/labelled/*/travel.jsonl > dump.jsonl
n=$(wc -l < dump.jsonl)
[ "$n" -gt 512 ] || fail "the dump should span more than two batches of 256, has $n"
for t in 1 3; do
    capture "$CHAFF" score --threads "$t" --model model --db "t$t.db" dump.jsonl
    assert_rc 0 "score --threads $t"
    assert_eq "$(sqlite3 "t$t.db" "SELECT n_read || ' ' || n_scored || ' ' || status FROM runs")" "$n $n done" \
        "run row with --threads $t"
done
for table in "comments ORDER BY id" "scores ORDER BY comment_id" "clusters ORDER BY comment_id"; do
    a=$(sqlite3 t1.db "SELECT * FROM $table")
    b=$(sqlite3 t3.db "SELECT * FROM $table")
    assert_eq "$b" "$a" "$table with --threads 3 against --threads 1"
done
ok "--threads 3 writes the same comments, scores and clusters as --threads 1 ($n comments)"
capture "$CHAFF" score --threads 0 --model model --db t0.db dump.jsonl
assert_rc 2 "score --threads 0"
assert_err_has "--threads: expected a whole number from 1 to 64" "--threads 0 message"
ok "--threads 0 is refused"
