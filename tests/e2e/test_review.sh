#!/usr/bin/env bash
# The review loop end to end: score the demo dump, list the queue, record
# reviewers' labels, export them as training data, retrain with them, and
# read the per-run agreement; plus near-duplicate clusters in the database.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
train_test_model

capture "$CHAFF" score --model model --db r.db "$ROOT/fixtures/demo/news-comments.jsonl"
assert_rc 0 "score the demo dump"

# the three NewsPlus near-copies (c004, c011, c026) form one cluster
got=$(sqlite3 r.db "SELECT group_concat(c.source_id, ' ') || ' ' || min(k.size) || ' ' || min(k.authors)
                    FROM clusters k JOIN comments c ON c.id = k.comment_id")
assert_eq "$got" "c004 c011 c026 3 3" "cluster of the campaign"
got=$(sqlite3 r.db "SELECT json_extract(s.reasons, '\$[0]') FROM scores s JOIN comments c ON c.id = s.comment_id
                    WHERE c.source_id = 'c011'")
assert_eq "$got" "same text as 2 other comments, 3 authors in all" "first reason of a campaign comment"
ok "near-duplicate campaign clustered and named in the reasons"

# the queue: flagged, unreviewed, most confident first
capture "$CHAFF" review --db r.db --list --json
assert_rc 0 "review --list --json"
queued=$(wc -l < out)
flagged=$(sqlite3 r.db "SELECT count(*) FROM scores WHERE action != 'pass'")
assert_eq "$queued" "$flagged" "queue length = flagged comments"
python3 - out <<'PY' || fail "queue not ordered by confidence"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
conf = [max(r["p"]["low-effort"], r["p"]["machine"]) for r in rows]
assert all(a >= b for a, b in zip(conf, conf[1:])), conf
assert all(r["action"] != "pass" for r in rows)
PY
first=$(head -1 out | python3 -c 'import json,sys; print(json.load(sys.stdin)["comment_id"])')
ok "review --list: $queued flagged comments, most confident first"

# record labels; the queue shrinks; bad ids and labels are refused
capture "$CHAFF" review --db r.db --set "$first=human" --note "a person after all" --reviewer ana
assert_rc 0 "review --set"
capture "$CHAFF" review --db r.db --set 3=machine
assert_rc 0 "review --set 3=machine"
capture "$CHAFF" review --db r.db --list --json
assert_eq "$(wc -l < out)" "$((queued - $(sqlite3 r.db "SELECT count(*) FROM scores WHERE action != 'pass' AND comment_id IN ($first, 3)")))" "queue after two reviews"
capture "$CHAFF" review --db r.db --set 9999=human
assert_rc 2 "review --set of a missing comment"
assert_err_has "no comment with id 9999" "missing comment message"
capture "$CHAFF" review --db r.db --set 3=spam
assert_rc 2 "review --set with an unknown label"
assert_err_has "unknown label 'spam'" "unknown label message"
capture "$CHAFF" review --db missing.db --list
assert_rc 2 "review of a missing database"
assert_err_has "missing.db: no such database" "missing database message"
ok "review --set records labels and refuses unknown ids and labels"

# export: JSONL that chaff train reads
capture "$CHAFF" export --db r.db --reviewed -o reviewed.jsonl
assert_rc 0 "export --reviewed"
assert_eq "$(wc -l < reviewed.jsonl)" "2" "exported reviews"
got=$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["label"] for l in open("reviewed.jsonl")))')
assert_eq "$got" "machine human" "exported labels (by comment id: 3, then $first)"
capture "$CHAFF" train -o retrained --C 4 --gamma 0.02 --no-ngrams \
    "$ROOT"/fixtures/labelled/*/news-politics.jsonl reviewed.jsonl
assert_rc 0 "train with the exported reviews"
python3 - retrained/meta.json <<'PY' || fail "the retrained model does not list reviewed.jsonl"
import json, sys
inputs = json.load(open(sys.argv[1]))["inputs"]
r = [i for i in inputs if i["path"].endswith("reviewed.jsonl")][0]
assert r["used"] == {"human": 1, "low-effort": 0, "machine": 1}, r
PY
ok "export --reviewed gives training data that chaff train uses"

# stats: per run, and the agreement with reviewers
capture "$CHAFF" stats --db r.db
assert_rc 0 "stats"
grep -q "^run 1 .* done  read 40, scored 40, errors 0" out || fail "stats: run line"
grep -q "reviewed 2, reviewers agreed with the model on" out || fail "stats: agreement line"
ok "stats: per-run counts and agreement with reviewers"
