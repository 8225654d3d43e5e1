/* test_reader_raw.c: chaff_reader_raw(), the current JSONL record's own
 * JSON text, which chaff filter --pass-through echoes. Inputs are written
 * at test time into the working directory (the build's tests dir) and
 * removed afterwards. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"

/* ---- helpers ---- */

static void write_file(const char *path, const char *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static chaff_reader *open_ok(const char *path, int format)
{
    struct chaff_reader_opts opts = {0};
    opts.format = format;
    chaff_reader *r = NULL;
    struct chaff_diag d = {{0}};
    assert_int_equal(chaff_reader_open(path, &opts, &r, &d), CHAFF_OK);
    assert_non_null(r);
    return r;
}

/* Reads the next record, which must be good. */
static void next_ok(chaff_reader *r)
{
    const struct chaff_record *rec = NULL;
    struct chaff_diag d = {{0}};
    assert_int_equal(chaff_reader_next(r, &rec, &d), CHAFF_OK);
    assert_non_null(rec);
}

/* The raw text must be want exactly (want_len bytes), NUL-terminated. */
static void expect_raw(const chaff_reader *r, const char *want, size_t want_len)
{
    size_t len = 99;
    const char *raw = chaff_reader_raw(r, &len);
    assert_non_null(raw);
    assert_int_equal(len, want_len);
    assert_memory_equal(raw, want, want_len);
    assert_int_equal(raw[len], '\0');
}

static void expect_no_raw(const chaff_reader *r)
{
    size_t len = 99;
    assert_null(chaff_reader_raw(r, &len));
    assert_int_equal(len, 0);
}

/* ---- tests ---- */

static void raw_should_be_each_jsonl_line_as_read_without_bom_or_line_end(void **state)
{
    (void)state;
    /* a BOM, spacing kept, CRLF and LF ends, a blank line skipped, escapes
     * and number spellings kept as written */
    static const char in[] = "\xEF\xBB\xBF  { \"text\" : \"a\", \"n\": 1.50 }  \r\n"
                             "\n"
                             "{\"text\":\"caf\\u00e9 \\/\",\"id\":7}\n";
    write_file("raw1.jsonl", in, sizeof in - 1);
    chaff_reader *r = open_ok("raw1.jsonl", CHAFF_FMT_AUTO);
    expect_no_raw(r); /* nothing read yet */
    next_ok(r);
    /* "  { \"text\" : \"a\", \"n\": 1.50 }  ": 2 + 27 + 2 = 31 bytes */
    expect_raw(r, "  { \"text\" : \"a\", \"n\": 1.50 }  ", 31);
    next_ok(r);
    /* {"text":"caf\u00e9 \/","id":7}: 30 bytes, the escapes as written */
    expect_raw(r, "{\"text\":\"caf\\u00e9 \\/\",\"id\":7}", 30);
    const struct chaff_record *rec = (const struct chaff_record *)&rec;
    struct chaff_diag d = {{0}};
    assert_int_equal(chaff_reader_next(r, &rec, &d), CHAFF_OK);
    assert_null(rec);
    expect_no_raw(r); /* the end */
    chaff_reader_close(r);
    unlink("raw1.jsonl");
}

static void raw_should_repair_invalid_utf8_like_the_text(void **state)
{
    (void)state;
    /* the lone byte 0xFF inside the text becomes U+FFFD (EF BF BD) */
    static const char in[] = "{\"text\":\"a\xFF"
                             "b\"}\n";
    write_file("raw2.jsonl", in, sizeof in - 1);
    chaff_reader *r = open_ok("raw2.jsonl", CHAFF_FMT_JSONL);
    next_ok(r);
    /* {"text":"a + EF BF BD + b"}: 9 + 1 + 3 + 1 + 2 = 16 bytes */
    expect_raw(r,
               "{\"text\":\"a\xEF\xBF\xBD"
               "b\"}",
               16);
    chaff_reader_close(r);
    unlink("raw2.jsonl");
}

static void raw_should_be_null_after_a_bad_record_and_back_after_a_good_one(void **state)
{
    (void)state;
    static const char in[] = "{\"text\":\"one\"}\n{not json\n{\"text\":\"two\"}\n";
    write_file("raw3.jsonl", in, sizeof in - 1);
    chaff_reader *r = open_ok("raw3.jsonl", CHAFF_FMT_JSONL);
    next_ok(r);
    expect_raw(r, "{\"text\":\"one\"}", 14);
    const struct chaff_record *rec = NULL;
    struct chaff_diag d = {{0}};
    assert_int_equal(chaff_reader_next(r, &rec, &d), CHAFF_EBADREC);
    expect_no_raw(r);
    next_ok(r);
    expect_raw(r, "{\"text\":\"two\"}", 14);
    chaff_reader_close(r);
    unlink("raw3.jsonl");
}

static void raw_should_be_null_for_csv_tsv_and_text(void **state)
{
    (void)state;
    static const char csv[] = "id,text\n1,hello\n";
    static const char tsv[] = "human\thello\n";
    static const char txt[] = "{\"text\":\"read as plain text\"}\n";
    write_file("raw4.csv", csv, sizeof csv - 1);
    write_file("raw4.tsv", tsv, sizeof tsv - 1);
    write_file("raw4.txt", txt, sizeof txt - 1);
    const char *paths[] = {"raw4.csv", "raw4.tsv", "raw4.txt"};
    for (int i = 0; i < 3; i++) {
        chaff_reader *r = open_ok(paths[i], CHAFF_FMT_AUTO);
        next_ok(r);
        expect_no_raw(r);
        chaff_reader_close(r);
        unlink(paths[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(raw_should_be_each_jsonl_line_as_read_without_bom_or_line_end),
        cmocka_unit_test(raw_should_repair_invalid_utf8_like_the_text),
        cmocka_unit_test(raw_should_be_null_after_a_bad_record_and_back_after_a_good_one),
        cmocka_unit_test(raw_should_be_null_for_csv_tsv_and_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
