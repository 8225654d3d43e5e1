/* store.c: SQLite with prepared statements and batched transactions. */
#include "store.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "normalize.h"
#include "util.h"

struct chaff_store {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *ins_comment, *find_by_id, *find_by_hash, *ins_score, *upd_run;
    sqlite3_stmt *ins_cluster, *upd_score;
    int64_t last_comment;
};

/* Schema 2's additions, shared by a new database and the 1 -> 2 upgrade. */
#define COMMENT_IDENTITY_DDL                                                                                           \
    "CREATE UNIQUE INDEX IF NOT EXISTS comments_by_source_id_text ON comments(source, source_id, text_sha256)\n"       \
    "  WHERE source_id IS NOT NULL;\n"
#define CLUSTERS_AND_QUEUE_DDL                                                                                         \
    "CREATE TABLE IF NOT EXISTS clusters(\n"                                                                           \
    "  run_id INTEGER NOT NULL REFERENCES runs(id),\n"                                                                 \
    "  comment_id INTEGER NOT NULL REFERENCES comments(id),\n"                                                         \
    "  cluster INTEGER NOT NULL,\n"                                                                                    \
    "  size INTEGER NOT NULL,\n"                                                                                       \
    "  authors INTEGER NOT NULL,\n"                                                                                    \
    "  PRIMARY KEY(run_id, comment_id));\n"                                                                            \
    "CREATE VIEW IF NOT EXISTS review_queue AS\n"                                                                      \
    "  SELECT s.comment_id, s.run_id, c.source, c.source_id, c.author, c.created_at, c.text, s.label,\n"               \
    "         s.p_human, s.p_low_effort, s.p_machine, s.action, s.reasons,\n"                                          \
    "         COALESCE(k.size, 1) AS cluster_size, k.cluster\n"                                                        \
    "  FROM scores s JOIN comments c ON c.id = s.comment_id\n"                                                         \
    "  LEFT JOIN clusters k ON k.run_id = s.run_id AND k.comment_id = s.comment_id\n"                                  \
    "  WHERE s.run_id = (SELECT max(id) FROM runs) AND s.action != 'pass'\n"                                           \
    "    AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.comment_id = s.comment_id)\n"                                 \
    "  ORDER BY max(s.p_low_effort, s.p_machine) DESC, cluster_size DESC, s.comment_id;\n"

static const char *const schema =
    "CREATE TABLE IF NOT EXISTS runs(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  started_at TEXT NOT NULL,\n"
    "  finished_at TEXT,\n"
    "  model TEXT NOT NULL,\n"
    "  inputs TEXT NOT NULL,\n"
    "  status TEXT NOT NULL CHECK(status IN ('running','done','failed','interrupted')),\n"
    "  n_read INTEGER NOT NULL DEFAULT 0,\n"
    "  n_scored INTEGER NOT NULL DEFAULT 0,\n"
    "  n_errors INTEGER NOT NULL DEFAULT 0);\n"
    "CREATE TABLE IF NOT EXISTS comments(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  source TEXT NOT NULL,\n"
    "  source_id TEXT,\n"
    "  author TEXT,\n"
    "  created_at TEXT,\n"
    "  text TEXT NOT NULL,\n"
    "  text_sha256 TEXT NOT NULL);\n" COMMENT_IDENTITY_DDL
    "CREATE UNIQUE INDEX IF NOT EXISTS comments_by_source_hash ON comments(source, text_sha256)\n"
    "  WHERE source_id IS NULL;\n"
    "CREATE TABLE IF NOT EXISTS scores(\n"
    "  comment_id INTEGER NOT NULL REFERENCES comments(id),\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id),\n"
    "  label TEXT NOT NULL CHECK(label IN ('human','low-effort','machine')),\n"
    "  p_human REAL NOT NULL,\n"
    "  p_low_effort REAL NOT NULL,\n"
    "  p_machine REAL NOT NULL,\n"
    "  action TEXT NOT NULL CHECK(action IN ('pass','review','hold')),\n"
    "  reasons TEXT NOT NULL DEFAULT '[]',\n"
    "  PRIMARY KEY(comment_id, run_id));\n"
    "CREATE INDEX IF NOT EXISTS scores_by_run ON scores(run_id, label);\n"
    "CREATE TABLE IF NOT EXISTS reviews(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  comment_id INTEGER NOT NULL REFERENCES comments(id),\n"
    "  label TEXT NOT NULL CHECK(label IN ('human','low-effort','machine')),\n"
    "  reviewer TEXT,\n"
    "  note TEXT,\n"
    "  reviewed_at TEXT NOT NULL);\n"
    "CREATE INDEX IF NOT EXISTS reviews_by_comment ON reviews(comment_id);\n" CLUSTERS_AND_QUEUE_DDL;

/* Upgrades, one per version: from N to N + 1 at upgrade[N - 1]. */
static const char *const upgrade[] = {
    /* 1 -> 2: a comment is the same when its text is too (an id reused with
     * another text, e.g. stdin or a rewritten file, is another comment);
     * near-duplicate clusters per run */
    "DROP INDEX IF EXISTS comments_by_source_id;\n" COMMENT_IDENTITY_DDL CLUSTERS_AND_QUEUE_DDL,
};

/* A reason as valid UTF-8 in b (the caller frees it): jansson and JSON
 * refuse invalid UTF-8, and a reason cut at CHAFF_REASON_SIZE may end
 * inside a character. */
static chaff_err repaired(const char *s, struct chaff_buf *b)
{
    chaff_err err = chaff_utf8_sanitize(s, strlen(s), b, NULL);
    return err ? err : chaff_buf_reserve(b, 0);
}

/* A JSON string holding s, repaired; NULL when out of memory. */
static json_t *json_text(const char *s)
{
    struct chaff_buf b = {0};
    json_t *j = repaired(s, &b) == CHAFF_OK ? json_stringn(b.data, b.len) : NULL;
    chaff_buf_free(&b);
    return j;
}

/* The verdict's reasons as a compact JSON array (the caller frees it);
 * NULL when out of memory. */
static char *reasons_json(const struct chaff_verdict *v)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < v->n_reasons; i++) {
        if (json_array_append_new(arr, json_text(v->reasons[i])) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    char *text = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    return text;
}

static chaff_err db_err(chaff_store *st, int rc, struct chaff_diag *diag, const char *what)
{
    /* SQLITE_IOERR_NOMEM is out of memory, whatever its primary code */
    int base = rc == SQLITE_IOERR_NOMEM ? SQLITE_NOMEM : rc & 0xff;
    chaff_err err = CHAFF_EDB;
    const char *hint = "";
    switch (base) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        err = CHAFF_EBUSY;
        hint = " (another process holds the database; try again when it has finished)";
        break;
    case SQLITE_FULL:
        err = CHAFF_EFULL;
        hint = " (the disk or the database is full; everything committed before is kept)";
        break;
    case SQLITE_READONLY:
        err = CHAFF_EREADONLY;
        hint = " (the database file or its folder is read-only)";
        break;
    case SQLITE_CANTOPEN: err = CHAFF_EIO; break;
    case SQLITE_NOMEM: err = CHAFF_ENOMEM; break;
    default: break;
    }
    return chaff_diagf(diag, err, "%s: %s: %s%s", st->path, what, st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc),
                       hint);
}

/* Whether a transaction is open. Asked of SQLite rather than tracked: some
 * errors (SQLITE_FULL, SQLITE_NOMEM, SQLITE_IOERR) roll the whole
 * transaction back on their own. */
static int in_tx(const chaff_store *st)
{
    return st->db && !sqlite3_get_autocommit(st->db);
}

static int exec(chaff_store *st, const char *sql)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

static int prepare(chaff_store *st, const char *sql, sqlite3_stmt **out)
{
    return sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
}

void chaff_store_close(chaff_store *st)
{
    if (!st)
        return;
    if (in_tx(st))
        exec(st, "COMMIT");
    sqlite3_finalize(st->ins_comment);
    sqlite3_finalize(st->find_by_id);
    sqlite3_finalize(st->find_by_hash);
    sqlite3_finalize(st->ins_score);
    sqlite3_finalize(st->upd_run);
    sqlite3_finalize(st->ins_cluster);
    sqlite3_finalize(st->upd_score);
    sqlite3_close(st->db);
    free(st->path);
    free(st);
}

chaff_err chaff_store_open(const char *path, int busy_ms, chaff_store **out, struct chaff_diag *diag)
{
    *out = NULL;
    chaff_store *st = calloc(1, sizeof *st);
    if (!st)
        return CHAFF_ENOMEM;
    st->path = strdup(path);
    if (!st->path) {
        free(st);
        return CHAFF_ENOMEM;
    }
    /* a store (not part of the library's API) is used by one thread at a
     * time: no per-call mutexes (they were 2% of chaff score's time) */
    int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    chaff_err err = CHAFF_OK;
    if (rc != SQLITE_OK) {
        err = db_err(st, rc, diag, "cannot open");
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, busy_ms);
    sqlite3_stmt *q = NULL;
    rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL);
    int version = 0;
    if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        version = sqlite3_column_int(q, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_OK) {
        err = db_err(st, rc, diag, rc == SQLITE_NOTADB ? "not a SQLite database" : "cannot read");
        goto fail;
    }
    if (version > CHAFF_SCHEMA_VERSION) {
        err = chaff_diagf(diag, CHAFF_ESCHEMA,
                          "%s: database schema version %d is newer than this chaff's %d; use a newer chaff", path,
                          version, CHAFF_SCHEMA_VERSION);
        goto fail;
    }
    rc = exec(st, "PRAGMA journal_mode=WAL");
    if (rc == SQLITE_OK)
        rc = exec(st, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL");
    if (rc == SQLITE_OK && version < CHAFF_SCHEMA_VERSION) {
        rc = exec(st, "BEGIN IMMEDIATE");
        if (rc == SQLITE_OK && version == 0)
            rc = exec(st, schema); /* a new database: the current schema */
        /* upgrade[i] takes version i + 1 to i + 2 */
        for (int i = version - 1; rc == SQLITE_OK && version > 0 && i < CHAFF_SCHEMA_VERSION - 1; i++)
            rc = exec(st, upgrade[i]);
        if (rc == SQLITE_OK) {
            char sql[64];
            snprintf(sql, sizeof sql, "PRAGMA user_version=%d; COMMIT", CHAFF_SCHEMA_VERSION);
            rc = exec(st, sql);
        }
        if (rc != SQLITE_OK) {
            err = db_err(st, rc, diag, "cannot set up the schema");
            exec(st, "ROLLBACK");
            goto fail;
        }
    }
    if (rc != SQLITE_OK) {
        err = db_err(st, rc, diag, "cannot set up the schema");
        goto fail;
    }
    rc = prepare(st,
                 "INSERT OR IGNORE INTO comments(source, source_id, author, created_at, text, text_sha256)"
                 " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                 &st->ins_comment);
    if (rc == SQLITE_OK)
        rc = prepare(st, "SELECT id FROM comments WHERE source = ?1 AND source_id = ?2 AND text_sha256 = ?3",
                     &st->find_by_id);
    if (rc == SQLITE_OK)
        rc = prepare(st, "SELECT id FROM comments WHERE source = ?1 AND source_id IS NULL AND text_sha256 = ?2",
                     &st->find_by_hash);
    if (rc == SQLITE_OK)
        rc = prepare(st,
                     "INSERT OR IGNORE INTO scores(comment_id, run_id, label, p_human, p_low_effort, p_machine,"
                     " action, reasons) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                     &st->ins_score);
    if (rc == SQLITE_OK)
        rc = prepare(st, "UPDATE runs SET n_read = ?2, n_scored = ?3, n_errors = ?4 WHERE id = ?1", &st->upd_run);
    if (rc == SQLITE_OK)
        rc = prepare(st,
                     "INSERT OR REPLACE INTO clusters(run_id, comment_id, cluster, size, authors)"
                     " VALUES(?1, ?2, ?3, ?4, ?5)",
                     &st->ins_cluster);
    /* the cluster's reason goes first, before the model's (kept as they
     * are, whatever the spacing; a value that is not a JSON array is
     * replaced) */
    if (rc == SQLITE_OK)
        rc = prepare(st,
                     "UPDATE scores SET reasons = CASE WHEN json_valid(reasons) THEN"
                     " CASE WHEN json_type(reasons) = 'array' AND json_array_length(reasons) > 0"
                     " THEN '[' || json_quote(?3) || ',' || substr(json(reasons), 2)"
                     " ELSE json_array(?3) END ELSE json_array(?3) END,"
                     " action = CASE action WHEN 'pass' THEN 'review' ELSE action END"
                     " WHERE run_id = ?1 AND comment_id = ?2",
                     &st->upd_score);
    if (rc != SQLITE_OK) {
        err = db_err(st, rc, diag, "cannot prepare statements");
        goto fail;
    }
    *out = st;
    return CHAFF_OK;
fail:
    chaff_store_close(st);
    return err;
}

chaff_err chaff_store_run_begin(chaff_store *st, const char *model, const char *inputs_json, int64_t *run_id,
                                struct chaff_diag *diag)
{
    char now[21];
    chaff_now_iso(now);
    sqlite3_stmt *q = NULL;
    int rc = exec(st, "BEGIN IMMEDIATE");
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(
            st->db, "INSERT INTO runs(started_at, model, inputs, status) VALUES(?1, ?2, ?3, 'running')", -1, &q, NULL);
    if (rc == SQLITE_OK) {
        /* a copy (SQLITE_TRANSIENT) can fail: a NULL left bound would
         * pass for a constraint failure */
        rc = sqlite3_bind_text(q, 1, now, -1, SQLITE_TRANSIENT);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(q, 2, model, -1, SQLITE_TRANSIENT);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(q, 3, inputs_json, -1, SQLITE_TRANSIENT);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(q) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->db);
    }
    sqlite3_finalize(q);
    if (rc == SQLITE_OK) {
        *run_id = sqlite3_last_insert_rowid(st->db);
        rc = exec(st, "COMMIT");
    }
    if (rc != SQLITE_OK) {
        /* the message first: ROLLBACK replaces sqlite3_errmsg() */
        chaff_err err = db_err(st, rc, diag, "cannot start a run");
        exec(st, "ROLLBACK");
        return err;
    }
    rc = exec(st, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return db_err(st, rc, diag, "cannot begin a transaction");
    return CHAFF_OK;
}

static int step_done(sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

chaff_err chaff_store_add(chaff_store *st, int64_t run_id, const struct chaff_record *rec,
                          const struct chaff_verdict *v, int *duplicate, struct chaff_diag *diag)
{
    char sha[65];
    *duplicate = 0;
    chaff_sha256_hex(rec->text, rec->text_len, sha);
    sqlite3_stmt *q = st->ins_comment;
    sqlite3_bind_text(q, 1, rec->source, -1, SQLITE_STATIC);
    if (rec->id)
        sqlite3_bind_text(q, 2, rec->id, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 2);
    if (rec->author)
        sqlite3_bind_text(q, 3, rec->author, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 3);
    if (rec->created_at)
        sqlite3_bind_text(q, 4, rec->created_at, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 4);
    if (rec->text_len > CHAFF_STORE_MAX_TEXT)
        return chaff_diagf(diag, CHAFF_ETOOBIG, "%s:%lu: a text of %zu bytes is too big for the database", rec->source,
                           rec->line, rec->text_len);
    sqlite3_bind_text64(q, 5, rec->text, (sqlite3_uint64)rec->text_len, SQLITE_STATIC, SQLITE_UTF8);
    sqlite3_bind_text(q, 6, sha, 64, SQLITE_STATIC);
    int rc = step_done(q);
    sqlite3_clear_bindings(q);
    if (rc != SQLITE_OK)
        return db_err(st, rc, diag, "cannot store a comment");
    int64_t cid;
    if (sqlite3_changes(st->db) == 1) {
        cid = sqlite3_last_insert_rowid(st->db);
        st->last_comment = cid;
    } else {
        q = rec->id ? st->find_by_id : st->find_by_hash;
        sqlite3_bind_text(q, 1, rec->source, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, rec->id ? rec->id : sha, -1, SQLITE_STATIC);
        if (rec->id)
            sqlite3_bind_text(q, 3, sha, 64, SQLITE_STATIC);
        rc = sqlite3_step(q);
        cid = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
        sqlite3_reset(q);
        sqlite3_clear_bindings(q);
        if (cid < 0)
            return db_err(st, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc, diag, "cannot find a stored comment");
        st->last_comment = cid;
    }
    char *reasons = reasons_json(v);
    if (!reasons)
        return chaff_diagf(diag, CHAFF_ENOMEM, "%s:%lu: out of memory for the reasons", rec->source, rec->line);
    q = st->ins_score;
    sqlite3_bind_int64(q, 1, cid);
    sqlite3_bind_int64(q, 2, run_id);
    sqlite3_bind_text(q, 3, chaff_label_name(v->label), -1, SQLITE_STATIC);
    sqlite3_bind_double(q, 4, v->p[CHAFF_HUMAN]);
    sqlite3_bind_double(q, 5, v->p[CHAFF_LOW_EFFORT]);
    sqlite3_bind_double(q, 6, v->p[CHAFF_MACHINE]);
    sqlite3_bind_text(q, 7, chaff_action_name(v->action), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 8, reasons, -1, SQLITE_STATIC);
    rc = step_done(q);
    sqlite3_clear_bindings(q);
    free(reasons);
    if (rc != SQLITE_OK)
        return db_err(st, rc, diag, "cannot store a score");
    *duplicate = sqlite3_changes(st->db) == 0;
    return CHAFF_OK;
}

static int update_counts(chaff_store *st, int64_t run_id, long n_read, long n_scored, long n_errors)
{
    sqlite3_stmt *q = st->upd_run;
    sqlite3_bind_int64(q, 1, run_id);
    sqlite3_bind_int64(q, 2, n_read);
    sqlite3_bind_int64(q, 3, n_scored);
    sqlite3_bind_int64(q, 4, n_errors);
    return step_done(q);
}

chaff_err chaff_store_checkpoint(chaff_store *st, int64_t run_id, long n_read, long n_scored, long n_errors,
                                 struct chaff_diag *diag)
{
    /* the counts and the batch commit together; if an error rolled the
     * batch back, the counts still get a transaction of their own */
    int rc = in_tx(st) ? SQLITE_OK : exec(st, "BEGIN IMMEDIATE");
    if (rc == SQLITE_OK)
        rc = update_counts(st, run_id, n_read, n_scored, n_errors);
    if (rc == SQLITE_OK)
        rc = exec(st, "COMMIT");
    if (rc != SQLITE_OK) {
        chaff_err err = db_err(st, rc, diag, "cannot commit");
        if (in_tx(st))
            exec(st, "ROLLBACK");
        return err;
    }
    rc = exec(st, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return db_err(st, rc, diag, "cannot begin a transaction");
    return CHAFF_OK;
}

chaff_err chaff_store_run_end(chaff_store *st, int64_t run_id, const char *status, long n_read, long n_scored,
                              long n_errors, struct chaff_diag *diag)
{
    int rc = in_tx(st) ? SQLITE_OK : exec(st, "BEGIN IMMEDIATE");
    if (rc == SQLITE_OK)
        rc = update_counts(st, run_id, n_read, n_scored, n_errors);
    if (rc == SQLITE_OK) {
        char now[21];
        chaff_now_iso(now);
        sqlite3_stmt *q = NULL;
        rc = sqlite3_prepare_v2(st->db, "UPDATE runs SET status = ?2, finished_at = ?3 WHERE id = ?1", -1, &q, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(q, 1, run_id);
            sqlite3_bind_text(q, 2, status, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 3, now, -1, SQLITE_STATIC);
            rc = sqlite3_step(q) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->db);
        }
        sqlite3_finalize(q);
    }
    if (rc == SQLITE_OK)
        rc = exec(st, "COMMIT");
    if (rc != SQLITE_OK) {
        chaff_err err = db_err(st, rc, diag, "cannot finish the run");
        if (in_tx(st))
            exec(st, "ROLLBACK");
        return err;
    }
    return CHAFF_OK;
}

int64_t chaff_store_last_comment(const chaff_store *st)
{
    return st->last_comment;
}

chaff_err chaff_store_add_cluster(chaff_store *st, int64_t run_id, int64_t comment_id, int64_t cluster, size_t size,
                                  size_t authors, const char *reason, struct chaff_diag *diag)
{
    if (sqlite3_get_autocommit(st->db)) {
        int rc = exec(st, "BEGIN IMMEDIATE");
        if (rc != SQLITE_OK)
            return db_err(st, rc, diag, "cannot begin a transaction");
    }
    sqlite3_stmt *q = st->ins_cluster;
    sqlite3_bind_int64(q, 1, run_id);
    sqlite3_bind_int64(q, 2, comment_id);
    sqlite3_bind_int64(q, 3, cluster);
    sqlite3_bind_int64(q, 4, (sqlite3_int64)size);
    sqlite3_bind_int64(q, 5, (sqlite3_int64)authors);
    int rc = step_done(q);
    if (rc != SQLITE_OK)
        return db_err(st, rc, diag, "cannot store a cluster");
    if (!reason)
        return CHAFF_OK;
    struct chaff_buf b = {0};
    if (repaired(reason, &b) != CHAFF_OK) {
        chaff_buf_free(&b);
        return chaff_diagf(diag, CHAFF_ENOMEM, "%s: out of memory for a cluster's reason", st->path);
    }
    q = st->upd_score;
    sqlite3_bind_int64(q, 1, run_id);
    sqlite3_bind_int64(q, 2, comment_id);
    rc = sqlite3_bind_text(q, 3, b.data, (int)b.len, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = step_done(q);
    sqlite3_clear_bindings(q); /* the reason's buffer goes next */
    chaff_buf_free(&b);
    if (rc != SQLITE_OK)
        return db_err(st, rc, diag, "cannot update a score");
    return CHAFF_OK;
}

/* ---- the review loop ---- */

static const char *col_text(sqlite3_stmt *q, int i)
{
    return (const char *)sqlite3_column_text(q, i);
}

chaff_err chaff_store_queue(chaff_store *st, long limit, int (*fn)(const struct chaff_queue_item *it, void *ud),
                            void *ud, struct chaff_diag *diag)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(st->db,
                                "SELECT comment_id, source, source_id, author, text, label, p_human, p_low_effort,"
                                " p_machine, action, reasons, cluster_size FROM review_queue LIMIT ?1",
                                -1, &q, NULL);
    if (rc != SQLITE_OK)
        return db_err(st, rc, diag, "cannot read the review queue");
    sqlite3_bind_int64(q, 1, limit > 0 ? limit : -1);
    int stop = 0;
    while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct chaff_queue_item it = {0};
        it.comment_id = sqlite3_column_int64(q, 0);
        it.source = col_text(q, 1);
        it.source_id = col_text(q, 2);
        it.author = col_text(q, 3);
        it.text = col_text(q, 4);
        it.text_len = (size_t)sqlite3_column_bytes(q, 4);
        it.label = col_text(q, 5);
        for (int k = 0; k < CHAFF_NLABELS; k++)
            it.p[k] = sqlite3_column_double(q, 6 + k);
        it.action = col_text(q, 9);
        it.reasons = col_text(q, 10);
        it.cluster_size = sqlite3_column_int64(q, 11);
        stop = fn(&it, ud);
    }
    sqlite3_finalize(q);
    if (!stop && rc != SQLITE_DONE)
        return db_err(st, rc, diag, "cannot read the review queue");
    return CHAFF_OK;
}

chaff_err chaff_store_review(chaff_store *st, int64_t comment_id, int label, const char *reviewer, const char *note,
                             int64_t *review_id, struct chaff_diag *diag)
{
    if (label < 0 || label >= CHAFF_NLABELS)
        return chaff_diagf(diag, CHAFF_EINVAL, "unknown label (expected human, low-effort or machine)");
    if (!sqlite3_get_autocommit(st->db)) {
        int rc = exec(st, "COMMIT");
        if (rc != SQLITE_OK)
            return db_err(st, rc, diag, "cannot commit");
    }
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM comments WHERE id = ?1", -1, &q, NULL);
    int found = 0;
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, comment_id);
        rc = sqlite3_step(q);
        found = rc == SQLITE_ROW && sqlite3_column_int(q, 0) > 0;
        rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_OK)
        return db_err(st, rc, diag, "cannot read comments");
    if (!found)
        return chaff_diagf(diag, CHAFF_EINVAL, "%s: no comment with id %lld", st->path, (long long)comment_id);
    char now[21];
    chaff_now_iso(now);
    rc = sqlite3_prepare_v2(st->db,
                            "INSERT INTO reviews(comment_id, label, reviewer, note, reviewed_at)"
                            " VALUES(?1, ?2, ?3, ?4, ?5)",
                            -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, comment_id);
        sqlite3_bind_text(q, 2, chaff_label_name(label), -1, SQLITE_STATIC);
        if (reviewer)
            rc = sqlite3_bind_text(q, 3, reviewer, -1, SQLITE_TRANSIENT);
        if (note && rc == SQLITE_OK)
            rc = sqlite3_bind_text(q, 4, note, -1, SQLITE_TRANSIENT);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(q, 5, now, -1, SQLITE_TRANSIENT);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(q) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->db);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_OK)
        return db_err(st, rc, diag, "cannot store a review");
    if (review_id)
        *review_id = sqlite3_last_insert_rowid(st->db);
    return CHAFF_OK;
}

chaff_err chaff_store_unreview(chaff_store *st, int64_t review_id, struct chaff_diag *diag)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(st->db, "DELETE FROM reviews WHERE id = ?1", -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, review_id);
        rc = sqlite3_step(q) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->db);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_OK)
        return db_err(st, rc, diag, "cannot undo a review");
    return CHAFF_OK;
}

chaff_err chaff_store_reviewed(chaff_store *st, int (*fn)(const struct chaff_reviewed *r, void *ud), void *ud,
                               struct chaff_diag *diag)
{
    /* the latest review of each comment (by time, then by row) */
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(st->db,
                                "SELECT c.id, c.source, c.source_id, c.author, c.text, r.label, r.reviewer, r.note,"
                                " r.reviewed_at FROM reviews r JOIN comments c ON c.id = r.comment_id"
                                " WHERE r.id = (SELECT r2.id FROM reviews r2 WHERE r2.comment_id = r.comment_id"
                                "               ORDER BY r2.reviewed_at DESC, r2.id DESC LIMIT 1)"
                                " ORDER BY c.id",
                                -1, &q, NULL);
    if (rc != SQLITE_OK)
        return db_err(st, rc, diag, "cannot read reviews");
    int stop = 0;
    while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct chaff_reviewed r = {0};
        r.comment_id = sqlite3_column_int64(q, 0);
        r.source = col_text(q, 1);
        r.source_id = col_text(q, 2);
        r.author = col_text(q, 3);
        r.text = col_text(q, 4);
        r.text_len = (size_t)sqlite3_column_bytes(q, 4);
        r.label = col_text(q, 5);
        r.reviewer = col_text(q, 6);
        r.note = col_text(q, 7);
        r.reviewed_at = col_text(q, 8);
        stop = fn(&r, ud);
    }
    sqlite3_finalize(q);
    if (!stop && rc != SQLITE_DONE)
        return db_err(st, rc, diag, "cannot read reviews");
    return CHAFF_OK;
}

chaff_err chaff_store_stats(chaff_store *st, int (*fn)(const struct chaff_run_stats *s, void *ud), void *ud,
                            struct chaff_diag *diag)
{
    sqlite3_stmt *runs = NULL, *q = NULL;
    int rc = sqlite3_prepare_v2(
        st->db, "SELECT id, started_at, status, n_read, n_scored, n_errors, model FROM runs ORDER BY id", -1, &runs,
        NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(
            st->db,
            "SELECT s.label, s.action, (SELECT r.label FROM reviews r WHERE r.comment_id = s.comment_id"
            " ORDER BY r.reviewed_at DESC, r.id DESC LIMIT 1) FROM scores s WHERE s.run_id = ?1",
            -1, &q, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(runs);
        return db_err(st, rc, diag, "cannot read runs");
    }
    int stop = 0;
    while (!stop && (rc = sqlite3_step(runs)) == SQLITE_ROW) {
        struct chaff_run_stats s;
        memset(&s, 0, sizeof s);
        s.run = sqlite3_column_int64(runs, 0);
        s.started_at = col_text(runs, 1);
        s.status = col_text(runs, 2);
        s.n_read = sqlite3_column_int64(runs, 3);
        s.n_scored = sqlite3_column_int64(runs, 4);
        s.n_errors = sqlite3_column_int64(runs, 5);
        s.model = col_text(runs, 6);
        sqlite3_bind_int64(q, 1, s.run);
        int r2;
        while ((r2 = sqlite3_step(q)) == SQLITE_ROW) {
            const char *lab = col_text(q, 0), *act = col_text(q, 1), *rev = col_text(q, 2);
            int l = lab ? chaff_label_parse(lab, strlen(lab)) : -1;
            if (l >= 0)
                s.per_label[l]++;
            if (act)
                s.per_action[strcmp(act, "hold") == 0 ? 2 : strcmp(act, "review") == 0 ? 1 : 0]++;
            int rl = rev ? chaff_label_parse(rev, strlen(rev)) : -1;
            if (l >= 0 && rl >= 0) {
                s.confusion[l][rl]++;
                s.reviewed++;
            }
        }
        sqlite3_reset(q);
        if (r2 != SQLITE_DONE) {
            rc = r2;
            break;
        }
        stop = fn(&s, ud);
    }
    sqlite3_finalize(runs);
    sqlite3_finalize(q);
    if (!stop && rc != SQLITE_DONE)
        return db_err(st, rc, diag, "cannot read runs");
    return CHAFF_OK;
}

chaff_err chaff_store_run_resume(chaff_store *st, const char *model, const char *inputs_json, int64_t *run_id,
                                 long *already, struct chaff_diag *diag)
{
    *run_id = 0;
    *already = 0;
    /* the latest attempt at these inputs with this model, if unfinished. A
     * run another chaff still writes cannot be taken over: that chaff holds
     * the write lock, so BEGIN IMMEDIATE below waits, then fails busy. */
    int rc = sqlite3_get_autocommit(st->db) ? exec(st, "BEGIN IMMEDIATE") : SQLITE_OK;
    sqlite3_stmt *q = NULL;
    int64_t id = 0;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(st->db,
                                "SELECT id, status FROM runs WHERE model = ?1 AND inputs = ?2 ORDER BY id DESC LIMIT 1",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, model, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, inputs_json, -1, SQLITE_STATIC);
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            const char *status = (const char *)sqlite3_column_text(q, 1);
            if (status && strcmp(status, "done") != 0)
                id = sqlite3_column_int64(q, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(q);
    q = NULL;
    if (rc == SQLITE_OK && id) {
        rc = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM scores WHERE run_id = ?1", -1, &q, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(q, 1, id);
            rc = sqlite3_step(q) == SQLITE_ROW ? SQLITE_OK : sqlite3_errcode(st->db);
            *already = (long)sqlite3_column_int64(q, 0);
        }
        sqlite3_finalize(q);
        q = NULL;
        if (rc == SQLITE_OK)
            rc = sqlite3_prepare_v2(st->db, "UPDATE runs SET status = 'running', finished_at = NULL WHERE id = ?1", -1,
                                    &q, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(q, 1, id);
            rc = sqlite3_step(q) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->db);
        }
        sqlite3_finalize(q);
    }
    if (rc == SQLITE_OK)
        rc = exec(st, "COMMIT");
    if (rc != SQLITE_OK) {
        chaff_err err = db_err(st, rc, diag, "cannot look for an unfinished run");
        if (!sqlite3_get_autocommit(st->db))
            exec(st, "ROLLBACK");
        return err;
    }
    if (!id)
        return CHAFF_OK;
    rc = exec(st, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return db_err(st, rc, diag, "cannot begin a transaction");
    *run_id = id;
    return CHAFF_OK;
}
