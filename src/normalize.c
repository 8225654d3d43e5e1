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

/* Makes room for more code points and UTF-8 bytes in the result. */
static chaff_err reserve(struct chaff_norm *n, size_t cps, size_t bytes)
{
    if (cps > SIZE_MAX - n->n_cps - 1)
        return CHAFF_ENOMEM;
    size_t need = n->n_cps + cps + 1;
    if (need > n->cps_cap) {
        size_t cap = n->cps_cap ? n->cps_cap : 256;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        int32_t *p = chaff_reallocarray(n->cps, cap, sizeof *p);
        if (!p)
            return CHAFF_ENOMEM;
        n->cps = p;
        n->cps_cap = cap;
    }
    return chaff_buf_reserve(&n->out, bytes);
}

/* Appends the normalisation of s[0..len) (valid UTF-8) by utf8proc. */
static chaff_err normalize_utf8proc(struct chaff_norm *n, const char *s, size_t len)
{
    if (len == 0)
        return CHAFF_OK;
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
            chaff_err err = reserve(n, (size_t)m, (size_t)m * 4);
            if (err)
                return err;
            size_t o = n->out.len;
            for (utf8proc_ssize_t i = 0; i < m; i++) {
                n->cps[n->n_cps++] = n->buf[i];
                o += (size_t)utf8proc_encode_char(n->buf[i], (utf8proc_uint8_t *)n->out.data + o);
            }
            n->out.len = o;
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

/* Bytes that NORM_OPTIONS drops (STRIPCC): C0 controls other than TAB and
 * the line breaks, and DEL. */
static int ascii_dropped(unsigned char c)
{
    return c < 0x09 || (c >= 0x0E && c < 0x20) || c == 0x7F;
}

/* Appends the normalisation of ASCII s[0..len), whose next byte (or NUL
 * at the end) is next, the way utf8proc does it with NORM_OPTIONS: ASCII
 * has no decompositions, compositions, ignorables or lumps, so casefolding
 * lowers A-Z; STRIPCC turns TAB into a space and drops the other controls
 * but CR, LF, VT and FF, which with CR LF as one become LF (NLF2LF). */
static chaff_err normalize_ascii(struct chaff_norm *n, const char *s, size_t len, char next)
{
    chaff_err err = reserve(n, len, len);
    if (err)
        return err;
    char *o = n->out.data + n->out.len;
    int32_t *cp = n->cps + n->n_cps;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z') {
            c = (unsigned char)(c + ('a' - 'A'));
        } else if (c < 0x20 || c == 0x7F) {
            if (c == '\t') {
                c = ' ';
            } else if (c == '\r') {
                if ((i + 1 < len ? s[i + 1] : next) == '\n')
                    continue; /* the LF stands for both */
                c = '\n';
            } else if (c == '\v' || c == '\f') {
                c = '\n';
            } else if (c != '\n') {
                continue;
            }
        }
        *o++ = (char)c;
        *cp++ = c;
    }
    n->out.len = (size_t)(o - n->out.data);
    n->n_cps = (size_t)(cp - n->cps);
    return CHAFF_OK;
}

static chaff_err normalize_begin(struct chaff_norm *n)
{
    n->out.len = 0;
    n->n_cps = 0;
    return reserve(n, 0, 0);
}

static void normalize_end(struct chaff_norm *n, const char **out, size_t *out_len)
{
    n->out.data[n->out.len] = '\0';
    *out = n->out.data;
    *out_len = n->out.len;
}

/* An ASCII run shorter than this between two non-ASCII characters goes to
 * utf8proc with them rather than alone: fewer calls on mixed scripts. */
#define MIN_FAST_RUN 8

chaff_err chaff_normalize(struct chaff_norm *n, const char *s, size_t len, const char **out, size_t *out_len)
{
    /* The text is cut into ASCII runs, folded here, and islands holding
     * the non-ASCII characters, given to utf8proc. A cut before byte p
     * gives the same result as one call when s[p] is an ASCII character
     * that survives (not dropped: a dropped control would let a
     * combining mark after it compose with a letter before it) and is not
     * the LF of a CR LF: such a character is a starter that composes with
     * nothing before it, so neither reordering nor composition reaches
     * across it, and the other options act on one character at a time.
     * An island therefore starts at the last surviving ASCII character
     * before its first non-ASCII byte (which may compose with a combining
     * mark after it), and ends before an ASCII run that holds a surviving
     * character, so that the next island finds its start in that run, and
     * that does not start with LF (ignorables dropped, the island may end
     * in CR). */
    chaff_err err = normalize_begin(n);
    size_t i = 0; /* everything before i is done; a cut before i is safe */
    while (!err && i < len) {
        size_t j = i;
        while (j < len && (unsigned char)s[j] < 0x80)
            j++;
        if (j == len) {
            err = normalize_ascii(n, s + i, len - i, '\0');
            break;
        }
        size_t a = j;
        while (a > i && ascii_dropped((unsigned char)s[a - 1]))
            a--;
        if (a > i) {
            a--; /* the last surviving character */
            if (s[a] == '\n' && a > i && s[a - 1] == '\r')
                a--;
        }
        err = normalize_ascii(n, s + i, a - i, s[a]);
        if (err)
            break;
        size_t z = j;
        for (;;) {
            while (z < len && (unsigned char)s[z] >= 0x80)
                z++;
            if (z == len)
                break;
            size_t r = z;
            int survivor = 0;
            while (r < len && (unsigned char)s[r] < 0x80) {
                survivor |= !ascii_dropped((unsigned char)s[r]);
                r++;
            }
            /* not before an LF: the island may end in CR and ignorables
             * (CR, ZWSP, LF is one line break) */
            if (s[z] != '\n' && (r == len || (r - z >= MIN_FAST_RUN && survivor)))
                break;
            z = r;
        }
        err = normalize_utf8proc(n, s + a, z - a);
        i = z;
    }
    if (err)
        return err;
    normalize_end(n, out, out_len);
    return CHAFF_OK;
}

chaff_err chaff_normalize_whole(struct chaff_norm *n, const char *s, size_t len, const char **out, size_t *out_len)
{
    chaff_err err = normalize_begin(n);
    if (!err)
        err = normalize_utf8proc(n, s, len);
    if (err)
        return err;
    normalize_end(n, out, out_len);
    return CHAFF_OK;
}

void chaff_norm_free(struct chaff_norm *n)
{
    free(n->buf);
    free(n->cps);
    chaff_buf_free(&n->out);
    memset(n, 0, sizeof *n);
}
