/* normalize.h: UTF-8 repair and NFKC casefolding (utf8proc). */
#ifndef CHAFF_NORMALIZE_H
#define CHAFF_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "chaff.h"
#include "util.h"

/* Appends s[0..len) to out with every byte that is not part of a valid
 * UTF-8 sequence (overlong forms and surrogates included) replaced by
 * U+FFFD. *n_replaced (if not NULL) gets the number of bytes replaced. */
chaff_err chaff_utf8_sanitize(const char *s, size_t len, struct chaff_buf *out, size_t *n_replaced);

/* Decodes valid UTF-8 into code points, growing *cps (capacity *cap).
 * Invalid bytes decode as U+FFFD. Sets *n. */
chaff_err chaff_utf8_decode(const char *s, size_t len, int32_t **cps, size_t *cap, size_t *n);

/* Reusable NFKC + casefold state; zero-initialise, free with chaff_norm_free. */
struct chaff_norm {
    int32_t *buf;
    size_t cap;
    struct chaff_buf out;
};

/* NFKC-casefolds valid UTF-8 s[0..len), dropping default-ignorable code
 * points (ZWJ, VS16) and control characters other than line breaks, and
 * mapping look-alike punctuation to ASCII. The result is owned by n and
 * valid until its next use. */
chaff_err chaff_normalize(struct chaff_norm *n, const char *s, size_t len, const char **out, size_t *out_len);

void chaff_norm_free(struct chaff_norm *n);

#endif
