/* extract.c: the feature table, the extractor and its per-thread context. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "family.h"
#include "learned.h"
#include "util.h"

const struct chaff_feature_def chaff_features[CHAFF_NFEATURES] = {
#define X(id, name, fam, xf) {name, fam, xf},
#include "table.def"
#undef X
};

static const char *const family_names[] = {"length", "lexical", "emoji", "repetition", "script", "learned"};

const char *chaff_family_name(int family)
{
    if (family < 0 || family >= (int)(sizeof family_names / sizeof *family_names))
        return "?";
    return family_names[family];
}

int chaff_feature_find(const char *name)
{
    for (int i = 0; i < CHAFF_NFEATURES; i++) {
        if (strcmp(chaff_features[i].name, name) == 0)
            return i;
    }
    return -1;
}

void chaff_feature_set_hash(char out[17])
{
    uint64_t h = chaff_fnv1a("chaff-features", 14);
    for (int i = 0; i < CHAFF_NFEATURES; i++) {
        char line[128];
        int n = snprintf(line, sizeof line, "%d:%s:%d:%d;", i, chaff_features[i].name, chaff_features[i].family,
                         chaff_features[i].transform);
        h = chaff_fnv1a_more(h, line, (size_t)n);
    }
    /* the lexicons are part of the definitions: a changed word list makes
     * another feature set */
    for (const struct chaff_lexicon_src *src = chaff_lexicon_sources; src->name; src++) {
        h = chaff_fnv1a_more(h, src->name, strlen(src->name) + 1);
        h = chaff_fnv1a_more(h, src->text, src->len);
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

double chaff_feature_transform(int index, double value)
{
    if (chaff_features[index].transform == XF_LOG)
        return log1p(value > 0 ? value : 0);
    return value;
}

/* Lexicon file names, in enum chaff_lex_id order. */
static const char *const lex_names[CHAFF_NLEX] = {
    "function_words", "first_person", "second_person",    "llm_vocab",      "hedges",
    "promo",          "praise",       "template_openers", "template_turns", "list_conjunctions"};

chaff_err chaff_extractor_new(chaff_extractor **out, struct chaff_diag *diag)
{
    *out = NULL;
    chaff_extractor *ex = calloc(1, sizeof *ex);
    if (!ex)
        return CHAFF_ENOMEM;
    for (int i = 0; i < CHAFF_NLEX; i++) {
        chaff_err err = chaff_lexicon_build(lex_names[i], &ex->lex[i], diag);
        if (err) {
            chaff_extractor_free(ex);
            return err;
        }
    }
    chaff_err err = chaff_lexset_build(ex->lex, CHAFF_NLEX, &ex->lexset);
    if (err) {
        chaff_extractor_free(ex);
        return err;
    }
    *out = ex;
    return CHAFF_OK;
}

void chaff_extractor_free(chaff_extractor *ex)
{
    if (!ex)
        return;
    chaff_lexset_free(ex->lexset);
    for (int i = 0; i < CHAFF_NLEX; i++)
        chaff_lexicon_free(ex->lex[i]);
    chaff_ngrams_free(ex->ngrams);
    free(ex);
}

chaff_err chaff_fctx_new(chaff_fctx **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? CHAFF_OK : CHAFF_ENOMEM;
}

void chaff_fctx_free(chaff_fctx *ctx)
{
    if (!ctx)
        return;
    chaff_docbuf_free(&ctx->db);
    free(ctx->map.keys);
    free(ctx->map.vals);
    if (ctx->z_ready)
        deflateEnd(&ctx->z);
    free(ctx->zbuf);
    free(ctx->nb_bucket[0]);
    free(ctx->nb_bucket[1]);
    free(ctx->nb_seen);
    free(ctx->lex_len);
    free(ctx);
}

size_t chaff_fctx_matches(const chaff_fctx *ctx, int lex, const char **first)
{
    if (first)
        *first = ctx->lex_first[lex];
    return ctx->lex_count[lex];
}

const char *chaff_fctx_norm(const chaff_fctx *ctx, size_t *len)
{
    *len = ctx->doc.norm_len;
    return ctx->doc.norm;
}

chaff_err chaff_hmap_reset(struct chaff_hmap *m, size_t n)
{
    /* The table size depends on n alone, so that walking the slots (as
     * the trigram entropy does) visits keys in the same order whatever
     * comments came before: floating-point sums stay bit-identical. */
    size_t want = 64;
    while (want < n * 2 + 1)
        want *= 2;
    if (want > m->alloc) {
        uint64_t *k = chaff_reallocarray(m->keys, want, sizeof *k);
        if (!k)
            return CHAFF_ENOMEM;
        m->keys = k;
        uint32_t *v = chaff_reallocarray(m->vals, want, sizeof *v);
        if (!v)
            return CHAFF_ENOMEM;
        m->vals = v;
        m->alloc = want;
    }
    m->cap = want;
    memset(m->vals, 0, m->cap * sizeof *m->vals);
    return CHAFF_OK;
}

typedef chaff_err (*family_fn)(const chaff_extractor *, chaff_fctx *, const struct chaff_doc *, double *);

/* Adding a family: write its file and list it here. */
static const family_fn families[] = {
    chaff_family_length,     chaff_family_lexical, chaff_family_emoji,
    chaff_family_repetition, chaff_family_script,  chaff_family_learned,
};

void chaff_extractor_set_ngrams(chaff_extractor *ex, struct chaff_ngrams *ng)
{
    chaff_ngrams_free(ex->ngrams);
    ex->ngrams = ng;
}

const uint32_t *chaff_fctx_ngrams(const chaff_fctx *ctx, int t, size_t *n)
{
    *n = ctx->nb_n[t];
    return ctx->nb_bucket[t];
}

chaff_err chaff_extract(const chaff_extractor *ex, chaff_fctx *ctx, const char *text, size_t len, double *out)
{
    /* bounds every size below: NFKC expands a code point at most 18-fold,
     * so offsets stay within uint32_t and zlib's uInt */
    if (len > CHAFF_MAX_TEXT)
        return CHAFF_ETOOBIG;
    chaff_err err = chaff_doc_build(&ctx->db, text ? text : "", text ? len : 0, &ctx->doc);
    if (err)
        return err;
    size_t need = (size_t)CHAFF_NLEX * ctx->doc.n_words;
    if (need > ctx->lex_len_cap) {
        uint32_t *p = chaff_reallocarray(ctx->lex_len, need, sizeof *p);
        if (!p)
            return CHAFF_ENOMEM;
        ctx->lex_len = p;
        ctx->lex_len_cap = need;
    }
    chaff_lexset_count(ex->lexset, &ctx->doc, ctx->lex_count, ctx->lex_first, ctx->lex_len);
    for (int i = 0; i < CHAFF_NFEATURES; i++)
        out[i] = 0;
    for (size_t i = 0; i < sizeof families / sizeof *families; i++) {
        err = families[i](ex, ctx, &ctx->doc, out);
        if (err)
            return err;
    }
    for (int i = 0; i < CHAFF_NFEATURES; i++) {
        if (!isfinite(out[i]))
            out[i] = 0;
    }
    return CHAFF_OK;
}
