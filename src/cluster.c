/* cluster.c: SimHash near-duplicate clusters (see cluster.h). */
#include "cluster.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define BANDS (CHAFF_CLUSTER_HASHES / ROWS)
#define ROWS 2 /* MinHashes per band */
#define REPS 8 /* representatives kept per band key for comparison */

/* A comment: 80 bytes. Its signature keeps the low 16 bits of each
 * MinHash: two different MinHashes agree there once in 65,536 times, which
 * moves the estimated similarity by nothing that matters. */
struct item {
    int64_t id;
    uint64_t author; /* FNV-1a of the author, 0 unknown */
    uint16_t sig[CHAFF_CLUSTER_HASHES];
};

/* The LSH index: one entry per representative of a band key, in
 * open-addressing tables of 4-byte entries (band << ITEM_BITS | item + 1; 0
 * empty). The key, the band and its two signature values, is read back
 * from the item. A bucket per key with room for REPS representatives took
 * 48 bytes, and most keys have one: the 16 bands of a million distinct
 * comments took gigabytes.
 *
 * The entries are spread over SEGS tables by the top bits of their hash,
 * each at most half full and doubled on its own: a table being doubled
 * holds its old and new arrays at once, and one of SEGS costs 1/SEGS of
 * what doubling the whole index would (at a million comments, the index is
 * 128 MB). The ids already added are kept the same way, as items. */
#define ITEM_BITS 28 /* at most 2^28 - 1 comments */
_Static_assert(BANDS <= 1 << (32 - ITEM_BITS), "an entry holds its band");
#define SEG_BITS 6
#define SEGS (1 << SEG_BITS)
#define SEG_MIN 64 /* slots of a segment's first array */

struct seg {
    uint32_t *t;
    uint32_t n, used; /* slots (a power of 2), and entries */
};

struct chaff_clusterer {
    struct item *items;
    uint32_t *parent;
    size_t n, cap;
    struct seg lsh[SEGS]; /* band entries */
    struct seg ids[SEGS]; /* item + 1 of every item, by id */
    int finished;         /* chaff_clusterer_each freed the index */
};

chaff_err chaff_clusterer_new(chaff_clusterer **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? CHAFF_OK : CHAFF_ENOMEM;
}

static void free_index(chaff_clusterer *cl)
{
    for (int i = 0; i < SEGS; i++) {
        free(cl->lsh[i].t);
        free(cl->ids[i].t);
        cl->lsh[i] = (struct seg){NULL, 0, 0};
        cl->ids[i] = (struct seg){NULL, 0, 0};
    }
}

void chaff_clusterer_free(chaff_clusterer *cl)
{
    if (!cl)
        return;
    free(cl->items);
    free(cl->parent);
    free_index(cl);
    free(cl);
}

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Seeds of the MinHash functions: h_k(w) = mix(w ^ seed_k). */
static uint64_t seed_of(int k)
{
    return 0x9E3779B97F4A7C15ULL * (uint64_t)(k + 1);
}

int chaff_minhash(const char *s, size_t len, uint32_t sig[CHAFF_CLUSTER_HASHES])
{
    for (int k = 0; k < CHAFF_CLUSTER_HASHES; k++)
        sig[k] = UINT32_MAX;
    size_t words = 0;
    size_t i = 0;
    while (i < len) {
        /* words: runs of ASCII letters and digits and of any non-ASCII
         * bytes (the text is casefolded: punctuation is mostly ASCII) */
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80)) {
            i++;
            continue;
        }
        size_t a = i;
        while (i < len) {
            c = (unsigned char)s[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80))
                break;
            i++;
        }
        uint64_t h = chaff_fnv1a(s + a, i - a);
        for (int k = 0; k < CHAFF_CLUSTER_HASHES; k++) {
            uint32_t v = (uint32_t)(mix(h ^ seed_of(k)) >> 32);
            if (v < sig[k])
                sig[k] = v;
        }
        words++;
    }
    return words >= CHAFF_CLUSTER_MIN_WORDS;
}

/* Share of equal MinHashes: an estimate of the word-set Jaccard index. */
static int similar(const uint16_t *a, const uint16_t *b)
{
    int eq = 0;
    for (int k = 0; k < CHAFF_CLUSTER_HASHES; k++)
        eq += a[k] == b[k];
    return eq * 100 >= CHAFF_CLUSTER_MIN_PERCENT * CHAFF_CLUSTER_HASHES;
}

static uint32_t find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static void unite(uint32_t *parent, uint32_t a, uint32_t b)
{
    a = find(parent, a);
    b = find(parent, b);
    if (a == b)
        return;
    /* the earlier comment stays the root: cluster ids are stable */
    if (a < b)
        parent[b] = a;
    else
        parent[a] = b;
}

/* The key of a band of a signature: the band and its two values. */
static uint64_t band_key(int band, const uint16_t *sig)
{
    return (uint64_t)band << 32 | (uint64_t)sig[band * ROWS] << 16 | sig[band * ROWS + 1];
}

static uint32_t entry_item(uint32_t e)
{
    return (e & ((1u << ITEM_BITS) - 1)) - 1;
}

static uint64_t entry_key(const chaff_clusterer *cl, uint32_t e)
{
    return band_key((int)(e >> ITEM_BITS), cl->items[entry_item(e)].sig);
}

static uint64_t id_key(int64_t id)
{
    return (uint64_t)id;
}

/* The hash of an entry of the LSH index (lsh) or of the ids. */
static uint64_t entry_hash(const chaff_clusterer *cl, int lsh, uint32_t e)
{
    return mix(lsh ? entry_key(cl, e) : id_key(cl->items[entry_item(e)].id));
}

static struct seg *seg_of(struct seg *segs, uint64_t h)
{
    return &segs[h >> (64 - SEG_BITS)];
}

/* Makes room in g (of the index lsh or the ids) for a comment's entries
 * (all of them might fall in g): at most half full afterwards. */
static chaff_err seg_reserve(chaff_clusterer *cl, int lsh, struct seg *g)
{
    if ((size_t)(g->used + (lsh ? BANDS : 1)) * 2 <= g->n)
        return CHAFF_OK;
    uint32_t n = g->n ? g->n * 2 : SEG_MIN;
    uint32_t *t = calloc(n, sizeof *t);
    if (!t)
        return CHAFF_ENOMEM;
    for (uint32_t i = 0; i < g->n; i++) {
        if (!g->t[i])
            continue;
        size_t j = (size_t)entry_hash(cl, lsh, g->t[i]) & (n - 1);
        while (t[j])
            j = (j + 1) & (n - 1);
        t[j] = g->t[i];
    }
    free(g->t);
    g->t = t;
    g->n = n;
    return CHAFF_OK;
}

/* 1 if id was added before. */
static int seen(const chaff_clusterer *cl, int64_t id)
{
    uint64_t h = mix(id_key(id));
    const struct seg *g = &cl->ids[h >> (64 - SEG_BITS)];
    if (!g->n)
        return 0;
    for (size_t j = (size_t)h & (g->n - 1); g->t[j]; j = (j + 1) & (g->n - 1)) {
        if (cl->items[entry_item(g->t[j])].id == id)
            return 1;
    }
    return 0;
}

chaff_err chaff_clusterer_add(chaff_clusterer *cl, int64_t id, const char *norm, size_t len, const char *author)
{
    uint32_t sig[CHAFF_CLUSTER_HASHES];
    if (cl->finished)
        return CHAFF_EINVAL;
    if (!chaff_minhash(norm, len, sig))
        return CHAFF_OK;
    return chaff_clusterer_add_minhash(cl, id, sig, author);
}

chaff_err chaff_clusterer_add_minhash(chaff_clusterer *cl, int64_t id, const uint32_t full[CHAFF_CLUSTER_HASHES],
                                      const char *author)
{
    uint16_t sig[CHAFF_CLUSTER_HASHES];
    if (cl->finished)
        return CHAFF_EINVAL;
    if (seen(cl, id))
        return CHAFF_OK; /* each comment once, however often it is added */
    for (int k = 0; k < CHAFF_CLUSTER_HASHES; k++)
        sig[k] = (uint16_t)full[k];
    /* room first: a comment whose adding failed can be added again */
    if (cl->n == cl->cap) {
        size_t cap = cl->cap ? cl->cap * 2 : 1024;
        if (cap >= 1u << ITEM_BITS)
            return CHAFF_ETOOBIG;
        struct item *it = chaff_reallocarray(cl->items, cap, sizeof *it);
        if (!it)
            return CHAFF_ENOMEM;
        cl->items = it;
        uint32_t *p = chaff_reallocarray(cl->parent, cap, sizeof *p);
        if (!p)
            return CHAFF_ENOMEM;
        cl->parent = p;
        cl->cap = cap;
    }
    uint32_t me = (uint32_t)cl->n;
    struct item *it = &cl->items[me];
    it->id = id;
    memcpy(it->sig, sig, sizeof sig);
    it->author = author && *author ? chaff_fnv1a(author, strlen(author)) | 1 : 0;
    /* the item is in place (not yet counted), so its entries hash */
    uint64_t keys[BANDS + 1];
    for (int band = 0; band < BANDS; band++)
        keys[band] = mix(band_key(band, sig));
    keys[BANDS] = mix(id_key(id));
    for (int band = 0; band <= BANDS; band++) {
        chaff_err err = seg_reserve(cl, band < BANDS, seg_of(band < BANDS ? cl->lsh : cl->ids, keys[band]));
        if (err)
            return err;
    }
    cl->n++;
    cl->parent[me] = me;
    struct seg *g = seg_of(cl->ids, keys[BANDS]);
    size_t j = (size_t)keys[BANDS] & (g->n - 1);
    while (g->t[j])
        j = (j + 1) & (g->n - 1);
    g->t[j] = me + 1;
    g->used++;
    /* LSH: comments that agree on every MinHash of some band are compared */
    for (int band = 0; band < BANDS; band++) {
        uint64_t key = band_key(band, sig);
        g = seg_of(cl->lsh, keys[band]);
        j = (size_t)keys[band] & (g->n - 1);
        int joined = 0, reps = 0;
        for (; g->t[j]; j = (j + 1) & (g->n - 1)) {
            if (g->t[j] >> ITEM_BITS != (uint32_t)band || entry_key(cl, g->t[j]) != key)
                continue;
            uint32_t r = entry_item(g->t[j]);
            reps++;
            if (similar(cl->items[r].sig, sig)) {
                unite(cl->parent, r, me);
                joined = 1;
            }
        }
        /* a few representatives per key bound the work on a campaign of
         * thousands of copies; a comment that joined one is represented */
        if (!joined && reps < REPS) {
            g->t[j] = (uint32_t)band << ITEM_BITS | (me + 1);
            g->used++;
        }
    }
    return CHAFF_OK;
}

size_t chaff_clusterer_bytes(const chaff_clusterer *cl)
{
    size_t bytes = sizeof *cl + cl->cap * (sizeof *cl->items + sizeof *cl->parent);
    for (int i = 0; i < SEGS; i++)
        bytes += ((size_t)cl->lsh[i].n + cl->ids[i].n) * sizeof(uint32_t);
    return bytes;
}

static int cmp_u64_pair(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

int chaff_clusterer_each(chaff_clusterer *cl, int (*fn)(const struct chaff_cluster_member *m, void *ud), void *ud)
{
    size_t n = cl->n;
    /* the index is done with: its memory goes first */
    free_index(cl);
    cl->finished = 1;
    if (!n)
        return 0;
    uint32_t *size = calloc(n, sizeof *size);
    uint32_t *authors = calloc(n, sizeof *authors);
    /* (root, author) pairs, sorted, to count distinct authors per root */
    uint64_t *pairs = calloc(n, 2 * sizeof *pairs);
    if (!size || !authors || !pairs) {
        free(size);
        free(authors);
        free(pairs);
        return -1;
    }
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = find(cl->parent, (uint32_t)i);
        size[r]++;
        if (cl->items[i].author) {
            pairs[2 * np] = r;
            pairs[2 * np + 1] = cl->items[i].author;
            np++;
        }
    }
    qsort(pairs, np, 2 * sizeof *pairs, cmp_u64_pair);
    for (size_t i = 0; i < np; i++) {
        if (i == 0 || pairs[2 * i] != pairs[2 * i - 2] || pairs[2 * i + 1] != pairs[2 * i - 1])
            authors[pairs[2 * i]]++;
    }
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        uint32_t r = find(cl->parent, (uint32_t)i);
        if (size[r] < 2)
            continue;
        struct chaff_cluster_member m = {cl->items[i].id, cl->items[r].id, size[r], authors[r]};
        rc = fn(&m, ud);
    }
    free(size);
    free(authors);
    free(pairs);
    return rc;
}
