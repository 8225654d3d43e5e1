/* lexicon.h: word lists and phrase lists, matched on normalised words. A
 * word stretched or in leetspeak ("SUBSCRIBEEEE", "fr33", "ch3ck 0ut")
 * matches an entry by its folded form (chaff_word_fold in doc.h); any
 * other word must match as written. A prefix entry matches as written. */
#ifndef CHAFF_LEXICON_H
#define CHAFF_LEXICON_H

#include <stddef.h>
#include <stdint.h>

#include "chaff.h"

/* An embedded lexicon file (generated from features/lexicons/NAME.txt). */
struct chaff_lexicon_src {
    const char *name;
    const char *text;
    size_t len;
};
/* Terminated by an entry whose name is NULL. */
extern const struct chaff_lexicon_src chaff_lexicon_sources[];

struct chaff_doc;
struct chaff_lexicon;

/* Compiles the embedded lexicon called name. Format: one entry per line,
 * '#' starts a comment; an entry is one or more words, matched on the
 * normalised text word by word; a final '*' makes the last word a prefix
 * ("delv*" matches "delves", "delving"). *out is the caller's. */
chaff_err chaff_lexicon_build(const char *name, struct chaff_lexicon **out, struct chaff_diag *diag);
void chaff_lexicon_free(struct chaff_lexicon *lx);

/* Number of entries. */
size_t chaff_lexicon_size(const struct chaff_lexicon *lx);

/* Counts matches in doc (every word position where some entry starts and
 * matches; overlapping entries at one position count once). *first (if not
 * NULL) gets the first matched entry as written, or NULL. */
size_t chaff_lexicon_count(const struct chaff_lexicon *lx, const struct chaff_doc *doc, const char **first);

/* Number of words of the entry that matches at word i of doc, or 0. */
size_t chaff_lexicon_match_at(const struct chaff_lexicon *lx, const struct chaff_doc *doc, size_t i);

/* 1 if word w of doc is a one-word entry of lx (or matches a prefix). */
int chaff_lexicon_has_word(const struct chaff_lexicon *lx, const struct chaff_doc *doc, size_t w);

/* Several lexicons indexed together by first word, so that one lookup per
 * word serves them all. Keeps pointers to the lexicons, which must outlive
 * it. At most CHAFF_LEXSET_MAX lexicons. *out is the caller's
 * (chaff_lexset_free). */
#define CHAFF_LEXSET_MAX 32
struct chaff_lexset;
chaff_err chaff_lexset_build(struct chaff_lexicon *const *lx, size_t n, struct chaff_lexset **out);
void chaff_lexset_free(struct chaff_lexset *set);

/* For each lexicon l of the set: count[l] and first[l] as
 * chaff_lexicon_count gives them, and (if len is not NULL)
 * len[l * doc->n_words + w] as chaff_lexicon_match_at(lexicon l, doc, w). */
void chaff_lexset_count(const struct chaff_lexset *set, const struct chaff_doc *doc, size_t *count, const char **first,
                        uint32_t *len);

#endif
