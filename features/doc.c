/* doc.c: sanitise, decode, normalise and tokenise a comment once. */
#include "doc.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* The non-ASCII halves of doc.h's inline classes (any code point is
 * answered correctly here too). */
int chaff_cp_is_letter_table(int32_t c)
{
    utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}

int chaff_cp_is_digit_table(int32_t c)
{
    return utf8proc_category(c) == UTF8PROC_CATEGORY_ND;
}

int chaff_cp_is_upper_table(int32_t c)
{
    return utf8proc_category(c) == UTF8PROC_CATEGORY_LU;
}

int chaff_cp_is_space_table(int32_t c)
{
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_ZL || k == UTF8PROC_CATEGORY_ZP;
}

int chaff_cp_is_unspaced_table(int32_t c)
{
    return (c >= 0x0E00 && c <= 0x0EFF)       /* Thai, Lao */
           || (c >= 0x1000 && c <= 0x109F)    /* Myanmar */
           || (c >= 0x1780 && c <= 0x17FF)    /* Khmer */
           || (c >= 0x3040 && c <= 0x30FF)    /* Hiragana, Katakana */
           || (c >= 0x3400 && c <= 0x4DBF)    /* CJK ext A */
           || (c >= 0x4E00 && c <= 0x9FFF)    /* CJK unified */
           || (c >= 0xF900 && c <= 0xFAFF)    /* CJK compatibility */
           || (c >= 0x20000 && c <= 0x3134F); /* CJK ext B.. */
}

static int is_word_cp(int32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    utf8proc_category_t k = utf8proc_category(c);
    return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_ND) || k == UTF8PROC_CATEGORY_NL ||
           k == UTF8PROC_CATEGORY_NO;
}

static int is_terminator(int32_t c)
{
    return c == '.' || c == '!' || c == '?' || c == 0x3002 || c == 0x2026;
}

static int is_ascii_alpha(int32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_ascii_alnum(int32_t c)
{
    return is_ascii_alpha(c) || (c >= '0' && c <= '9');
}

/* Top-level domains that make "name.tld" a link rather than a typo. */
static const char *const tlds[] = {"com",  "net", "org", "io",  "co",   "ru",     "de",   "uk",   "fr",   "es",   "br",
                                   "info", "biz", "tv",  "ly",  "gl",   "xyz",    "app",  "dev",  "ca",   "au",   "pl",
                                   "nl",   "ch",  "pt",  "top", "site", "online", "shop", "club", "link", "live", "gov",
                                   "edu",  "ua",  "jp",  "cn",  "mx",   "ar",     "tk",   "ml",   "cc",   "ws",   NULL};
/* Left out on purpose: TLDs that are everyday words after a missing space
 * ("great.It", "agree.To"): it, me, in, be, at, us, to. */

static int is_tld(const int32_t *c, size_t n)
{
    for (int i = 0; tlds[i]; i++) {
        size_t m = strlen(tlds[i]);
        if (m != n)
            continue;
        size_t j = 0;
        while (j < m && c[j] == (unsigned char)tlds[i][j])
            j++;
        if (j == m)
            return 1;
    }
    return 0;
}

static int has_prefix(const int32_t *c, size_t n, const char *p)
{
    size_t m = strlen(p);
    if (n < m)
        return 0;
    for (size_t i = 0; i < m; i++) {
        if (c[i] != (unsigned char)p[i])
            return 0;
    }
    return 1;
}

/* "host.tld" or "host.tld/path": ASCII labels, a known TLD. */
static int is_domain(const int32_t *c, size_t n)
{
    size_t end = 0;
    while (end < n && c[end] != '/')
        end++;
    size_t last_dot = (size_t)-1;
    for (size_t i = 0; i < end; i++) {
        if (c[i] == '.')
            last_dot = i;
        else if (!is_ascii_alnum(c[i]) && c[i] != '-')
            return 0;
    }
    if (last_dot == (size_t)-1 || last_dot == 0)
        return 0;
    return is_tld(c + last_dot + 1, end - last_dot - 1);
}

enum chunk_kind { CHUNK_TEXT, CHUNK_URL, CHUNK_EMAIL, CHUNK_MENTION, CHUNK_HASHTAG };

static enum chunk_kind classify(const int32_t *c, size_t n)
{
    /* strip wrapping punctuation */
    while (n && (c[0] == '(' || c[0] == '[' || c[0] == '<' || c[0] == '"' || c[0] == '\'')) {
        c++;
        n--;
    }
    while (n && (c[n - 1] == '.' || c[n - 1] == ',' || c[n - 1] == ')' || c[n - 1] == ']' || c[n - 1] == '>' ||
                 c[n - 1] == '!' || c[n - 1] == '?' || c[n - 1] == ';' || c[n - 1] == ':' || c[n - 1] == '"' ||
                 c[n - 1] == '\''))
        n--;
    if (n < 2)
        return CHUNK_TEXT;
    if (has_prefix(c, n, "http://") || has_prefix(c, n, "https://") || has_prefix(c, n, "www."))
        return CHUNK_URL;
    if (c[0] == '@')
        return is_word_cp(c[1]) ? CHUNK_MENTION : CHUNK_TEXT;
    if (c[0] == '#')
        return chaff_cp_is_letter(c[1]) ? CHUNK_HASHTAG : CHUNK_TEXT;
    for (size_t i = 1; i + 1 < n; i++) {
        if (c[i] == '@') {
            for (size_t j = i + 2; j + 1 < n; j++) {
                if (c[j] == '.')
                    return CHUNK_EMAIL;
            }
            break;
        }
    }
    if (is_domain(c, n))
        return CHUNK_URL;
    return CHUNK_TEXT;
}

static chaff_err grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return CHAFF_OK;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = chaff_reallocarray(*p, n, size);
    if (!q)
        return CHAFF_ENOMEM;
    *p = q;
    *cap = n;
    return CHAFF_OK;
}

struct tok {
    struct chaff_docbuf *b;
    struct chaff_doc *d;
    size_t n_words;
    size_t n_sent;      /* sentences closed so far (with words) */
    uint32_t cur_words; /* words in the open sentence */
};

static int32_t leet_letter(int32_t c)
{
    switch (c) {
    case '0': return 'o';
    case '1': return 'i';
    case '3': return 'e';
    case '4': return 'a';
    case '5': return 's';
    case '7': return 't';
    default: return 0;
    }
}

/* "1st", "22nd", "3rd", "4th": digits and an ordinal suffix. */
static int is_ordinal(const int32_t *c, size_t n)
{
    size_t k = 0;
    while (k < n && c[k] >= '0' && c[k] <= '9')
        k++;
    if (k == 0 || n - k != 2)
        return 0;
    int32_t a = c[k], b = c[k + 1];
    return (a == 's' && b == 't') || (a == 'n' && b == 'd') || (a == 'r' && b == 'd') || (a == 't' && b == 'h');
}

size_t chaff_word_fold(const int32_t *c, size_t n, int32_t *out, int *disguised)
{
    /* leetspeak needs a word of three or more with two letters: "i7",
     * "m3", "a4" and "t0" are model names and sizes as often as words,
     * and "1st" is an ordinal */
    size_t letters = 0;
    for (size_t i = 0; i < n; i++)
        letters += chaff_cp_is_letter(c[i]) != 0;
    int leet_ok = n >= 3 && letters >= 2 && !is_ordinal(c, n);
    size_t m = 0, run = 0;
    int leet = 0, stretched = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t x = c[i];
        int32_t l = leet_ok ? leet_letter(x) : 0;
        if (l) {
            x = l;
            leet = 1;
        }
        if (m > 0 && out[m - 1] == x && chaff_cp_is_letter(x)) {
            if (++run >= 3)
                stretched = 1;
            continue;
        }
        run = 1;
        out[m++] = x;
    }
    /* a run that folds to one letter ("III", "aaa", "zzz") is no word */
    *disguised = leet || (stretched && m >= 2);
    return m;
}

/* chaff_fnv1a of the UTF-8 encoding of c[0..n). */
static uint64_t hash_cps(const int32_t *c, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char u[4];
        size_t k = (size_t)utf8proc_encode_char(c[i], u);
        h = chaff_fnv1a_more(h, u, k);
    }
    return h;
}

static chaff_err push_word(struct tok *t, size_t from, size_t to)
{
    struct chaff_docbuf *b = t->b;
    chaff_err err = grow((void **)&b->words, &b->words_cap, t->n_words + 1, sizeof *b->words);
    if (err)
        return err;
    struct chaff_word *w = &b->words[t->n_words++];
    w->off = b->ncp_off[from];
    w->len = b->ncp_off[to] - b->ncp_off[from];
    w->ncp = (uint32_t)(to - from);
    w->sent = (uint32_t)t->n_sent;
    w->gap_comma = 0;
    w->hash = chaff_fnv1a(t->d->norm + w->off, w->len);
    /* the folded form: a word without a doubled letter and without both
     * a digit and a letter (most words, and every number) folds to itself */
    const int32_t *c = b->ncp + from;
    size_t n = to - from;
    int doubled = 0, digit = 0, letter = 0;
    for (size_t i = 0; i < n && !doubled; i++) {
        int is_letter = chaff_cp_is_letter(c[i]);
        doubled = is_letter && i > 0 && c[i] == c[i - 1];
        digit |= c[i] >= '0' && c[i] <= '9';
        letter |= is_letter;
    }
    int plain = !doubled && !(digit && letter);
    w->disguised = 0;
    w->key = w->hash;
    if (!plain) {
        err = grow((void **)&b->fold, &b->fold_cap, n, sizeof *b->fold);
        if (err)
            return err;
        int disguised;
        size_t m = chaff_word_fold(c, n, b->fold, &disguised);
        w->disguised = (uint32_t)disguised;
        w->key = hash_cps(b->fold, m);
    }
    t->cur_words++;
    return CHAFF_OK;
}

static chaff_err end_sentence(struct tok *t)
{
    if (t->cur_words == 0)
        return CHAFF_OK;
    struct chaff_docbuf *b = t->b;
    chaff_err err = grow((void **)&b->sent_words, &b->sent_cap, t->n_sent + 1, sizeof *b->sent_words);
    if (err)
        return err;
    b->sent_words[t->n_sent++] = t->cur_words;
    t->cur_words = 0;
    return CHAFF_OK;
}

/* Splits a text chunk [a,z) of normalised code points into words. */
static chaff_err split_words(struct tok *t, const int32_t *c, size_t a, size_t z)
{
    size_t i = a;
    while (i < z) {
        if (!is_word_cp(c[i])) {
            if (c[i] == ',' && t->n_words > 0)
                t->b->words[t->n_words - 1].gap_comma = 1;
            /* full stops of unspaced scripts end sentences mid-chunk */
            if (c[i] == 0x3002 || ((c[i] == '!' || c[i] == '?') && i > a && chaff_cp_is_unspaced(c[i - 1]))) {
                chaff_err err = end_sentence(t);
                if (err)
                    return err;
            }
            /* a terminator inside a chunk ("end.Next") does not end a
             * sentence; one at the chunk's end does */
            i++;
            continue;
        }
        if (chaff_cp_is_unspaced(c[i])) {
            chaff_err err = push_word(t, i, i + 1);
            if (err)
                return err;
            i++;
            continue;
        }
        size_t s = i;
        while (i < z) {
            if (is_word_cp(c[i]) && !chaff_cp_is_unspaced(c[i])) {
                i++;
            } else if ((c[i] == '\'' || c[i] == '.' || c[i] == ',') && i + 1 < z && i > s && is_word_cp(c[i + 1]) &&
                       !chaff_cp_is_unspaced(c[i + 1]) &&
                       (c[i] == '\'' || (chaff_cp_is_digit(c[i - 1]) && chaff_cp_is_digit(c[i + 1])))) {
                i++; /* don't, 3.5, 1,000 */
            } else {
                break;
            }
        }
        chaff_err err = push_word(t, s, i);
        if (err)
            return err;
    }
    return CHAFF_OK;
}

static size_t put_utf8(char *out, uint32_t c)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Length of an HTML character reference at s[0..n) (s[0] == '&') and the
 * code point it stands for, or 0. */
static size_t entity(const char *s, size_t n, uint32_t *cp)
{
    static const struct {
        const char *name;
        uint32_t cp;
    } named[] = {{"&amp;", '&'},   {"&lt;", '<'},    {"&gt;", '>'},       {"&quot;", '"'},
                 {"&apos;", '\''}, {"&nbsp;", 0xA0}, {"&hellip;", 0x2026}};
    for (size_t i = 0; i < sizeof named / sizeof *named; i++) {
        size_t m = strlen(named[i].name);
        if (n >= m && memcmp(s, named[i].name, m) == 0) {
            *cp = named[i].cp;
            return m;
        }
    }
    if (n < 4 || s[1] != '#')
        return 0;
    int hex = s[2] == 'x' || s[2] == 'X';
    size_t i = hex ? 3 : 2;
    uint32_t v = 0;
    size_t digits = 0;
    for (; i < n && digits < 7; i++, digits++) {
        char ch = s[i];
        int dv = ch >= '0' && ch <= '9'          ? ch - '0'
                 : hex && ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                 : hex && ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                                 : -1;
        if (dv < 0)
            break;
        v = v * (hex ? 16 : 10) + (uint32_t)dv;
    }
    if (!digits || i >= n || s[i] != ';' || v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return i + 1;
}

/* Length of a <br>, <br/> or <br /> tag (any case) at s[0..n), or 0. */
static size_t br_tag(const char *s, size_t n)
{
    if (n < 4 || s[0] != '<' || (s[1] != 'b' && s[1] != 'B') || (s[2] != 'r' && s[2] != 'R'))
        return 0;
    size_t i = 3;
    while (i < n && s[i] == ' ')
        i++;
    if (i < n && s[i] == '/')
        i++;
    return i < n && s[i] == '>' ? i + 1 : 0;
}

/* Comment dumps scraped from web pages keep HTML escapes ("I&#39;m",
 * "&lt;3", "<br />"): decode them so that they read as the author typed
 * them. Only character references and line-break tags are decoded; other
 * markup is left as it is. */
static chaff_err unescape_html(const char *s, size_t n, struct chaff_buf *out)
{
    out->len = 0;
    chaff_err err = chaff_buf_reserve(out, n);
    if (err)
        return err;
    size_t run = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = 0;
        char enc[4];
        size_t m = 0;
        if (s[i] == '&' && (k = entity(s + i, n - i, &cp)) > 0) {
            m = put_utf8(enc, cp);
        } else if (s[i] == '<' && (k = br_tag(s + i, n - i)) > 0) {
            enc[0] = '\n';
            m = 1;
        } else {
            i++;
            continue;
        }
        /* a reference is never shorter than what it decodes to */
        memcpy(out->data + out->len, s + run, i - run);
        out->len += i - run;
        memcpy(out->data + out->len, enc, m);
        out->len += m;
        i += k;
        run = i;
    }
    memcpy(out->data + out->len, s + run, n - run);
    out->len += n - run;
    out->data[out->len] = '\0';
    return CHAFF_OK;
}

chaff_err chaff_doc_build(struct chaff_docbuf *b, const char *text, size_t len, struct chaff_doc *d)
{
    memset(d, 0, sizeof *d);
    b->raw.len = 0;
    chaff_err err = CHAFF_OK;
    if (memchr(text, '&', len) || memchr(text, '<', len)) {
        err = unescape_html(text, len, &b->unescaped);
        if (err)
            return err;
        text = b->unescaped.data;
        len = b->unescaped.len;
    }
    err = chaff_utf8_sanitize(text, len, &b->raw, &d->n_replaced);
    if (err)
        return err;
    d->raw = b->raw.data ? b->raw.data : "";
    d->raw_len = b->raw.len;
    size_t n;
    err = chaff_utf8_decode(d->raw, d->raw_len, &b->cp, &b->cp_cap, &n);
    if (err)
        return err;
    d->cp = b->cp;
    d->n_cp = n;

    /* Non-empty lines of the raw text. */
    int line_has = 0;
    int32_t max_cp = 0;
    for (size_t i = 0; i < d->n_cp; i++) {
        int32_t c = d->cp[i];
        if (c > max_cp)
            max_cp = c;
        if (c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029) {
            d->n_lines += line_has;
            d->max_cp = max_cp;
            line_has = 0;
        } else if (!chaff_cp_is_space(c)) {
            line_has = 1;
        }
    }
    d->n_lines += line_has;
    d->max_cp = max_cp;

    err = chaff_normalize(&b->norm, d->raw, d->raw_len, &d->norm, &d->norm_len);
    if (err)
        return err;
    b->ncp = b->norm.cps;
    b->n_ncp = n = b->norm.n_cps;
    err = grow((void **)&b->ncp_off, &b->ncp_off_cap, n + 1, sizeof *b->ncp_off);
    if (err)
        return err;
    uint32_t off = 0;
    for (size_t i = 0; i < n; i++) {
        b->ncp_off[i] = off;
        int32_t c = b->ncp[i];
        off += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    }
    b->ncp_off[n] = off;

    struct tok t = {.b = b, .d = d};
    const int32_t *c = b->ncp;
    size_t i = 0;
    while (i < n) {
        if (chaff_cp_is_space(c[i])) {
            if (c[i] == '\n' || c[i] == 0x2028 || c[i] == 0x2029) {
                err = end_sentence(&t);
                if (err)
                    return err;
            }
            i++;
            continue;
        }
        size_t s = i;
        while (i < n && !chaff_cp_is_space(c[i]))
            i++;
        enum chunk_kind k = classify(c + s, i - s);
        switch (k) {
        case CHUNK_URL: d->n_urls++; break;
        case CHUNK_EMAIL: d->n_emails++; break;
        case CHUNK_MENTION: d->n_mentions++; break;
        case CHUNK_HASHTAG: d->n_hashtags++; break;
        case CHUNK_TEXT:
            err = split_words(&t, c, s, i);
            if (err)
                return err;
            break;
        }
        /* a chunk ending in a terminator (possibly before closing
         * brackets or quotes) ends the sentence */
        size_t e = i;
        while (e > s && (c[e - 1] == ')' || c[e - 1] == '"' || c[e - 1] == '\'' || c[e - 1] == ']'))
            e--;
        if (e > s && is_terminator(c[e - 1])) {
            err = end_sentence(&t);
            if (err)
                return err;
        }
    }
    err = end_sentence(&t);
    if (err)
        return err;
    d->words = b->words;
    d->n_words = t.n_words;
    d->sent_words = b->sent_words;
    d->n_sentences = t.n_sent;
    return CHAFF_OK;
}

void chaff_docbuf_free(struct chaff_docbuf *b)
{
    chaff_buf_free(&b->unescaped);
    chaff_buf_free(&b->raw);
    free(b->cp);
    free(b->ncp_off);
    chaff_norm_free(&b->norm);
    free(b->words);
    free(b->sent_words);
    free(b->fold);
    memset(b, 0, sizeof *b);
}
