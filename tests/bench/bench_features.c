/* bench_features.c: in-process feature-extraction throughput on one core.
 *
 * usage: bench_features [--passes N] [--netstrings] [--dump] MODEL_DIR FILE
 * Loads the model folder's extractor (lexicons and n-gram tables, as chaff
 * score and chaff filter do), reads every comment of FILE into memory (one
 * per line of plain text, or with --netstrings records "LEN:BYTES," that may
 * hold any byte), runs chaff_extract over all of them once to warm up, then
 * times N more passes (default 2) and prints MB/s and comments/s of comment
 * text (line breaks not counted), and the heap allocations per comment made
 * during the timed passes: 0 is the goal (buffers are reused).
 * --dump prints no timing but each comment's features as hexadecimal
 * floats, one line per comment: two dumps are equal iff every value is
 * bit-identical. A benchmark, not a test: scripts/bench-features runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdint.h>
#include <zlib.h>

#include "chaff.h"
#include "chaff_features.h"
#include "model.h"

/* Counting allocator: every malloc, calloc and realloc of the process
 * (libchaff, utf8proc and zlib included) passes through these and on to
 * glibc's own. Sanitizers bring their own allocator: no counting there. */
#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_ALLOCS 0
#endif
#endif
#ifndef COUNT_ALLOCS
#define COUNT_ALLOCS 1
#endif

static unsigned long long n_allocs;

#if COUNT_ALLOCS
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);

void *malloc(size_t size)
{
    n_allocs++;
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    n_allocs++;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    n_allocs++;
    return __libc_realloc(p, size);
}
#endif

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The whole file, NUL-terminated. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n + 1 < cap)
            break;
        cap *= 2;
        char *p = realloc(buf, cap);
        if (!p)
            free(buf);
        buf = p;
    }
    if (!buf || ferror(f)) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        buf = NULL;
    } else {
        buf[n] = '\0';
        *len = n;
    }
    fclose(f);
    return buf;
}

struct corpus {
    const char **text;
    size_t *len;
    size_t n, cap;
    size_t bytes;
};

static int corpus_add(struct corpus *c, const char *s, size_t len)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        const char **t = realloc(c->text, cap * sizeof *t);
        if (!t)
            return -1;
        c->text = t;
        size_t *l = realloc(c->len, cap * sizeof *l);
        if (!l)
            return -1;
        c->len = l;
        c->cap = cap;
    }
    c->text[c->n] = s;
    c->len[c->n++] = len;
    c->bytes += len;
    return 0;
}

/* One comment per line; empty lines are skipped, as chaff's text reader
 * does. */
static int split_lines(struct corpus *c, const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *z = le;
        if (z > p && z[-1] == '\r')
            z--;
        if (z > p && corpus_add(c, p, (size_t)(z - p)))
            return -1;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* Netstrings: "LEN:BYTES," records, optionally separated by line breaks. */
static int split_netstrings(struct corpus *c, const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (buf[i] == '\n') {
            i++;
            continue;
        }
        char *e;
        unsigned long k = strtoul(buf + i, &e, 10);
        size_t at = (size_t)(e - buf);
        if (e == buf + i || at >= len || *e != ':' || k > len - at - 1 || at + 1 + k >= len || buf[at + 1 + k] != ',') {
            fprintf(stderr, "bad netstring at byte %zu\n", i);
            return -1;
        }
        if (corpus_add(c, buf + at + 1, k))
            return -1;
        i = at + 2 + k;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int passes = 2, netstrings = 0, dump = 0;
    int a = 1;
    for (; a < argc && argv[a][0] == '-'; a++) {
        if (strcmp(argv[a], "--passes") == 0 && a + 1 < argc)
            passes = atoi(argv[++a]);
        else if (strcmp(argv[a], "--netstrings") == 0)
            netstrings = 1;
        else if (strcmp(argv[a], "--dump") == 0)
            dump = 1;
        else
            break;
    }
    if (argc - a != 2 || passes < 1) {
        fprintf(stderr, "usage: bench_features [--passes N] [--netstrings] [--dump] MODEL_DIR FILE\n");
        return 2;
    }
    size_t len = 0;
    char *buf = slurp(argv[a + 1], &len);
    if (!buf)
        return 2;
    struct corpus c = {0};
    if ((netstrings ? split_netstrings(&c, buf, len) : split_lines(&c, buf, len)) || !c.n) {
        fprintf(stderr, "%s: no comments\n", argv[a + 1]);
        return 2;
    }
    chaff_model *m = NULL;
    struct chaff_diag d = {""};
    if (chaff_model_load(argv[a], &m, &d)) {
        fprintf(stderr, "%s\n", d.msg);
        return 2;
    }
    const chaff_extractor *ex = chaff_model_extractor(m);
    chaff_fctx *ctx = NULL;
    if (chaff_fctx_new(&ctx))
        return 2;
    double f[CHAFF_NFEATURES];
    size_t failed = 0;
    if (dump) {
        for (size_t i = 0; i < c.n; i++) {
            if (chaff_extract(ex, ctx, c.text[i], c.len[i], f)) {
                printf("error\n");
                continue;
            }
            for (int k = 0; k < CHAFF_NFEATURES; k++)
                printf("%s%a", k ? "\t" : "", f[k]);
            putchar('\n');
        }
    } else {
        /* warm-up: the context's buffers grow to the largest comment */
        unsigned long long allocs0 = n_allocs;
        double t0 = now_s();
        for (size_t i = 0; i < c.n; i++)
            failed += chaff_extract(ex, ctx, c.text[i], c.len[i], f) != CHAFF_OK;
        double warm = now_s() - t0;
        unsigned long long warm_allocs = n_allocs - allocs0;
        allocs0 = n_allocs;
        t0 = now_s();
        for (int p = 0; p < passes; p++) {
            for (size_t i = 0; i < c.n; i++)
                chaff_extract(ex, ctx, c.text[i], c.len[i], f);
        }
        double t = now_s() - t0;
        unsigned long long allocs = n_allocs - allocs0;
        double k = (double)c.n * passes;
        double mb = (double)c.bytes * passes / 1e6;
        printf("chaff_extract: %.1f MB, %zu comments (%zu refused), %d passes after a warm-up pass of %.2f s: "
               "%.2f MB/s, %.0f comments/s, %.2f us/comment (one core)\n",
               (double)c.bytes / 1e6, c.n, failed, passes, warm, mb / t, k / t, t / k * 1e6);
        /* the floor one feature sets: compression_ratio deflates each
         * comment (zlib level 6, a stream reset per comment, as
         * repetition.c does); the same calls alone, on the same text */
        z_stream z;
        memset(&z, 0, sizeof z);
        size_t zcap = 0;
        for (size_t i = 0; i < c.n; i++)
            zcap = c.len[i] > zcap ? c.len[i] : zcap;
        zcap = zcap + zcap / 8 + 64;
        unsigned char *zout = malloc(zcap);
        if (zout && deflateInit(&z, 6) == Z_OK) {
            unsigned long long zbytes = 0;
            t0 = now_s();
            for (int p = 0; p < passes; p++) {
                for (size_t i = 0; i < c.n; i++) {
                    deflateReset(&z);
                    z.next_in = (Bytef *)(uintptr_t)c.text[i];
                    z.avail_in = (uInt)c.len[i];
                    z.next_out = zout;
                    z.avail_out = (uInt)zcap;
                    deflate(&z, Z_FINISH);
                    zbytes += z.total_out;
                }
            }
            double tz = now_s() - t0;
            printf("zlib alone (compression_ratio's deflate, %llu bytes out): %.2f MB/s, %.2f us/comment, "
                   "%.0f%% of chaff_extract's time\n",
                   zbytes, mb / tz, tz / k * 1e6, 100 * tz / t);
            deflateEnd(&z);
        }
        free(zout);
        if (COUNT_ALLOCS)
            printf("chaff_extract: heap allocations: %llu in the warm-up pass, %llu in the timed passes: %.4f per "
                   "comment\n",
                   warm_allocs, allocs, (double)allocs / k);
        else
            printf("chaff_extract: heap allocations not counted (sanitizer build)\n");
    }
    chaff_fctx_free(ctx);
    chaff_model_free(m);
    free(c.text);
    free(c.len);
    free(buf);
    return 0;
}
