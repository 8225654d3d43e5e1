/* normalize.c: UTF-8 repair and NFKC casefolding, on top of utf8proc. */
#include "normalize.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static const char replacement[3] = {(char)0xEF, (char)0xBF, (char)0xBD};

chaff_err chaff_utf8_sanitize(const char *s, size_t len, struct chaff_buf *out, size_t *n_replaced)
{
    size_t replaced = 0;
    size_t i = 0;
    size_t run = 0; /* start of the current run of valid bytes */
    chaff_err err = chaff_buf_reserve(out, len);
    if (err)
        return err;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k > 0) {
            i += (size_t)k;
            continue;
        }
        err = chaff_buf_append(out, s + run, i - run);
        if (!err)
            err = chaff_buf_append(out, replacement, sizeof replacement);
        if (err)
            return err;
        replaced++;
        i++;
        run = i;
    }
    err = chaff_buf_append(out, s + run, len - run);
    if (n_replaced)
        *n_replaced = replaced;
    return err;
}

chaff_err chaff_utf8_decode(const char *s, size_t len, int32_t **cps, size_t *cap, size_t *n)
{
    if (*cap < len + 1) {
        int32_t *p = chaff_reallocarray(*cps, len + 1, sizeof *p);
        if (!p)
            return CHAFF_ENOMEM;
        *cps = p;
        *cap = len + 1;
    }
    size_t i = 0, m = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            (*cps)[m++] = c;
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k > 0) {
            (*cps)[m++] = cp;
            i += (size_t)k;
        } else {
            (*cps)[m++] = 0xFFFD;
            i++;
        }
    }
    *n = m;
    return CHAFF_OK;
}

#define NORM_OPTIONS                                                                                                   \
    (UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_LUMP |      \
     UTF8PROC_NLF2LF | UTF8PROC_STRIPCC)

chaff_err chaff_normalize(struct chaff_norm *n, const char *s, size_t len, const char **out, size_t *out_len)
{
    n->out.len = 0;
    if (len == 0) {
        chaff_err err = chaff_buf_reserve(&n->out, 0);
        if (err)
            return err;
        n->out.data[0] = '\0';
        *out = n->out.data;
        *out_len = 0;
        return CHAFF_OK;
    }
    for (;;) {
        utf8proc_ssize_t got =
            utf8proc_decompose_custom((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, n->buf,
                                      (utf8proc_ssize_t)n->cap, (utf8proc_option_t)NORM_OPTIONS, NULL, NULL);
        if (got < 0)
            return CHAFF_EINVAL;
        if ((size_t)got <= n->cap) {
            utf8proc_ssize_t m = utf8proc_normalize_utf32(n->buf, got, NORM_OPTIONS);
            if (m < 0)
                return CHAFF_EINVAL;
            /* Re-encoding in place needs up to 4 bytes per code point. */
            chaff_err err = chaff_buf_reserve(&n->out, (size_t)m * 4);
            if (err)
                return err;
            size_t o = 0;
            for (utf8proc_ssize_t i = 0; i < m; i++)
                o += (size_t)utf8proc_encode_char(n->buf[i], (utf8proc_uint8_t *)n->out.data + o);
            n->out.len = o;
            n->out.data[o] = '\0';
            *out = n->out.data;
            *out_len = o;
            return CHAFF_OK;
        }
        size_t want = (size_t)got + 16;
        int32_t *p = chaff_reallocarray(n->buf, want, sizeof *p);
        if (!p)
            return CHAFF_ENOMEM;
        n->buf = p;
        n->cap = want;
    }
}

void chaff_norm_free(struct chaff_norm *n)
{
    free(n->buf);
    n->buf = NULL;
    n->cap = 0;
    chaff_buf_free(&n->out);
}
