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
    int32_t *buf; /* utf8proc's work area */
    size_t cap;
    int32_t *cps; /* the result's code points */
    size_t n_cps, cps_cap;
    struct chaff_buf out; /* the result in UTF-8 */
};

/* NFKC-casefolds valid UTF-8 s[0..len), dropping default-ignorable code
 * points (ZWJ, VS16) and control characters other than line breaks, and
 * mapping look-alike punctuation to ASCII. The result is owned by n and
 * valid until its next use, in UTF-8 (*out, NUL-terminated) and as code
 * points (n->cps[0..n->n_cps)). Runs of ASCII are folded without utf8proc
 * (see normalize.c); the result is the same as chaff_normalize_whole's. */
chaff_err chaff_normalize(struct chaff_norm *n, const char *s, size_t len, const char **out, size_t *out_len);

/* As chaff_normalize, through utf8proc for the whole text: the reference
 * the fast path is tested against. */
chaff_err chaff_normalize_whole(struct chaff_norm *n, const char *s, size_t len, const char **out, size_t *out_len);

void chaff_norm_free(struct chaff_norm *n);

#endif
