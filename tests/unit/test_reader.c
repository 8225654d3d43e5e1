/* test_reader.c: the reader on every input format, on malformed records
 * and on hostile files. Small inputs live in fixtures/formats/ and
 * fixtures/bad-input/; large or gzip inputs are written at test time into
 * the working directory (the build's tests dir) and removed afterwards. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "reader.h"

#define FORMATS CHAFF_SOURCE_DIR "/fixtures/formats/"
#define BAD CHAFF_SOURCE_DIR "/fixtures/bad-input/"

#define MIB (1024 * 1024)
#define NOLABEL (-1)

#if defined(__GNUC__)
#define TEST_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TEST_PRINTF(a, b)
#endif

/* What a record should hold. label must always be given (NOLABEL for
 * none); text is compared over text_len bytes. */
struct want {
    unsigned long line;
    unsigned long index;
    const char *id;
    const char *author;
    const char *created_at;
    int label;
    const char *label_raw;
    const char *text;
    size_t text_len;
    size_t n_replaced;
};

/* ---- helpers ---- */

static chaff_reader *open_ok(const char *path, const struct chaff_reader_opts *opts)
{
    chaff_reader *r = NULL;
    struct chaff_diag d = {{0}};
    chaff_err err = chaff_reader_open(path, opts, &r, &d);
    if (err)
        print_error("open %s: %s\n", path, d.msg);
    assert_int_equal(err, CHAFF_OK);
    assert_non_null(r);
    return r;
}

static const struct chaff_record *next_rec(chaff_reader *r)
{
    const struct chaff_record *rec = NULL;
    struct chaff_diag d = {{0}};
    chaff_err err = chaff_reader_next(r, &rec, &d);
    if (err)
        print_error("unexpected error %d: %s\n", (int)err, d.msg);
    assert_int_equal(err, CHAFF_OK);
    assert_non_null(rec);
    return rec;
}

/* The input is over: OK with no record, and it stays over. */
static void expect_end(chaff_reader *r)
{
    for (int i = 0; i < 2; i++) {
        const struct chaff_record *rec = (const struct chaff_record *)&rec;
        struct chaff_diag d = {{0}};
        chaff_err err = chaff_reader_next(r, &rec, &d);
        if (err)
            print_error("unexpected error %d: %s\n", (int)err, d.msg);
        assert_int_equal(err, CHAFF_OK);
        assert_null(rec);
    }
}

/* The next call fails with want and the diag line printf(fmt, ...). */
TEST_PRINTF(3, 4)
static void expect_fail(chaff_reader *r, chaff_err want, const char *fmt, ...)
{
    char msg[CHAFF_DIAG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const struct chaff_record *rec = (const struct chaff_record *)&rec;
    struct chaff_diag d = {{0}};
    chaff_err err = chaff_reader_next(r, &rec, &d);
    assert_int_equal(err, want);
    assert_null(rec);
    assert_string_equal(d.msg, msg);
}

static void assert_opt_str(const char *got, const char *want)
{
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
}

static void check_rec(const struct chaff_record *rec, const char *source, const struct want *w)
{
    assert_string_equal(rec->source, source);
    assert_int_equal(rec->line, w->line);
    assert_int_equal(rec->index, w->index);
    assert_opt_str(rec->id, w->id);
    assert_opt_str(rec->author, w->author);
    assert_opt_str(rec->created_at, w->created_at);
    assert_int_equal(rec->label, w->label);
    assert_opt_str(rec->label_raw, w->label_raw);
    size_t len = w->text_len ? w->text_len : strlen(w->text);
    assert_int_equal(rec->text_len, len);
    assert_memory_equal(rec->text, w->text, len);
    assert_int_equal(rec->text[len], '\0');
    assert_int_equal(rec->n_replaced, w->n_replaced);
}

static void write_file(const char *name, const void *data, size_t len)
{
    FILE *f = fopen(name, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Writes prefix, then n copies of byte c, then suffix. */
static void write_filled(const char *name, const char *prefix, int c, size_t n, const char *suffix)
{
    static char block[65536];
    memset(block, c, sizeof block);
    FILE *f = fopen(name, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(prefix, f) >= 0, 1);
    while (n) {
        size_t k = n < sizeof block ? n : sizeof block;
        assert_int_equal(fwrite(block, 1, k, f), k);
        n -= k;
    }
    assert_int_equal(fputs(suffix, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* gzip-compresses a then b as one member into out; *cut is the size of
 * the output after a alone, sync-flushed so that a decodes from it. */
static size_t gzip_two_parts(const char *a, const char *b, unsigned char *out, size_t cap, size_t *cut)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    z.next_in = (Bytef *)(uintptr_t)a;
    z.avail_in = (uInt)strlen(a);
    assert_int_equal(deflate(&z, Z_SYNC_FLUSH), Z_OK);
    assert_int_equal(z.avail_in, 0);
    *cut = (size_t)z.total_out;
    z.next_in = (Bytef *)(uintptr_t)b;
    z.avail_in = (uInt)strlen(b);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t total = (size_t)z.total_out;
    deflateEnd(&z);
    return total;
}

/* ---- JSONL ---- */

static void jsonl_should_read_every_field_and_skip_blank_lines(void **state)
{
    (void)state;
    const char *path = FORMATS "comments.jsonl";
    chaff_reader *r = open_ok(path, NULL);
    assert_int_equal(chaff_reader_format(r), CHAFF_FMT_JSONL);
    check_rec(next_rec(r), path,
              &(struct want){.line = 1,
                             .index = 1,
                             .id = "c-101",
                             .author = "marit",
                             .created_at = "2024-03-02T10:15:00Z",
                             .label = CHAFF_HUMAN,
                             .label_raw = "human",
                             .text = "Loved the bit about the lighthouse keeper."});
    /* an integer id is given as its decimal digits */
    check_rec(next_rec(r), path,
              &(struct want){.line = 2,
                             .index = 2,
                             .id = "102",
                             .label = CHAFF_LOW_EFFORT,
                             .label_raw = "low-effort",
                             .text = "first!!!"});
    /* line 3 is empty; "author":null is no author */
    check_rec(next_rec(r), path,
              &(struct want){.line = 4,
                             .index = 3,
                             .id = "c-103",
                             .label = CHAFF_MACHINE,
                             .label_raw = "machine",
                             .text = "As an avid reader, I found this piece insightful and thought-provoking."});
    /* line 5 is spaces and a tab only */
    check_rec(next_rec(r), path, &(struct want){.line = 6, .index = 4, .label = NOLABEL, .text = "no id here"});
    assert_int_equal(chaff_reader_record_line(r), 6);
    expect_end(r);
    chaff_reader_close(r);
}

static void jsonl_should_take_text_and_id_from_the_named_fields(void **state)
{
    (void)state;
    const char *path = FORMATS "custom-fields.jsonl";
    struct chaff_reader_opts o = {.format = CHAFF_FMT_AUTO, .text_field = "body", .id_field = "comment_id"};
    chaff_reader *r = open_ok(path, &o);
    /* "text" and "id" are present too but not the named ones */
    check_rec(next_rec(r), path,
              &(struct want){.line = 1, .index = 1, .id = "k1", .label = NOLABEL, .text = "the body text"});
    check_rec(next_rec(r), path,
              &(struct want){.line = 2, .index = 2, .id = "7", .label = NOLABEL, .text = "second body"});
    expect_fail(r, CHAFF_EBADREC, "%s:3: no \"body\" field", path);
    expect_end(r);
    chaff_reader_close(r);
}

static void jsonl_should_report_invalid_json_and_read_the_next_line(void **state)
{
    (void)state;
    const char *path = BAD "invalid-json.jsonl";
    chaff_reader *r = open_ok(path, NULL);
    check_rec(next_rec(r), path, &(struct want){.line = 1, .index = 1, .id = "a", .label = NOLABEL, .text = "before"});
    /* the reasons after "invalid JSON: " are jansson's own words */
    expect_fail(r, CHAFF_EBADREC, "%s:2: invalid JSON: premature end of input near '\"unterminated'", path);
    assert_int_equal(chaff_reader_record_line(r), 2);
    check_rec(next_rec(r), path, &(struct want){.line = 3, .index = 2, .id = "c", .label = NOLABEL, .text = "after"});
    expect_fail(r, CHAFF_EBADREC, "%s:4: invalid JSON: '}' expected near '\"text\"'", path);
    expect_fail(r, CHAFF_EBADREC, "%s:5: invalid JSON: end of file expected near 'junk'", path);
    /* index counts good records only: a, c, e */
    check_rec(next_rec(r), path, &(struct want){.line = 6, .index = 3, .id = "e", .label = NOLABEL, .text = "last"});
    expect_end(r);
    chaff_reader_close(r);
}

static void jsonl_should_report_a_line_that_is_not_an_object(void **state)
{
    (void)state;
    const char *path = BAD "non-object.jsonl";
    chaff_reader *r = open_ok(path, NULL);
    expect_fail(r, CHAFF_EBADREC, "%s:1: expected a JSON object, got an array", path);
    expect_fail(r, CHAFF_EBADREC, "%s:2: expected a JSON object, got a string", path);
    expect_fail(r, CHAFF_EBADREC, "%s:3: expected a JSON object, got a number", path);
    check_rec(next_rec(r), path, &(struct want){.line = 4, .index = 1, .label = NOLABEL, .text = "an object at last"});
    expect_end(r);
    chaff_reader_close(r);
}

static void jsonl_should_report_a_text_field_that_is_missing_or_not_a_string(void **state)
{
    (void)state;
    const char *path = BAD "text-field.jsonl";
    chaff_reader *r = open_ok(path, NULL);
    expect_fail(r, CHAFF_EBADREC, "%s:1: no \"text\" field", path);
    expect_fail(r, CHAFF_EBADREC, "%s:2: field \"text\" is a number, not a string", path);
    expect_fail(r, CHAFF_EBADREC, "%s:3: field \"text\" is null, not a string", path);
    expect_fail(r, CHAFF_EBADREC, "%s:4: field \"text\" is an array, not a string", path);
    check_rec(next_rec(r), path, &(struct want){.line = 5, .index = 1, .id = "q", .label = NOLABEL, .text = "fine"});
    expect_end(r);
    chaff_reader_close(r);
}

static void jsonl_should_report_an_unknown_label_and_ignore_a_non_string_one(void **state)
{
    (void)state;
    const char *path = BAD "label.jsonl";
    chaff_reader *r = open_ok(path, NULL);
    /* labels match exactly: "Human" is not "human" */
    expect_fail(r, CHAFF_EBADREC, "%s:1: unknown label 'Human' (expected human, low-effort or machine)", path);
    check_rec(next_rec(r), path, &(struct want){.line = 2, .index = 1, .label = NOLABEL, .text = "b"});
    check_rec(next_rec(r), path,
              &(struct want){.line = 3, .index = 2, .label = CHAFF_MACHINE, .label_raw = "machine", .text = "c"});
    expect_end(r);
    chaff_reader_close(r);
}

static void jsonl_should_keep_an_escaped_nul_in_the_text(void **state)
{
    (void)state;
    const char *path = BAD "nul-escape.jsonl";
    chaff_reader *r = open_ok(path, NULL);
    const struct chaff_record *rec = next_rec(r);
    /* "ab\u0000cd": a, b, NUL, c, d = 5 bytes */
    check_rec(rec, path, &(struct want){.line = 1, .index = 1, .label = NOLABEL, .text = "ab\0cd", .text_len = 5});
    assert_int_equal(strlen(rec->text), 2);
    expect_end(r);
    chaff_reader_close(r);
}

static void jsonl_should_replace_invalid_utf8_bytes_and_count_them(void **state)
{
    (void)state;
    const char *path = BAD "invalid-utf8.jsonl";
    chaff_reader *r = open_ok(path, NULL);
    /* "caf" E9 " ok": E9 starts a 3-byte sequence but a space follows, so
     * it becomes U+FFFD (EF BF BD): 3 + 3 + 3 = 9 bytes, 1 replaced */
    check_rec(next_rec(r), path,
              &(struct want){.line = 1,
                             .index = 1,
                             .id = "u1",
                             .label = NOLABEL,
                             .text = "caf\xEF\xBF\xBD ok",
                             .text_len = 9,
                             .n_replaced = 1});
    /* FF FE: two bytes that never occur in UTF-8: 2 x 3 = 6 bytes */
    check_rec(next_rec(r), path,
              &(struct want){.line = 2,
                             .index = 2,
                             .label = NOLABEL,
                             .text = "\xEF\xBF\xBD\xEF\xBF\xBD",
                             .text_len = 6,
                             .n_replaced = 2});
    /* overlong C0 AF in the text (2 bytes: 1 + 3 + 3 + 1 = 8) and FF in the
     * author: n_replaced counts the whole record, 2 + 1 = 3 */
    check_rec(next_rec(r), path,
              &(struct want){.line = 3,
                             .index = 3,
                             .author = "\xEF\xBF\xBD",
                             .label = NOLABEL,
                             .text = "x\xEF\xBF\xBD\xEF\xBF\xBDy",
                             .text_len = 8,
                             .n_replaced = 3});
    /* the count is per record, not carried over */
    check_rec(next_rec(r), path, &(struct want){.line = 4, .index = 4, .label = NOLABEL, .text = "clean"});
    expect_end(r);
    chaff_reader_close(r);
}

static void jsonl_should_strip_a_bom_from_the_first_line(void **state)
{
    (void)state;
    const char *path = BAD "bom.jsonl";
    chaff_reader *r = open_ok(path, NULL);
    check_rec(next_rec(r), path, &(struct want){.line = 1, .index = 1, .label = NOLABEL, .text = "after a bom"});
    check_rec(next_rec(r), path, &(struct want){.line = 2, .index = 2, .label = NOLABEL, .text = "second"});
    expect_end(r);
    chaff_reader_close(r);
}

static void jsonl_should_accept_crlf_line_ends(void **state)
{
    (void)state;
    const char *path = BAD "crlf.jsonl";
    chaff_reader *r = open_ok(path, NULL);
    check_rec(next_rec(r), path, &(struct want){.line = 1, .index = 1, .label = NOLABEL, .text = "one"});
    /* line 2 is an empty CRLF line */
    check_rec(next_rec(r), path, &(struct want){.line = 3, .index = 2, .label = NOLABEL, .text = "two"});
    expect_end(r);
    chaff_reader_close(r);
}

static void jsonl_should_accept_lone_cr_line_ends(void **state)
{
    (void)state;
    const char *path = BAD "cr.jsonl";
    chaff_reader *r = open_ok(path, NULL);
    check_rec(next_rec(r), path, &(struct want){.line = 1, .index = 1, .label = NOLABEL, .text = "one"});
    check_rec(next_rec(r), path, &(struct want){.line = 2, .index = 2, .label = NOLABEL, .text = "two"});
    /* CR CR leaves an empty line 3; the last line has no terminator */
    check_rec(next_rec(r), path, &(struct want){.line = 4, .index = 3, .label = NOLABEL, .text = "three"});
    expect_end(r);
    chaff_reader_close(r);
}

static void jsonl_should_report_a_record_over_max_bytes_and_read_the_next(void **state)
{
    (void)state;
    const char *path = BAD "toobig.jsonl";
    /* line 2 is {"text":" (9) + 100 digits + "} (2) = 111 bytes */
    struct chaff_reader_opts o = {.format = CHAFF_FMT_AUTO, .max_bytes = 64};
    chaff_reader *r = open_ok(path, &o);
    check_rec(next_rec(r), path, &(struct want){.line = 1, .index = 1, .label = NOLABEL, .text = "short"});
    expect_fail(r, CHAFF_ETOOBIG, "%s:2: record of 111 bytes is over --max-bytes 64; skipped", path);
    assert_int_equal(chaff_reader_record_line(r), 2);
    check_rec(next_rec(r), path, &(struct want){.line = 3, .index = 2, .label = NOLABEL, .text = "after"});
    expect_end(r);
    chaff_reader_close(r);
}

static void jsonl_should_accept_a_record_of_exactly_max_bytes(void **state)
{
    (void)state;
    const char *path = BAD "toobig.jsonl";
    /* {"text":"short"} and {"text":"after"} are 9 + 5 + 2 = 16 bytes */
    struct chaff_reader_opts o = {.format = CHAFF_FMT_AUTO, .max_bytes = 16};
    chaff_reader *r = open_ok(path, &o);
    check_rec(next_rec(r), path, &(struct want){.line = 1, .index = 1, .label = NOLABEL, .text = "short"});
    expect_fail(r, CHAFF_ETOOBIG, "%s:2: record of 111 bytes is over --max-bytes 16; skipped", path);
    check_rec(next_rec(r), path, &(struct want){.line = 3, .index = 2, .label = NOLABEL, .text = "after"});
    expect_end(r);
    chaff_reader_close(r);
}

/* ---- CSV ---- */

static void csv_should_keep_the_start_line_of_a_multi_line_quoted_row(void **state)
{
    (void)state;
    const char *path = FORMATS "comments.csv";
    chaff_reader *r = open_ok(path, NULL);
    assert_int_equal(chaff_reader_format(r), CHAFF_FMT_CSV);
    check_rec(next_rec(r), path,
              &(struct want){.line = 2,
                             .index = 1,
                             .id = "1",
                             .author = "ana",
                             .created_at = "2024-01-05",
                             .label = CHAFF_HUMAN,
                             .label_raw = "human",
                             .text = "Plain first row"});
    /* the row runs over lines 3, 4 and 5; "" is one quote */
    check_rec(next_rec(r), path,
              &(struct want){.line = 3,
                             .index = 2,
                             .id = "2",
                             .author = "bo",
                             .created_at = "2024-01-06",
                             .label = CHAFF_MACHINE,
                             .label_raw = "machine",
                             .text = "A quoted field\nthat spans\nthree lines, with \"quotes\" inside"});
    /* line 6 is empty; an empty date is no date */
    check_rec(next_rec(r), path,
              &(struct want){.line = 7,
                             .index = 3,
                             .id = "3",
                             .author = "cy",
                             .label = CHAFF_LOW_EFFORT,
                             .label_raw = "low-effort",
                             .text = "short one"});
    expect_end(r);
    chaff_reader_close(r);
}

static void csv_should_find_the_text_column_whatever_its_case(void **state)
{
    (void)state;
    const char *path = FORMATS "body.csv";
    chaff_reader *r = open_ok(path, NULL);
    /* header Post,Score,Body: no id, author, date or label column */
    check_rec(
        next_rec(r), path,
        &(struct want){.line = 2, .index = 1, .label = NOLABEL, .text = "The Body column is found whatever its case"});
    expect_end(r);
    chaff_reader_close(r);
}

static void csv_should_take_text_and_id_from_the_named_columns(void **state)
{
    (void)state;
    const char *path = FORMATS "body.csv";
    struct chaff_reader_opts o = {.format = CHAFF_FMT_CSV, .text_field = "POST", .id_field = "score"};
    chaff_reader *r = open_ok(path, &o);
    check_rec(next_rec(r), path, &(struct want){.line = 2, .index = 1, .id = "3", .label = NOLABEL, .text = "p1"});
    expect_end(r);
    chaff_reader_close(r);
}

static void csv_should_read_the_uci_youtube_spam_header(void **state)
{
    (void)state;
    const char *path = FORMATS "youtube.csv";
    chaff_reader *r = open_ok(path, NULL);
    /* COMMENT_ID -> id, AUTHOR -> author, DATE -> created_at,
     * CONTENT -> text, CLASS 1 -> low-effort and 0 -> human */
    check_rec(next_rec(r), path,
              &(struct want){.line = 2,
                             .index = 1,
                             .id = "zq81-aa01",
                             .author = "Tova Lind",
                             .created_at = "2015-01-12T09:14:51",
                             .label = CHAFF_LOW_EFFORT,
                             .label_raw = "1",
                             .text = "Visit my channel for free gift cards, hurry!!!"});
    check_rec(next_rec(r), path,
              &(struct want){.line = 3,
                             .index = 2,
                             .id = "zq81-aa02",
                             .author = "Piet K",
                             .created_at = "2015-01-13T17:02:10",
                             .label = CHAFF_HUMAN,
                             .label_raw = "0",
                             .text = "the drum part near the end gives me chills"});
    check_rec(next_rec(r), path,
              &(struct want){.line = 4,
                             .index = 3,
                             .id = "zq81-aa03",
                             .author = "Ola",
                             .label = CHAFF_HUMAN,
                             .label_raw = "0",
                             .text = "catchy"});
    expect_end(r);
    chaff_reader_close(r);
}

static void csv_should_report_a_ragged_row_and_read_the_next(void **state)
{
    (void)state;
    const char *path = BAD "ragged.csv";
    chaff_reader *r = open_ok(path, NULL);
    check_rec(next_rec(r), path,
              &(struct want){
                  .line = 2, .index = 1, .id = "1", .label = CHAFF_HUMAN, .label_raw = "human", .text = "a full row"});
    /* "2,human" stops before the text column (the third) */
    expect_fail(r, CHAFF_EBADREC, "%s:3: row has 2 fields, the header has 3", path);
    assert_int_equal(chaff_reader_record_line(r), 3);
    check_rec(next_rec(r), path,
              &(struct want){.line = 4,
                             .index = 2,
                             .id = "3",
                             .label = CHAFF_MACHINE,
                             .label_raw = "machine",
                             .text = "after the ragged row"});
    expect_end(r);
    chaff_reader_close(r);
}

static void csv_should_report_a_quote_inside_an_unquoted_field_and_read_on(void **state)
{
    (void)state;
    const char *path = BAD "malformed.csv";
    chaff_reader *r = open_ok(path, NULL);
    check_rec(next_rec(r), path,
              &(struct want){.line = 2, .index = 1, .id = "1", .label = NOLABEL, .text = "fine row"});
    expect_fail(r, CHAFF_EBADREC,
                "%s:3: malformed CSV row (error parsing data while strict checking enabled, "
                "e.g. a quote inside an unquoted field); skipped",
                path);
    check_rec(next_rec(r), path,
              &(struct want){.line = 4, .index = 2, .id = "3", .label = NOLABEL, .text = "still read"});
    expect_end(r);
    chaff_reader_close(r);
}

static void csv_should_report_an_unterminated_quote_at_end_of_file(void **state)
{
    (void)state;
    const char *path = BAD "unterminated.csv";
    chaff_reader *r = open_ok(path, NULL);
    check_rec(next_rec(r), path,
              &(struct want){.line = 2, .index = 1, .id = "1", .label = NOLABEL, .text = "good row"});
    /* the quote opens on line 3 and is never closed */
    expect_fail(r, CHAFF_EBADREC, "%s:3: unterminated quoted field runs to the end of the file; row skipped", path);
    assert_int_equal(chaff_reader_record_line(r), 3);
    expect_end(r);
    chaff_reader_close(r);
}

static void csv_should_refuse_a_header_without_a_text_column(void **state)
{
    (void)state;
    const char *path = BAD "no-text-column.csv";
    chaff_reader *r = open_ok(path, NULL);
    expect_fail(r, CHAFF_EINVAL,
                "%s:1: the header has no text column (looked for text, content, body, comment; "
                "name one with --text-field)",
                path);
    /* the input is dead: the data row is not read as a record */
    expect_end(r);
    chaff_reader_close(r);

    struct chaff_reader_opts o = {.format = CHAFF_FMT_AUTO, .text_field = "message"};
    r = open_ok(path, &o);
    expect_fail(r, CHAFF_EINVAL, "%s:1: the header has no column \"message\"", path);
    expect_end(r);
    chaff_reader_close(r);
}

static void csv_should_strip_a_bom_before_the_header(void **state)
{
    (void)state;
    const char *path = BAD "bom.csv";
    chaff_reader *r = open_ok(path, NULL);
    check_rec(next_rec(r), path,
              &(struct want){.line = 2, .index = 1, .label = CHAFF_HUMAN, .label_raw = "human", .text = "hello"});
    expect_end(r);
    chaff_reader_close(r);
}

static void csv_should_read_crlf_rows_and_crlf_inside_quotes_as_lf(void **state)
{
    (void)state;
    const char *path = BAD "crlf.csv";
    chaff_reader *r = open_ok(path, NULL);
    check_rec(next_rec(r), path,
              &(struct want){.line = 2, .index = 1, .label = CHAFF_HUMAN, .label_raw = "human", .text = "two\nlines"});
    check_rec(next_rec(r), path,
              &(struct want){.line = 4, .index = 2, .label = CHAFF_MACHINE, .label_raw = "machine", .text = "next"});
    expect_end(r);
    chaff_reader_close(r);
}

static void csv_should_measure_a_multi_line_row_against_max_bytes(void **state)
{
    (void)state;
    const char *path = FORMATS "comments.csv";
    /* the row on lines 3-5 is 31 + 1 (LF) + 10 + 1 (LF) + 44 = 87 bytes;
     * the header is 31 bytes and row 2 is 40 */
    struct chaff_reader_opts o = {.format = CHAFF_FMT_AUTO, .max_bytes = 87};
    chaff_reader *r = open_ok(path, &o);
    assert_int_equal(next_rec(r)->line, 2);
    assert_int_equal(next_rec(r)->line, 3);
    assert_int_equal(next_rec(r)->line, 7);
    expect_end(r);
    chaff_reader_close(r);

    o.max_bytes = 86;
    r = open_ok(path, &o);
    assert_int_equal(next_rec(r)->line, 2);
    expect_fail(r, CHAFF_ETOOBIG, "%s:3: record of 87 bytes is over --max-bytes 86; skipped", path);
    check_rec(next_rec(r), path,
              &(struct want){.line = 7,
                             .index = 2,
                             .id = "3",
                             .author = "cy",
                             .label = CHAFF_LOW_EFFORT,
                             .label_raw = "low-effort",
                             .text = "short one"});
    expect_end(r);
    chaff_reader_close(r);
}

/* An oversized row is skipped whole, even when its quoted field runs over
 * lines longer than max_bytes: the rest of the field must not come out as
 * rows of its own (no phantom records, no false "malformed" errors). */
static void csv_should_skip_an_oversized_quoted_field_whole(void **state)
{
    (void)state;
    const char *path = "test_reader-oversized.csv";
    static const char text[] = "id,text\n"
                               "1,\"short\"\n"
                               "2,\"a field, \"\"quoted\"\", that goes on\n"
                               "99,this line looks like a row but sits inside the quote, and it is long!\n"
                               "and ends here\"\n"
                               "3,\"after\"\n";
    write_file(path, text, sizeof text - 1);
    /* row 2 spans lines 3-5: 36 + 1 (LF) + 72 + 1 (LF) + 14 = 124 bytes */
    for (size_t max = 10; max <= 110; max += 50) {
        struct chaff_reader_opts o = {.format = CHAFF_FMT_AUTO, .max_bytes = max};
        chaff_reader *r = open_ok(path, &o);
        assert_string_equal(next_rec(r)->id, "1");
        expect_fail(r, CHAFF_ETOOBIG, "%s:3: record of 124 bytes is over --max-bytes %zu; skipped", path, max);
        const struct chaff_record *rec = next_rec(r);
        assert_string_equal(rec->id, "3");
        assert_int_equal(rec->line, 6);
        expect_end(r);
        chaff_reader_close(r);
    }
    remove(path);
}

/* ---- TSV ---- */

static void tsv_should_read_label_tab_text_lines(void **state)
{
    (void)state;
    const char *path = FORMATS "labelled.tsv";
    chaff_reader *r = open_ok(path, NULL);
    assert_int_equal(chaff_reader_format(r), CHAFF_FMT_TSV);
    check_rec(next_rec(r), path,
              &(struct want){.line = 1,
                             .index = 1,
                             .label = CHAFF_HUMAN,
                             .label_raw = "human",
                             .text = "I walked there last spring, the path was muddy"});
    check_rec(
        next_rec(r), path,
        &(struct want){.line = 2, .index = 2, .label = CHAFF_LOW_EFFORT, .label_raw = "low-effort", .text = "nice"});
    /* the text is everything after the first tab, later tabs included */
    check_rec(next_rec(r), path,
              &(struct want){.line = 3,
                             .index = 3,
                             .label = CHAFF_MACHINE,
                             .label_raw = "machine",
                             .text = "In conclusion, this highlights the value of community.\twith a tab inside"});
    expect_end(r);
    chaff_reader_close(r);
}

static void tsv_should_report_an_unknown_label_and_a_line_without_a_tab(void **state)
{
    (void)state;
    const char *path = BAD "unknown-label.tsv";
    chaff_reader *r = open_ok(path, NULL);
    check_rec(next_rec(r), path,
              &(struct want){.line = 1, .index = 1, .label = CHAFF_HUMAN, .label_raw = "human", .text = "fine"});
    expect_fail(r, CHAFF_EBADREC, "%s:2: unknown label 'spam' (expected human, low-effort or machine)", path);
    check_rec(
        next_rec(r), path,
        &(struct want){
            .line = 3, .index = 2, .label = CHAFF_MACHINE, .label_raw = "machine", .text = "after the bad label"});
    expect_fail(r, CHAFF_EBADREC, "%s:4: expected label<TAB>text", path);
    expect_end(r);
    chaff_reader_close(r);
}

static void tsv_should_read_columns_named_by_a_header_row(void **state)
{
    (void)state;
    const char *path = FORMATS "header.tsv";
    chaff_reader *r = open_ok(path, NULL);
    check_rec(
        next_rec(r), path,
        &(struct want){
            .line = 2, .index = 1, .id = "t1", .label = CHAFF_HUMAN, .label_raw = "human", .text = "first row text"});
    check_rec(
        next_rec(r), path,
        &(struct want){
            .line = 3, .index = 2, .id = "t2", .label = CHAFF_MACHINE, .label_raw = "machine", .text = "second row"});
    /* two fields: the label column is missing, which is no label */
    check_rec(next_rec(r), path,
              &(struct want){.line = 4, .index = 3, .id = "t3", .label = NOLABEL, .text = "no label here"});
    expect_end(r);
    chaff_reader_close(r);
}

/* ---- plain text ---- */

static void text_should_read_one_comment_per_line_and_skip_blank_lines(void **state)
{
    (void)state;
    const char *path = FORMATS "comments.txt";
    chaff_reader *r = open_ok(path, NULL);
    assert_int_equal(chaff_reader_format(r), CHAFF_FMT_TEXT);
    check_rec(next_rec(r), path, &(struct want){.line = 1, .index = 1, .label = NOLABEL, .text = "first comment line"});
    /* line 2 is empty, line 3 two spaces */
    check_rec(next_rec(r), path,
              &(struct want){.line = 4, .index = 2, .label = NOLABEL, .text = "second comment, with a comma"});
    /* a line with text is kept as written, leading tab included */
    check_rec(next_rec(r), path,
              &(struct want){.line = 5, .index = 3, .label = NOLABEL, .text = "\tindented but not blank"});
    expect_end(r);
    chaff_reader_close(r);
}

/* ---- gzip ---- */

static void gzip_should_give_the_same_records_as_the_plain_file(void **state)
{
    (void)state;
    const char *plain = FORMATS "comments.jsonl";
    const char *gz = "test_reader-comments.jsonl.gz";
    size_t len;
    char *data = slurp(plain, &len);
    gzFile g = gzopen(gz, "wb9");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, data, (unsigned)len), (int)len);
    assert_int_equal(gzclose(g), Z_OK);
    free(data);

    chaff_reader *a = open_ok(plain, NULL);
    chaff_reader *b = open_ok(gz, NULL);
    assert_int_equal(chaff_reader_format(b), CHAFF_FMT_JSONL);
    int n = 0;
    for (;;) {
        const struct chaff_record *x = NULL;
        const struct chaff_record *y = NULL;
        assert_int_equal(chaff_reader_next(a, &x, NULL), CHAFF_OK);
        assert_int_equal(chaff_reader_next(b, &y, NULL), CHAFF_OK);
        if (!x) {
            assert_null(y);
            break;
        }
        assert_non_null(y);
        n++;
        assert_string_equal(y->source, gz);
        check_rec(y, gz,
                  &(struct want){.line = x->line,
                                 .index = x->index,
                                 .id = x->id,
                                 .author = x->author,
                                 .created_at = x->created_at,
                                 .label = x->label,
                                 .label_raw = x->label_raw,
                                 .text = x->text,
                                 .text_len = x->text_len,
                                 .n_replaced = x->n_replaced});
    }
    assert_int_equal(n, 4);
    chaff_reader_close(a);
    chaff_reader_close(b);
    unlink(gz);
}

static void gzip_should_read_concatenated_members(void **state)
{
    (void)state;
    const char *gz = "test_reader-members.jsonl.gz";
    unsigned char one[256], two[256];
    size_t cut;
    size_t n1 = gzip_two_parts("{\"text\":\"first member\"}\n", "", one, sizeof one, &cut);
    size_t n2 = gzip_two_parts("{\"text\":\"second member\"}\n", "", two, sizeof two, &cut);
    unsigned char both[512];
    memcpy(both, one, n1);
    memcpy(both + n1, two, n2);
    write_file(gz, both, n1 + n2);
    chaff_reader *r = open_ok(gz, NULL);
    check_rec(next_rec(r), gz, &(struct want){.line = 1, .index = 1, .label = NOLABEL, .text = "first member"});
    check_rec(next_rec(r), gz, &(struct want){.line = 2, .index = 2, .label = NOLABEL, .text = "second member"});
    expect_end(r);
    chaff_reader_close(r);
    unlink(gz);
}

static void gzip_should_report_truncated_data_after_the_records_before_the_cut(void **state)
{
    (void)state;
    const char *gz = "test_reader-truncated.jsonl.gz";
    unsigned char buf[512];
    size_t cut;
    size_t total =
        gzip_two_parts("{\"text\":\"one\"}\n{\"text\":\"two\"}\n", "{\"text\":\"three\"}\n", buf, sizeof buf, &cut);
    assert_true(cut < total);
    /* the file stops right after the sync flush that follows line 2 */
    write_file(gz, buf, cut);
    chaff_reader *r = open_ok(gz, NULL);
    check_rec(next_rec(r), gz, &(struct want){.line = 1, .index = 1, .label = NOLABEL, .text = "one"});
    check_rec(next_rec(r), gz, &(struct want){.line = 2, .index = 2, .label = NOLABEL, .text = "two"});
    expect_fail(r, CHAFF_EIO, "%s:3: truncated gzip data: the file ends inside a compressed block", gz);
    expect_end(r);
    chaff_reader_close(r);

    /* cut inside the last block: line 3 is lost, not half-read */
    write_file(gz, buf, cut + 3);
    r = open_ok(gz, NULL);
    assert_int_equal(next_rec(r)->line, 1);
    assert_int_equal(next_rec(r)->line, 2);
    expect_fail(r, CHAFF_EIO, "%s:3: truncated gzip data: the file ends inside a compressed block", gz);
    expect_end(r);
    chaff_reader_close(r);
    unlink(gz);
}

static void gzip_should_report_corrupt_data(void **state)
{
    (void)state;
    const char *gz = "test_reader-corrupt.jsonl.gz";
    /* a 10-byte gzip header, then a final block of reserved type 3
     * (bits 1, 11: byte 0x07) */
    static const unsigned char bad[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x07};
    write_file(gz, bad, sizeof bad);
    chaff_reader *r = open_ok(gz, NULL);
    expect_fail(r, CHAFF_EIO, "%s:1: corrupt gzip data: invalid block type", gz);
    expect_end(r);
    chaff_reader_close(r);
    unlink(gz);
}

/* ---- format sniffing ---- */

static void format_should_follow_the_extension(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        int format;
    } cases[] = {
        {FORMATS "comments.jsonl", CHAFF_FMT_JSONL},
        {FORMATS "comments.csv", CHAFF_FMT_CSV},
        {FORMATS "labelled.tsv", CHAFF_FMT_TSV},
        {FORMATS "comments.txt", CHAFF_FMT_TEXT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        chaff_reader *r = open_ok(cases[i].path, NULL);
        assert_int_equal(chaff_reader_format(r), cases[i].format);
        chaff_reader_close(r);
    }
    /* .jsonl.gz: the .gz is dropped; the content is plain text that
     * would sniff as TEXT, so only the name can make it JSONL */
    const char *gz = "test_reader-ext.jsonl.gz";
    gzFile g = gzopen(gz, "wb");
    assert_non_null(g);
    assert_int_equal(gzputs(g, "not json at all\n"), 16);
    assert_int_equal(gzclose(g), Z_OK);
    chaff_reader *r = open_ok(gz, NULL);
    assert_int_equal(chaff_reader_format(r), CHAFF_FMT_JSONL);
    chaff_reader_close(r);
    unlink(gz);
    /* an explicit format wins over the name */
    struct chaff_reader_opts o = {.format = CHAFF_FMT_TEXT};
    r = open_ok(FORMATS "comments.jsonl", &o);
    assert_int_equal(chaff_reader_format(r), CHAFF_FMT_TEXT);
    chaff_reader_close(r);
}

static void format_should_be_sniffed_from_the_first_line_without_extension(void **state)
{
    (void)state;
    const char *path = FORMATS "sniff-jsonl";
    chaff_reader *r = open_ok(path, NULL);
    assert_int_equal(chaff_reader_format(r), CHAFF_FMT_JSONL);
    /* line 1 is empty: the sniffed line keeps its number */
    check_rec(next_rec(r), path,
              &(struct want){.line = 2, .index = 1, .id = "s1", .label = NOLABEL, .text = "sniffed"});
    check_rec(next_rec(r), path, &(struct want){.line = 3, .index = 2, .label = NOLABEL, .text = "two"});
    expect_end(r);
    chaff_reader_close(r);

    path = FORMATS "sniff-csv";
    r = open_ok(path, NULL);
    assert_int_equal(chaff_reader_format(r), CHAFF_FMT_CSV);
    check_rec(
        next_rec(r), path,
        &(struct want){.line = 2, .index = 1, .label = CHAFF_HUMAN, .label_raw = "human", .text = "sniffed csv row"});
    expect_end(r);
    chaff_reader_close(r);

    path = FORMATS "sniff-tsv";
    r = open_ok(path, NULL);
    assert_int_equal(chaff_reader_format(r), CHAFF_FMT_TSV);
    check_rec(
        next_rec(r), path,
        &(struct want){.line = 1, .index = 1, .label = CHAFF_HUMAN, .label_raw = "human", .text = "sniffed tsv row"});
    expect_end(r);
    chaff_reader_close(r);

    /* a comma but no text column name: plain text */
    path = FORMATS "sniff-text";
    r = open_ok(path, NULL);
    assert_int_equal(chaff_reader_format(r), CHAFF_FMT_TEXT);
    check_rec(next_rec(r), path,
              &(struct want){.line = 1, .index = 1, .label = NOLABEL, .text = "just words, no header here"});
    check_rec(next_rec(r), path, &(struct want){.line = 2, .index = 2, .label = NOLABEL, .text = "and a second line"});
    expect_end(r);
    chaff_reader_close(r);
}

static void format_should_be_sniffed_through_gzip_without_extension(void **state)
{
    (void)state;
    const char *gz = "test_reader-noext";
    gzFile g = gzopen(gz, "wb");
    assert_non_null(g);
    assert_int_equal(gzputs(g, "{\"text\":\"zipped\"}\n"), 18);
    assert_int_equal(gzclose(g), Z_OK);
    chaff_reader *r = open_ok(gz, NULL);
    assert_int_equal(chaff_reader_format(r), CHAFF_FMT_JSONL);
    check_rec(next_rec(r), gz, &(struct want){.line = 1, .index = 1, .label = NOLABEL, .text = "zipped"});
    expect_end(r);
    chaff_reader_close(r);
    unlink(gz);
}

static void format_names_should_parse_back(void **state)
{
    (void)state;
    for (int f = CHAFF_FMT_AUTO; f <= CHAFF_FMT_TEXT; f++)
        assert_int_equal(chaff_format_parse(chaff_format_name(f)), f);
    assert_string_equal(chaff_format_name(CHAFF_FMT_CSV), "csv");
    assert_int_equal(chaff_format_parse("ndjson"), CHAFF_FMT_JSONL);
    assert_int_equal(chaff_format_parse("json"), CHAFF_FMT_JSONL);
    assert_int_equal(chaff_format_parse("txt"), CHAFF_FMT_TEXT);
    assert_int_equal(chaff_format_parse("CSV"), -1);
    assert_string_equal(chaff_format_name(99), "?");
}

/* ---- files ---- */

static void open_should_report_a_missing_file(void **state)
{
    (void)state;
    const char *path = BAD "does-not-exist.jsonl";
    chaff_reader *r = (chaff_reader *)&r;
    struct chaff_diag d = {{0}};
    assert_int_equal(chaff_reader_open(path, NULL, &r, &d), CHAFF_EIO);
    assert_null(r);
    char want[CHAFF_DIAG_SIZE];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    assert_string_equal(d.msg, want);
}

static void open_should_report_a_directory(void **state)
{
    (void)state;
    const char *path = CHAFF_SOURCE_DIR "/fixtures/bad-input";
    chaff_reader *r = (chaff_reader *)&r;
    struct chaff_diag d = {{0}};
    assert_int_equal(chaff_reader_open(path, NULL, &r, &d), CHAFF_EIO);
    assert_null(r);
    char want[CHAFF_DIAG_SIZE];
    snprintf(want, sizeof want, "%s: is a directory", path);
    assert_string_equal(d.msg, want);
}

static void open_should_report_an_unreadable_file(void **state)
{
    (void)state;
    if (geteuid() == 0) {
        skip(); /* root reads a mode-000 file */
    }
    const char *path = "test_reader-unreadable.jsonl";
    write_file(path, "{\"text\":\"secret\"}\n", 18);
    assert_int_equal(chmod(path, 0), 0);
    chaff_reader *r = (chaff_reader *)&r;
    struct chaff_diag d = {{0}};
    chaff_err err = chaff_reader_open(path, NULL, &r, &d);
    unlink(path);
    assert_int_equal(err, CHAFF_EIO);
    assert_null(r);
    assert_string_equal(d.msg, "test_reader-unreadable.jsonl: cannot open: Permission denied");
}

static void empty_file_should_give_no_records(void **state)
{
    (void)state;
    chaff_reader *r = open_ok(BAD "empty.jsonl", NULL);
    expect_end(r);
    chaff_reader_close(r);
    /* without a name to go by, an empty input reads as plain text */
    const char *path = "test_reader-empty";
    write_file(path, "", 0);
    r = open_ok(path, NULL);
    assert_int_equal(chaff_reader_format(r), CHAFF_FMT_TEXT);
    expect_end(r);
    chaff_reader_close(r);
    unlink(path);
}

static void million_empty_lines_should_give_no_records(void **state)
{
    (void)state;
    const char *path = "test_reader-empty-lines.jsonl";
    write_filled(path, "", '\n', 1000000, "");
    chaff_reader *r = open_ok(path, NULL);
    expect_end(r);
    chaff_reader_close(r);
    struct chaff_reader_opts o = {.format = CHAFF_FMT_TEXT};
    r = open_ok(path, &o);
    expect_end(r);
    chaff_reader_close(r);
    unlink(path);

    /* CSV: header on line 1, 1,000,000 empty lines, a row on 1,000,002 */
    path = "test_reader-empty-lines.csv";
    write_filled(path, "text\n", '\n', 1000000, "last\n");
    r = open_ok(path, NULL);
    check_rec(next_rec(r), path, &(struct want){.line = 1000002, .index = 1, .label = NOLABEL, .text = "last"});
    expect_end(r);
    chaff_reader_close(r);
    unlink(path);
}

static void five_mb_line_should_be_too_big_and_the_next_line_read(void **state)
{
    (void)state;
    /* each long line is exactly 5 MiB = 5242880 bytes without its LF */
    const char *path = "test_reader-huge.jsonl";
    write_filled(path, "{\"text\":\"", 'a', 5 * MIB - 11, "\"}\n{\"text\":\"next\"}\n");
    struct chaff_reader_opts o = {.format = CHAFF_FMT_AUTO, .max_bytes = MIB};
    chaff_reader *r = open_ok(path, &o);
    expect_fail(r, CHAFF_ETOOBIG, "%s:1: record of 5242880 bytes is over --max-bytes 1048576; skipped", path);
    check_rec(next_rec(r), path, &(struct want){.line = 2, .index = 1, .label = NOLABEL, .text = "next"});
    expect_end(r);
    chaff_reader_close(r);
    unlink(path);

    /* max_bytes 0 means the default, 1 MiB */
    path = "test_reader-huge.txt";
    write_filled(path, "", 'a', 5 * MIB, "\nnext\n");
    r = open_ok(path, NULL);
    expect_fail(r, CHAFF_ETOOBIG, "%s:1: record of 5242880 bytes is over --max-bytes 1048576; skipped", path);
    check_rec(next_rec(r), path, &(struct want){.line = 2, .index = 1, .label = NOLABEL, .text = "next"});
    expect_end(r);
    chaff_reader_close(r);
    unlink(path);

    path = "test_reader-huge.tsv";
    write_filled(path, "human\t", 'a', 5 * MIB - 6, "\nmachine\tnext\n");
    r = open_ok(path, &o);
    expect_fail(r, CHAFF_ETOOBIG, "%s:1: record of 5242880 bytes is over --max-bytes 1048576; skipped", path);
    check_rec(next_rec(r), path,
              &(struct want){.line = 2, .index = 1, .label = CHAFF_MACHINE, .label_raw = "machine", .text = "next"});
    expect_end(r);
    chaff_reader_close(r);
    unlink(path);

    path = "test_reader-huge.csv";
    write_filled(path, "text\n", 'a', 5 * MIB, "\nnext\n");
    r = open_ok(path, &o);
    expect_fail(r, CHAFF_ETOOBIG, "%s:2: record of 5242880 bytes is over --max-bytes 1048576; skipped", path);
    check_rec(next_rec(r), path, &(struct want){.line = 3, .index = 1, .label = NOLABEL, .text = "next"});
    expect_end(r);
    chaff_reader_close(r);
    unlink(path);
}

static void close_should_accept_null(void **state)
{
    (void)state;
    chaff_reader_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jsonl_should_read_every_field_and_skip_blank_lines),
        cmocka_unit_test(jsonl_should_take_text_and_id_from_the_named_fields),
        cmocka_unit_test(jsonl_should_report_invalid_json_and_read_the_next_line),
        cmocka_unit_test(jsonl_should_report_a_line_that_is_not_an_object),
        cmocka_unit_test(jsonl_should_report_a_text_field_that_is_missing_or_not_a_string),
        cmocka_unit_test(jsonl_should_report_an_unknown_label_and_ignore_a_non_string_one),
        cmocka_unit_test(jsonl_should_keep_an_escaped_nul_in_the_text),
        cmocka_unit_test(jsonl_should_replace_invalid_utf8_bytes_and_count_them),
        cmocka_unit_test(jsonl_should_strip_a_bom_from_the_first_line),
        cmocka_unit_test(jsonl_should_accept_crlf_line_ends),
        cmocka_unit_test(jsonl_should_accept_lone_cr_line_ends),
        cmocka_unit_test(jsonl_should_report_a_record_over_max_bytes_and_read_the_next),
        cmocka_unit_test(csv_should_skip_an_oversized_quoted_field_whole),
        cmocka_unit_test(jsonl_should_accept_a_record_of_exactly_max_bytes),
        cmocka_unit_test(csv_should_keep_the_start_line_of_a_multi_line_quoted_row),
        cmocka_unit_test(csv_should_find_the_text_column_whatever_its_case),
        cmocka_unit_test(csv_should_take_text_and_id_from_the_named_columns),
        cmocka_unit_test(csv_should_read_the_uci_youtube_spam_header),
        cmocka_unit_test(csv_should_report_a_ragged_row_and_read_the_next),
        cmocka_unit_test(csv_should_report_a_quote_inside_an_unquoted_field_and_read_on),
        cmocka_unit_test(csv_should_report_an_unterminated_quote_at_end_of_file),
        cmocka_unit_test(csv_should_refuse_a_header_without_a_text_column),
        cmocka_unit_test(csv_should_strip_a_bom_before_the_header),
        cmocka_unit_test(csv_should_read_crlf_rows_and_crlf_inside_quotes_as_lf),
        cmocka_unit_test(csv_should_measure_a_multi_line_row_against_max_bytes),
        cmocka_unit_test(tsv_should_read_label_tab_text_lines),
        cmocka_unit_test(tsv_should_report_an_unknown_label_and_a_line_without_a_tab),
        cmocka_unit_test(tsv_should_read_columns_named_by_a_header_row),
        cmocka_unit_test(text_should_read_one_comment_per_line_and_skip_blank_lines),
        cmocka_unit_test(gzip_should_give_the_same_records_as_the_plain_file),
        cmocka_unit_test(gzip_should_read_concatenated_members),
        cmocka_unit_test(gzip_should_report_truncated_data_after_the_records_before_the_cut),
        cmocka_unit_test(gzip_should_report_corrupt_data),
        cmocka_unit_test(format_should_follow_the_extension),
        cmocka_unit_test(format_should_be_sniffed_from_the_first_line_without_extension),
        cmocka_unit_test(format_should_be_sniffed_through_gzip_without_extension),
        cmocka_unit_test(format_names_should_parse_back),
        cmocka_unit_test(open_should_report_a_missing_file),
        cmocka_unit_test(open_should_report_a_directory),
        cmocka_unit_test(open_should_report_an_unreadable_file),
        cmocka_unit_test(empty_file_should_give_no_records),
        cmocka_unit_test(million_empty_lines_should_give_no_records),
        cmocka_unit_test(five_mb_line_should_be_too_big_and_the_next_line_read),
        cmocka_unit_test(close_should_accept_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
