/* lexical.c: the lexical family (vocabulary, punctuation, entities,
 * readability, lexicons and templates). */
#include <math.h>
#include <string.h>
#include <utf8proc.h>

#include "family.h"

#define MATTR_WINDOW 25

static int is_ascii_digit(int32_t c)
{
    return c >= '0' && c <= '9';
}

static int is_vowel(int32_t c)
{
    if (c < 0x80)
        return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
    static const int32_t v[] = {
        'a', 'e', 'i', 'o', 'u', 'y', 0xE0, 0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE8, 0xE9, 0xEA, 0xEB, 0xEC, 0xED,
        0xEE, 0xEF, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFF, 0x153,
        /* Cyrillic а е ё и о у ы э ю я, і ї є */
        0x430, 0x435, 0x451, 0x438, 0x43E, 0x443, 0x44B, 0x44D, 0x44E, 0x44F, 0x456, 0x457, 0x454,
        /* Greek α ε η ι ο υ ω and accented */
        0x3B1, 0x3B5, 0x3B7, 0x3B9, 0x3BF, 0x3C5, 0x3C9, 0x3AC, 0x3AD, 0x3AE, 0x3AF, 0x3CC, 0x3CD, 0x3CE};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        if (v[i] == c)
            return 1;
    }
    return 0;
}

/* Vowel groups in a normalised word; at least 1. */
static size_t syllables(const char *s, size_t len)
{
    size_t n = 0;
    int prev = 0;
    size_t i = 0;
    while (i < len) {
        int32_t c;
        unsigned char b = (unsigned char)s[i];
        size_t k = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        if (i + k > len)
            break;
        if (k == 1)
            c = b;
        else if (k == 2)
            c = ((b & 0x1F) << 6) | (s[i + 1] & 0x3F);
        else if (k == 3)
            c = ((b & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
        else
            c = ((b & 0x07) << 18) | ((s[i + 1] & 0x3F) << 12) | ((s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
        int v = is_vowel(c);
        if (v && !prev)
            n++;
        prev = v;
        i += k;
    }
    return n ? n : 1;
}

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static int is_currency(int32_t c)
{
    return c == '$' || c == 0xA3 || c == 0xA5 || c == 0x20AC || c == 0x20BD || c == 0x20B9 || c == 0x20BF ||
           c == 0x20B4;
}

/* Phone numbers: a '+' or digit, then digits and separators (space - . ( )),
 * at least 9 digits, not touching letters. */
static size_t count_phones(const int32_t *c, size_t n)
{
    size_t count = 0;
    size_t i = 0;
    while (i < n) {
        if (!(is_ascii_digit(c[i]) || (c[i] == '+' && i + 1 < n && is_ascii_digit(c[i + 1]))) ||
            (i > 0 && (chaff_cp_is_letter(c[i - 1]) || is_ascii_digit(c[i - 1])))) {
            i++;
            continue;
        }
        size_t j = i, digits = 0, last_digit = i;
        while (j < n && (is_ascii_digit(c[j]) || c[j] == '+' || c[j] == ' ' || c[j] == '-' || c[j] == '.' ||
                         c[j] == '(' || c[j] == ')')) {
            if (is_ascii_digit(c[j])) {
                digits++;
                last_digit = j;
            }
            if (c[j] == ' ' && j + 1 < n && c[j + 1] == ' ')
                break;
            j++;
        }
        int touches = last_digit + 1 < n && chaff_cp_is_letter(c[last_digit + 1]);
        if (digits >= 9 && digits <= 15 && !touches)
            count++;
        i = last_digit + 1 > i ? last_digit + 1 : i + 1;
    }
    return count;
}

static size_t count_money(const struct chaff_doc *d)
{
    size_t count = 0;
    for (size_t i = 0; i < d->n_cp; i++) {
        if (!is_currency(d->cp[i]))
            continue;
        int before =
            (i >= 1 && is_ascii_digit(d->cp[i - 1])) || (i >= 2 && d->cp[i - 1] == ' ' && is_ascii_digit(d->cp[i - 2]));
        int after = (i + 1 < d->n_cp && is_ascii_digit(d->cp[i + 1])) ||
                    (i + 2 < d->n_cp && d->cp[i + 1] == ' ' && is_ascii_digit(d->cp[i + 2]));
        if (before || after)
            count++;
    }
    /* "500 dollars", "20 euros", "100 usd" */
    static const char *const units[] = {"usd",   "eur",    "dollars",  "dollar",  "euros", "euro",
                                        "bucks", "рублей", "долларов", "dólares", NULL};
    for (size_t i = 1; i < d->n_words; i++) {
        const struct chaff_word *p = &d->words[i - 1], *w = &d->words[i];
        if (!is_ascii_digit((unsigned char)d->norm[p->off]))
            continue;
        for (int u = 0; units[u]; u++) {
            if (strlen(units[u]) == w->len && memcmp(d->norm + w->off, units[u], w->len) == 0) {
                count++;
                break;
            }
        }
    }
    return count;
}

/* Lists of three ("X, Y, and Z"): a list conjunction whose item before it
 * follows a comma-closed item of 1..4 words in the same sentence, and is
 * itself followed by a word of that sentence. */
static size_t count_lists(const chaff_fctx *ctx, const struct chaff_doc *d)
{
    size_t count = 0;
    if (d->n_words < 4)
        return 0;
    const uint32_t *conj = ctx->lex_len + LEX_LIST_CONJUNCTIONS * d->n_words;
    for (size_t k = 2; k + 1 < d->n_words; k++) {
        if (conj[k] != 1) /* a one-word entry */
            continue;
        uint32_t s = d->words[k].sent;
        if (d->words[k + 1].sent != s)
            continue;
        size_t p = k - 1; /* last word of item 2 */
        for (size_t len = 1; len <= 4 && p >= len; len++) {
            size_t q = p - len; /* candidate last word of item 1 */
            if (d->words[q].sent != s)
                break;
            if (d->words[q].gap_comma) {
                count++;
                break;
            }
        }
    }
    return count;
}

/* "not just X, but Y": an opener followed within 15 words of its sentence
 * by a turn word. */
static size_t count_not_just(const chaff_fctx *ctx, const struct chaff_doc *d)
{
    size_t count = 0;
    if (!d->n_words)
        return 0;
    const uint32_t *openers = ctx->lex_len + LEX_TEMPLATE_OPENERS * d->n_words;
    const uint32_t *turns = ctx->lex_len + LEX_TEMPLATE_TURNS * d->n_words;
    for (size_t i = 0; i + 1 < d->n_words; i++) {
        size_t len = openers[i];
        if (!len)
            continue;
        for (size_t j = i + len + 1; j < d->n_words && j <= i + 16 && d->words[j].sent == d->words[i].sent; j++) {
            if (turns[j] == 1) {
                count++;
                break;
            }
        }
    }
    return count;
}

static void raw_scan(const struct chaff_doc *d, double *f)
{
    const int32_t *c = d->cp;
    size_t n = d->n_cp;
    size_t letters = 0, upper = 0, digits = 0;
    size_t excl = 0, quest = 0, comma = 0, semi = 0, colon = 0, ellip = 0, em = 0, en = 0;
    size_t curly = 0, straight = 0, parens = 0;
    size_t raw_words = 0, caps_words = 0;
    size_t cased_starts = 0, upper_starts = 0;
    int at_start = 1; /* looking for the first letter of a sentence */
    for (size_t i = 0; i < n; i++) {
        int32_t x = c[i];
        if (chaff_cp_is_letter(x)) {
            letters++;
            int up = chaff_cp_is_upper(x);
            upper += up;
            if (at_start) {
                int cased = up || utf8proc_category(x) == UTF8PROC_CATEGORY_LL;
                if (cased) {
                    cased_starts++;
                    upper_starts += up;
                }
                at_start = 0;
            }
            if (i == 0 || !chaff_cp_is_letter(c[i - 1])) {
                size_t j = i, nl = 0, nu = 0;
                while (j < n && chaff_cp_is_letter(c[j])) {
                    nl++;
                    nu += chaff_cp_is_upper(c[j]);
                    j++;
                }
                raw_words++;
                if (nl >= 2 && nu == nl)
                    caps_words++;
            }
            continue;
        }
        if (chaff_cp_is_digit(x)) {
            digits++;
            at_start = 0;
            continue;
        }
        switch (x) {
        case '!':
        case 0xFF01: excl++; break;
        case '?':
        case 0xFF1F: quest++; break;
        case ',':
        case 0xFF0C:
        case 0x3001: comma++; break;
        case ';': semi++; break;
        case ':':
            if (!(i + 2 < n && c[i + 1] == '/' && c[i + 2] == '/') &&
                !(i > 0 && i + 1 < n && is_ascii_digit(c[i - 1]) && is_ascii_digit(c[i + 1])))
                colon++;
            break;
        case 0x2026: ellip++; break;
        case '.':
            if (i + 1 < n && c[i + 1] == '.' && (i == 0 || c[i - 1] != '.'))
                ellip++;
            break;
        case 0x2014: em++; break;
        case 0x2013: en++; break;
        case 0x2019:
            /* an apostrophe (it’s), like the straight one, is not a quote */
            if (!(i > 0 && i + 1 < n && chaff_cp_is_letter(c[i - 1]) && chaff_cp_is_letter(c[i + 1])))
                curly++;
            break;
        case 0x2018:
        case 0x201C:
        case 0x201D: curly++; break;
        case '"': straight++; break;
        case '\'':
            if (!(i > 0 && i + 1 < n && chaff_cp_is_letter(c[i - 1]) && chaff_cp_is_letter(c[i + 1])))
                straight++;
            break;
        case '(':
        case ')': parens++; break;
        default: break;
        }
        /* a terminator starts a sentence when a space or the end follows
         * it ("x.com" and "3.5" do not) */
        if (x == 0x3002 || x == '\n' ||
            ((x == '.' || x == '!' || x == '?' || x == 0x2026) && (i + 1 == n || chaff_cp_is_space(c[i + 1]))))
            at_start = 1;
    }
    double words = d->n_words ? (double)d->n_words : 1.0;
    f[F_UPPER_SHARE] = letters ? (double)upper / (double)letters : 0;
    f[F_ALLCAPS_WORDS] = raw_words ? (double)caps_words / (double)raw_words : 0;
    f[F_DIGIT_SHARE] = n ? (double)digits / (double)n : 0;
    f[F_EXCLAMATIONS] = (double)excl / words;
    f[F_QUESTIONS] = (double)quest / words;
    f[F_COMMAS] = (double)comma / words;
    f[F_SEMICOLONS] = (double)semi / words;
    f[F_COLONS] = (double)colon / words;
    f[F_ELLIPSES] = (double)ellip / words;
    f[F_EM_DASHES] = (double)em / words;
    f[F_EN_DASHES] = (double)en / words;
    f[F_CURLY_QUOTES] = (double)curly / words;
    f[F_STRAIGHT_QUOTES] = (double)straight / words;
    f[F_PARENS] = (double)parens / words;
    f[F_SENT_CAPS] = cased_starts ? (double)upper_starts / (double)cased_starts : 0.5;

    /* ends with . ! ? … once trailing spaces, emoji, quotes and brackets
     * are set aside */
    size_t e = n;
    while (e > 0) {
        int32_t x = c[e - 1];
        if (chaff_cp_is_space(x) || chaff_cp_is_pictographic(x) || chaff_cp_is_skin_tone(x) || x == 0xFE0F ||
            x == 0x200D || x == '"' || x == '\'' || x == ')' || x == 0x201D || x == 0x2019 ||
            (x >= 0x1F1E6 && x <= 0x1F1FF))
            e--;
        else
            break;
    }
    f[F_ENDS_TERMINAL] = e > 0 && (c[e - 1] == '.' || c[e - 1] == '!' || c[e - 1] == '?' || c[e - 1] == 0x2026 ||
                                   c[e - 1] == 0x3002 || c[e - 1] == 0xFF01 || c[e - 1] == 0xFF1F);
    f[F_PHONES] = (double)count_phones(c, n);
}

chaff_err chaff_family_lexical(const chaff_extractor *ex, chaff_fctx *ctx, const struct chaff_doc *d, double *f)
{
    (void)ex; /* the lexicons were matched by chaff_extract (ctx->lex_*) */
    size_t nw = d->n_words;
    double words = nw ? (double)nw : 1.0;
    if (nw) {
        chaff_err err = chaff_hmap_reset(&ctx->map, nw);
        if (err)
            return err;
        size_t types = 0, hapax = 0;
        for (size_t i = 0; i < nw; i++) {
            uint32_t k = chaff_hmap_add(&ctx->map, d->words[i].hash);
            if (k == 1) {
                types++;
                hapax++;
            } else if (k == 2) {
                hapax--;
            }
        }
        f[F_TTR] = (double)types / (double)nw;
        f[F_HAPAX] = (double)hapax / (double)types;
        if (nw <= MATTR_WINDOW) {
            f[F_MATTR] = f[F_TTR];
        } else {
            err = chaff_hmap_reset(&ctx->map, nw);
            if (err)
                return err;
            size_t distinct = 0;
            double sum = 0;
            for (size_t i = 0; i < nw; i++) {
                if (chaff_hmap_add(&ctx->map, d->words[i].hash) == 1)
                    distinct++;
                if (i >= MATTR_WINDOW && chaff_hmap_sub(&ctx->map, d->words[i - MATTR_WINDOW].hash) == 0)
                    distinct--;
                if (i + 1 >= MATTR_WINDOW)
                    sum += (double)distinct / MATTR_WINDOW;
            }
            f[F_MATTR] = sum / (double)(nw - MATTR_WINDOW + 1);
        }
        size_t contractions = 0, syl = 0, chars = 0;
        for (size_t i = 0; i < nw; i++) {
            const struct chaff_word *w = &d->words[i];
            if (memchr(d->norm + w->off, '\'', w->len))
                contractions++;
            syl += syllables(d->norm + w->off, w->len);
            chars += w->ncp;
        }
        f[F_CONTRACTIONS] = (double)contractions / words;
        double sentences = d->n_sentences ? (double)d->n_sentences : 1.0;
        f[F_FLESCH] = clamp(206.835 - 1.015 * (words / sentences) - 84.6 * ((double)syl / words), -100, 121);
        f[F_ARI] = clamp(4.71 * ((double)chars / words) + 0.5 * (words / sentences) - 21.43, -20, 50);
    }
    f[F_FUNCTION_WORDS] = (double)ctx->lex_count[LEX_FUNCTION_WORDS] / words;
    f[F_FIRST_PERSON] = (double)ctx->lex_count[LEX_FIRST_PERSON] / words;
    f[F_SECOND_PERSON] = (double)ctx->lex_count[LEX_SECOND_PERSON] / words;
    f[F_LLM_VOCAB] = (double)ctx->lex_count[LEX_LLM_VOCAB] / words;
    f[F_HEDGES] = (double)ctx->lex_count[LEX_HEDGES];
    f[F_PROMO] = (double)ctx->lex_count[LEX_PROMO];
    f[F_PRAISE] = (double)ctx->lex_count[LEX_PRAISE];
    f[F_TEMPLATES] = (double)(count_not_just(ctx, d) + count_lists(ctx, d));
    f[F_URLS] = (double)d->n_urls;
    f[F_EMAILS] = (double)d->n_emails;
    f[F_MENTIONS] = (double)d->n_mentions;
    f[F_HASHTAGS] = (double)d->n_hashtags;
    f[F_MONEY] = (double)count_money(d);
    raw_scan(d, f);
    return CHAFF_OK;
}
