/* lexicon.c: compile embedded word lists; match them word by word. */
#include "lexicon.h"

#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "util.h"

struct entry {
    uint64_t *h;       /* hash of each word */
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
    int32_t *slot;    /* open addressing on first-word hash: entry index or -1 */
    uint64_t *slot_h; /* the first-word hash of each used slot's entry */
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
    e->display = strndup(line, len);
    if (!e->h || !e->display) {
        free(e->h);
        free(e->display);
        return CHAFF_ENOMEM;
    }
    for (size_t i = 0; i < d.n_words; i++)
        e->h[i] = d.words[i].hash;
    if (prefix) {
        const struct chaff_word *w = &d.words[d.n_words - 1];
        e->prefix = 1;
        e->prefix_len = w->len;
        e->prefix_text = strndup(d.norm + w->off, w->len);
        if (!e->prefix_text) {
            free(e->h);
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
        size_t s = slot_of(lx, e->h[0]);
        e->next = lx->slot[s];
        lx->slot[s] = (int32_t)k;
        lx->slot_h[s] = e->h[0];
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
        } else if (d->words[i + k].hash != e->h[k]) {
            return 0;
        }
    }
    return 1;
}

static const struct entry *find_at(const struct chaff_lexicon *lx, const struct chaff_doc *d, size_t i)
{
    size_t s = slot_of(lx, d->words[i].hash);
    for (int32_t k = lx->slot[s]; k >= 0; k = lx->e[k].next) {
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
