/* lexicon.c: compile embedded word lists; match them word by word. */
#include "lexicon.h"

#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "util.h"

struct entry {
    uint64_t *h;       /* hash of each word */
    uint64_t *k;       /* key of each word (its folded form's hash) */
    uint32_t n;        /* words */
    int prefix;        /* last word is a prefix */
    char *prefix_text; /* its bytes */
    uint32_t prefix_len;
    char *display; /* the entry as written */
    int32_t next;  /* next entry with the same first word, or -1 */
};

struct chaff_lexicon {
    struct entry *e;
    size_t n;
    int32_t *slot;    /* open addressing on first-word key: entry index or -1 */
    uint64_t *slot_h; /* the first-word key of each used slot's entry */
    size_t nslot;
    int32_t *pfirst; /* one-word prefix entries, in file order */
    size_t n_pfirst;
    /* pfirst[pstart[b] .. pstart[b + 1]) are those whose prefix starts
     * with byte b, still in file order: a word is only compared with
     * prefixes that share its first byte */
    uint32_t pstart[257];
};

static size_t slot_of(const struct chaff_lexicon *lx, uint64_t h)
{
    size_t i = (size_t)(h ^ (h >> 29)) & (lx->nslot - 1);
    while (lx->slot[i] >= 0 && lx->slot_h[i] != h)
        i = (i + 1) & (lx->nslot - 1);
    return i;
}

void chaff_lexicon_free(struct chaff_lexicon *lx)
{
    if (!lx)
        return;
    for (size_t i = 0; i < lx->n; i++) {
        free(lx->e[i].h);
        free(lx->e[i].k);
        free(lx->e[i].prefix_text);
        free(lx->e[i].display);
    }
    free(lx->e);
    free(lx->slot);
    free(lx->slot_h);
    free(lx->pfirst);
    free(lx);
}

size_t chaff_lexicon_size(const struct chaff_lexicon *lx)
{
    return lx->n;
}

static chaff_err add_entry(struct chaff_lexicon *lx, struct chaff_docbuf *db, const char *line, size_t len, size_t *cap)
{
    int prefix = 0;
    if (len && line[len - 1] == '*') {
        prefix = 1;
        len--;
    }
    struct chaff_doc d;
    chaff_err err = chaff_doc_build(db, line, len, &d);
    if (err)
        return err;
    if (d.n_words == 0)
        return CHAFF_OK;
    if (lx->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct entry *p = chaff_reallocarray(lx->e, nc, sizeof *p);
        if (!p)
            return CHAFF_ENOMEM;
        lx->e = p;
        *cap = nc;
    }
    struct entry *e = &lx->e[lx->n];
    memset(e, 0, sizeof *e);
    e->n = (uint32_t)d.n_words;
    e->h = chaff_calloc(d.n_words, sizeof *e->h);
    e->k = chaff_calloc(d.n_words, sizeof *e->k);
    e->display = strndup(line, len);
    if (!e->h || !e->k || !e->display) {
        free(e->h);
        free(e->k);
        free(e->display);
        return CHAFF_ENOMEM;
    }
    for (size_t i = 0; i < d.n_words; i++) {
        e->h[i] = d.words[i].hash;
        e->k[i] = d.words[i].key;
    }
    if (prefix) {
        const struct chaff_word *w = &d.words[d.n_words - 1];
        e->prefix = 1;
        e->prefix_len = w->len;
        e->prefix_text = strndup(d.norm + w->off, w->len);
        if (!e->prefix_text) {
            free(e->h);
            free(e->k);
            free(e->display);
            return CHAFF_ENOMEM;
        }
    }
    e->next = -1;
    lx->n++;
    return CHAFF_OK;
}

static chaff_err index_entries(struct chaff_lexicon *lx)
{
    lx->nslot = 16;
    while (lx->nslot < lx->n * 2)
        lx->nslot *= 2;
    lx->slot = chaff_calloc(lx->nslot, sizeof *lx->slot);
    lx->slot_h = chaff_calloc(lx->nslot, sizeof *lx->slot_h);
    lx->pfirst = chaff_calloc(lx->n, sizeof *lx->pfirst);
    if (!lx->slot || !lx->slot_h || !lx->pfirst)
        return CHAFF_ENOMEM;
    for (size_t i = 0; i < lx->nslot; i++)
        lx->slot[i] = -1;
    /* insert in reverse so that chains keep file order */
    for (size_t k = lx->n; k-- > 0;) {
        struct entry *e = &lx->e[k];
        if (e->prefix && e->n == 1) {
            continue;
        }
        size_t s = slot_of(lx, e->k[0]);
        e->next = lx->slot[s];
        lx->slot[s] = (int32_t)k;
        lx->slot_h[s] = e->k[0];
    }
    /* a counting sort of the one-word prefix entries on their first byte
     * (prefixes are never empty), stable so that file order is kept */
    uint32_t count[256] = {0};
    for (size_t k = 0; k < lx->n; k++) {
        if (lx->e[k].prefix && lx->e[k].n == 1)
            count[(unsigned char)lx->e[k].prefix_text[0]]++;
    }
    lx->pstart[0] = 0;
    for (int b = 0; b < 256; b++)
        lx->pstart[b + 1] = lx->pstart[b] + count[b];
    uint32_t fill[256];
    memcpy(fill, lx->pstart, sizeof fill);
    for (size_t k = 0; k < lx->n; k++) {
        if (lx->e[k].prefix && lx->e[k].n == 1)
            lx->pfirst[fill[(unsigned char)lx->e[k].prefix_text[0]]++] = (int32_t)k;
    }
    lx->n_pfirst = lx->pstart[256];
    return CHAFF_OK;
}

chaff_err chaff_lexicon_build(const char *name, struct chaff_lexicon **out, struct chaff_diag *diag)
{
    *out = NULL;
    const struct chaff_lexicon_src *src = chaff_lexicon_sources;
    while (src->name && strcmp(src->name, name) != 0)
        src++;
    if (!src->name)
        return chaff_diagf(diag, CHAFF_EINVAL, "lexicon '%s' is not compiled in", name);
    struct chaff_lexicon *lx = calloc(1, sizeof *lx);
    if (!lx)
        return CHAFF_ENOMEM;
    struct chaff_docbuf db = {0};
    size_t cap = 0;
    chaff_err err = CHAFF_OK;
    const char *p = src->text, *end = src->text + src->len;
    while (p < end && !err) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *a = p, *z = le;
        const char *hash = memchr(a, '#', (size_t)(z - a));
        if (hash)
            z = hash;
        while (a < z && (*a == ' ' || *a == '\t'))
            a++;
        while (z > a && (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\r'))
            z--;
        if (z > a)
            err = add_entry(lx, &db, a, (size_t)(z - a), &cap);
        p = nl ? nl + 1 : end;
    }
    chaff_docbuf_free(&db);
    if (!err)
        err = index_entries(lx);
    if (err) {
        chaff_lexicon_free(lx);
        return chaff_diagf(diag, err, "lexicon '%s': %s", name, chaff_strerror(err));
    }
    *out = lx;
    return CHAFF_OK;
}

static int word_has_prefix(const struct chaff_doc *d, size_t w, const struct entry *e)
{
    const struct chaff_word *x = &d->words[w];
    return x->len >= e->prefix_len && memcmp(d->norm + x->off, e->prefix_text, e->prefix_len) == 0;
}

static int match_at(const struct entry *e, const struct chaff_doc *d, size_t i)
{
    if (i + e->n > d->n_words)
        return 0;
    /* a phrase does not run across a sentence end ("Great. Post") */
    if (d->words[i + e->n - 1].sent != d->words[i].sent)
        return 0;
    for (uint32_t k = 0; k < e->n; k++) {
        if (e->prefix && k == e->n - 1) {
            if (!word_has_prefix(d, i + k, e))
                return 0;
        } else if (d->words[i + k].disguised ? d->words[i + k].key != e->k[k] : d->words[i + k].hash != e->h[k]) {
            return 0; /* a disguised word matches by its folded form */
        }
    }
    return 1;
}

/* The entry matching at word i among those chained from entry k (the
 * entries whose first word is word i's), else the first one-word prefix
 * entry that matches, else NULL. */
static const struct entry *find_from(const struct chaff_lexicon *lx, int32_t k, const struct chaff_doc *d, size_t i)
{
    for (; k >= 0; k = lx->e[k].next) {
        if (match_at(&lx->e[k], d, i))
            return &lx->e[k];
    }
    unsigned char b = (unsigned char)d->norm[d->words[i].off]; /* words are never empty */
    for (uint32_t j = lx->pstart[b]; j < lx->pstart[b + 1]; j++) {
        const struct entry *e = &lx->e[lx->pfirst[j]];
        if (word_has_prefix(d, i, e))
            return e;
    }
    return NULL;
}

static const struct entry *find_at(const struct chaff_lexicon *lx, const struct chaff_doc *d, size_t i)
{
    return find_from(lx, lx->slot[slot_of(lx, d->words[i].key)], d, i);
}

size_t chaff_lexicon_count(const struct chaff_lexicon *lx, const struct chaff_doc *doc, const char **first)
{
    size_t count = 0;
    if (first)
        *first = NULL;
    for (size_t i = 0; i < doc->n_words; i++) {
        const struct entry *e = find_at(lx, doc, i);
        if (!e)
            continue;
        if (first && !*first)
            *first = e->display;
        count++;
    }
    return count;
}

int chaff_lexicon_has_word(const struct chaff_lexicon *lx, const struct chaff_doc *doc, size_t w)
{
    const struct entry *e = find_at(lx, doc, w);
    return e && e->n == 1;
}

size_t chaff_lexicon_match_at(const struct chaff_lexicon *lx, const struct chaff_doc *doc, size_t i)
{
    if (i >= doc->n_words)
        return 0;
    const struct entry *e = find_at(lx, doc, i);
    return e ? e->n : 0;
}

/* ---- several lexicons in one pass ---- */

struct chaff_lexset {
    const struct chaff_lexicon *lx[CHAFF_LEXSET_MAX];
    size_t n;
    uint64_t *h;         /* first-word key of each used slot */
    uint32_t *row;       /* per slot: its row of heads, or UINT32_MAX if unused */
    int32_t *heads;      /* [row][lexicon]: that lexicon's chain for the hash, or -1 */
    uint32_t *mask;      /* [row]: a bit for each lexicon with a chain there */
    uint32_t pmask[256]; /* a bit for each lexicon with a prefix entry
                            starting with that byte */
    size_t nslot;
};

void chaff_lexset_free(struct chaff_lexset *set)
{
    if (!set)
        return;
    free(set->h);
    free(set->row);
    free(set->heads);
    free(set->mask);
    free(set);
}

static size_t set_slot(const struct chaff_lexset *set, uint64_t h)
{
    size_t i = (size_t)(h ^ (h >> 29)) & (set->nslot - 1);
    while (set->row[i] != UINT32_MAX && set->h[i] != h)
        i = (i + 1) & (set->nslot - 1);
    return i;
}

chaff_err chaff_lexset_build(struct chaff_lexicon *const *lx, size_t n, struct chaff_lexset **out)
{
    *out = NULL;
    if (n > CHAFF_LEXSET_MAX)
        return CHAFF_EINVAL;
    struct chaff_lexset *set = calloc(1, sizeof *set);
    if (!set)
        return CHAFF_ENOMEM;
    size_t total = 0;
    for (size_t l = 0; l < n; l++) {
        set->lx[l] = lx[l];
        total += lx[l]->n;
    }
    set->n = n;
    set->nslot = 16;
    while (set->nslot < total * 2)
        set->nslot *= 2;
    set->h = chaff_calloc(set->nslot, sizeof *set->h);
    set->row = chaff_calloc(set->nslot, sizeof *set->row);
    set->heads = chaff_calloc(total ? total * n : 1, sizeof *set->heads);
    set->mask = chaff_calloc(total ? total : 1, sizeof *set->mask);
    if (!set->h || !set->row || !set->heads || !set->mask) {
        chaff_lexset_free(set);
        return CHAFF_ENOMEM;
    }
    for (size_t i = 0; i < set->nslot; i++)
        set->row[i] = UINT32_MAX;
    uint32_t rows = 0;
    for (size_t l = 0; l < n; l++) {
        for (size_t k = 0; k < lx[l]->n; k++) {
            const struct entry *e = &lx[l]->e[k];
            if (e->prefix && e->n == 1)
                continue; /* not chained */
            size_t s = set_slot(set, e->k[0]);
            if (set->row[s] != UINT32_MAX)
                continue;
            set->h[s] = e->k[0];
            set->row[s] = rows;
            for (size_t m = 0; m < n; m++) {
                int32_t head = lx[m]->slot[slot_of(lx[m], e->k[0])];
                set->heads[(size_t)rows * n + m] = head;
                if (head >= 0)
                    set->mask[rows] |= 1u << m;
            }
            rows++;
        }
        for (int b = 0; b < 256; b++) {
            if (lx[l]->pstart[b + 1] > lx[l]->pstart[b])
                set->pmask[b] |= 1u << l;
        }
    }
    *out = set;
    return CHAFF_OK;
}

void chaff_lexset_count(const struct chaff_lexset *set, const struct chaff_doc *doc, size_t *count, const char **first,
                        uint32_t *len)
{
    size_t n = set->n, nw = doc->n_words;
    for (size_t l = 0; l < n; l++) {
        count[l] = 0;
        first[l] = NULL;
    }
    if (len && nw)
        memset(len, 0, n * nw * sizeof *len);
    for (size_t i = 0; i < nw; i++) {
        size_t s = set_slot(set, doc->words[i].key);
        uint32_t r = set->row[s];
        const int32_t *heads = r != UINT32_MAX ? set->heads + (size_t)r * n : NULL;
        /* only the lexicons with a chain for this word or a prefix
         * starting with its first byte can match (words are never empty) */
        uint32_t todo = (r != UINT32_MAX ? set->mask[r] : 0) | set->pmask[(unsigned char)doc->norm[doc->words[i].off]];
        while (todo) {
            size_t l = (size_t)__builtin_ctz(todo);
            todo &= todo - 1;
            const struct entry *e = find_from(set->lx[l], heads ? heads[l] : -1, doc, i);
            if (!e)
                continue;
            if (len)
                len[l * nw + i] = e->n;
            if (!first[l])
                first[l] = e->display;
            count[l]++;
        }
    }
}
