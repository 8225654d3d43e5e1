/*
 * features.h: the feature table and the extractor.
 *
 * An extractor (read-only, shareable across threads) holds the compiled
 * lexicons; a context (one per thread) holds the reusable buffers. To add a
 * feature: append a line to table.def, compute it in its family's file,
 * document it in README.md and test it in tests/unit/test_features.c.
 */
#ifndef CHAFF_FEATURES_H
#define CHAFF_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "chaff.h"

/* Bumped whenever the table changes; models record it with the table hash. */
#define CHAFF_FEATURE_SET_VERSION 9

enum chaff_family { FAM_LENGTH, FAM_LEXICAL, FAM_EMOJI, FAM_REPETITION, FAM_SCRIPT, FAM_LEARNED };
enum chaff_transform { XF_NONE, XF_LOG };

enum chaff_feature_id {
#define X(id, name, fam, xf) F_##id,
#include "table.def"
#undef X
    CHAFF_NFEATURES
};

struct chaff_feature_def {
    const char *name;
    int family;    /* enum chaff_family */
    int transform; /* enum chaff_transform */
};

/* The table, indexed by enum chaff_feature_id. */
extern const struct chaff_feature_def chaff_features[CHAFF_NFEATURES];

/* Name of a family ("length", ...). */
const char *chaff_family_name(int family);

/* The feature index named name, or -1. */
int chaff_feature_find(const char *name);

/* A hash of the table (names, families, transforms, order) and of every
 * lexicon's text, as 16 hex digits plus NUL, stored in models to refuse a
 * mismatched feature set. */
void chaff_feature_set_hash(char out[17]);

/* Applies the feature's transform (before scaling). */
double chaff_feature_transform(int index, double value);

/* The lexicons the extractor matches, in a fixed order. */
enum chaff_lex_id {
    LEX_FUNCTION_WORDS,
    LEX_FIRST_PERSON,
    LEX_SECOND_PERSON,
    LEX_LLM_VOCAB,
    LEX_HEDGES,
    LEX_PROMO,
    LEX_PRAISE,
    LEX_TEMPLATE_OPENERS,
    LEX_TEMPLATE_TURNS,
    LEX_LIST_CONJUNCTIONS,
    CHAFF_NLEX
};

typedef struct chaff_extractor chaff_extractor;
typedef struct chaff_fctx chaff_fctx;

/* Compiles the lexicons. *out is the caller's (chaff_extractor_free). */
chaff_err chaff_extractor_new(chaff_extractor **out, struct chaff_diag *diag);
void chaff_extractor_free(chaff_extractor *ex);

struct chaff_ngrams;

/* Gives the extractor the model's n-gram tables (it takes ownership and
 * frees them with itself); without them the learned features are 0. */
void chaff_extractor_set_ngrams(chaff_extractor *ex, struct chaff_ngrams *ng);

/* After chaff_extract: the distinct n-gram buckets of table t (0 words,
 * 1 characters), valid until the next extraction. For training. */
const uint32_t *chaff_fctx_ngrams(const chaff_fctx *ctx, int t, size_t *n);

/* Per-thread context. *out is the caller's (chaff_fctx_free). */
chaff_err chaff_fctx_new(chaff_fctx **out);
void chaff_fctx_free(chaff_fctx *ctx);

/* Extracts every feature of text[0..len) (any bytes) into
 * out[CHAFF_NFEATURES]. Values are finite. No allocation once the context's
 * buffers have grown to the largest comment seen. */
chaff_err chaff_extract(const chaff_extractor *ex, chaff_fctx *ctx, const char *text, size_t len, double *out);

/* After chaff_extract: how many matches lexicon lex had, and the first
 * matched entry as written in the lexicon (NULL when none). For reasons. */
size_t chaff_fctx_matches(const chaff_fctx *ctx, int lex, const char **first);

/* After chaff_extract: the normalised (NFKC-casefolded) text. */
const char *chaff_fctx_norm(const chaff_fctx *ctx, size_t *len);

#endif
