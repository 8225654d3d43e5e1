/* train.h: training a model folder with libsvm (C-SVC), and the
 * evaluation arithmetic shared by training and chaff eval. */
#ifndef CHAFF_TRAIN_H
#define CHAFF_TRAIN_H

#include <jansson.h>
#include <stddef.h>

#include "chaff.h"
#include "chaff_features.h"

/* A confusion matrix: m[truth][predicted]. */
struct chaff_confusion {
    unsigned long m[CHAFF_NLABELS][CHAFF_NLABELS];
};

struct chaff_metrics {
    unsigned long n;
    unsigned long support[CHAFF_NLABELS]; /* truth counts */
    double precision[CHAFF_NLABELS];
    double recall[CHAFF_NLABELS];
    double f1[CHAFF_NLABELS];
    double macro_f1; /* mean F1 over the classes present in the truth */
    double accuracy;
    double humans_flagged;  /* human predicted low-effort or machine, / humans */
    double nonhuman_caught; /* non-human predicted non-human, / non-humans */
};

/* Computes the metrics of c. Shares with no denominator are 0. */
void chaff_metrics_compute(const struct chaff_confusion *c, struct chaff_metrics *out);

enum chaff_kernel { CHAFF_KERNEL_AUTO = 0, CHAFF_KERNEL_RBF = 1, CHAFF_KERNEL_LINEAR = 2 };

struct chaff_train_opts {
    int kernel;       /* enum chaff_kernel; AUTO tries both in the grid */
    int grid;         /* 1: grid search over C (and gamma) by cross-validation */
    double C, gamma;  /* used without grid (gamma 0: 1/n_features) */
    int folds;        /* cross-validation folds (default 5) */
    size_t grid_rows; /* rows sampled for the grid search (default 4000) */
    unsigned seed;    /* libsvm's folds use rand(): srand(seed) before each */
    int verbose;      /* libsvm's own output to stderr */
    /* The final model leaves out the rows with editable[r] set that the
     * cross-validation misclassified (fewer SVs); NULL: none. */
    const unsigned char *editable;
    /* Progress lines ("grid: C=2 gamma=0.02 macro-F1 0.871"); may be NULL. */
    void (*progress)(const char *line, void *ud);
    void *ud;
};

struct chaff_train_result {
    int kernel;
    double C, gamma;
    struct chaff_confusion cv; /* cross-validated on the training rows */
    int n_sv;
    size_t edited; /* rows left out of the final model by opts.edit */
};

/* Trains on n rows of raw features (row-major, CHAFF_NFEATURES each) with
 * labels y (enum chaff_label), and writes the model folder outdir
 * (created if needed; files replaced atomically). meta (borrowed, may be
 * NULL) is copied into meta.json beside what training adds. Not
 * thread-safe: libsvm's trainer uses rand() and the process locale. */
chaff_err chaff_train(const double *raw, const int *y, size_t n, const struct chaff_train_opts *opts,
                      const char *outdir, json_t *meta, struct chaff_train_result *res, struct chaff_diag *diag);

/* Copies text[0..len) to out (room for len bytes) without its URLs
 * (tokens starting http://, https:// or www., to the next space) and
 * @mentions (an @ not preceded by a letter, digit, '.', '_' or '-', with the
 * name after it; e-mail addresses stay), and without the spaces that
 * removal doubles. Returns the length written. For training on public
 * data where only one class posts links (chaff train --strip-links). */
size_t chaff_strip_links(const char *text, size_t len, char *out);

#endif
