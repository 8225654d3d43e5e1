/* test_store.c: the SQLite store, checked by reading the database back
 * with a second, plain sqlite3 connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testing.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"

/* ---- helpers ---- */

struct tmp {
    char dir[64];
    char db[128];
};

static void tmp_make(struct tmp *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/chaff-store-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->db, sizeof t->db, "%s/chaff.db", t->dir);
}

static void tmp_remove(struct tmp *t)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char path[160];
    chmod(t->dir, 0700);
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        snprintf(path, sizeof path, "%s%s", t->db, suffixes[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/not-a-db", t->dir);
    unlink(path);
    assert_int_equal(rmdir(t->dir), 0);
}

static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
    return db;
}

/* The single integer that sql yields. */
static long long query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    long long v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

/* The single text that sql yields, copied into out (NULL gives "<null>"). */
static void query_text(sqlite3 *db, const char *sql, char *out, size_t size)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    const unsigned char *s = sqlite3_column_text(q, 0);
    snprintf(out, size, "%s", s ? (const char *)s : "<null>");
    sqlite3_finalize(q);
}

static void raw_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        char copy[256];
        snprintf(copy, sizeof copy, "%s", msg ? msg : "?");
        sqlite3_free(msg);
        fail_msg("%s: %s", sql, copy);
    }
}

static struct chaff_record rec_make(const char *source, const char *id, const char *text, size_t len)
{
    struct chaff_record r;
    memset(&r, 0, sizeof r);
    r.source = source;
    r.id = id;
    r.text = text;
    r.text_len = len;
    r.label = -1;
    r.line = 1;
    r.index = 1;
    return r;
}

static struct chaff_verdict verdict_make(int label, double ph, double pl, double pm, int action)
{
    struct chaff_verdict v;
    memset(&v, 0, sizeof v);
    v.label = label;
    v.p[CHAFF_HUMAN] = ph;
    v.p[CHAFF_LOW_EFFORT] = pl;
    v.p[CHAFF_MACHINE] = pm;
    v.action = action;
    return v;
}

static chaff_store *store_open_ok(const char *path)
{
    chaff_store *st = NULL;
    struct chaff_diag d = {""};
    chaff_err err = chaff_store_open(path, 1000, &st, &d);
    if (err)
        fail_msg("chaff_store_open: %s: %s", chaff_strerror(err), d.msg);
    return st;
}

static void add_ok(chaff_store *st, int64_t run, const struct chaff_record *r, const struct chaff_verdict *v,
                   int want_dup)
{
    struct chaff_diag d = {""};
    int dup = -1;
    chaff_err err = chaff_store_add(st, run, r, v, &dup, &d);
    if (err)
        fail_msg("chaff_store_add: %s: %s", chaff_strerror(err), d.msg);
    assert_int_equal(dup, want_dup);
}

/* ---- schema ---- */

static void store_open_should_create_the_schema_at_user_version_2(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    chaff_store_close(store_open_ok(t.db));

    sqlite3 *db = raw_open(t.db);
    assert_int_equal(query_int(db, "PRAGMA user_version"), 2);
    static const char *const tables[] = {"runs", "comments", "scores", "reviews", "clusters"};
    for (size_t i = 0; i < 5; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'", tables[i]);
        assert_int_equal(query_int(db, sql), 1);
    }
    /* 5 tables, nothing else */
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), 5);
    static const char *const indexes[] = {"comments_by_source_id_text", "comments_by_source_hash", "scores_by_run",
                                          "reviews_by_comment"};
    for (size_t i = 0; i < 4; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '%s'",
                 indexes[i]);
        assert_int_equal(query_int(db, sql), 1);
    }
    char mode[16];
    query_text(db, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "wal");
    sqlite3_close(db);

    /* opening again keeps the schema and the version */
    chaff_store_close(store_open_ok(t.db));
    db = raw_open(t.db);
    assert_int_equal(query_int(db, "PRAGMA user_version"), 2);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), 5);
    sqlite3_close(db);
    tmp_remove(&t);
}

/* A database of schema 1 (chaff 0.1's first release) is upgraded in place:
 * its rows stay, the comment identity index takes the text hash, and the
 * clusters table appears. */
static void store_open_should_upgrade_a_version_1_database(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    sqlite3 *db = raw_open(t.db);
    raw_exec(db, "CREATE TABLE runs(id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,"
                 " model TEXT NOT NULL, inputs TEXT NOT NULL, status TEXT NOT NULL, n_read INTEGER NOT NULL DEFAULT 0,"
                 " n_scored INTEGER NOT NULL DEFAULT 0, n_errors INTEGER NOT NULL DEFAULT 0);"
                 "CREATE TABLE comments(id INTEGER PRIMARY KEY, source TEXT NOT NULL, source_id TEXT, author TEXT,"
                 " created_at TEXT, text TEXT NOT NULL, text_sha256 TEXT NOT NULL);"
                 "CREATE UNIQUE INDEX comments_by_source_id ON comments(source, source_id) WHERE source_id IS NOT NULL;"
                 "CREATE UNIQUE INDEX comments_by_source_hash ON comments(source, text_sha256) WHERE source_id IS NULL;"
                 "CREATE TABLE scores(comment_id INTEGER NOT NULL, run_id INTEGER NOT NULL, label TEXT NOT NULL,"
                 " p_human REAL NOT NULL, p_low_effort REAL NOT NULL, p_machine REAL NOT NULL, action TEXT NOT NULL,"
                 " reasons TEXT NOT NULL DEFAULT '[]', PRIMARY KEY(comment_id, run_id));"
                 "CREATE INDEX scores_by_run ON scores(run_id, label);"
                 "CREATE TABLE reviews(id INTEGER PRIMARY KEY, comment_id INTEGER NOT NULL, label TEXT NOT NULL,"
                 " reviewer TEXT, note TEXT, reviewed_at TEXT NOT NULL);"
                 "CREATE INDEX reviews_by_comment ON reviews(comment_id);"
                 "INSERT INTO comments VALUES(1, 'a.jsonl', 'c1', NULL, NULL, 'old text', 'x');"
                 "PRAGMA user_version = 1;");
    sqlite3_close(db);
    chaff_store_close(store_open_ok(t.db));
    db = raw_open(t.db);
    assert_int_equal(query_int(db, "PRAGMA user_version"), 2);
    assert_int_equal(query_int(db, "SELECT count(*) FROM comments"), 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'comments_by_source_id'"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'comments_by_source_id_text'"), 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'clusters'"), 1);
    sqlite3_close(db);
    tmp_remove(&t);
}

static void store_open_should_refuse_a_newer_schema(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    sqlite3 *db = raw_open(t.db);
    raw_exec(db, "CREATE TABLE future(x); PRAGMA user_version = 99");
    sqlite3_close(db);

    chaff_store *st = (chaff_store *)&t; /* must be reset to NULL */
    struct chaff_diag d = {""};
    assert_int_equal(chaff_store_open(t.db, 1000, &st, &d), CHAFF_ESCHEMA);
    assert_null(st);
    assert_non_null(strstr(d.msg, t.db));
    assert_non_null(strstr(d.msg, "schema version 99 is newer than this chaff's 2"));

    /* and left the database alone */
    db = raw_open(t.db);
    assert_int_equal(query_int(db, "PRAGMA user_version"), 99);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master"), 1);
    sqlite3_close(db);
    tmp_remove(&t);
}

static void store_open_should_refuse_a_file_that_is_not_a_database(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    char path[160];
    snprintf(path, sizeof path, "%s/not-a-db", t.dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 64; i++)
        fputs("these are plain words and not a database page at all\n", f);
    fclose(f);
    chaff_store *st = NULL;
    struct chaff_diag d = {""};
    assert_int_equal(chaff_store_open(path, 1000, &st, &d), CHAFF_EDB);
    assert_null(st);
    assert_non_null(strstr(d.msg, "not a SQLite database"));
    tmp_remove(&t);
}

static void store_open_should_give_eio_for_a_missing_folder(void **state)
{
    (void)state;
    chaff_store *st = NULL;
    struct chaff_diag d = {""};
    assert_int_equal(chaff_store_open("/nonexistent-chaff-dir/sub/chaff.db", 1000, &st, &d), CHAFF_EIO);
    assert_null(st);
    assert_non_null(strstr(d.msg, "/nonexistent-chaff-dir/sub/chaff.db: cannot open"));
}

/* ---- runs, comments, scores ---- */

static void store_run_should_write_exactly_the_expected_rows(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    chaff_store *st = store_open_ok(t.db);
    struct chaff_diag d = {""};
    int64_t run = 0;
    assert_int_equal(chaff_store_run_begin(st, "models/x (feature set 1/abc)", "[\"in.jsonl\"]", &run, &d), CHAFF_OK);
    assert_int_equal(run, 1);

    sqlite3 *db = raw_open(t.db);
    char s[256];
    /* the run row is committed at once, status running, no counts */
    assert_int_equal(query_int(db, "SELECT count(*) FROM runs"), 1);
    query_text(db,
               "SELECT status || '|' || model || '|' || inputs || '|' || n_read || n_scored || n_errors"
               " FROM runs WHERE id = 1",
               s, sizeof s);
    assert_string_equal(s, "running|models/x (feature set 1/abc)|[\"in.jsonl\"]|000");
    query_text(db, "SELECT finished_at FROM runs WHERE id = 1", s, sizeof s);
    assert_string_equal(s, "<null>");
    /* started_at is "YYYY-MM-DDTHH:MM:SSZ" */
    query_text(db, "SELECT started_at FROM runs WHERE id = 1", s, sizeof s);
    assert_int_equal(strlen(s), 20);
    assert_int_equal(s[10], 'T');
    assert_int_equal(s[19], 'Z');

    struct chaff_record r1 = rec_make("in.jsonl", "c-1", "abc", 3);
    r1.author = "pebble_fan";
    r1.created_at = "2024-05-01T10:00:00Z";
    struct chaff_verdict v1 = verdict_make(CHAFF_MACHINE, 0.125, 0.25, 0.625, CHAFF_HOLD);
    v1.n_reasons = 2;
    snprintf(v1.reasons[0], CHAFF_REASON_SIZE, "3 emoji, 2 at the end");
    snprintf(v1.reasons[1], CHAFF_REASON_SIZE, "a \"quoted\" reason");
    add_ok(st, run, &r1, &v1, 0);
    struct chaff_record r2 = rec_make("in.jsonl", NULL, "second comment", 14);
    struct chaff_verdict v2 = verdict_make(CHAFF_HUMAN, 0.75, 0.125, 0.125, CHAFF_PASS);
    add_ok(st, run, &r2, &v2, 0);

    /* not committed yet: the other connection sees nothing */
    assert_int_equal(query_int(db, "SELECT count(*) FROM comments"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM scores"), 0);

    assert_int_equal(chaff_store_checkpoint(st, run, 2, 2, 0, &d), CHAFF_OK);
    assert_int_equal(query_int(db, "SELECT count(*) FROM comments"), 2);
    assert_int_equal(query_int(db, "SELECT count(*) FROM scores"), 2);
    query_text(db, "SELECT status || '|' || n_read || '|' || n_scored || '|' || n_errors FROM runs WHERE id = 1", s,
               sizeof s);
    assert_string_equal(s, "running|2|2|0");

    /* comment 1: every column; sha256("abc") is the FIPS 180-2 example */
    query_text(db,
               "SELECT source || '|' || source_id || '|' || author || '|' || created_at || '|' || text || '|' ||"
               " text_sha256 FROM comments WHERE id = 1",
               s, sizeof s);
    assert_string_equal(s, "in.jsonl|c-1|pebble_fan|2024-05-01T10:00:00Z|abc|"
                           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* comment 2 has no id, author or date */
    assert_int_equal(query_int(db, "SELECT source_id IS NULL AND author IS NULL AND created_at IS NULL"
                                   " FROM comments WHERE id = 2"),
                     1);
    query_text(db, "SELECT text FROM comments WHERE id = 2", s, sizeof s);
    assert_string_equal(s, "second comment");

    query_text(db,
               "SELECT comment_id || '|' || run_id || '|' || label || '|' || action || '|' || reasons"
               " FROM scores WHERE comment_id = 1",
               s, sizeof s);
    assert_string_equal(s, "1|1|machine|hold|[\"3 emoji, 2 at the end\",\"a \\\"quoted\\\" reason\"]");
    assert_near((double)query_int(db, "SELECT p_human * 1000 FROM scores WHERE comment_id = 1"), 125, 0);
    assert_near((double)query_int(db, "SELECT p_low_effort * 1000 FROM scores WHERE comment_id = 1"), 250, 0);
    assert_near((double)query_int(db, "SELECT p_machine * 1000 FROM scores WHERE comment_id = 1"), 625, 0);
    query_text(db, "SELECT label || '|' || action || '|' || reasons FROM scores WHERE comment_id = 2", s, sizeof s);
    assert_string_equal(s, "human|pass|[]");

    /* a third comment after the checkpoint, then the end */
    struct chaff_record r3 = rec_make("other.jsonl", "c-1", "third", 5);
    struct chaff_verdict v3 = verdict_make(CHAFF_LOW_EFFORT, 0.25, 0.5, 0.25, CHAFF_REVIEW);
    add_ok(st, run, &r3, &v3, 0);
    assert_int_equal(chaff_store_run_end(st, run, "done", 4, 3, 1, &d), CHAFF_OK);
    query_text(db, "SELECT status || '|' || n_read || '|' || n_scored || '|' || n_errors FROM runs WHERE id = 1", s,
               sizeof s);
    assert_string_equal(s, "done|4|3|1");
    query_text(db, "SELECT finished_at FROM runs WHERE id = 1", s, sizeof s);
    assert_int_equal(strlen(s), 20);
    assert_int_equal(query_int(db, "SELECT finished_at >= started_at FROM runs WHERE id = 1"), 1);
    /* same id in another source is another comment */
    assert_int_equal(query_int(db, "SELECT count(*) FROM comments"), 3);
    query_text(db, "SELECT label || '|' || action FROM scores WHERE comment_id = 3", s, sizeof s);
    assert_string_equal(s, "low-effort|review");
    assert_int_equal(query_int(db, "SELECT count(*) FROM scores"), 3);
    assert_int_equal(query_int(db, "SELECT count(*) FROM reviews"), 0);
    sqlite3_close(db);
    chaff_store_close(st);
    tmp_remove(&t);
}

static void store_should_reuse_a_comment_scored_in_an_earlier_run(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    chaff_store *st = store_open_ok(t.db);
    struct chaff_diag d = {""};
    struct chaff_record r = rec_make("feed.jsonl", "c-42", "the bus was late again", 22);
    struct chaff_verdict v1 = verdict_make(CHAFF_HUMAN, 0.875, 0.0625, 0.0625, CHAFF_PASS);
    struct chaff_verdict v2 = verdict_make(CHAFF_MACHINE, 0.25, 0.25, 0.5, CHAFF_REVIEW);
    int64_t run1 = 0, run2 = 0;
    assert_int_equal(chaff_store_run_begin(st, "m", "[]", &run1, &d), CHAFF_OK);
    add_ok(st, run1, &r, &v1, 0);
    assert_int_equal(chaff_store_run_end(st, run1, "done", 1, 1, 0, &d), CHAFF_OK);
    assert_int_equal(chaff_store_run_begin(st, "m", "[]", &run2, &d), CHAFF_OK);
    assert_int_equal(run2, run1 + 1);
    /* same source, id and text is the same comment */
    add_ok(st, run2, &r, &v2, 0);
    /* the same id with another text (an edited comment, a rewritten file,
     * two dumps piped through stdin) is another comment: a verdict always
     * stays with the text it was given for */
    struct chaff_record r_edit = rec_make("feed.jsonl", "c-42", "the bus was late again!", 23);
    add_ok(st, run2, &r_edit, &v2, 0);
    assert_int_equal(chaff_store_run_end(st, run2, "done", 2, 2, 0, &d), CHAFF_OK);
    chaff_store_close(st);

    sqlite3 *db = raw_open(t.db);
    char s[128];
    assert_int_equal(query_int(db, "SELECT count(*) FROM comments"), 2);
    query_text(db, "SELECT text FROM comments WHERE id = 1", s, sizeof s);
    assert_string_equal(s, "the bus was late again");
    query_text(db, "SELECT text FROM comments WHERE id = 2", s, sizeof s);
    assert_string_equal(s, "the bus was late again!");
    assert_int_equal(query_int(db, "SELECT count(*) FROM scores"), 3);
    query_text(db,
               "SELECT group_concat(run_id || ':' || comment_id || ':' || label, ',') FROM"
               " (SELECT * FROM scores ORDER BY run_id, comment_id)",
               s, sizeof s);
    assert_string_equal(s, "1:1:human,2:1:machine,2:2:machine");
    sqlite3_close(db);
    tmp_remove(&t);
}

static void store_should_dedup_a_record_without_id_by_text_within_its_source(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    chaff_store *st = store_open_ok(t.db);
    struct chaff_diag d = {""};
    struct chaff_verdict v = verdict_make(CHAFF_LOW_EFFORT, 0.25, 0.5, 0.25, CHAFF_REVIEW);
    int64_t run1 = 0, run2 = 0;
    struct chaff_record a = rec_make("dump.txt", NULL, "first!!!", 8);
    struct chaff_record a_other_source = rec_make("other.txt", NULL, "first!!!", 8);
    struct chaff_record b = rec_make("dump.txt", NULL, "first!!", 7);
    assert_int_equal(chaff_store_run_begin(st, "m", "[]", &run1, &d), CHAFF_OK);
    add_ok(st, run1, &a, &v, 0);
    add_ok(st, run1, &a, &v, 1);              /* same text, same source, same run */
    add_ok(st, run1, &a_other_source, &v, 0); /* same text, other source */
    add_ok(st, run1, &b, &v, 0);              /* other text */
    assert_int_equal(chaff_store_run_end(st, run1, "done", 4, 3, 0, &d), CHAFF_OK);
    assert_int_equal(chaff_store_run_begin(st, "m", "[]", &run2, &d), CHAFF_OK);
    add_ok(st, run2, &a, &v, 0); /* a new run scores it again, on the same row */
    assert_int_equal(chaff_store_run_end(st, run2, "done", 1, 1, 0, &d), CHAFF_OK);
    chaff_store_close(st);

    sqlite3 *db = raw_open(t.db);
    char s[128];
    assert_int_equal(query_int(db, "SELECT count(*) FROM comments"), 3);
    assert_int_equal(query_int(db, "SELECT count(*) FROM comments WHERE source = 'dump.txt'"), 2);
    query_text(db,
               "SELECT group_concat(run_id || ':' || comment_id, ',') FROM"
               " (SELECT * FROM scores ORDER BY run_id, comment_id)",
               s, sizeof s);
    assert_string_equal(s, "1:1,1:2,1:3,2:1");
    sqlite3_close(db);
    tmp_remove(&t);
}

static void store_add_should_flag_a_duplicate_within_one_run_and_keep_the_first_score(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    chaff_store *st = store_open_ok(t.db);
    struct chaff_diag d = {""};
    int64_t run = 0;
    struct chaff_record r = rec_make("in.csv", "7", "nice post", 9);
    struct chaff_verdict v1 = verdict_make(CHAFF_LOW_EFFORT, 0.25, 0.5, 0.25, CHAFF_REVIEW);
    struct chaff_verdict v2 = verdict_make(CHAFF_HUMAN, 0.5, 0.25, 0.25, CHAFF_PASS);
    assert_int_equal(chaff_store_run_begin(st, "m", "[]", &run, &d), CHAFF_OK);
    add_ok(st, run, &r, &v1, 0);
    add_ok(st, run, &r, &v2, 1);
    add_ok(st, run, &r, &v2, 1);
    assert_int_equal(chaff_store_run_end(st, run, "done", 3, 1, 0, &d), CHAFF_OK);
    chaff_store_close(st);

    sqlite3 *db = raw_open(t.db);
    char s[64];
    assert_int_equal(query_int(db, "SELECT count(*) FROM comments"), 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM scores"), 1);
    query_text(db, "SELECT label || '|' || action FROM scores", s, sizeof s);
    assert_string_equal(s, "low-effort|review");
    sqlite3_close(db);
    tmp_remove(&t);
}

static void store_should_round_trip_quotes_nul_bytes_and_sql_exactly(void **state)
{
    (void)state;
    static const char t0[] = "she said \"no\" and he said 'yes'";
    static const char t1[] = "a\0b\0\0c"; /* 6 bytes with three NULs */
    static const char t2[] = "'); DROP TABLE comments; --";
    static const char t3[] = "x' OR '1'='1";
    static const char t4[] = "\0"; /* one NUL byte */
    static const struct {
        const char *id;
        const char *text;
        size_t len;
    } cases[] = {
        {"q\"1", t0, sizeof t0 - 1},
        {"n'2", t1, sizeof t1 - 1},
        {"s;3", t2, sizeof t2 - 1},
        {NULL, t3, sizeof t3 - 1},
        {NULL, t4, 1},
    };
    const size_t ncases = sizeof cases / sizeof *cases;
    struct tmp t;
    tmp_make(&t);
    chaff_store *st = store_open_ok(t.db);
    struct chaff_diag d = {""};
    int64_t run = 0;
    struct chaff_verdict v = verdict_make(CHAFF_HUMAN, 1, 0, 0, CHAFF_PASS);
    assert_int_equal(chaff_store_run_begin(st, "m'; --", "[\"it's.jsonl\"]", &run, &d), CHAFF_OK);
    for (size_t i = 0; i < ncases; i++) {
        struct chaff_record r = rec_make("it's \"here\".jsonl", cases[i].id, cases[i].text, cases[i].len);
        add_ok(st, run, &r, &v, 0);
    }
    /* a record whose text is a prefix (up to a NUL) of another is distinct */
    struct chaff_record prefix = rec_make("it's \"here\".jsonl", NULL, "x' OR '1'='1\0tail", 17);
    add_ok(st, run, &prefix, &v, 0);
    assert_int_equal(chaff_store_run_end(st, run, "done", 6, 6, 0, &d), CHAFF_OK);
    chaff_store_close(st);

    sqlite3 *db = raw_open(t.db);
    assert_int_equal(query_int(db, "SELECT count(*) FROM comments"), 6);
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT source, source_id, text FROM comments ORDER BY id", -1, &q, NULL),
                     SQLITE_OK);
    for (size_t i = 0; i < ncases; i++) {
        assert_int_equal(sqlite3_step(q), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(q, 0), "it's \"here\".jsonl");
        if (cases[i].id)
            assert_string_equal((const char *)sqlite3_column_text(q, 1), cases[i].id);
        else
            assert_int_equal(sqlite3_column_type(q, 1), SQLITE_NULL);
        const void *blob = sqlite3_column_blob(q, 2);
        int n = sqlite3_column_bytes(q, 2);
        assert_int_equal(n, (int)cases[i].len);
        assert_memory_equal(blob, cases[i].text, cases[i].len);
    }
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(q, 2), 17);
    assert_memory_equal(sqlite3_column_blob(q, 2), "x' OR '1'='1\0tail", 17);
    assert_int_equal(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
    char s[64];
    query_text(db, "SELECT model FROM runs", s, sizeof s);
    assert_string_equal(s, "m'; --");
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'comments'"), 1);
    sqlite3_close(db);
    tmp_remove(&t);
}

/* ---- failures ---- */

/* Opens a read-only database and expects CHAFF_EREADONLY; returns 0 when
 * every check passed (it may run in a child process). */
static int readonly_checks(const char *path)
{
    chaff_store *st = NULL;
    struct chaff_diag d = {""};
    chaff_err err = chaff_store_open(path, 200, &st, &d);
    if (err == CHAFF_OK) {
        int64_t run = 0;
        err = chaff_store_run_begin(st, "m", "[]", &run, &d);
        chaff_store_close(st);
    }
    if (err != CHAFF_EREADONLY) {
        fprintf(stderr, "expected CHAFF_EREADONLY, got %d: %s\n", (int)err, d.msg);
        return 1;
    }
    if (!strstr(d.msg, path) || !strstr(d.msg, "read-only")) {
        fprintf(stderr, "diag does not name the file or the cause: %s\n", d.msg);
        return 1;
    }
    return 0;
}

/* Makes t's database file read-only (and its folder too unless
 * folder_writable), then checks CHAFF_EREADONLY, as an unprivileged user in
 * a child process when running as root, which ignores permissions. */
static void check_read_only(int folder_writable)
{
    struct tmp t;
    tmp_make(&t);
    chaff_store_close(store_open_ok(t.db));
    assert_int_equal(chmod(t.db, 0444), 0);
    assert_int_equal(chmod(t.dir, folder_writable ? 0777 : 0555), 0);
    if (geteuid() != 0) {
        assert_int_equal(readonly_checks(t.db), 0);
    } else {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0)
                _exit(77);
            _exit(readonly_checks(t.db));
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77) {
            tmp_remove(&t);
            skip();
        }
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    /* nothing was written */
    chmod(t.dir, 0700);
    sqlite3 *db = raw_open(t.db);
    assert_int_equal(query_int(db, "SELECT count(*) FROM runs"), 0);
    sqlite3_close(db);
    tmp_remove(&t);
}

static void store_should_report_a_read_only_database_in_a_read_only_folder(void **state)
{
    (void)state;
    check_read_only(0);
}

static void store_should_report_a_read_only_database_in_a_writable_folder(void **state)
{
    (void)state;
    check_read_only(1);
}

static void store_should_report_a_locked_database_as_busy(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    chaff_store_close(store_open_ok(t.db));
    sqlite3 *other = raw_open(t.db);
    raw_exec(other, "BEGIN IMMEDIATE");

    chaff_store *st = NULL;
    struct chaff_diag d = {""};
    /* readers are not blocked in WAL mode: opening works, writing does not */
    assert_int_equal(chaff_store_open(t.db, 50, &st, &d), CHAFF_OK);
    int64_t run = 0;
    assert_int_equal(chaff_store_run_begin(st, "m", "[]", &run, &d), CHAFF_EBUSY);
    assert_non_null(strstr(d.msg, t.db));
    assert_non_null(strstr(d.msg, "another process holds the database"));

    /* once the other connection lets go, the same store works */
    raw_exec(other, "COMMIT");
    assert_int_equal(chaff_store_run_begin(st, "m", "[]", &run, &d), CHAFF_OK);
    assert_int_equal(run, 1);
    assert_int_equal(chaff_store_run_end(st, run, "done", 0, 0, 0, &d), CHAFF_OK);
    chaff_store_close(st);
    assert_int_equal(query_int(other, "SELECT count(*) FROM runs WHERE status = 'done'"), 1);
    sqlite3_close(other);
    tmp_remove(&t);
}

static void store_should_report_busy_when_a_fresh_database_is_locked(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    /* an empty database in WAL mode, its write lock held elsewhere */
    sqlite3 *other = raw_open(t.db);
    raw_exec(other, "PRAGMA journal_mode=WAL");
    raw_exec(other, "BEGIN IMMEDIATE");
    chaff_store *st = NULL;
    struct chaff_diag d = {""};
    assert_int_equal(chaff_store_open(t.db, 50, &st, &d), CHAFF_EBUSY);
    assert_null(st);
    assert_non_null(strstr(d.msg, "cannot set up the schema"));
    raw_exec(other, "COMMIT");
    sqlite3_close(other);
    tmp_remove(&t);
}

/* ---- a full disk, simulated ----
 * A VFS that passes everything to the default one but fails every write
 * with SQLITE_FULL while disk_full is set, registered as the default so the
 * store's connection uses it. In WAL mode pages reach the disk only at
 * COMMIT, so a checkpoint is where a full disk shows. */

static int disk_full;
static sqlite3_vfs *real_vfs;
static sqlite3_vfs shim_vfs;

struct shim_file {
    sqlite3_file base;
    sqlite3_file *real; /* stored right after this struct */
};

static sqlite3_file *real_of(sqlite3_file *f)
{
    return ((struct shim_file *)f)->real;
}

static int shim_close(sqlite3_file *f)
{
    return real_of(f)->pMethods->xClose(real_of(f));
}

static int shim_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    return real_of(f)->pMethods->xRead(real_of(f), buf, n, off);
}

static int shim_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    if (disk_full)
        return SQLITE_FULL;
    return real_of(f)->pMethods->xWrite(real_of(f), buf, n, off);
}

static int shim_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return real_of(f)->pMethods->xTruncate(real_of(f), size);
}

static int shim_sync(sqlite3_file *f, int flags)
{
    return real_of(f)->pMethods->xSync(real_of(f), flags);
}

static int shim_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return real_of(f)->pMethods->xFileSize(real_of(f), size);
}

static int shim_lock(sqlite3_file *f, int level)
{
    return real_of(f)->pMethods->xLock(real_of(f), level);
}

static int shim_unlock(sqlite3_file *f, int level)
{
    return real_of(f)->pMethods->xUnlock(real_of(f), level);
}

static int shim_check_reserved(sqlite3_file *f, int *out)
{
    return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}

static int shim_file_control(sqlite3_file *f, int op, void *arg)
{
    return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}

static int shim_sector_size(sqlite3_file *f)
{
    return real_of(f)->pMethods->xSectorSize(real_of(f));
}

static int shim_device_characteristics(sqlite3_file *f)
{
    return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}

static int shim_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **out)
{
    return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
}

static int shim_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}

static void shim_shm_barrier(sqlite3_file *f)
{
    real_of(f)->pMethods->xShmBarrier(real_of(f));
}

static int shim_shm_unmap(sqlite3_file *f, int delete_flag)
{
    return real_of(f)->pMethods->xShmUnmap(real_of(f), delete_flag);
}

static int shim_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **out)
{
    return real_of(f)->pMethods->xFetch(real_of(f), off, n, out);
}

static int shim_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

static const sqlite3_io_methods shim_io = {
    3,
    shim_close,
    shim_read,
    shim_write,
    shim_truncate,
    shim_sync,
    shim_file_size,
    shim_lock,
    shim_unlock,
    shim_check_reserved,
    shim_file_control,
    shim_sector_size,
    shim_device_characteristics,
    shim_shm_map,
    shim_shm_lock,
    shim_shm_barrier,
    shim_shm_unmap,
    shim_fetch,
    shim_unfetch,
};

static int shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    (void)vfs;
    struct shim_file *s = (struct shim_file *)f;
    s->real = (sqlite3_file *)(s + 1);
    int rc = real_vfs->xOpen(real_vfs, name, s->real, flags, out_flags);
    f->pMethods = s->real->pMethods ? &shim_io : NULL;
    return rc;
}

static void shim_install(void)
{
    if (real_vfs)
        return;
    real_vfs = sqlite3_vfs_find(NULL);
    assert_non_null(real_vfs);
    assert_true(real_vfs->iVersion >= 1);
    shim_vfs = *real_vfs;
    shim_vfs.pNext = NULL;
    shim_vfs.zName = "chaff-test-full";
    shim_vfs.szOsFile = (int)sizeof(struct shim_file) + real_vfs->szOsFile;
    shim_vfs.xOpen = shim_open;
    assert_int_equal(sqlite3_vfs_register(&shim_vfs, 1), SQLITE_OK);
}

/* A text of n bytes that differs with k (so no two are deduplicated). */
static void fill_text(char *buf, size_t n, int k)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)('a' + (int)((i * 7 + (size_t)k * 13) % 26));
    int m = snprintf(buf, n, "comment %d", k);
    buf[m] = ' ';
}

static void store_checkpoint_should_give_efull_and_keep_what_was_committed(void **state)
{
    (void)state;
    shim_install();
    struct tmp t;
    tmp_make(&t);
    chaff_store *st = store_open_ok(t.db);
    struct chaff_diag d = {""};
    int64_t run = 0;
    assert_int_equal(chaff_store_run_begin(st, "m", "[]", &run, &d), CHAFF_OK);
    struct chaff_verdict v = verdict_make(CHAFF_HUMAN, 0.75, 0.125, 0.125, CHAFF_PASS);
    static char text[6000];
    char id[16];
    for (int k = 0; k < 3; k++) {
        fill_text(text, sizeof text, k);
        snprintf(id, sizeof id, "kept-%d", k);
        struct chaff_record r = rec_make("big.txt", id, text, sizeof text);
        add_ok(st, run, &r, &v, 0);
    }
    assert_int_equal(chaff_store_checkpoint(st, run, 3, 3, 0, &d), CHAFF_OK);

    /* the disk fills up during the next batch */
    for (int k = 3; k < 5; k++) {
        fill_text(text, sizeof text, k);
        snprintf(id, sizeof id, "lost-%d", k);
        struct chaff_record r = rec_make("big.txt", id, text, sizeof text);
        add_ok(st, run, &r, &v, 0);
    }
    disk_full = 1;
    chaff_err err = chaff_store_checkpoint(st, run, 5, 5, 0, &d);
    disk_full = 0;
    assert_int_equal(err, CHAFF_EFULL);
    assert_non_null(strstr(d.msg, t.db));
    assert_non_null(strstr(d.msg, "cannot commit: database or disk is full"));
    assert_non_null(strstr(d.msg, "everything committed before is kept"));

    /* space is back: the store goes on and can end the run */
    fill_text(text, sizeof text, 5);
    struct chaff_record r = rec_make("big.txt", "after-5", text, sizeof text);
    add_ok(st, run, &r, &v, 0);
    assert_int_equal(chaff_store_run_end(st, run, "failed", 6, 4, 0, &d), CHAFF_OK);
    chaff_store_close(st);

    sqlite3 *db = raw_open(t.db);
    char s[128];
    query_text(db, "SELECT group_concat(source_id, ',') FROM (SELECT source_id FROM comments ORDER BY id)", s,
               sizeof s);
    assert_string_equal(s, "kept-0,kept-1,kept-2,after-5");
    assert_int_equal(query_int(db, "SELECT count(*) FROM scores"), 4);
    query_text(db, "SELECT status || '|' || n_read || '|' || n_scored FROM runs", s, sizeof s);
    assert_string_equal(s, "failed|6|4");
    query_text(db, "PRAGMA integrity_check", s, sizeof s);
    assert_string_equal(s, "ok");
    sqlite3_close(db);
    tmp_remove(&t);
}

/* ---- a database at its page limit ---- */

static sqlite3 *last_opened;

static int capture_connection(sqlite3 *db, char **errmsg, const struct sqlite3_api_routines *api)
{
    (void)errmsg;
    (void)api;
    last_opened = db;
    return SQLITE_OK;
}

static void store_add_should_give_efull_at_the_page_limit_and_keep_what_was_committed(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    assert_int_equal(sqlite3_auto_extension((void (*)(void))capture_connection), SQLITE_OK);
    last_opened = NULL;
    chaff_store *st = store_open_ok(t.db);
    sqlite3 *store_db = last_opened;
    assert_int_equal(sqlite3_cancel_auto_extension((void (*)(void))capture_connection), 1);
    assert_non_null(store_db);

    struct chaff_diag d = {""};
    int64_t run = 0;
    assert_int_equal(chaff_store_run_begin(st, "m", "[]", &run, &d), CHAFF_OK);
    struct chaff_verdict v = verdict_make(CHAFF_MACHINE, 0.125, 0.125, 0.75, CHAFF_HOLD);
    static char text[6000];
    char id[16];
    for (int k = 0; k < 2; k++) {
        fill_text(text, sizeof text, k);
        snprintf(id, sizeof id, "kept-%d", k);
        struct chaff_record r = rec_make("big.txt", id, text, sizeof text);
        add_ok(st, run, &r, &v, 0);
    }
    assert_int_equal(chaff_store_checkpoint(st, run, 2, 2, 0, &d), CHAFF_OK);

    /* no page may be added from now on */
    long long pages = query_int(store_db, "PRAGMA page_count");
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", pages);
    raw_exec(store_db, sql);
    assert_int_equal(query_int(store_db, "PRAGMA max_page_count"), pages);

    fill_text(text, sizeof text, 2);
    struct chaff_record r = rec_make("big.txt", "lost-2", text, sizeof text);
    int dup = -1;
    chaff_err err = chaff_store_add(st, run, &r, &v, &dup, &d);
    assert_int_equal(err, CHAFF_EFULL);
    assert_non_null(strstr(d.msg, t.db));
    assert_non_null(strstr(d.msg, "cannot store a comment: database or disk is full"));

    /* SQLite rolled the batch back; the store opens a new transaction */
    assert_int_equal(chaff_store_checkpoint(st, run, 3, 2, 1, &d), CHAFF_OK);
    /* the run can still be closed as failed */
    err = chaff_store_run_end(st, run, "failed", 3, 2, 0, &d);
    if (err)
        fail_msg("run_end: %d %s (autocommit %d)", (int)err, d.msg, sqlite3_get_autocommit(store_db));
    chaff_store_close(st);

    sqlite3 *db = raw_open(t.db);
    char s[128];
    query_text(db, "SELECT group_concat(source_id, ',') FROM (SELECT source_id FROM comments ORDER BY id)", s,
               sizeof s);
    assert_string_equal(s, "kept-0,kept-1");
    assert_int_equal(query_int(db, "SELECT count(*) FROM scores"), 2);
    query_text(db, "SELECT status || '|' || n_read || '|' || n_scored FROM runs", s, sizeof s);
    assert_string_equal(s, "failed|3|2");
    sqlite3_close(db);
    tmp_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(store_open_should_create_the_schema_at_user_version_2),
        cmocka_unit_test(store_open_should_upgrade_a_version_1_database),
        cmocka_unit_test(store_open_should_refuse_a_newer_schema),
        cmocka_unit_test(store_open_should_refuse_a_file_that_is_not_a_database),
        cmocka_unit_test(store_open_should_give_eio_for_a_missing_folder),
        cmocka_unit_test(store_run_should_write_exactly_the_expected_rows),
        cmocka_unit_test(store_should_reuse_a_comment_scored_in_an_earlier_run),
        cmocka_unit_test(store_should_dedup_a_record_without_id_by_text_within_its_source),
        cmocka_unit_test(store_add_should_flag_a_duplicate_within_one_run_and_keep_the_first_score),
        cmocka_unit_test(store_should_round_trip_quotes_nul_bytes_and_sql_exactly),
        cmocka_unit_test(store_should_report_a_read_only_database_in_a_read_only_folder),
        cmocka_unit_test(store_should_report_a_read_only_database_in_a_writable_folder),
        cmocka_unit_test(store_should_report_a_locked_database_as_busy),
        cmocka_unit_test(store_should_report_busy_when_a_fresh_database_is_locked),
        cmocka_unit_test(store_checkpoint_should_give_efull_and_keep_what_was_committed),
        cmocka_unit_test(store_add_should_give_efull_at_the_page_limit_and_keep_what_was_committed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
