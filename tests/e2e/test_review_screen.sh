#!/usr/bin/env bash
# chaff review's interactive screen, driven through a pseudo-terminal:
# one key per answer, written at once; u undoes; s skips; q quits.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
train_test_model
capture "$CHAFF" score --model model --db r.db "$ROOT/fixtures/demo/news-comments.jsonl"
assert_rc 0 "score the demo dump"
"$CHAFF" review --db r.db --list --json > queue.jsonl
first=$(sed -n 1p queue.jsonl | python3 -c 'import json,sys; print(json.load(sys.stdin)["comment_id"])')
second=$(sed -n 2p queue.jsonl | python3 -c 'import json,sys; print(json.load(sys.stdin)["comment_id"])')

python3 - "$CHAFF" r.db "$first" "$second" <<'PY' || fail "the screen did not behave (see above)"
import os, pty, select, sys, time
chaff, db, first, second = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(chaff, [chaff, "review", "--db", db, "--reviewer", "tester"])
screen = b""
def until(text, timeout=10):
    global screen
    end = time.time() + timeout
    while text.encode() not in screen:
        left = end - time.time()
        if left <= 0:
            sys.stderr.write("timed out waiting for %r; screen so far:\n%s\n" % (text, screen[-2000:].decode(errors="replace")))
            sys.exit(1)
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                screen += os.read(fd, 65536)
            except OSError:
                break
def key(k, then):
    global screen
    screen = b""
    os.write(fd, k.encode())
    until(then)
until("#%s " % first)
until("q quit")
key("m", "#%s " % second)        # machine for the first, the second shows
key("u", "undone")               # undo: back to the first
assert ("#%s " % first).encode() in screen, "undo did not go back to the first comment"
key("h", "#%s " % second)        # human for the first
key("s", "3 of")                 # skip the second
key("x", "keys: h l m s u q")    # an unknown key says which keys work
key("q", "answered")             # quit
_, status = os.waitpid(pid, 0)
assert os.WEXITSTATUS(status) == 0, status
assert b"1 answered" in screen, screen[-500:]
PY
got=$(sqlite3 r.db "SELECT comment_id || ':' || label || ':' || reviewer FROM reviews")
assert_eq "$got" "$first:human:tester" "reviews after m, u, h, s, q"
ok "the screen writes each answer at once; u undoes, s skips, q quits"

# the queue no longer holds the answered comment, still holds the skipped one
"$CHAFF" review --db r.db --list --json > after.jsonl
grep -q "\"comment_id\":$first," after.jsonl && fail "the answered comment is still queued"
grep -q "\"comment_id\":$second," after.jsonl || fail "the skipped comment left the queue"
ok "answered comments leave the queue, skipped ones stay"

capture "$CHAFF" review --db r.db < /dev/null
assert_rc 2 "review without a terminal"
assert_err_has "the interactive screen needs a terminal" "no-terminal message"
ok "without a terminal the screen is refused with a clear message"
