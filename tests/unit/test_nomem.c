/* test_nomem.c: allocation failure paths of the library.
 *
 * Every allocation libchaff makes is counted: its own malloc, calloc,
 * realloc, strdup and strndup through the linker's --wrap (libchaff.a is
 * linked into this test, so the wraps reach its objects), and jansson's,
 * SQLite's, libcsv's and zlib's through their allocator hooks. For
 * n = 1, 2, 3, ... the n-th allocation fails, until a run makes fewer than
 * n allocations. Each call must then give CHAFF_ENOMEM, or the very result
 * of a run without failures; it must never crash, abort or leak (ASan and
 * valgrind run this test in CI), and every object must work normally
 * afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "chaff.h"
#include "cluster.h"
#include "reader.h"
#include "store.h"

#ifndef CHAFF_SOURCE_DIR
#define CHAFF_SOURCE_DIR "."
#endif
#define MODEL_DIR CHAFF_SOURCE_DIR "/fixtures/bad-models/valid"

/* ---- the countdown ---- */

static long alloc_seen;   /* allocations since arm() */
static long fail_at;      /* the one that fails; 0: none */
static long fail_at_last; /* fail_at before disarm() */
static int injected;      /* it was reached */

static void arm(long n)
{
    alloc_seen = 0;
    injected = 0;
    fail_at = n;
}

/* Stops failing; whether the failure was injected. */
static int disarm(void)
{
    if (fail_at)
        fail_at_last = fail_at;
    fail_at = 0;
    return injected;
}

static int in_parse;  /* inside jansson's parser (see __wrap_json_loadb) */
static int parse_hit; /* the failing allocation came inside it */

static int fail_now(void)
{
    if (!fail_at || ++alloc_seen != fail_at)
        return 0;
    if (in_parse) {
        parse_hit = 1;
        return 0;
    }
    injected = 1;
    return 1;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    return fail_now() ? NULL : __real_strndup(s, n);
}

/* jansson's parser drops a byte of a token when its buffer cannot grow
 * (lex_save ignores strbuffer_append_byte's failure: akheron/jansson#362,
 * open upstream), and reports some failed allocations as syntax errors:
 * so the parse runs with no
 * failure, and when the failing allocation came inside it, the result is
 * what a parser that handles it would give, NULL with
 * json_error_out_of_memory. (libchaff's calls reach these through the
 * linker's --wrap too.) */
json_t *__real_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error);
json_t *__real_json_loads(const char *s, size_t flags, json_error_t *error);
json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error);
json_t *__wrap_json_loads(const char *s, size_t flags, json_error_t *error);

static json_t *parse_failed(json_t *j, json_error_t *error)
{
    if (!parse_hit)
        return j;
    injected = 1;
    json_decref(j);
    if (error) {
        memset(error, 0, sizeof *error);
        error->line = -1;
        error->column = -1;
        snprintf(error->text, sizeof error->text, "out of memory");
        error->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)json_error_out_of_memory;
    }
    return NULL;
}

json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error)
{
    in_parse = 1;
    parse_hit = 0;
    json_t *j = __real_json_loadb(buf, len, flags, error);
    in_parse = 0;
    return parse_failed(j, error);
}

json_t *__wrap_json_loads(const char *s, size_t flags, json_error_t *error)
{
    in_parse = 1;
    parse_hit = 0;
    json_t *j = __real_json_loads(s, flags, error);
    in_parse = 0;
    return parse_failed(j, error);
}

/* jansson's allocator */
static void *json_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

/* SQLite's allocator: its own, failing on the countdown */
static sqlite3_mem_methods sqlite_mem;

static void *sqlite_malloc(int n)
{
    return fail_now() ? NULL : sqlite_mem.xMalloc(n);
}

static void *sqlite_realloc(void *p, int n)
{
    return fail_now() ? NULL : sqlite_mem.xRealloc(p, n);
}

static int hooks_setup(void **state)
{
    (void)state;
    json_set_alloc_funcs(json_malloc, free);
    /* before SQLite's first use, as sqlite3_config requires */
    if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_mem) != SQLITE_OK)
        return -1;
    sqlite3_mem_methods m = sqlite_mem;
    m.xMalloc = sqlite_malloc;
    m.xRealloc = sqlite_realloc;
    return sqlite3_config(SQLITE_CONFIG_MALLOC, &m) == SQLITE_OK ? 0 : -1;
}

/* Problems found in the current test. Each is printed once for a run of
 * allocations that gives the same message ("allocations 3-45 failing:
 * ..."), and the test fails once every allocation has been tried, so that
 * one run lists them all. */
static int problems;
static char last_msg[1024];
static long last_first, last_n;

static void flush_problems(void)
{
    if (!last_msg[0])
        return;
    if (last_first == last_n)
        print_error("allocation %ld failing: %s\n", last_first, last_msg);
    else
        print_error("allocations %ld-%ld failing: %s\n", last_first, last_n, last_msg);
    last_msg[0] = '\0';
}

static void problem(long n, const char *fmt, ...) CMOCKA_PRINTF_ATTRIBUTE(2, 3);

static void problem(long n, const char *fmt, ...)
{
    char msg[sizeof last_msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    problems++;
    if (last_msg[0] && strcmp(msg, last_msg) == 0 && n > last_n) {
        last_n = n;
        return;
    }
    flush_problems();
    snprintf(last_msg, sizeof last_msg, "%s", msg);
    last_first = last_n = n;
}

/* Runs trial(n) for n = 1, 2, ... until it reports that no failure was
 * injected (a run with fewer than n allocations); returns the number of
 * allocations tried. CHAFF_NOMEM_STRIDE=k tries every k-th only (for
 * slow runs under valgrind). */
static long for_each_allocation(const char *what, int (*trial)(long n, void *ud), void *ud)
{
    const char *s = getenv("CHAFF_NOMEM_STRIDE");
    long stride = s && atol(s) > 0 ? atol(s) : 1;
    long n = 1;
    problems = 0;
    while (trial(n, ud))
        n += stride;
    flush_problems();
    print_message("%s: %ld allocations, each failed in turn\n", what, n - 1);
    if (problems)
        fail_msg("%s: %d problems", what, problems);
    return n - 1;
}

#define expect_enomem(err, n, what, diag)                                                                              \
    do {                                                                                                               \
        if ((err) != CHAFF_ENOMEM)                                                                                     \
            problem(n, "%s: %s (%s), expected %s", what, chaff_strerror(err), (diag) ? (diag) : "",                    \
                    chaff_strerror(CHAFF_ENOMEM));                                                                     \
    } while (0)

/* ---- comments and the verdicts of a run without failures ---- */

static char long_comment[24000];

static const char *comments[] = {
    "first!!",
    NULL, /* long_comment */
    "\xF0\x9F\x98\x82\xF0\x9F\x98\x82\xF0\x9F\x98\x82 so true \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D"
    "\xF0\x9F\x91\xA7 \xF0\x9F\x87\xAB\xF0\x9F\x87\xB7 \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",
    "\xD0\xAD\xD1\x82\xD0\xBE \xD0\xBF\xD1\x80\xD0\xBE\xD1\x81\xD1\x82\xD0\xBE \xD0\xB7\xD0\xB0\xD0\xBC\xD0\xB5\xD1\x87"
    "\xD0\xB0\xD1\x82\xD0\xB5\xD0\xBB\xD1\x8C\xD0\xBD\xD0\xB0\xD1\x8F "
    "\xD1\x81\xD1\x82\xD0\xB0\xD1\x82\xD1\x8C\xD1\x8F, "
    "\xE8\xBF\x99\xE7\xAF\x87\xE6\x96\x87\xE7\xAB\xA0\xE5\x86\x99\xE5\xBE\x97\xE5\xBE\x88\xE5\xA5\xBD "
    "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7",
    "MAKE $5000 A WEEK FROM HOME!!! Click here http://bit.ly/xyz and DM me on WhatsApp +1 555 123 4567 "
    "\xF0\x9F\x92\xB0\xF0\x9F\x92\xB0 check my profile, subscribe to my channel",
    "It's important to note that, in today's fast-paced world, delving into this multifaceted topic requires a "
    "nuanced understanding. Ultimately, it's not just about the facts \xE2\x80\x94 it's about the journey.",
    "",
    "bad \xFF\xFE bytes \xC0\xAF and a NUL",
};
#define NCOMMENTS (sizeof comments / sizeof *comments)
static size_t comment_len[NCOMMENTS];

static chaff_model *ref_model;
static struct chaff_verdict ref_verdict[NCOMMENTS];

static void make_long_comment(void)
{
    static const char *const words[] = {"the",     "council", "voted",    "again", "on",      "whether", "the",
                                        "library", "should",  "open",     "late",  "and",     "nobody",  "asked",
                                        "us",      "which",   "honestly", "is",    "typical", "of",      "them."};
    size_t n = 0, k = 0;
    while (n + 16 < sizeof long_comment) {
        n += (size_t)snprintf(long_comment + n, sizeof long_comment - n, "%s%s", words[k % 21],
                              k % 37 == 36 ? "\n\n" : " ");
        k += 1 + k % 3;
    }
}

static int verdicts_equal(const struct chaff_verdict *a, const struct chaff_verdict *b)
{
    if (a->label != b->label || a->action != b->action || a->n_reasons != b->n_reasons)
        return 0;
    for (int k = 0; k < CHAFF_NLABELS; k++) {
        if (a->p[k] != b->p[k])
            return 0;
    }
    for (int i = 0; i < a->n_reasons; i++) {
        if (strcmp(a->reasons[i], b->reasons[i]) != 0)
            return 0;
    }
    return 1;
}

/* Every comment scored by a new scorer of m must get its reference verdict. */
static void check_scores(const chaff_model *m, const char *what, long n)
{
    chaff_scorer *s = NULL;
    assert_int_equal(chaff_scorer_new(m, &s), CHAFF_OK);
    for (size_t i = 0; i < NCOMMENTS; i++) {
        struct chaff_verdict v;
        assert_int_equal(chaff_score(s, comments[i], comment_len[i], &v), CHAFF_OK);
        if (!verdicts_equal(&v, &ref_verdict[i]))
            problem(n, "%s: comment %zu scored differently afterwards", what, i);
    }
    chaff_scorer_free(s);
}

static int model_setup(void **state)
{
    (void)state;
    comments[1] = long_comment;
    make_long_comment();
    for (size_t i = 0; i < NCOMMENTS; i++)
        comment_len[i] = strlen(comments[i]);
    comment_len[NCOMMENTS - 1]++; /* the final NUL is part of the text */
    struct chaff_diag d = {""};
    if (chaff_model_load(MODEL_DIR, &ref_model, &d) != CHAFF_OK)
        return -1;
    chaff_scorer *s = NULL;
    if (chaff_scorer_new(ref_model, &s) != CHAFF_OK)
        return -1;
    int flagged = 0;
    for (size_t i = 0; i < NCOMMENTS; i++) {
        if (chaff_score(s, comments[i], comment_len[i], &ref_verdict[i]) != CHAFF_OK)
            return -1;
        flagged += ref_verdict[i].n_reasons > 0;
    }
    chaff_scorer_free(s);
    /* the reasons' code path must be among those tried */
    return flagged ? 0 : -1;
}

static int model_teardown(void **state)
{
    (void)state;
    chaff_model_free(ref_model);
    ref_model = NULL;
    return 0;
}

/* ---- the model, the scorer and scoring ---- */

static int trial_model_load(long n, void *ud)
{
    (void)ud;
    chaff_model *m = NULL;
    struct chaff_diag d = {""};
    arm(n);
    chaff_err err = chaff_model_load(MODEL_DIR, &m, &d);
    int inj = disarm();
    if (err == CHAFF_OK) {
        assert_non_null(m);
        check_scores(m, "chaff_model_load", n); /* a failure it absorbed changed nothing */
    } else {
        expect_enomem(err, n, "chaff_model_load", d.msg);
        assert_null(m);
    }
    chaff_model_free(m);
    return inj;
}

static void model_load_should_give_enomem_for_every_failed_allocation(void **state)
{
    (void)state;
    assert_true(for_each_allocation("chaff_model_load", trial_model_load, NULL) > 0);
}

static int trial_scorer_new(long n, void *ud)
{
    (void)ud;
    chaff_scorer *s = (chaff_scorer *)&s; /* must be set, to NULL on failure */
    arm(n);
    chaff_err err = chaff_scorer_new(ref_model, &s);
    int inj = disarm();
    if (err == CHAFF_OK) {
        struct chaff_verdict v;
        assert_int_equal(chaff_score(s, comments[0], comment_len[0], &v), CHAFF_OK);
        assert_true(verdicts_equal(&v, &ref_verdict[0]));
    } else {
        expect_enomem(err, n, "chaff_scorer_new", "");
        assert_null(s);
    }
    chaff_scorer_free(s);
    return inj;
}

static void scorer_new_should_give_enomem_for_every_failed_allocation(void **state)
{
    (void)state;
    assert_true(for_each_allocation("chaff_scorer_new", trial_scorer_new, NULL) > 0);
}

/* A new scorer scores every comment in turn (its buffers grow on the way)
 * with one allocation failing; then every comment again. */
static int trial_score(long n, void *ud)
{
    (void)ud;
    chaff_scorer *s = NULL;
    assert_int_equal(chaff_scorer_new(ref_model, &s), CHAFF_OK);
    chaff_err err[NCOMMENTS];
    struct chaff_verdict v[NCOMMENTS];
    arm(n);
    for (size_t i = 0; i < NCOMMENTS; i++)
        err[i] = chaff_score(s, comments[i], comment_len[i], &v[i]);
    int inj = disarm();
    for (size_t i = 0; i < NCOMMENTS; i++) {
        if (err[i] != CHAFF_OK)
            expect_enomem(err[i], n, "chaff_score", "");
        else if (!verdicts_equal(&v[i], &ref_verdict[i]))
            problem(n, "chaff_score: comment %zu got another verdict", i);
    }
    for (size_t i = 0; i < NCOMMENTS; i++) {
        struct chaff_verdict again;
        assert_int_equal(chaff_score(s, comments[i], comment_len[i], &again), CHAFF_OK);
        if (!verdicts_equal(&again, &ref_verdict[i]))
            problem(n, "chaff_score: comment %zu scored differently afterwards", i);
    }
    chaff_scorer_free(s);
    return inj;
}

static void score_should_give_enomem_for_every_failed_allocation(void **state)
{
    (void)state;
    assert_true(for_each_allocation("chaff_score", trial_score, NULL) > 0);
}

/* ---- the reader ---- */

/* What a reader gave, as text, in a fixed buffer (no allocation while
 * armed). */
struct transcript {
    char s[16384];
    size_t len;
};

static void tr_add(struct transcript *t, const char *s, size_t n)
{
    assert_true(t->len + n + 1 < sizeof t->s);
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void tr_field(struct transcript *t, const char *name, const char *s, size_t n)
{
    char head[64];
    int k = snprintf(head, sizeof head, " %s[%zu]=", name, s ? n : 0);
    tr_add(t, head, (size_t)k);
    if (s)
        tr_add(t, s, n);
    else
        tr_add(t, "<none>", 6);
}

static void tr_record(struct transcript *t, const struct chaff_record *r)
{
    char head[64];
    int k = snprintf(head, sizeof head, "\n#%lu line %lu label %d", r->index, r->line, r->label);
    tr_add(t, head, (size_t)k);
    tr_field(t, "id", r->id, r->id ? strlen(r->id) : 0);
    tr_field(t, "author", r->author, r->author ? strlen(r->author) : 0);
    tr_field(t, "created_at", r->created_at, r->created_at ? strlen(r->created_at) : 0);
    tr_field(t, "text", r->text, r->text_len);
}

/* The first line where got and want differ, both ways, for a message. */
static const char *tr_diff(const struct transcript *got, const struct transcript *want)
{
    static char msg[1024];
    size_t i = 0;
    while (i < got->len && i < want->len && got->s[i] == want->s[i])
        i++;
    while (i > 0 && got->s[i - 1] != '\n')
        i--;
    int a = (int)strcspn(got->s + i, "\n"), b = (int)strcspn(want->s + i, "\n");
    snprintf(msg, sizeof msg, "read \"%.*s\" where a run without failures read \"%.*s\"", a, got->s + i, b,
             want->s + i);
    return msg;
}

/* Reads path to its end into t; the first error (other than a bad record,
 * which is written down and passed) is returned. */
static chaff_err read_all(const char *path, struct transcript *t, struct chaff_diag *d)
{
    struct chaff_reader_opts o = {0};
    chaff_reader *r = NULL;
    t->len = 0;
    chaff_err err = chaff_reader_open(path, &o, &r, d);
    if (err)
        return err;
    for (;;) {
        const struct chaff_record *rec = NULL;
        err = chaff_reader_next(r, &rec, d);
        if (err == CHAFF_EBADREC || err == CHAFF_ETOOBIG) {
            char line[64];
            int k = snprintf(line, sizeof line, "\nbad record at line %lu", chaff_reader_record_line(r));
            tr_add(t, line, (size_t)k);
            continue;
        }
        if (err || !rec)
            break;
        tr_record(t, rec);
    }
    if (err) {
        /* out of memory ends the input */
        static const struct chaff_record unset;
        const struct chaff_record *rec = &unset;
        disarm();
        if (chaff_reader_next(r, &rec, NULL) != CHAFF_OK || rec)
            problem(fail_at_last, "%s: the reader goes on after %s", path, chaff_strerror(err));
    }
    chaff_reader_close(r);
    return err;
}

struct reader_case {
    char path[256];
    struct transcript ref;
};

static int trial_reader(long n, void *ud)
{
    struct reader_case *c = ud;
    static struct transcript t;
    struct chaff_diag d = {""};
    arm(n);
    chaff_err err = read_all(c->path, &t, &d);
    int inj = disarm();
    if (err) {
        expect_enomem(err, n, c->path, d.msg);
        /* what came before the failure came right */
        if (t.len > c->ref.len || memcmp(t.s, c->ref.s, t.len) != 0)
            problem(n, "%s: %s", c->path, tr_diff(&t, &c->ref));
    } else if (t.len != c->ref.len || memcmp(t.s, c->ref.s, t.len) != 0) {
        problem(n, "%s: %s", c->path, tr_diff(&t, &c->ref));
    }
    return inj;
}

static void write_file(const char *path, const char *s, size_t n, int gz)
{
    if (gz) {
        gzFile g = gzopen(path, "wb");
        assert_non_null(g);
        assert_int_equal(gzwrite(g, s, (unsigned)n), (int)n);
        assert_int_equal(gzclose(g), Z_OK);
        return;
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(s, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Scratch files go to a tmpfs where there is one (the store's thousands of
 * runs are spared their fsyncs), never into the working directory, where an
 * interrupted run would leave them. */
static const char *scratch_dir(void)
{
    return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

static void check_reader(const char *name, const char *content, int gz)
{
    static struct reader_case c;
    snprintf(c.path, sizeof c.path, "%s/chaff-nomem-%d-%s", scratch_dir(), (int)getpid(), name);
    write_file(c.path, content, strlen(content), gz);
    struct chaff_diag d = {""};
    assert_int_equal(read_all(c.path, &c.ref, &d), CHAFF_OK);
    assert_true(c.ref.len > 0);
    for_each_allocation(name, trial_reader, &c);
    unlink(c.path);
}

static const char jsonl[] =
    "{\"id\":\"c1\",\"author\":\"ana\",\"created_at\":\"2024-01-02\",\"text\":\"first!!\",\"label\":\"low-effort\"}\n"
    "{\"id\":2,\"text\":\"a NUL \\u0000 inside, and \\\"quotes\\\" \xF0\x9F\x98\x82\"}\n"
    "not json at all\n"
    "\n"
    "{\"id\":\"c\\u00003\",\"author\":\"bo\xFF\",\"text\":\"bad byte \xC0 here\"}\n";

static void reader_should_give_enomem_for_every_failed_allocation_jsonl(void **state)
{
    (void)state;
    check_reader("in.jsonl", jsonl, 0);
}

static void reader_should_give_enomem_for_every_failed_allocation_gzip(void **state)
{
    (void)state;
    check_reader("in.jsonl.gz", jsonl, 1);
}

static void reader_should_give_enomem_for_every_failed_allocation_csv(void **state)
{
    (void)state;
    check_reader("in.csv",
                 "id,author,date,text,label\n"
                 "1,ana,2024-01-02,\"a quoted, field\nover two lines\",human\n"
                 "2,bo,,plain text here,machine\n"
                 "3,,,\"\"\"quoted\"\" words\",low-effort\n"
                 "4,cy\n"
                 "5,di,,\"the last one\",human\n",
                 0);
}

static void reader_should_give_enomem_for_every_failed_allocation_tsv(void **state)
{
    (void)state;
    check_reader("in.tsv",
                 "id\tuser\ttext\n"
                 "7\tana\tnice post\n"
                 "8\tbo\tanother one, with\ttabs\n",
                 0);
}

static void reader_should_give_enomem_for_every_failed_allocation_sniffed(void **state)
{
    (void)state;
    /* no extension: the format is sniffed from the first line */
    check_reader("sniffed", "text,id\n\"hello there\",1\n", 0);
}

/* ---- the store ---- */

struct store_case {
    char db[64];
};

static void remove_db(const char *db)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[96];
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        snprintf(p, sizeof p, "%s%s", db, suffixes[i]);
        unlink(p);
    }
}

static struct chaff_record record(const char *id, const char *text, const char *author)
{
    struct chaff_record r;
    memset(&r, 0, sizeof r);
    r.source = "in.jsonl";
    r.line = 1;
    r.index = 1;
    r.label = -1;
    r.id = id;
    r.author = author;
    r.text = text;
    r.text_len = strlen(text);
    return r;
}

struct run_seen {
    int runs, done;
    long scored;
};

static int on_run(const struct chaff_run_stats *s, void *ud)
{
    struct run_seen *rs = ud;
    rs->runs++;
    if (strcmp(s->status, "done") == 0) {
        rs->done++;
        rs->scored = s->per_label[0] + s->per_label[1] + s->per_label[2];
    }
    return 0;
}

static int count_item(const struct chaff_queue_item *it, void *ud)
{
    (void)it;
    (*(int *)ud)++;
    return 0;
}

/* A run as chaff score makes it: open, begin, three comments (one twice),
 * a cluster, a checkpoint, the end, close. The first error stops it. */
static int trial_store(long n, void *ud)
{
    struct store_case *c = ud;
    remove_db(c->db);
    struct chaff_record r[4] = {
        record("c1", "buy followers now at example dot com", "ana"),
        record(NULL, "a comment with 'quotes' and \"more\"", NULL),
        record("c1", "buy followers now at example dot com", "ana"),
        record("c3", "ok", "bo"),
    };
    struct chaff_verdict v;
    memset(&v, 0, sizeof v);
    v.label = CHAFF_LOW_EFFORT;
    v.p[CHAFF_HUMAN] = 0.25;
    v.p[CHAFF_LOW_EFFORT] = 0.75;
    v.action = CHAFF_HOLD;
    v.n_reasons = 2;
    snprintf(v.reasons[0], sizeof v.reasons[0], "1 link");
    snprintf(v.reasons[1], sizeof v.reasons[1], "generic praise or bait ('first')");
    struct chaff_diag d = {""};
    chaff_store *st = NULL;
    int64_t run = 0;
    int dup = 0;
    const char *step = "chaff_store_open";
    arm(n);
    chaff_err err = chaff_store_open(c->db, 1000, &st, &d);
    if (!err) {
        step = "chaff_store_run_begin";
        err = chaff_store_run_begin(st, "model", "[\"in.jsonl\"]", &run, &d);
    }
    for (int i = 0; i < 4 && !err; i++) {
        step = "chaff_store_add";
        err = chaff_store_add(st, run, &r[i], &v, &dup, &d);
    }
    if (!err) {
        step = "chaff_store_add_cluster";
        err = chaff_store_add_cluster(st, run, 1, 1, 3, 2, "same text as 2 other comments by 2 authors", &d);
    }
    if (!err) {
        step = "chaff_store_checkpoint";
        err = chaff_store_checkpoint(st, run, 4, 4, 0, &d);
    }
    if (!err) {
        step = "chaff_store_run_end";
        err = chaff_store_run_end(st, run, "done", 4, 4, 0, &d);
    }
    chaff_store_close(st);
    int inj = disarm();
    if (err)
        expect_enomem(err, n, step, d.msg);
    /* the database opens, and a run that says it is done is complete */
    st = NULL;
    err = chaff_store_open(c->db, 1000, &st, &d);
    if (err)
        fail_msg("with allocation %ld failing in %s: the database does not open: %s", n, step, d.msg);
    struct run_seen rs = {0, 0, 0};
    assert_int_equal(chaff_store_stats(st, on_run, &rs, &d), CHAFF_OK);
    int queued = 0;
    assert_int_equal(chaff_store_queue(st, 0, count_item, &queued, &d), CHAFF_OK);
    if (rs.done && (rs.scored != 3 || queued != 3))
        problem(n, "%s: a run marked done holds %ld scores, %d queued (expected 3)", step, rs.scored, queued);
    if (!inj && !rs.done)
        fail_msg("the run without failures did not finish");
    chaff_store_close(st);
    remove_db(c->db);
    return inj;
}

static void store_should_give_enomem_for_every_failed_allocation(void **state)
{
    (void)state;
    struct store_case c;
    snprintf(c.db, sizeof c.db, "%s/chaff-nomem-%d.db", scratch_dir(), (int)getpid());
    for_each_allocation("the store", trial_store, &c);
}

/* ---- near-duplicate clusters ---- */

static const char *const near_dups[] = {
    "win a free iphone today just click the link in my bio",
    "win a free iphone today just click the link in my profile",
    "the bus was late again this morning and nobody told us why",
    "win a free iphone now just click the link in my bio",
};
#define NDUPS (sizeof near_dups / sizeof *near_dups)

struct members {
    char s[512];
    size_t len;
};

static int on_member(const struct chaff_cluster_member *m, void *ud)
{
    struct members *ms = ud;
    ms->len += (size_t)snprintf(ms->s + ms->len, sizeof ms->s - ms->len, "%lld:%lld:%zu:%zu ", (long long)m->id,
                                (long long)m->cluster, m->size, m->authors);
    return 0;
}

static chaff_err add_dup(chaff_clusterer *cl, size_t i)
{
    return chaff_clusterer_add(cl, (int64_t)i + 1, near_dups[i], strlen(near_dups[i]), i % 2 ? "ana" : "bo");
}

static int trial_clusters(long n, void *ud)
{
    const struct members *ref = ud;
    chaff_clusterer *cl = NULL;
    chaff_err err[NDUPS] = {CHAFF_OK}, again[NDUPS] = {CHAFF_OK};
    struct members got = {"", 0};
    int rc = 0;
    arm(n);
    chaff_err e = chaff_clusterer_new(&cl);
    for (size_t i = 0; i < NDUPS && !e; i++) {
        err[i] = add_dup(cl, i);
        /* a comment whose adding failed is added again (the one failure
         * is past), and then counts as if nothing had failed */
        if (err[i])
            again[i] = add_dup(cl, i);
    }
    if (!e)
        rc = chaff_clusterer_each(cl, on_member, &got);
    int inj = disarm();
    if (e) {
        expect_enomem(e, n, "chaff_clusterer_new", "");
        assert_null(cl);
        return inj;
    }
    for (size_t i = 0; i < NDUPS; i++) {
        if (err[i])
            expect_enomem(err[i], n, "chaff_clusterer_add", "");
        if (again[i])
            problem(n, "chaff_clusterer_add: adding again gave %s", chaff_strerror(again[i]));
    }
    if (rc) { /* each() failed: it works afterwards */
        got.len = 0;
        got.s[0] = '\0';
        assert_int_equal(chaff_clusterer_each(cl, on_member, &got), 0);
    }
    if (strcmp(got.s, ref->s) != 0)
        problem(n, "clusters %s, expected %s", got.s, ref->s);
    chaff_clusterer_free(cl);
    return inj;
}

static void clusterer_should_give_enomem_for_every_failed_allocation(void **state)
{
    (void)state;
    struct members ref = {"", 0};
    chaff_clusterer *cl = NULL;
    assert_int_equal(chaff_clusterer_new(&cl), CHAFF_OK);
    for (size_t i = 0; i < NDUPS; i++)
        assert_int_equal(
            chaff_clusterer_add(cl, (int64_t)i + 1, near_dups[i], strlen(near_dups[i]), i % 2 ? "ana" : "bo"),
            CHAFF_OK);
    assert_int_equal(chaff_clusterer_each(cl, on_member, &ref), 0);
    chaff_clusterer_free(cl);
    assert_true(ref.len > 0);
    for_each_allocation("clusters", trial_clusters, &ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_load_should_give_enomem_for_every_failed_allocation),
        cmocka_unit_test(scorer_new_should_give_enomem_for_every_failed_allocation),
        cmocka_unit_test(score_should_give_enomem_for_every_failed_allocation),
        cmocka_unit_test(reader_should_give_enomem_for_every_failed_allocation_jsonl),
        cmocka_unit_test(reader_should_give_enomem_for_every_failed_allocation_gzip),
        cmocka_unit_test(reader_should_give_enomem_for_every_failed_allocation_csv),
        cmocka_unit_test(reader_should_give_enomem_for_every_failed_allocation_tsv),
        cmocka_unit_test(reader_should_give_enomem_for_every_failed_allocation_sniffed),
        cmocka_unit_test(store_should_give_enomem_for_every_failed_allocation),
        cmocka_unit_test(clusterer_should_give_enomem_for_every_failed_allocation),
    };
    if (hooks_setup(NULL) != 0)
        return 1;
    int rc = cmocka_run_group_tests(tests, model_setup, model_teardown);
    return rc;
}
