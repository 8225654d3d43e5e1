/* store.h: the SQLite database of runs, comments, scores and reviews.
 * The only module that includes sqlite3.h. */
#ifndef CHAFF_STORE_H
#define CHAFF_STORE_H

#include <stdint.h>

#include "chaff.h"
#include "reader.h"

/* Schema version stored in PRAGMA user_version. */
#define CHAFF_SCHEMA_VERSION 2

/* Largest comment text stored (bytes), below SQLite's default limit. */
#define CHAFF_STORE_MAX_TEXT (512u * 1024 * 1024)

typedef struct chaff_store chaff_store;

/* Opens (creating if needed) the database at path, in WAL mode with a busy
 * timeout of busy_ms, creating or checking the schema. A database of a newer
 * schema gives CHAFF_ESCHEMA. *out is the caller's (chaff_store_close). */
chaff_err chaff_store_open(const char *path, int busy_ms, chaff_store **out, struct chaff_diag *diag);

/* Commits what is pending and closes; NULL is a no-op. */
void chaff_store_close(chaff_store *st);

/* Starts a run (status 'running') and a transaction. */
chaff_err chaff_store_run_begin(chaff_store *st, const char *model, const char *inputs_json, int64_t *run_id,
                                struct chaff_diag *diag);

/* Takes up the latest run of these inputs with this model when it did not
 * finish (killed, interrupted or failed): sets *run_id (0 when there is
 * none to resume, and then no transaction is open) and *already, the
 * comments it has scored, and marks it running again. Comments it scored
 * come back from chaff_store_add as duplicates and are not scored twice. */
chaff_err chaff_store_run_resume(chaff_store *st, const char *model, const char *inputs_json, int64_t *run_id,
                                 long *already, struct chaff_diag *diag);

/* Stores one record and its verdict in the open transaction. A comment
 * already in the database (same source and id, or with no id the same
 * text hash in the same source) is reused; *duplicate is set when this run
 * had already scored it. */
chaff_err chaff_store_add(chaff_store *st, int64_t run_id, const struct chaff_record *rec,
                          const struct chaff_verdict *v, int *duplicate, struct chaff_diag *diag);

/* The comments row of the last record stored by chaff_store_add. */
int64_t chaff_store_last_comment(const chaff_store *st);

/* Records that comment_id is in near-duplicate cluster `cluster` (the id of
 * its first comment) of size comments by `authors` distinct authors in
 * run_id. With a reason (not NULL), the comment's score in that run gets it
 * as its first reason and a 'pass' becomes 'review'. */
chaff_err chaff_store_add_cluster(chaff_store *st, int64_t run_id, int64_t comment_id, int64_t cluster, size_t size,
                                  size_t authors, const char *reason, struct chaff_diag *diag);

/* Records the run's counts and commits the open transaction, then opens
 * the next one: everything before this call survives a crash. */
chaff_err chaff_store_checkpoint(chaff_store *st, int64_t run_id, long n_read, long n_scored, long n_errors,
                                 struct chaff_diag *diag);

/* Ends the run with status ("done", "failed", "interrupted") and final
 * counts, committing. */
chaff_err chaff_store_run_end(chaff_store *st, int64_t run_id, const char *status, long n_read, long n_scored,
                              long n_errors, struct chaff_diag *diag);

/* ---- the review loop ---- */

/* A row of the review_queue view: flagged comments of the latest run with no
 * review yet, most confident and largest clusters first. Pointers are
 * valid during the callback only. */
struct chaff_queue_item {
    int64_t comment_id;
    const char *source, *source_id, *author, *text;
    size_t text_len;
    const char *label; /* the model's */
    double p[CHAFF_NLABELS];
    const char *action;
    const char *reasons; /* JSON array */
    long cluster_size;   /* 1 when in no cluster */
};

/* Calls fn for each queue row (at most limit; 0: all) until fn returns
 * non-zero. */
chaff_err chaff_store_queue(chaff_store *st, long limit, int (*fn)(const struct chaff_queue_item *it, void *ud),
                            void *ud, struct chaff_diag *diag);

/* Records a reviewer's label for a comment (committed at once).
 * CHAFF_EINVAL when there is no such comment. */
chaff_err chaff_store_review(chaff_store *st, int64_t comment_id, int label, const char *reviewer, const char *note,
                             int64_t *review_id, struct chaff_diag *diag);

/* Removes review review_id (an undo), committed at once. */
chaff_err chaff_store_unreview(chaff_store *st, int64_t review_id, struct chaff_diag *diag);

/* A reviewed comment with its latest review. */
struct chaff_reviewed {
    int64_t comment_id;
    const char *source, *source_id, *author, *text;
    size_t text_len;
    const char *label, *reviewer, *note, *reviewed_at;
};

/* Calls fn for every reviewed comment (latest review), by comment id. */
chaff_err chaff_store_reviewed(chaff_store *st, int (*fn)(const struct chaff_reviewed *r, void *ud), void *ud,
                               struct chaff_diag *diag);

/* Per-run figures: counts per label and action, and model label against
 * the latest reviewer label (confusion[model][reviewer]). */
struct chaff_run_stats {
    int64_t run;
    const char *started_at, *status, *model;
    long n_read, n_scored, n_errors;
    long per_label[CHAFF_NLABELS];
    long per_action[3];
    long confusion[CHAFF_NLABELS][CHAFF_NLABELS];
    long reviewed;
};

chaff_err chaff_store_stats(chaff_store *st, int (*fn)(const struct chaff_run_stats *s, void *ud), void *ud,
                            struct chaff_diag *diag);

#endif
