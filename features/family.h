/* family.h: what the feature families share (private to features/). */
#ifndef CHAFF_FAMILY_H
#define CHAFF_FAMILY_H

#include <zlib.h>

#include "doc.h"
#include "chaff_features.h"
#include "lexicon.h"

struct chaff_extractor {
    struct chaff_lexicon *lex[CHAFF_NLEX];
    struct chaff_lexset *lexset; /* lex, indexed together */
    struct chaff_ngrams *ngrams; /* NULL: learned features are 0 */
};

/* A counting hash map on 64-bit keys, reset per use, reused across comments. */
struct chaff_hmap {
    uint64_t *keys;
    uint32_t *vals; /* 0 = empty slot */
    size_t cap;     /* slots in use: a power of two set by the last reset */
    size_t alloc;   /* slots allocated */
};

struct chaff_fctx {
    struct chaff_docbuf db;
    struct chaff_doc doc;
    size_t lex_count[CHAFF_NLEX];
    const char *lex_first[CHAFF_NLEX];
    uint32_t *lex_len; /* [lex][word]: words of the entry matching there, or 0 */
    size_t lex_len_cap;
    struct chaff_hmap map;
    z_stream z;
    int z_ready;
    unsigned char *zbuf;
    size_t zcap;
    uint32_t *nb_bucket[2]; /* distinct n-gram buckets, per table */
    size_t nb_n[2], nb_cap[2];
    uint64_t *nb_seen; /* a bit per bucket and table, all 0 between uses */
};

/* Clears m and makes room for n keys. */
chaff_err chaff_hmap_reset(struct chaff_hmap *m, size_t n);

/* The slot holding key, or the empty slot where it would go. Inline with
 * the three below: they run for every word, n-gram and trigram. */
static inline size_t chaff_hmap_slot(const struct chaff_hmap *m, uint64_t key)
{
    size_t i = (size_t)(key ^ (key >> 31)) & (m->cap - 1);
    while (m->vals[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

/* Adds one to key's count; returns the new count. */
static inline uint32_t chaff_hmap_add(struct chaff_hmap *m, uint64_t key)
{
    size_t i = chaff_hmap_slot(m, key);
    m->keys[i] = key;
    return ++m->vals[i] & 0x7fffffffu;
}

/* Subtracts one from key's count (which must be > 0); returns the new count. */
static inline uint32_t chaff_hmap_sub(struct chaff_hmap *m, uint64_t key)
{
    size_t i = chaff_hmap_slot(m, key);
    /* A key whose count drops to 0 keeps its slot (the high bit marks it
     * present) so that probing past it still finds later keys. */
    if ((m->vals[i] & 0x7fffffffu) > 1)
        return --m->vals[i] & 0x7fffffffu;
    m->vals[i] = 0x80000000u;
    return 0;
}

/* key's count, 0 if absent. */
static inline uint32_t chaff_hmap_get(const struct chaff_hmap *m, uint64_t key)
{
    size_t i = chaff_hmap_slot(m, key);
    return m->vals[i] & 0x7fffffffu;
}

/* Emoji helpers shared by families. */
int chaff_cp_is_pictographic_table(int32_t c);

static inline int chaff_cp_is_pictographic(int32_t c)
{
    if (c < 0xA9) /* © is the first Extended_Pictographic code point */
        return 0;
    return chaff_cp_is_pictographic_table(c);
}

static inline int chaff_cp_is_skin_tone(int32_t c)
{
    return c >= 0x1F3FB && c <= 0x1F3FF;
}

/* One function per family; each writes only its own features. */
chaff_err chaff_family_length(const chaff_extractor *ex, chaff_fctx *ctx, const struct chaff_doc *d, double *f);
chaff_err chaff_family_lexical(const chaff_extractor *ex, chaff_fctx *ctx, const struct chaff_doc *d, double *f);
chaff_err chaff_family_emoji(const chaff_extractor *ex, chaff_fctx *ctx, const struct chaff_doc *d, double *f);
chaff_err chaff_family_repetition(const chaff_extractor *ex, chaff_fctx *ctx, const struct chaff_doc *d, double *f);
chaff_err chaff_family_learned(const chaff_extractor *ex, chaff_fctx *ctx, const struct chaff_doc *d, double *f);
chaff_err chaff_family_script(const chaff_extractor *ex, chaff_fctx *ctx, const struct chaff_doc *d, double *f);

#endif
