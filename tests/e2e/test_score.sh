#!/usr/bin/env bash
# End-to-end tests of `chaff score`: dumps (JSONL, gzip, CSV, stdin) into a
# SQLite database, bad records, --strict, and the errors that must stop a
# run (missing input, unusable database, broken model).
# Usage: bash test_score.sh PATH_TO_chaff REPO_ROOT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

DEMO=$ROOT/fixtures/demo/news-comments.jsonl
train_test_model

# Checks every comment and score of run RUN in DB against the JSONL dump
# DUMP (records in file order) as stored under source SOURCE.
check_db_against_dump() { # DB RUN DUMP SOURCE
    python3 - "$@" <<'PY' || fail "database $1 (run $2) does not match $3 (see above)"
import hashlib, json, sqlite3, sys
db, run, dump, source = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
meta = json.load(open("model/meta.json"))
review_at, hold_at = meta["thresholds"]["review_at"], meta["thresholds"]["hold_at"]
recs = [json.loads(l) for l in open(dump, encoding="utf-8") if l.strip()]
con = sqlite3.connect(db)
rows = con.execute(
    "SELECT c.source, c.source_id, c.author, c.created_at, c.text, c.text_sha256,"
    " s.label, s.p_human, s.p_low_effort, s.p_machine, s.action, s.reasons"
    " FROM scores s JOIN comments c ON c.id = s.comment_id WHERE s.run_id = ? ORDER BY c.id", (run,)).fetchall()
problems = []
if len(rows) != len(recs):
    problems.append("run %d has %d scored comments, the dump %d records" % (run, len(rows), len(recs)))
labels = ["human", "low-effort", "machine"]
for rec, row in zip(recs, rows):
    src, sid, author, created, text, sha, label, ph, pl, pm, action, reasons = row
    want = (source, rec["id"], rec.get("author"), rec.get("created_at"), rec["text"])
    if (src, sid, author, created, text) != want:
        problems.append("comment %s: stored %r, want %r" % (rec["id"], (src, sid, author, created, text), want))
    h = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if sha != h:
        problems.append("comment %s: text_sha256 %s, sha256 of the text is %s" % (sid, sha, h))
    if label not in labels:
        problems.append("comment %s: label %r" % (sid, label))
    p = [ph, pl, pm]
    if abs(sum(p) - 1) > 1e-6 or min(p) < 0:
        problems.append("comment %s: probabilities %r do not sum to 1" % (sid, p))
    # verdict.c: the stored probabilities are the weighted ones; hold when
    # P(not human) >= hold_at, else review when >= review_at; the label is
    # the most probable class (ties: human, then low-effort)
    flag = 1.0 - ph
    want_action = "hold" if flag >= hold_at else "review" if flag >= review_at else "pass"
    want_label = labels[max(range(3), key=lambda k: (p[k], -k))]
    if label != want_label:
        problems.append("comment %s: label %s, want %s for %r" % (sid, label, want_label, p))
    if action != want_action:
        problems.append("comment %s: action %s, want %s (P(not human) %.4f, thresholds %s/%s)"
                        % (sid, action, want_action, flag, review_at, hold_at))
    try:
        r = json.loads(reasons)
        if not isinstance(r, list) or not all(isinstance(x, str) and x for x in r):
            raise ValueError
    except ValueError:
        problems.append("comment %s: reasons %r is not a JSON array of strings" % (sid, reasons))
for p in problems[:10]:
    print("  " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
}

# Prints one line per scored comment of run RUN: source_id, label, the
# probabilities, action and reasons (to compare two runs).
verdicts() { # DB RUN
    sqlite3 -batch "$1" "SELECT c.source_id, s.label, s.p_human, s.p_low_effort, s.p_machine, s.action, s.reasons
                         FROM scores s JOIN comments c ON c.id = s.comment_id WHERE s.run_id = $2 ORDER BY c.id"
}

q() { # DB SQL
    sqlite3 -batch "$1" "$2"
}

# ---- a fresh database, default path chaff.db ----
capture "$CHAFF" score --model model "$DEMO"
assert_rc 0 "score the demo dump"
[ -f chaff.db ] || fail "score without --db did not create ./chaff.db"
assert_eq "$(q chaff.db 'SELECT count(*) FROM runs')" 1 "runs after one score"
assert_eq "$(q chaff.db 'SELECT status, n_read, n_scored, n_errors FROM runs')" "done|40|40|0" \
    "run row (status|n_read|n_scored|n_errors) for the 40-line demo"
assert_eq "$(q chaff.db 'SELECT finished_at IS NOT NULL FROM runs')" 1 "finished_at of a done run"
assert_eq "$(q chaff.db 'SELECT inputs FROM runs')" "[\"$DEMO\"]" "runs.inputs"
assert_eq "$(q chaff.db 'SELECT count(*) FROM comments')" 40 "comments after one score"
assert_eq "$(q chaff.db 'SELECT count(*) FROM scores')" 40 "scores after one score"
assert_eq "$(q chaff.db 'SELECT source_id FROM comments ORDER BY id LIMIT 3')" $'c001\nc002\nc003' "first source ids"
assert_eq "$(q chaff.db "SELECT author, created_at, text FROM comments WHERE source_id = 'c002'")" \
    "Dale Hutchins|2026-11-20T07:58:19Z|7 to 4. Remember those seven names in May." "comment c002 as stored"
check_db_against_dump chaff.db 1 "$DEMO" "$DEMO"
assert_err_has "run 1 done: read 40, scored 40" "summary line of score"
ok "fresh database: 1 run, 40 comments, 40 scores, all fields as in the dump"

# ---- the same file again: a new run, the comments are not duplicated ----
capture "$CHAFF" score --model model "$DEMO"
assert_rc 0 "score the demo dump a second time"
assert_eq "$(q chaff.db 'SELECT count(*) FROM runs')" 2 "runs after scoring twice"
assert_eq "$(q chaff.db "SELECT count(*) FROM runs WHERE status = 'done'")" 2 "done runs after scoring twice"
assert_eq "$(q chaff.db 'SELECT count(*) FROM comments')" 40 "comments after scoring twice (no duplicates)"
assert_eq "$(q chaff.db 'SELECT count(*) FROM scores')" 80 "scores after scoring twice"
assert_eq "$(verdicts chaff.db 2)" "$(verdicts chaff.db 1)" "verdicts of run 2 vs run 1 (same model, same dump)"
ok "second score: 2 runs, 40 comments, 80 scores"

# ---- a malformed line in the middle: reported, skipped, the rest scored ----
{ head -n 20 "$DEMO"; echo '{"id": "c999", "text": "this line never ends'; tail -n +21 "$DEMO"; } >bad.jsonl
capture "$CHAFF" score --db bad.db --model model bad.jsonl
assert_rc 0 "score a dump with one malformed line"
assert_err_has "bad.jsonl:21: invalid JSON" "the malformed line 21 is reported as FILE:LINE"
assert_eq "$(q bad.db 'SELECT status, n_read, n_scored, n_errors FROM runs')" "done|40|40|1" \
    "run row (status|n_read|n_scored|n_errors) with one malformed line"
assert_eq "$(q bad.db "SELECT count(*) FROM comments WHERE source_id = 'c999'")" 0 "the malformed record is not stored"
grep -v c999 bad.jsonl >bad-good-lines.jsonl
check_db_against_dump bad.db 1 bad-good-lines.jsonl bad.jsonl
ok "malformed line: reported with its line number, n_errors 1, the other 40 scored"

capture "$CHAFF" score --db strict.db --model model --strict bad.jsonl
assert_rc 2 "score --strict on a dump with a malformed line"
assert_err_has "bad.jsonl:21: invalid JSON" "--strict reports the malformed line"
assert_eq "$(q strict.db 'SELECT status, n_read, n_errors FROM runs')" "failed|20|1" \
    "run row (status|n_read|n_errors) of a --strict run stopped at line 21"
ok "--strict: exit 2 at the first malformed line"

# ---- a missing input: exit 2, named, and no run is started ----
capture "$CHAFF" score --db missing.db --model model no-such-dump.jsonl
assert_rc 2 "score a missing file into a new database"
assert_err_has "no-such-dump.jsonl" "the error names the missing file"
if [ -f missing.db ]; then
    assert_eq "$(q missing.db 'SELECT count(*) FROM runs')" 0 "runs in a new database after a missing input"
fi
capture "$CHAFF" score --model model "$DEMO" no-such-dump.jsonl
assert_rc 2 "score an existing and a missing file into an existing database"
assert_err_has "no-such-dump.jsonl" "the error names the missing file"
assert_eq "$(q chaff.db 'SELECT count(*) FROM runs')" 2 "runs in chaff.db after a missing input (was 2)"
ok "missing input: exit 2, named, no run row"

# ---- gzip: the same verdicts as the plain file ----
# each copy in a run of its own, so that every comment is scored after the
# same comments as in the plain run (see the order check at the end)
cp "$DEMO" plain.jsonl
gzip -c plain.jsonl >gz.jsonl.gz
gzip -c plain.jsonl >gz-noext.gz # no inner extension: the format is sniffed
for src in plain.jsonl gz.jsonl.gz gz-noext.gz; do
    capture "$CHAFF" score --db "$src.db" --model model "$src"
    assert_rc 0 "score $src"
    assert_eq "$(q "$src.db" 'SELECT status, n_read, n_scored, n_errors FROM runs')" "done|40|40|0" "run row for $src"
    assert_eq "$(q "$src.db" 'SELECT DISTINCT source FROM comments')" "$src" "source of the comments of $src"
done
for src in gz.jsonl.gz gz-noext.gz; do
    check_db_against_dump "$src.db" 1 "$DEMO" "$src"
    assert_eq "$(verdicts "$src.db" 1)" "$(verdicts plain.jsonl.db 1)" "verdicts of $src vs plain.jsonl"
done
ok "gzip copies score the same as the plain file"

# ---- CSV in the layout of the UCI YouTube spam collection ----
# invented rows; a quoted comma, doubled quotes and a line break inside a field
cat >yt.csv <<'CSV'
COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS
zq-001,Marta Lind,2025-02-03T18:04:11,"this chorus has lived in my head for three days, send help",0
zq-002,TopDealsNow,2025-02-03T18:09:40,"FREE phone giveaway!!! visit my channel and subscribe to win",1
zq-003,"Okafor, B.",2025-02-04T07:31:02,"the drummer says ""one more take"" at 3:12 and you can hear them laugh",0
zq-004,wren,2025-02-04T09:00:59,"first verse
second verse is better",0
CSV
capture "$CHAFF" score --db csv.db --model model yt.csv
assert_rc 0 "score a UCI-style CSV"
assert_eq "$(q csv.db 'SELECT status, n_read, n_scored, n_errors FROM runs')" "done|4|4|0" "run row of the CSV"
assert_eq "$(q csv.db 'SELECT source_id FROM comments ORDER BY id')" $'zq-001\nzq-002\nzq-003\nzq-004' \
    "CSV ids come from COMMENT_ID"
assert_eq "$(q csv.db "SELECT author, created_at FROM comments WHERE source_id = 'zq-003'")" \
    "Okafor, B.|2025-02-04T07:31:02" "CSV AUTHOR and DATE"
assert_eq "$(q csv.db "SELECT text FROM comments WHERE source_id = 'zq-003'")" \
    'the drummer says "one more take" at 3:12 and you can hear them laugh' "CSV text with doubled quotes"
assert_eq "$(q csv.db "SELECT text FROM comments WHERE source_id = 'zq-004'")" \
    $'first verse\nsecond verse is better' "CSV text with a line break"
assert_eq "$(q csv.db 'SELECT count(*) FROM scores')" 4 "scores of the CSV"
ok "UCI YouTube CSV: ids from COMMENT_ID, quoted fields intact"

# ---- stdin ----
capture "$CHAFF" score --db stdin.db --model model - <"$DEMO"
assert_rc 0 "score - (stdin)"
assert_eq "$(q stdin.db 'SELECT status, n_read, n_scored, n_errors FROM runs')" "done|40|40|0" "run row for stdin"
assert_eq "$(q stdin.db 'SELECT DISTINCT source FROM comments')" "-" "source of comments read from stdin"
check_db_against_dump stdin.db 1 "$DEMO" -
assert_eq "$(verdicts stdin.db 1)" "$(verdicts chaff.db 1)" "verdicts from stdin vs from the file"
ok "stdin via -"

# ---- unusable databases ----
# root may write anywhere: as root, run this one as nobody when setpriv can
mkdir ro
cp "$DEMO" ro-input.jsonl
as_user=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    chmod 755 "$SCRATCH"
    chmod -R a+rX model ro-input.jsonl
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    "${as_user[@]}" test -x "$CHAFF" -a -r model/model.svm 2>/dev/null || as_user=(none)
fi
if [ "$(id -u)" != 0 ] || [ "${as_user[0]:-}" = setpriv ]; then
    chmod 555 ro
    capture "${as_user[@]}" "$CHAFF" score --db ro/chaff.db --model model ro-input.jsonl
    assert_rc 2 "score into a read-only folder"
    assert_err_has "ro/chaff.db" "the error names the database"
    ok "read-only database folder: exit 2${as_user:+ (as nobody)}"
else
    echo "skip [$TEST_NAME]: read-only database folder (running as root without a usable setpriv)"
fi

mkdir corrupt
head -c 4096 /dev/zero | tr '\0' 'x' >corrupt/chaff.db
cp corrupt/chaff.db corrupt-before
capture "$CHAFF" score --db corrupt/chaff.db --model model "$DEMO"
assert_rc 2 "score into a file that is not a SQLite database"
assert_err_has "corrupt/chaff.db" "the error names the database"
cmp -s corrupt/chaff.db corrupt-before || fail "chaff changed a file that is not a SQLite database"
ok "corrupt database file: exit 2, named, left alone"

# ---- a broken model ----
cp -r model badmodel
printf 'this is not\na libsvm model\n' >badmodel/model.svm
capture "$CHAFF" score --db badmodel.db --model badmodel "$DEMO"
assert_rc 2 "score with a garbage model.svm"
assert_err_has "badmodel/model.svm" "the error names the model file"
if [ -f badmodel.db ]; then
    assert_eq "$(q badmodel.db 'SELECT count(*) FROM runs')" 0 "runs after a broken model"
fi
ok "garbage model.svm: exit 2, named"

# ---- a comment's verdict must not depend on the comments scored before it ----
# Regression: trigram_entropy() sums over the slots of a hash map whose size
# once depended on earlier, longer comments, so char_trigram_entropy (and then
# the probabilities) differed in the last bits.
cp "$DEMO" again.jsonl
capture "$CHAFF" score --db order.db --model model plain.jsonl again.jsonl
assert_rc 0 "score the demo and a copy in one run"
first=$(sqlite3 -batch order.db "SELECT c.source_id, s.label, s.p_human, s.p_low_effort, s.p_machine, s.action
    FROM scores s JOIN comments c ON c.id = s.comment_id WHERE c.source = 'plain.jsonl' ORDER BY c.id")
second=$(sqlite3 -batch order.db "SELECT c.source_id, s.label, s.p_human, s.p_low_effort, s.p_machine, s.action
    FROM scores s JOIN comments c ON c.id = s.comment_id WHERE c.source = 'again.jsonl' ORDER BY c.id")
assert_eq "$second" "$first" "verdicts of the same 40 comments scored again later in the same run (must be bit-identical)"
ok "verdicts do not depend on the comments scored before"
