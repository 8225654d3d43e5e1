/* learned.c: hashed n-gram naive-Bayes ratios (see learned.h). */
#include "learned.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "family.h"
#include "util.h"

#define NB_ALPHA 1.0
#define NB_VALUES (CHAFF_NGRAM_TABLES * CHAFF_NLABELS * (size_t)CHAFF_NGRAM_BUCKETS)
static const char magic[8] = {'C', 'H', 'A', 'F', 'F', 'N', 'B', '1'};

/* A bucket's values for every class, side by side (one cache line). */
#define NB_STRIDE 4

struct chaff_ngrams {
    float *r;  /* [table][class][bucket], as in the file */
    float *by; /* the same values as [table][bucket][NB_STRIDE]: scoring
                  reads one line per bucket rather than one per class */
};

/* Fills by from r; call whenever r changes. */
static void interleave(struct chaff_ngrams *ng)
{
    for (int t = 0; t < CHAFF_NGRAM_TABLES; t++) {
        for (int c = 0; c < CHAFF_NLABELS; c++) {
            const float *r = ng->r + ((size_t)t * CHAFF_NLABELS + (size_t)c) * CHAFF_NGRAM_BUCKETS;
            float *by = ng->by + (size_t)t * CHAFF_NGRAM_BUCKETS * NB_STRIDE + (size_t)c;
            for (size_t b = 0; b < CHAFF_NGRAM_BUCKETS; b++)
                by[b * NB_STRIDE] = r[b];
        }
    }
}

static float *rtab(const struct chaff_ngrams *ng, int t, int c)
{
    return ng->r + ((size_t)t * CHAFF_NLABELS + (size_t)c) * CHAFF_NGRAM_BUCKETS;
}

void chaff_ngrams_free(struct chaff_ngrams *ng)
{
    if (!ng)
        return;
    free(ng->r);
    free(ng->by);
    free(ng);
}

static struct chaff_ngrams *ngrams_new(void)
{
    struct chaff_ngrams *ng = calloc(1, sizeof *ng);
    if (!ng)
        return NULL;
    ng->r = calloc(NB_VALUES, sizeof *ng->r);
    ng->by = calloc((size_t)CHAFF_NGRAM_TABLES * CHAFF_NGRAM_BUCKETS * NB_STRIDE, sizeof *ng->by);
    if (!ng->r || !ng->by) {
        chaff_ngrams_free(ng);
        return NULL;
    }
    return ng;
}

/* File: magic, then uint32 bits, tables, classes (little-endian), the
 * float32 values, then the FNV-1a of the values as uint64. */
chaff_err chaff_ngrams_save(const struct chaff_ngrams *ng, const char *path, struct chaff_diag *diag)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return chaff_diagf(diag, CHAFF_EIO, "%s: cannot write: %s", tmp, strerror(errno));
    uint32_t head[3] = {CHAFF_NGRAM_BITS, CHAFF_NGRAM_TABLES, CHAFF_NLABELS};
    uint64_t sum = chaff_fnv1a(ng->r, NB_VALUES * sizeof *ng->r);
    int bad = fwrite(magic, 1, sizeof magic, f) != sizeof magic;
    bad |= fwrite(head, sizeof head, 1, f) != 1;
    bad |= fwrite(ng->r, sizeof *ng->r, NB_VALUES, f) != NB_VALUES;
    bad |= fwrite(&sum, sizeof sum, 1, f) != 1;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return chaff_diagf(diag, CHAFF_EIO, "%s: cannot write", path);
    }
    return CHAFF_OK;
}

chaff_err chaff_ngrams_load(const char *path, struct chaff_ngrams **out, struct chaff_diag *diag)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return chaff_diagf(diag, CHAFF_EMODEL, "%s: cannot open: %s", path, strerror(errno));
    struct chaff_ngrams *ng = ngrams_new();
    if (!ng) {
        fclose(f);
        return CHAFF_ENOMEM;
    }
    char m[8];
    uint32_t head[3];
    uint64_t sum = 0;
    chaff_err err = CHAFF_OK;
    if (fread(m, 1, sizeof m, f) != sizeof m || memcmp(m, magic, sizeof m) != 0)
        err = chaff_diagf(diag, CHAFF_EMODEL, "%s: not a chaff n-gram table (bad magic)", path);
    else if (fread(head, sizeof head, 1, f) != 1 || head[0] != CHAFF_NGRAM_BITS || head[1] != CHAFF_NGRAM_TABLES ||
             head[2] != CHAFF_NLABELS)
        err = chaff_diagf(diag, CHAFF_EMODEL,
                          "%s: table shape differs from this chaff's (%u bits, %u tables, %u classes)", path,
                          CHAFF_NGRAM_BITS, CHAFF_NGRAM_TABLES, CHAFF_NLABELS);
    else if (fread(ng->r, sizeof *ng->r, NB_VALUES, f) != NB_VALUES || fread(&sum, sizeof sum, 1, f) != 1)
        err = chaff_diagf(diag, CHAFF_EMODEL, "%s: truncated", path);
    else if (fgetc(f) != EOF)
        err = chaff_diagf(diag, CHAFF_EMODEL, "%s: trailing bytes after the tables", path);
    else if (sum != chaff_fnv1a(ng->r, NB_VALUES * sizeof *ng->r))
        err = chaff_diagf(diag, CHAFF_EMODEL, "%s: checksum mismatch (corrupt file)", path);
    fclose(f);
    for (size_t i = 0; !err && i < NB_VALUES; i++) {
        if (!isfinite(ng->r[i]) || fabsf(ng->r[i]) > 100)
            err = chaff_diagf(diag, CHAFF_EMODEL, "%s: value %zu out of range", path, i);
    }
    if (err) {
        chaff_ngrams_free(ng);
        return err;
    }
    interleave(ng);
    *out = ng;
    return CHAFF_OK;
}

void chaff_ngrams_score(const struct chaff_ngrams *ng, const uint32_t *const bucket[CHAFF_NGRAM_TABLES],
                        const size_t n[CHAFF_NGRAM_TABLES], double out[CHAFF_NGRAM_TABLES * CHAFF_NLABELS])
{
    for (int t = 0; t < CHAFF_NGRAM_TABLES; t++) {
        /* each class's sum in bucket order, as one class at a time would */
        double s[CHAFF_NLABELS] = {0};
        if (ng && n[t]) {
            const float *by = ng->by + (size_t)t * CHAFF_NGRAM_BUCKETS * NB_STRIDE;
            for (size_t i = 0; i < n[t]; i++) {
                const float *v = by + (size_t)bucket[t][i] * NB_STRIDE;
                for (int c = 0; c < CHAFF_NLABELS; c++)
                    s[c] += v[c];
            }
            for (int c = 0; c < CHAFF_NLABELS; c++)
                s[c] /= (double)n[t];
        }
        for (int c = 0; c < CHAFF_NLABELS; c++)
            out[t * CHAFF_NLABELS + c] = s[c];
    }
}

/* Ratios from document counts: cnt[t][c][b] documents of class c holding
 * bucket b, tot[t][c] their sum over buckets. */
static void ratios(const uint32_t *cnt, const double *tot, struct chaff_ngrams *ng)
{
    for (int t = 0; t < CHAFF_NGRAM_TABLES; t++) {
        double all_tot = 0;
        for (int c = 0; c < CHAFF_NLABELS; c++)
            all_tot += tot[t * CHAFF_NLABELS + c];
        for (int c = 0; c < CHAFF_NLABELS; c++) {
            const uint32_t *p = cnt + ((size_t)t * CHAFF_NLABELS + (size_t)c) * CHAFF_NGRAM_BUCKETS;
            double ptot = tot[t * CHAFF_NLABELS + c] + NB_ALPHA * CHAFF_NGRAM_BUCKETS;
            double qtot = all_tot - tot[t * CHAFF_NLABELS + c] + NB_ALPHA * CHAFF_NGRAM_BUCKETS;
            float *r = rtab(ng, t, c);
            for (uint32_t b = 0; b < CHAFF_NGRAM_BUCKETS; b++) {
                double pc = p[b];
                double qc = 0;
                for (int o = 0; o < CHAFF_NLABELS; o++) {
                    if (o != c)
                        qc += cnt[((size_t)t * CHAFF_NLABELS + (size_t)o) * CHAFF_NGRAM_BUCKETS + b];
                }
                r[b] = (float)(log((pc + NB_ALPHA) / ptot) - log((qc + NB_ALPHA) / qtot));
            }
        }
    }
}

chaff_err chaff_ngrams_fit(const struct chaff_ngram_row *rows, size_t n, const struct chaff_ngram_row *extra,
                           size_t nextra, int folds, double *out, size_t stride, size_t first,
                           struct chaff_ngrams **final)
{
    *final = NULL;
    size_t per = NB_VALUES;
    /* counts per fold, then totals */
    uint32_t *cnt = calloc((size_t)folds * per, sizeof *cnt);
    uint32_t *all = calloc(per, sizeof *all);
    uint32_t *rest = calloc(per, sizeof *rest);
    double *tot = calloc((size_t)folds * CHAFF_NGRAM_TABLES * CHAFF_NLABELS, sizeof *tot);
    double all_tot[CHAFF_NGRAM_TABLES * CHAFF_NLABELS] = {0};
    struct chaff_ngrams *ng = ngrams_new();
    chaff_err err = CHAFF_OK;
    if (!cnt || !all || !rest || !tot || !ng) {
        err = CHAFF_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const struct chaff_ngram_row *row = &rows[i];
        for (int t = 0; t < CHAFF_NGRAM_TABLES; t++) {
            uint32_t *c =
                cnt + (size_t)row->fold * per + ((size_t)t * CHAFF_NLABELS + (size_t)row->label) * CHAFF_NGRAM_BUCKETS;
            for (uint32_t k = 0; k < row->n[t]; k++)
                c[row->bucket[t][k]]++;
            tot[((size_t)row->fold * CHAFF_NGRAM_TABLES + (size_t)t) * CHAFF_NLABELS + (size_t)row->label] += row->n[t];
        }
    }
    for (int f = 0; f < folds; f++) {
        for (size_t b = 0; b < per; b++)
            all[b] += cnt[(size_t)f * per + b];
        for (int k = 0; k < CHAFF_NGRAM_TABLES * CHAFF_NLABELS; k++)
            all_tot[k] += tot[(size_t)f * CHAFF_NGRAM_TABLES * CHAFF_NLABELS + (size_t)k];
    }
    for (size_t i = 0; i < nextra; i++) {
        const struct chaff_ngram_row *row = &extra[i];
        for (int t = 0; t < CHAFF_NGRAM_TABLES; t++) {
            uint32_t *c = all + ((size_t)t * CHAFF_NLABELS + (size_t)row->label) * CHAFF_NGRAM_BUCKETS;
            for (uint32_t k = 0; k < row->n[t]; k++)
                c[row->bucket[t][k]]++;
            all_tot[(size_t)t * CHAFF_NLABELS + (size_t)row->label] += row->n[t];
        }
    }
    /* out-of-fold values */
    for (int f = 0; f < folds; f++) {
        double rest_tot[CHAFF_NGRAM_TABLES * CHAFF_NLABELS];
        for (size_t b = 0; b < per; b++)
            rest[b] = all[b] - cnt[(size_t)f * per + b];
        for (int k = 0; k < CHAFF_NGRAM_TABLES * CHAFF_NLABELS; k++)
            rest_tot[k] = all_tot[k] - tot[(size_t)f * CHAFF_NGRAM_TABLES * CHAFF_NLABELS + (size_t)k];
        ratios(rest, rest_tot, ng);
        interleave(ng);
        for (size_t i = 0; i < n; i++) {
            if (rows[i].fold != f)
                continue;
            const uint32_t *bk[CHAFF_NGRAM_TABLES];
            size_t nb[CHAFF_NGRAM_TABLES];
            for (int t = 0; t < CHAFF_NGRAM_TABLES; t++) {
                bk[t] = rows[i].bucket[t];
                nb[t] = rows[i].n[t];
            }
            chaff_ngrams_score(ng, bk, nb, out + i * stride + first);
        }
    }
    ratios(all, all_tot, ng);
    interleave(ng);
    *final = ng;
    ng = NULL;
out:
    free(cnt);
    free(all);
    free(rest);
    free(tot);
    chaff_ngrams_free(ng);
    return err;
}

/* ---- extraction: the family function ---- */

static uint32_t bucket_of(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (uint32_t)(h & (CHAFF_NGRAM_BUCKETS - 1));
}

static chaff_err push(chaff_fctx *ctx, int t, uint32_t b)
{
    uint64_t *seen = ctx->nb_seen + (size_t)t * (CHAFF_NGRAM_BUCKETS / 64);
    uint64_t bit = 1ULL << (b & 63);
    if (seen[b >> 6] & bit)
        return CHAFF_OK; /* distinct buckets only */
    if (ctx->nb_n[t] == ctx->nb_cap[t]) {
        size_t cap = ctx->nb_cap[t] ? ctx->nb_cap[t] * 2 : 256;
        uint32_t *p = chaff_reallocarray(ctx->nb_bucket[t], cap, sizeof *p);
        if (!p)
            return CHAFF_ENOMEM;
        ctx->nb_bucket[t] = p;
        ctx->nb_cap[t] = cap;
    }
    ctx->nb_bucket[t][ctx->nb_n[t]++] = b;
    seen[b >> 6] |= bit; /* only once listed, so that clearing finds it */
    return CHAFF_OK;
}

/* Character n-grams read at most this many normalised code points. */
#define NB_MAX_CHARS 4000

chaff_err chaff_family_learned(const chaff_extractor *ex, chaff_fctx *ctx, const struct chaff_doc *d, double *f)
{
    /* a bit per bucket tells the distinct ones: the lists come out in
     * order of first occurrence, and only their bits are cleared after */
    if (!ctx->nb_seen) {
        ctx->nb_seen = chaff_calloc((size_t)CHAFF_NGRAM_TABLES * (CHAFF_NGRAM_BUCKETS / 64), sizeof *ctx->nb_seen);
        if (!ctx->nb_seen)
            return CHAFF_ENOMEM;
    }
    ctx->nb_n[0] = ctx->nb_n[1] = 0;
    size_t ncp = ctx->db.n_ncp < NB_MAX_CHARS ? ctx->db.n_ncp : NB_MAX_CHARS;
    chaff_err err = CHAFF_OK;
    for (size_t i = 0; i < d->n_words && !err; i++) {
        err = push(ctx, 0, bucket_of(d->words[i].hash));
        if (!err && i + 1 < d->n_words && d->words[i + 1].sent == d->words[i].sent)
            err = push(ctx, 0, bucket_of(d->words[i].hash * 0x9E3779B97F4A7C15ULL ^ d->words[i + 1].hash));
    }
    /* character 3- and 4-grams, runs of spaces folded to one */
    const int32_t *c = ctx->db.ncp;
    uint64_t win[4] = {0};
    size_t have = 0;
    for (size_t i = 0; i < ncp && !err; i++) {
        uint64_t x = chaff_cp_is_space(c[i]) ? ' ' : (uint64_t)(uint32_t)c[i];
        if (x == ' ' && have && win[3] == ' ')
            continue;
        win[0] = win[1];
        win[1] = win[2];
        win[2] = win[3];
        win[3] = x;
        have++;
        if (have >= 3)
            err = push(ctx, 1, bucket_of((win[1] * 0x100000001b3ULL ^ win[2]) * 0x100000001b3ULL ^ win[3]));
        if (!err && have >= 4)
            err = push(
                ctx, 1,
                bucket_of(((win[0] * 0x100000001b3ULL ^ win[1]) * 0x100000001b3ULL ^ win[2]) * 0x9E3779B97F4A7C15ULL ^
                          win[3]));
    }
    for (int t = 0; t < CHAFF_NGRAM_TABLES; t++) {
        uint64_t *seen = ctx->nb_seen + (size_t)t * (CHAFF_NGRAM_BUCKETS / 64);
        for (size_t i = 0; i < ctx->nb_n[t]; i++)
            seen[ctx->nb_bucket[t][i] >> 6] = 0;
    }
    if (err)
        return err;
    const uint32_t *bk[CHAFF_NGRAM_TABLES] = {ctx->nb_bucket[0], ctx->nb_bucket[1]};
    size_t nb[CHAFF_NGRAM_TABLES] = {ctx->nb_n[0], ctx->nb_n[1]};
    chaff_ngrams_score(ex->ngrams, bk, nb, f + F_NB_WORD_HUMAN);
    return CHAFF_OK;
}
