/* util.c: growable buffers, diagnostics, hashes. */
#include "util.h"

#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

chaff_err chaff_buf_reserve(struct chaff_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return CHAFF_ENOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return CHAFF_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return CHAFF_ENOMEM;
    b->data = p;
    b->cap = cap;
    return CHAFF_OK;
}

chaff_err chaff_buf_append(struct chaff_buf *b, const void *p, size_t n)
{
    chaff_err err = chaff_buf_reserve(b, n);
    if (err)
        return err;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return CHAFF_OK;
}

chaff_err chaff_buf_printf(struct chaff_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return CHAFF_EINVAL;
    chaff_err err = chaff_buf_reserve(b, (size_t)n);
    if (err)
        return err;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return CHAFF_OK;
}

void chaff_buf_free(struct chaff_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

chaff_err chaff_diagf(struct chaff_diag *diag, chaff_err err, const char *fmt, ...)
{
    if (diag) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(diag->msg, sizeof diag->msg, fmt, ap);
        va_end(ap);
    }
    return err;
}

uint64_t chaff_fnv1a_more(uint64_t h, const void *s, size_t len)
{
    const unsigned char *p = s;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t chaff_fnv1a(const void *s, size_t len)
{
    return chaff_fnv1a_more(0xcbf29ce484222325ULL, s, len);
}

static void to_hex(const uint8_t *d, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[2 * n] = '\0';
}

void chaff_sha256_hex(const void *s, size_t len, char hex[65])
{
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, s);
    sha256_digest(&ctx, sizeof d, d);
    to_hex(d, sizeof d, hex);
}

chaff_err chaff_sha256_file(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return CHAFF_EIO;
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    unsigned char buf[65536];
    size_t n;
    sha256_init(&ctx);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sha256_update(&ctx, n, buf);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return CHAFF_EIO;
    sha256_digest(&ctx, sizeof d, d);
    to_hex(d, sizeof d, hex);
    return CHAFF_OK;
}

void chaff_now_iso(char out[21])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void *chaff_calloc(size_t n, size_t size)
{
    if (n == 0 || size == 0)
        return calloc(1, 1);
    return calloc(n, size);
}

void *chaff_reallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t total = n * size;
    return realloc(p, total ? total : 1);
}

void *chaff_zalloc(void *opaque, unsigned items, unsigned size)
{
    (void)opaque;
    return calloc(items, size);
}

void chaff_zfree(void *opaque, void *p)
{
    (void)opaque;
    free(p);
}
