/* fuzz_store.c: any bytes as a comment's source, id, reason and text,
 * written through the store into an in-memory database and read back
 * through the review queue and the reviewed export: every byte must come
 * back as it went in (quotes, NULs in the text, SQL fragments, invalid
 * UTF-8), and storing the same record again must give the same comment.
 *
 * Input: a flags byte, then source, id and reason, each ended by a NUL
 * byte (C strings, as the reader gives them), then the text (any bytes,
 * NULs too). Flags: bit 0 the record has an id (else id is the author),
 * bit 1 a near-duplicate cluster reason is added, bit 2 a review is
 * recorded and read back. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "store.h"

/* The next NUL-ended field of data[*pos..size), copied NUL-terminated. */
static char *take(const uint8_t *data, size_t size, size_t *pos)
{
    const uint8_t *start = data + *pos;
    const uint8_t *nul = memchr(start, 0, size - *pos);
    size_t n = nul ? (size_t)(nul - start) : size - *pos;
    *pos += nul ? n + 1 : n;
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, start, n);
    s[n] = '\0';
    return s;
}

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_store: %s\n", what);
        abort();
    }
}

static void check_ok(chaff_err err, const char *what, const struct chaff_diag *d)
{
    if (err) {
        fprintf(stderr, "fuzz_store: %s: %s: %s\n", what, chaff_strerror(err), d->msg);
        abort();
    }
}

/* A C string that must come back as it went in (NULL: SQL NULL). */
static int same_str(const char *got, const char *want)
{
    if (!want)
        return got == NULL;
    return got && strcmp(got, want) == 0;
}

struct expect {
    const struct chaff_record *rec;
    const char *first_reason; /* the cluster's reason, or NULL */
    const char *reason;       /* the verdict's */
    const char *reviewer, *note;
    int seen;
};

/* The stored reasons: a JSON array of strings, the expected ones when
 * they were valid UTF-8 (others are stored repaired). */
static void check_reasons(const char *json, const struct expect *e)
{
    check(json != NULL, "reasons are NULL");
    json_t *arr = json_loads(json, 0, NULL);
    check(json_is_array(arr), "reasons are not a JSON array");
    const char *want[2];
    size_t n = 0;
    if (e->first_reason)
        want[n++] = e->first_reason;
    if (e->reason[0])
        want[n++] = e->reason;
    check(json_array_size(arr) == n, "a reason was lost or added");
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(arr, i);
        check(json_is_string(s), "a reason is not a string");
        if (fuzz_valid_utf8(want[i], strlen(want[i])))
            check(strcmp(json_string_value(s), want[i]) == 0, "a reason changed");
    }
    json_decref(arr);
}

static int on_queue(const struct chaff_queue_item *it, void *ud)
{
    struct expect *e = ud;
    check(!e->seen, "the queue holds the comment twice");
    e->seen = 1;
    check(same_str(it->source, e->rec->source), "source changed");
    check(same_str(it->source_id, e->rec->id), "id changed");
    check(same_str(it->author, e->rec->author), "author changed");
    check(it->text && it->text_len == e->rec->text_len && memcmp(it->text, e->rec->text, it->text_len) == 0,
          "text changed");
    check(same_str(it->label, "machine") && same_str(it->action, "hold"), "label or action changed");
    check(it->p[CHAFF_MACHINE] == 0.75, "probability changed");
    check_reasons(it->reasons, e);
    return 0;
}

static int on_reviewed(const struct chaff_reviewed *r, void *ud)
{
    struct expect *e = ud;
    check(!e->seen, "the export holds the comment twice");
    e->seen = 1;
    check(same_str(r->source, e->rec->source) && same_str(r->source_id, e->rec->id), "source or id changed");
    check(r->text && r->text_len == e->rec->text_len && memcmp(r->text, e->rec->text, r->text_len) == 0,
          "text changed");
    check(same_str(r->label, "low-effort"), "review label changed");
    check(same_str(r->reviewer, e->reviewer) && same_str(r->note, e->note), "reviewer or note changed");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned flags = data[0];
    size_t pos = 1;
    char *source = take(data, size, &pos);
    char *id = take(data, size, &pos);
    char *reason = take(data, size, &pos);
    size_t text_len = size - pos;
    char *text = malloc(text_len + 1);
    if (!text)
        abort();
    memcpy(text, data + pos, text_len);
    text[text_len] = '\0';

    struct chaff_record rec;
    memset(&rec, 0, sizeof rec);
    rec.source = source;
    rec.line = 1;
    rec.index = 1;
    rec.label = -1;
    /* an empty id is none, as the reader gives it */
    if (flags & 1)
        rec.id = id[0] ? id : NULL;
    else
        rec.author = id[0] ? id : NULL;
    rec.text = text;
    rec.text_len = text_len;
    struct chaff_verdict v;
    memset(&v, 0, sizeof v);
    v.label = CHAFF_MACHINE;
    v.p[CHAFF_HUMAN] = 0.125;
    v.p[CHAFF_LOW_EFFORT] = 0.125;
    v.p[CHAFF_MACHINE] = 0.75;
    v.action = CHAFF_HOLD;
    snprintf(v.reasons[0], sizeof v.reasons[0], "%s", reason);
    v.n_reasons = reason[0] ? 1 : 0;
    /* a verdict's reason is at most CHAFF_REASON_SIZE - 1 bytes */
    reason[strlen(v.reasons[0])] = '\0';

    struct chaff_diag d = {""};
    chaff_store *st = NULL;
    check_ok(chaff_store_open(":memory:", 1000, &st, &d), "open", &d);
    int64_t run = 0;
    check_ok(chaff_store_run_begin(st, source, id, &run, &d), "run_begin", &d);
    int dup = -1;
    check_ok(chaff_store_add(st, run, &rec, &v, &dup, &d), "add", &d);
    check(dup == 0, "a new comment is a duplicate");
    int64_t cid = chaff_store_last_comment(st);
    check_ok(chaff_store_add(st, run, &rec, &v, &dup, &d), "add again", &d);
    check(dup == 1 && chaff_store_last_comment(st) == cid, "the same record became another comment");
    struct expect e = {&rec, NULL, reason, NULL, NULL, 0};
    if (flags & 2) {
        check_ok(chaff_store_add_cluster(st, run, cid, cid, 3, 2, source, &d), "add_cluster", &d);
        e.first_reason = source;
    }
    check_ok(chaff_store_run_end(st, run, "done", 2, 2, 0, &d), "run_end", &d);
    check_ok(chaff_store_queue(st, 0, on_queue, &e, &d), "queue", &d);
    check(e.seen, "the comment is not in the review queue");
    if (flags & 4) {
        int64_t review = 0;
        e.reviewer = id;
        e.note = reason;
        check_ok(chaff_store_review(st, cid, CHAFF_LOW_EFFORT, id, reason, &review, &d), "review", &d);
        e.seen = 0;
        check_ok(chaff_store_reviewed(st, on_reviewed, &e, &d), "reviewed", &d);
        check(e.seen, "the reviewed comment is not exported");
    }
    chaff_store_close(st);
    free(source);
    free(id);
    free(reason);
    free(text);
    return 0;
}
