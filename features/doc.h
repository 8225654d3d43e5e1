/* doc.h: one comment analysed once, read by every feature family. */
#ifndef CHAFF_DOC_H
#define CHAFF_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "chaff_features.h"
#include "normalize.h"

/* A word in the normalised text. */
struct chaff_word {
    uint32_t off;       /* byte offset in doc->norm */
    uint32_t len;       /* bytes */
    uint32_t ncp;       /* code points */
    uint32_t sent;      /* sentence number, 0-based */
    uint32_t gap_comma; /* 1 if a comma stands between this word and the next */
    uint32_t disguised; /* 1 if stretched ("subscribeeee") or in leetspeak ("fr33") */
    uint64_t hash;      /* chaff_fnv1a of the bytes */
    uint64_t key;       /* chaff_fnv1a of the word folded (chaff_word_fold): lexicons look words up by it */
};

struct chaff_doc {
    const char *raw; /* valid UTF-8 (invalid bytes became U+FFFD) */
    size_t raw_len;
    const int32_t *cp; /* raw code points */
    size_t n_cp;
    const char *norm; /* NFKC casefolded, see normalize.h */
    size_t norm_len;
    const struct chaff_word *words;
    size_t n_words;
    const uint32_t *sent_words; /* words in each sentence */
    size_t n_sentences;         /* sentences with at least one word */
    size_t n_lines;             /* lines holding something other than spaces */
    size_t n_urls, n_emails, n_mentions, n_hashtags;
    size_t n_replaced; /* U+FFFD in the raw text */
    int32_t max_cp;    /* the largest raw code point (0 if none) */
};

/* Growable storage behind a doc; part of a chaff_fctx. */
struct chaff_docbuf {
    struct chaff_buf unescaped; /* text with HTML entities and <br> decoded */
    struct chaff_buf raw;
    int32_t *cp;
    size_t cp_cap;
    const int32_t *ncp; /* the normalised code points (in norm) */
    size_t n_ncp;
    uint32_t *ncp_off; /* byte offset of each normalised code point */
    size_t ncp_off_cap;
    struct chaff_norm norm;
    struct chaff_word *words;
    size_t words_cap;
    uint32_t *sent_words;
    size_t sent_cap;
    int32_t *fold; /* a word folded (chaff_word_fold) */
    size_t fold_cap;
};

/* The folded form of a word, which lexicon lookups use: in a word of three
 * or more code points with at least two letters, not an ordinal ("1st"),
 * the digits 0 1 3 4 5 7 read as o i e a s t ("fr33", "ch3ck", "0ut"), then
 * every run of one letter counts once ("subscribeeee", "pleassse",
 * "channel" and "chanel" all fold alike). Writes the folded code points of
 * c[0..n) to out (room for n) and returns how many; *disguised gets 1 when
 * a digit was read as a letter, or when a run of three or more of one
 * letter folded into a word of two or more ("nooooo", not "III"): only
 * such a word is matched by its folded form (a plain word must match a
 * lexicon entry as written, so "too" never stands for "to", nor "i7" for
 * "it"). */
size_t chaff_word_fold(const int32_t *c, size_t n, int32_t *out, int *disguised);

/* Analyses text[0..len) into d, using b's buffers. */
chaff_err chaff_doc_build(struct chaff_docbuf *b, const char *text, size_t len, struct chaff_doc *d);
void chaff_docbuf_free(struct chaff_docbuf *b);

/* Character classes shared by the families: ASCII is answered inline
 * (most comment text is ASCII), the rest by utf8proc's tables in doc.c. */
int chaff_cp_is_letter_table(int32_t c);
int chaff_cp_is_digit_table(int32_t c);
int chaff_cp_is_space_table(int32_t c);
int chaff_cp_is_upper_table(int32_t c);

static inline int chaff_cp_is_letter(int32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return chaff_cp_is_letter_table(c);
}

static inline int chaff_cp_is_digit(int32_t c)
{
    if (c < 0x80)
        return c >= '0' && c <= '9';
    return chaff_cp_is_digit_table(c);
}

static inline int chaff_cp_is_upper(int32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z';
    return chaff_cp_is_upper_table(c);
}

static inline int chaff_cp_is_space(int32_t c)
{
    if (c < 0x80)
        return c == ' ' || (c >= '\t' && c <= '\r');
    return chaff_cp_is_space_table(c);
}

/* Scripts written without spaces between words (Han, kana, Thai...). */
int chaff_cp_is_unspaced_table(int32_t c);

static inline int chaff_cp_is_unspaced(int32_t c)
{
    return c >= 0x0E00 && chaff_cp_is_unspaced_table(c);
}

#endif
