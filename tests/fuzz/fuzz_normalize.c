/* fuzz_normalize.c: any bytes through the UTF-8 repair, the decoder and
 * NFKC casefolding. The repair must give strict UTF-8, leave valid input
 * byte for byte as it was and replace as many bytes as it reports; the
 * decoder must agree with it; casefolding must give strict UTF-8 too, and
 * refuse (never misread) invalid input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "normalize.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_normalize: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct chaff_norm norm;
    static struct chaff_buf clean;
    static int32_t *cps;
    static size_t cps_cap;
    const char *s = (const char *)data;
    int valid = fuzz_valid_utf8(s, size);

    clean.len = 0;
    size_t replaced = 0;
    check(chaff_utf8_sanitize(s, size, &clean, &replaced) == CHAFF_OK, "sanitize failed");
    check(size == 0 || clean.data != NULL, "sanitize gave no buffer");
    const char *c = size ? clean.data : "";
    check(fuzz_valid_utf8(c, clean.len), "sanitize gave invalid UTF-8");
    check(valid == (replaced == 0), "sanitize replaced bytes of valid UTF-8, or none of invalid");
    if (valid)
        check(clean.len == size && memcmp(c, s, size) == 0, "sanitize changed valid UTF-8");
    check(clean.len == size + 2 * replaced, "sanitize's count does not match its output");

    size_t n = 0;
    check(chaff_utf8_decode(c, clean.len, &cps, &cps_cap, &n) == CHAFF_OK, "decode failed");
    check(n <= clean.len, "decode gave more code points than bytes");
    for (size_t i = 0; i < n; i++)
        check(cps[i] >= 0 && cps[i] <= 0x10FFFF && !(cps[i] >= 0xD800 && cps[i] <= 0xDFFF),
              "decode gave a bad code point");

    const char *out = NULL;
    size_t out_len = 0;
    check(chaff_normalize(&norm, c, clean.len, &out, &out_len) == CHAFF_OK, "normalize refused repaired text");
    check(out != NULL && out[out_len] == '\0', "normalize's output is not NUL-terminated");
    check(fuzz_valid_utf8(out, out_len), "normalize gave invalid UTF-8");

    /* the raw bytes: valid ones casefold, invalid ones are refused */
    chaff_err err = chaff_normalize(&norm, s, size, &out, &out_len);
    check(err == CHAFF_OK || (err == CHAFF_EINVAL && !valid), "normalize failed on valid UTF-8");
    if (err == CHAFF_OK)
        check(fuzz_valid_utf8(out, out_len), "normalize gave invalid UTF-8 for raw bytes");
    return 0;
}
