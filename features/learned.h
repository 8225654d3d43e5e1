/*
 * learned.h: the learned lexical family: naive-Bayes log-count ratios of
 * hashed n-grams (after Wang & Manning's NBSVM), stored in the model folder
 * as ngrams.bin.
 *
 * Two tables, each of CHAFF_NGRAM_BUCKETS hashed buckets: word unigrams and
 * bigrams of the normalised words, and character 3- and 4-grams of the
 * normalised text. For class c and bucket b, r_c[b] = log(p_c[b] / q_c[b])
 * with p_c[b] = (n_c[b] + 1) / (N_c + 2^17): n_c[b] is the number of
 * class-c comments holding b, N_c the sum of n_c over all buckets; q_c the
 * same for the other classes together. (The tests in test_features.sh
 * compute values by hand from this.) A comment's feature nb_<table>_<class> is
 * the mean of r_c over its distinct buckets. Training computes the features
 * of each training row out-of-fold (from tables that never saw that row),
 * so the SVM learns how far to trust them on unseen text.
 */
#ifndef CHAFF_LEARNED_H
#define CHAFF_LEARNED_H

#include <stddef.h>
#include <stdint.h>

#include "chaff.h"

#define CHAFF_NGRAM_BITS 17
#define CHAFF_NGRAM_BUCKETS (1u << CHAFF_NGRAM_BITS)
#define CHAFF_NGRAM_TABLES 2 /* 0: words, 1: characters */
#define CHAFF_NGRAM_FILE "ngrams.bin"

/* The tables r[table][class][bucket]; read-only once built or loaded. */
struct chaff_ngrams;

/* Loads and checks ngrams.bin (size, magic, checksum, finite values). */
chaff_err chaff_ngrams_load(const char *path, struct chaff_ngrams **out, struct chaff_diag *diag);
/* Writes ngrams.bin atomically (via a temporary file). */
chaff_err chaff_ngrams_save(const struct chaff_ngrams *ng, const char *path, struct chaff_diag *diag);
void chaff_ngrams_free(struct chaff_ngrams *ng);

/* The six feature values for a comment's distinct buckets. */
void chaff_ngrams_score(const struct chaff_ngrams *ng, const uint32_t *const bucket[CHAFF_NGRAM_TABLES],
                        const size_t n[CHAFF_NGRAM_TABLES], double out[CHAFF_NGRAM_TABLES * CHAFF_NLABELS]);

/* Training: one row per comment, with its distinct buckets per table. */
struct chaff_ngram_row {
    uint32_t *bucket[CHAFF_NGRAM_TABLES];
    uint32_t n[CHAFF_NGRAM_TABLES];
    int label; /* enum chaff_label */
    int fold;  /* 0..folds-1 */
};

/* Fills out[r * stride + first .. + 6) with each row's out-of-fold feature
 * values and builds the final tables from all rows into *final. Rows with
 * the same fold share tables, so a repeated row must keep its fold. The
 * nextra rows of extra (their folds ignored) only add to the counts: they
 * are in every table, out-of-fold ones included, and get no values (rows
 * that the SVM does not train on, so they cannot leak). */
chaff_err chaff_ngrams_fit(const struct chaff_ngram_row *rows, size_t n, const struct chaff_ngram_row *extra,
                           size_t nextra, int folds, double *out, size_t stride, size_t first,
                           struct chaff_ngrams **final);

#endif
