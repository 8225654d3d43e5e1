/* repetition.c: the repetition family (character runs, repeated words and
 * n-grams, compressibility, trigram entropy, duplicated lines). */
#include <math.h>
#include <string.h>

#include "family.h"
#include "util.h"

/* Share of n-gram positions whose n-gram occurs more than once. */
static chaff_err repeated_ngrams(chaff_fctx *ctx, const struct chaff_doc *d, size_t len, double *out)
{
    *out = 0;
    if (d->n_words < len + 1)
        return CHAFF_OK;
    size_t m = d->n_words - len + 1;
    chaff_err err = chaff_hmap_reset(&ctx->map, m);
    if (err)
        return err;
    for (size_t i = 0; i < m; i++) {
        uint64_t h = 0x84222325cbf29ce4ULL;
        for (size_t k = 0; k < len; k++)
            h = (h ^ d->words[i + k].hash) * 0x100000001b3ULL;
        chaff_hmap_add(&ctx->map, h);
    }
    size_t rep = 0;
    for (size_t i = 0; i < m; i++) {
        uint64_t h = 0x84222325cbf29ce4ULL;
        for (size_t k = 0; k < len; k++)
            h = (h ^ d->words[i + k].hash) * 0x100000001b3ULL;
        rep += chaff_hmap_get(&ctx->map, h) > 1;
    }
    *out = (double)rep / (double)m;
    return CHAFF_OK;
}

static chaff_err compression_ratio(chaff_fctx *ctx, const struct chaff_doc *d, double *out)
{
    *out = 0;
    if (!d->raw_len)
        return CHAFF_OK;
    if (!ctx->z_ready) {
        memset(&ctx->z, 0, sizeof ctx->z);
        ctx->z.zalloc = chaff_zalloc;
        ctx->z.zfree = chaff_zfree;
        if (deflateInit(&ctx->z, 6) != Z_OK)
            return CHAFF_ENOMEM;
        ctx->z_ready = 1;
    } else if (deflateReset(&ctx->z) != Z_OK) {
        return CHAFF_ENOMEM;
    }
    uLong bound = deflateBound(&ctx->z, (uLong)d->raw_len);
    if (bound > ctx->zcap) {
        unsigned char *p = chaff_reallocarray(ctx->zbuf, bound, 1);
        if (!p)
            return CHAFF_ENOMEM;
        ctx->zbuf = p;
        ctx->zcap = bound;
    }
    ctx->z.next_in = (Bytef *)(uintptr_t)d->raw;
    ctx->z.avail_in = (uInt)d->raw_len;
    ctx->z.next_out = ctx->zbuf;
    ctx->z.avail_out = (uInt)ctx->zcap;
    if (deflate(&ctx->z, Z_FINISH) != Z_STREAM_END)
        return CHAFF_ENOMEM;
    *out = (double)ctx->z.total_out / (double)d->raw_len;
    return CHAFF_OK;
}

static chaff_err trigram_entropy(chaff_fctx *ctx, double *out)
{
    *out = 0;
    const int32_t *c = ctx->db.ncp;
    size_t n = ctx->db.n_ncp; /* the normalised code points */
    if (!c || !ctx->doc.norm_len)
        return CHAFF_OK;
    if (n < 3)
        return CHAFF_OK;
    size_t m = n - 2;
    chaff_err err = chaff_hmap_reset(&ctx->map, m);
    if (err)
        return err;
    for (size_t i = 0; i < m; i++) {
        uint64_t h = ((uint64_t)(uint32_t)c[i] << 42) ^ ((uint64_t)(uint32_t)c[i + 1] << 21) ^ (uint32_t)c[i + 2];
        chaff_hmap_add(&ctx->map, h * 0x9E3779B97F4A7C15ULL + 1);
    }
    /* most trigrams occur once or a few times: each count's term is
     * computed once (the same expression, so the same bits) */
    double term[8];
    uint32_t have = 1; /* term[k] is set for 0 < k < have */
    double hsum = 0;
    for (size_t s = 0; s < ctx->map.cap; s++) {
        uint32_t k = ctx->map.vals[s] & 0x7fffffffu;
        if (!k)
            continue;
        if (k < 8) {
            while (have <= k) {
                double q = (double)have / (double)m;
                term[have++] = q * log2(q);
            }
            hsum -= term[k];
            continue;
        }
        double p = (double)k / (double)m;
        hsum -= p * log2(p);
    }
    *out = hsum;
    return CHAFF_OK;
}

chaff_err chaff_family_repetition(const chaff_extractor *ex, chaff_fctx *ctx, const struct chaff_doc *d, double *f)
{
    (void)ex;
    const int32_t *c = d->cp;
    size_t n = d->n_cp;
    size_t run = 0, run_max = 0, runs3 = 0;
    for (size_t i = 0; i < n; i++) {
        if (chaff_cp_is_space(c[i])) {
            run = 0;
            continue;
        }
        run = i > 0 && c[i] == c[i - 1] ? run + 1 : 1;
        if (run > run_max)
            run_max = run;
        if (run == 3 && !chaff_cp_is_digit(c[i]))
            runs3++;
    }
    f[F_CHAR_RUN_MAX] = (double)run_max;
    f[F_CHAR_RUNS3] = (double)runs3;

    size_t reps = 0;
    for (size_t i = 1; i < d->n_words; i++)
        reps += d->words[i].hash == d->words[i - 1].hash;
    f[F_WORD_REPEATS] = (double)reps;

    chaff_err err = repeated_ngrams(ctx, d, 2, &f[F_BIGRAM_REPEATS]);
    if (!err)
        err = repeated_ngrams(ctx, d, 3, &f[F_TRIGRAM_REPEATS]);
    if (!err)
        err = compression_ratio(ctx, d, &f[F_COMPRESSION]);
    if (!err)
        err = trigram_entropy(ctx, &f[F_TRIGRAM_ENTROPY]);
    if (err)
        return err;

    /* duplicated lines: non-blank lines (trimmed) equal to an earlier one.
     * Size the map by the '\n' count: d->n_lines skips lines of \v, NBSP
     * and other spaces that this loop keeps, and a full map never ends
     * probing. */
    size_t line_count = 1;
    for (size_t k = 0; k < d->raw_len; k++)
        line_count += d->raw[k] == '\n';
    err = chaff_hmap_reset(&ctx->map, line_count);
    if (err)
        return err;
    size_t dups = 0;
    const char *p = d->raw, *end = d->raw + d->raw_len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *a = p, *z = le;
        while (a < z && (*a == ' ' || *a == '\t' || *a == '\r'))
            a++;
        while (z > a && (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\r'))
            z--;
        if (z > a && chaff_hmap_add(&ctx->map, chaff_fnv1a(a, (size_t)(z - a))) > 1)
            dups++;
        p = nl ? nl + 1 : end;
    }
    f[F_DUP_LINES] = (double)dups;
    return CHAFF_OK;
}
