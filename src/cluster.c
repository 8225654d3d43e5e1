/* cluster.c: SimHash near-duplicate clusters (see cluster.h). */
#include "cluster.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define BANDS (CHAFF_CLUSTER_HASHES / ROWS)
#define ROWS 2 /* MinHashes per band */
#define REPS 8 /* signatures kept per band bucket for comparison */

struct item {
    int64_t id;
    uint32_t sig[CHAFF_CLUSTER_HASHES];
    uint64_t author; /* FNV-1a of the author, 0 unknown */
};

struct bucket {
    uint64_t key; /* hash of band number and band values, never 0 */
    uint32_t rep[REPS];
    uint32_t n;
};

struct chaff_clusterer {
    struct item *items;
    uint32_t *parent;
    size_t n, cap;
    struct bucket *buckets;
    size_t nbuckets, used;
    int64_t *seen; /* ids added, open addressing, 0 = empty */
    size_t nseen, seen_cap;
};

chaff_err chaff_clusterer_new(chaff_clusterer **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? CHAFF_OK : CHAFF_ENOMEM;
}

void chaff_clusterer_free(chaff_clusterer *cl)
{
    if (!cl)
        return;
    free(cl->items);
    free(cl->parent);
    free(cl->buckets);
    free(cl->seen);
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
static int similar(const uint32_t *a, const uint32_t *b)
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

static chaff_err grow_buckets(chaff_clusterer *cl)
{
    size_t n = cl->nbuckets ? cl->nbuckets * 2 : 1024;
    struct bucket *b = calloc(n, sizeof *b);
    if (!b)
        return CHAFF_ENOMEM;
    for (size_t i = 0; i < cl->nbuckets; i++) {
        if (!cl->buckets[i].key)
            continue;
        size_t j = (size_t)mix(cl->buckets[i].key) & (n - 1);
        while (b[j].key)
            j = (j + 1) & (n - 1);
        b[j] = cl->buckets[i];
    }
    free(cl->buckets);
    cl->buckets = b;
    cl->nbuckets = n;
    return CHAFF_OK;
}

/* Adds id to the set of ids seen; 0 if it was there already. */
static int see(chaff_clusterer *cl, int64_t id, chaff_err *err)
{
    *err = CHAFF_OK;
    if ((cl->nseen + 1) * 2 > cl->seen_cap) {
        size_t cap = cl->seen_cap ? cl->seen_cap * 2 : 1024;
        int64_t *t = calloc(cap, sizeof *t);
        if (!t) {
            *err = CHAFF_ENOMEM;
            return 0;
        }
        for (size_t i = 0; i < cl->seen_cap; i++) {
            if (!cl->seen[i])
                continue;
            size_t j = (size_t)mix((uint64_t)cl->seen[i]) & (cap - 1);
            while (t[j])
                j = (j + 1) & (cap - 1);
            t[j] = cl->seen[i];
        }
        free(cl->seen);
        cl->seen = t;
        cl->seen_cap = cap;
    }
    uint64_t key = (uint64_t)id ^ 0x8000000000000000ULL; /* never 0 for ids >= 0 */
    size_t j = (size_t)mix(key) & (cl->seen_cap - 1);
    while (cl->seen[j]) {
        if ((uint64_t)cl->seen[j] == key)
            return 0;
        j = (j + 1) & (cl->seen_cap - 1);
    }
    cl->seen[j] = (int64_t)key;
    cl->nseen++;
    return 1;
}

chaff_err chaff_clusterer_add(chaff_clusterer *cl, int64_t id, const char *norm, size_t len, const char *author)
{
    uint32_t sig[CHAFF_CLUSTER_HASHES];
    chaff_err err;
    if (!chaff_minhash(norm, len, sig))
        return CHAFF_OK;
    /* room first, so that an id is marked seen only once nothing else can
     * fail: a comment whose adding failed can be added again */
    if (cl->n == cl->cap) {
        size_t cap = cl->cap ? cl->cap * 2 : 1024;
        if (cap > UINT32_MAX)
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
    if ((cl->used + BANDS) * 2 >= cl->nbuckets) {
        err = grow_buckets(cl);
        if (err)
            return err;
    }
    if (!see(cl, id, &err))
        return err; /* each comment once, however often it is added */
    uint32_t me = (uint32_t)cl->n++;
    struct item *it = &cl->items[me];
    it->id = id;
    memcpy(it->sig, sig, sizeof sig);
    it->author = author && *author ? chaff_fnv1a(author, strlen(author)) | 1 : 0;
    cl->parent[me] = me;
    /* LSH: comments that agree on every MinHash of some band are compared */
    for (int band = 0; band < BANDS; band++) {
        uint64_t key = chaff_fnv1a_more(chaff_fnv1a(&band, sizeof band), sig + band * ROWS, ROWS * sizeof *sig) | 1;
        size_t j = (size_t)mix(key) & (cl->nbuckets - 1);
        while (cl->buckets[j].key && cl->buckets[j].key != key)
            j = (j + 1) & (cl->nbuckets - 1);
        struct bucket *b = &cl->buckets[j];
        if (!b->key) {
            b->key = key;
            cl->used++;
        }
        int joined = 0;
        for (uint32_t k = 0; k < b->n; k++) {
            if (similar(cl->items[b->rep[k]].sig, sig)) {
                unite(cl->parent, b->rep[k], me);
                joined = 1;
            }
        }
        /* a few representatives per bucket bound the work on a campaign of
         * thousands of copies; a comment that joined one is represented */
        if (!joined && b->n < REPS)
            b->rep[b->n++] = me;
    }
    return CHAFF_OK;
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
    if (!n)
        return 0;
    size_t *size = calloc(n, sizeof *size);
    size_t *authors = calloc(n, sizeof *authors);
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
