/* util.h: small shared helpers: growable buffers, diagnostics, hashes. */
#ifndef CHAFF_UTIL_H
#define CHAFF_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "chaff.h"

#if defined(__GNUC__)
#define CHAFF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CHAFF_PRINTF(a, b)
#endif

/* A growable byte buffer. Zero-initialise; free with chaff_buf_free(). */
struct chaff_buf {
    char *data;
    size_t len;
    size_t cap;
};

/* Makes room for extra more bytes (plus a NUL). CHAFF_ENOMEM on failure. */
chaff_err chaff_buf_reserve(struct chaff_buf *b, size_t extra);
/* Appends n bytes and keeps the buffer NUL-terminated. */
chaff_err chaff_buf_append(struct chaff_buf *b, const void *p, size_t n);
/* Appends a formatted string. */
chaff_err chaff_buf_printf(struct chaff_buf *b, const char *fmt, ...) CHAFF_PRINTF(2, 3);
/* Frees the buffer's memory and zeroes it. */
void chaff_buf_free(struct chaff_buf *b);

/* Writes a formatted line into diag (if not NULL); returns err. */
chaff_err chaff_diagf(struct chaff_diag *diag, chaff_err err, const char *fmt, ...) CHAFF_PRINTF(3, 4);

/* 64-bit FNV-1a of s[0..len). */
uint64_t chaff_fnv1a(const void *s, size_t len);
/* Continues an FNV-1a hash. */
uint64_t chaff_fnv1a_more(uint64_t h, const void *s, size_t len);

/* SHA-256 of s[0..len) as 64 lowercase hex digits plus NUL into hex[65]. */
void chaff_sha256_hex(const void *s, size_t len, char hex[65]);
/* SHA-256 of a whole file into hex[65]; CHAFF_EIO if it cannot be read. */
chaff_err chaff_sha256_file(const char *path, char hex[65]);

/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ" into out[21]. */
void chaff_now_iso(char out[21]);

/* malloc/calloc/realloc wrappers that return NULL for a zero or
 * overflowing size product rather than invoking UB. */
void *chaff_calloc(size_t n, size_t size);
void *chaff_reallocarray(void *p, size_t n, size_t size);

/* zlib's zalloc and zfree (alloc_func, free_func), so that zlib allocates
 * as the library does: a failure is Z_MEM_ERROR, reported CHAFF_ENOMEM. */
void *chaff_zalloc(void *opaque, unsigned items, unsigned size);
void chaff_zfree(void *opaque, void *p);

#endif
