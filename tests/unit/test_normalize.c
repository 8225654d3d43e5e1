/* test_normalize.c: chaff_normalize(), whose ASCII runs skip utf8proc,
 * must give exactly what utf8proc gives for the whole text
 * (chaff_normalize_whole), in UTF-8 and in code points. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "normalize.h"

/* Normalises s[0..len) both ways and fails on any difference. */
static void expect_same(const char *s, size_t len)
{
    static struct chaff_norm fast, whole;
    const char *a, *b;
    size_t alen, blen;
    assert_int_equal(chaff_normalize(&fast, s, len, &a, &alen), CHAFF_OK);
    assert_int_equal(chaff_normalize_whole(&whole, s, len, &b, &blen), CHAFF_OK);
    if (alen != blen || memcmp(a, b, alen) != 0 || fast.n_cps != whole.n_cps ||
        memcmp(fast.cps, whole.cps, fast.n_cps * sizeof *fast.cps) != 0) {
        char hex[512] = "";
        for (size_t i = 0; i < len && i < 100; i++)
            snprintf(hex + strlen(hex), sizeof hex - strlen(hex), "%02x ", (unsigned char)s[i]);
        fail_msg("differs from utf8proc for bytes %s", hex);
    }
    assert_int_equal(a[alen], '\0');
}

static void normalize_should_match_utf8proc_on_every_ascii_string_of_two_bytes(void **state)
{
    (void)state;
    char s[2];
    for (int x = 0; x < 128; x++) {
        s[0] = (char)x;
        expect_same(s, 1);
        for (int y = 0; y < 128; y++) {
            s[1] = (char)y;
            expect_same(s, 2);
        }
    }
    expect_same("", 0);
}

/* Controls, line breaks, case and a letter that composes, in threes. */
static void normalize_should_match_utf8proc_on_ascii_triples_of_controls_and_breaks(void **state)
{
    (void)state;
    static const char set[] = {'\0', 0x01, 0x08, '\t', '\n', '\v', '\f', '\r', 0x0E,
                               0x1F, ' ',  'A',  'Z',  'a',  'e',  '~',  0x7F};
    size_t k = sizeof set;
    char s[3];
    for (size_t x = 0; x < k; x++) {
        for (size_t y = 0; y < k; y++) {
            for (size_t z = 0; z < k; z++) {
                s[0] = set[x];
                s[1] = set[y];
                s[2] = set[z];
                expect_same(s, 3);
            }
        }
    }
}

/* Random mixes of ASCII runs (long and short, with controls and CR LF)
 * and non-ASCII that composes, decomposes, folds, is ignored or lumped:
 * every cut the fast path makes is exercised. */
static void normalize_should_match_utf8proc_on_mixed_text(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "a",
        "E",
        "e",
        "o",
        "u",
        "K",
        " ",
        "\t",
        "\n",
        "\r",
        "\r\n",
        "\v",
        "\f",
        "\x01",
        "\x1b",
        "\x7f",
        "\0",
        "abcdefgh",
        "ABCDEFGHIJ",
        "\x01\x02\x03\x04\x05\x06\x07\x08\x0e",
        "        ",
        "..!?",
        "&",
        "'",
        "\xcc\x81",         /* U+0301 combining acute */
        "\xcc\x88",         /* U+0308 combining diaeresis */
        "\xcc\xa3",         /* U+0323 combining dot below */
        "\xc3\xa9",         /* é */
        "\xc3\x89",         /* É */
        "\xc3\x9f",         /* ß */
        "\xef\xac\x81",     /* ﬁ */
        "\xe2\x84\xaa",     /* Kelvin sign */
        "\xe2\x80\x8b",     /* ZWSP */
        "\xe2\x80\x8d",     /* ZWJ */
        "\xef\xb8\x8f",     /* VS16 */
        "\xc2\xad",         /* soft hyphen */
        "\xc2\x85",         /* NEL */
        "\xc2\x80",         /* C1 control */
        "\xc2\xa0",         /* NBSP */
        "\xe2\x80\xa8",     /* line separator */
        "\xe2\x80\x94",     /* em dash */
        "\xe2\x80\x99",     /* right single quote */
        "\xef\xbd\x88",     /* fullwidth h */
        "\xf0\x9d\x90\x87", /* mathematical bold H */
        "\xd0\xb0",         /* Cyrillic a */
        "\xe1\x84\x80",     /* Hangul choseong kiyeok */
        "\xe1\x85\xa1",     /* Hangul jungseong a */
        "\xea\xb0\x80",     /* Hangul syllable ga */
        "\xe4\xb8\xad",     /* CJK */
        "\xf0\x9f\x98\x80", /* emoji */
        "\xe2\x91\xa0",     /* circled 1 */
    };
    size_t k = sizeof pieces / sizeof *pieces;
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    char s[512];
    for (int t = 0; t < 40000; t++) {
        size_t len = 0;
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        int count = (int)(rng >> 59); /* 0..31 pieces */
        for (int i = 0; i < count; i++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            const char *p = pieces[(rng >> 33) % k];
            size_t m = p[0] ? strlen(p) : 1; /* "\0" is one NUL byte */
            memcpy(s + len, p, m);
            len += m;
        }
        expect_same(s, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normalize_should_match_utf8proc_on_every_ascii_string_of_two_bytes),
        cmocka_unit_test(normalize_should_match_utf8proc_on_ascii_triples_of_controls_and_breaks),
        cmocka_unit_test(normalize_should_match_utf8proc_on_mixed_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
