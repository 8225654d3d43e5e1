/* test_model.c: training a model folder, loading it, refusing broken ones
 * (the catalogue in fixtures/bad-models, rebuilt by its make.sh), the
 * thresholds, and the verdict's label and action. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testing.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chaff_features.h"
#include "model.h"
#include "train.h"
#include "verdict.h"

#define BAD_MODELS CHAFF_SOURCE_DIR "/fixtures/bad-models"

#define assert_contains(haystack, needle)                                                                              \
    do {                                                                                                               \
        if (!strstr((haystack), (needle)))                                                                             \
            fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle));                                          \
    } while (0)

/* ---- a synthetic training set ----
 * 30 rows per class. Every feature carries a little deterministic noise;
 * one block of features per class is far from the others: first-person,
 * second-person and contraction rates for human, the emoji block for
 * low-effort, LLM wording, hedges, templates, promotion and praise for
 * machine. F_WORDS is r % 30 in every class (so its range is log1p(0) ..
 * log1p(29)) and F_LATIN_SHARE is 1 everywhere (a zero-span feature). */

#define PER_CLASS 30
#define NROWS (3 * PER_CLASS)

static double noise(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (double)(*s >> 8) / (double)(1u << 24); /* [0, 1) */
}

static void synth(double *raw, int *y)
{
    uint32_t s = 12345;
    for (int r = 0; r < NROWS; r++) {
        int label = r / PER_CLASS;
        double *f = raw + (size_t)r * CHAFF_NFEATURES;
        y[r] = label;
        for (int i = 0; i < CHAFF_NFEATURES; i++)
            f[i] = 0.2 + 0.05 * noise(&s);
        f[F_WORDS] = r % PER_CLASS;
        f[F_LATIN_SHARE] = 1;
        for (int i = F_FIRST_PERSON; i <= F_CONTRACTIONS; i++)
            f[i] = label == CHAFF_HUMAN ? 0.9 + 0.05 * noise(&s) : 0.01 * noise(&s);
        for (int i = F_EMOJI; i <= F_EMOTICONS; i++)
            f[i] = label == CHAFF_LOW_EFFORT ? 40 + 5 * noise(&s) : 0.01 * noise(&s);
        for (int i = F_LLM_VOCAB; i <= F_PRAISE; i++)
            f[i] = label == CHAFF_MACHINE ? 30 + 5 * noise(&s) : 0.01 * noise(&s);
    }
}

struct tmpdir {
    char path[64];
};

static void tmpdir_make(struct tmpdir *t)
{
    snprintf(t->path, sizeof t->path, "/tmp/chaff-model-XXXXXX");
    assert_non_null(mkdtemp(t->path));
}

static void tmpdir_remove(struct tmpdir *t)
{
    static const char *const files[] = {CHAFF_MODEL_FILE, CHAFF_RANGES_FILE, CHAFF_META_FILE};
    char p[128];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", t->path, files[i]);
        unlink(p);
    }
    assert_int_equal(rmdir(t->path), 0);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Copies fixtures/bad-models/valid/NAME into dir. */
static void copy_valid(const char *dir, const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/valid/%s", BAD_MODELS, name);
    FILE *in = fopen(p, "rb");
    assert_non_null(in);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, in);
    fclose(in);
    buf[n] = '\0';
    write_file(dir, name, buf);
}

static void train_should_write_a_model_folder_that_separates_an_easy_set(void **state)
{
    (void)state;
    static double raw[NROWS * CHAFF_NFEATURES];
    int y[NROWS];
    synth(raw, y);
    struct tmpdir t;
    tmpdir_make(&t);

    struct chaff_train_opts o;
    memset(&o, 0, sizeof o);
    o.kernel = CHAFF_KERNEL_RBF;
    o.grid = 0;
    o.C = 8;
    o.gamma = 0.05;
    o.folds = 3;
    o.seed = 1;
    json_t *meta =
        json_pack("{s:s, s:{s:f, s:f}}", "note", "synthetic", "thresholds", "review_at", 0.375, "hold_at", 0.875);
    struct chaff_train_result res;
    struct chaff_diag d = {""};
    chaff_err err = chaff_train(raw, y, NROWS, &o, t.path, meta, &res, &d);
    json_decref(meta);
    if (err)
        fail_msg("chaff_train: %s: %s", chaff_strerror(err), d.msg);
    assert_int_equal(res.kernel, CHAFF_KERNEL_RBF);
    assert_near(res.C, 8, 0);
    assert_near(res.gamma, 0.05, 0);
    assert_true(res.n_sv >= 3 && res.n_sv <= NROWS);
    /* the classes are far apart: cross-validation gets every row right */
    for (int a = 0; a < CHAFF_NLABELS; a++) {
        for (int b = 0; b < CHAFF_NLABELS; b++)
            assert_int_equal(res.cv.m[a][b], a == b ? PER_CLASS : 0);
    }

    /* the folder loads, and every training row gets its class with p > 0.5 */
    chaff_model *m = NULL;
    err = chaff_model_load(t.path, &m, &d);
    if (err)
        fail_msg("chaff_model_load: %s: %s", chaff_strerror(err), d.msg);
    double scaled[CHAFF_NFEATURES], p[CHAFF_NLABELS];
    for (int r = 0; r < NROWS; r++) {
        chaff_model_scale(m, raw + (size_t)r * CHAFF_NFEATURES, scaled);
        chaff_model_predict_scaled(m, scaled, p);
        if (!(p[y[r]] > 0.5))
            fail_msg("row %d (%s): p = %.3f %.3f %.3f", r, chaff_label_name(y[r]), p[0], p[1], p[2]);
        assert_near(p[0] + p[1] + p[2], 1, 1e-9);
    }

    /* scaling: log1p, then [lo, hi] -> [-1, 1], clipped to [-1.5, 1.5] */
    double row[CHAFF_NFEATURES];
    memcpy(row, raw, sizeof row);
    row[F_WORDS] = 0; /* log1p(0) = lo */
    chaff_model_scale(m, row, scaled);
    assert_near(scaled[F_WORDS], -1, 1e-12);
    assert_near(scaled[F_LATIN_SHARE], 0, 0); /* zero span: 0 */
    row[F_WORDS] = 29;                        /* log1p(29) = hi */
    chaff_model_scale(m, row, scaled);
    assert_near(scaled[F_WORDS], 1, 1e-12);
    row[F_WORDS] = 1e9; /* far above hi */
    chaff_model_scale(m, row, scaled);
    assert_near(scaled[F_WORDS], 1.5, 0);
    row[F_WORDS] = -5; /* log1p of a negative count is taken as log1p(0) */
    chaff_model_scale(m, row, scaled);
    assert_near(scaled[F_WORDS], -1, 1e-12);
    /* halfway in the transformed space: log1p(x) = log1p(29) / 2 */
    row[F_WORDS] = sqrt(30.0) - 1;
    chaff_model_scale(m, row, scaled);
    assert_near(scaled[F_WORDS], 0, 1e-12);

    /* thresholds come from the metadata passed in */
    double ra, ha;
    chaff_model_thresholds(m, &ra, &ha);
    assert_near(ra, 0.375, 0);
    assert_near(ha, 0.875, 0);
    /* the median human F_WORDS of 0..29 is the 16th of 30 sorted: 15 */
    assert_near(chaff_model_human_typical(m, F_WORDS), 15, 0);
    assert_near(chaff_model_human_typical(m, F_LATIN_SHARE), 1, 0);
    chaff_model_free(m);

    /* meta.json */
    char p_meta[128];
    snprintf(p_meta, sizeof p_meta, "%s/%s", t.path, CHAFF_META_FILE);
    json_error_t jerr;
    json_t *root = json_load_file(p_meta, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        fail_msg("%s:%d: %s", p_meta, jerr.line, jerr.text);
    json_t *fs = json_object_get(root, "feature_set");
    assert_true(json_is_integer(json_object_get(fs, "version")));
    assert_int_equal(json_integer_value(json_object_get(fs, "version")), CHAFF_FEATURE_SET_VERSION);
    char hash[17];
    chaff_feature_set_hash(hash);
    assert_true(json_is_string(json_object_get(fs, "hash")));
    assert_string_equal(json_string_value(json_object_get(fs, "hash")), hash);
    assert_int_equal(json_integer_value(json_object_get(fs, "count")), CHAFF_NFEATURES);
    json_t *names = json_object_get(fs, "names");
    assert_int_equal(json_array_size(names), CHAFF_NFEATURES);
    for (int i = 0; i < CHAFF_NFEATURES; i++)
        assert_string_equal(json_string_value(json_array_get(names, (size_t)i)), chaff_features[i].name);
    json_t *ht = json_object_get(root, "human_typical");
    assert_true(json_is_array(ht));
    assert_int_equal(json_array_size(ht), CHAFF_NFEATURES);
    for (size_t i = 0; i < CHAFF_NFEATURES; i++)
        assert_true(json_is_number(json_array_get(ht, i)));
    assert_near(json_number_value(json_array_get(ht, F_WORDS)), 15, 0);
    assert_string_equal(json_string_value(json_object_get(root, "note")), "synthetic");
    json_t *lib = json_object_get(root, "libsvm");
    assert_string_equal(json_string_value(json_object_get(lib, "kernel")), "rbf");
    assert_near(json_number_value(json_object_get(lib, "C")), 8, 0);
    assert_int_equal(json_integer_value(json_object_get(lib, "total_sv")), res.n_sv);
    json_t *counts = json_object_get(root, "training_counts");
    assert_int_equal(json_integer_value(json_object_get(counts, "human")), 30);
    assert_int_equal(json_integer_value(json_object_get(counts, "low-effort")), 30);
    assert_int_equal(json_integer_value(json_object_get(counts, "machine")), 30);
    json_t *cv = json_object_get(root, "cross_validation");
    assert_int_equal(json_integer_value(json_object_get(cv, "rows")), 90);
    assert_near(json_number_value(json_object_get(cv, "macro_f1")), 1, 0);
    json_decref(root);

    /* ranges.txt: svm-scale's format, the F_WORDS line exact */
    char p_ranges[128], line[256];
    snprintf(p_ranges, sizeof p_ranges, "%s/%s", t.path, CHAFF_RANGES_FILE);
    FILE *f = fopen(p_ranges, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "x\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "-1 1\n");
    int nlines = 0, idx;
    double lo, hi;
    while (fgets(line, sizeof line, f)) {
        nlines++;
        assert_int_equal(sscanf(line, "%d %lf %lf", &idx, &lo, &hi), 3);
        assert_int_equal(idx, nlines);
        if (idx == F_WORDS + 1) {
            assert_near(lo, 0, 0);
            assert_near(hi, log1p(29.0), 0);
        }
    }
    fclose(f);
    assert_int_equal(nlines, CHAFF_NFEATURES);
    tmpdir_remove(&t);
}

static void train_should_refuse_a_class_with_fewer_than_two_rows(void **state)
{
    (void)state;
    static double raw[NROWS * CHAFF_NFEATURES];
    int y[NROWS];
    synth(raw, y);
    /* only one low-effort row: rows 0..29 human, row 30 low-effort, rest machine */
    for (int r = PER_CLASS + 1; r < 2 * PER_CLASS; r++)
        y[r] = CHAFF_MACHINE;
    struct chaff_train_opts o;
    memset(&o, 0, sizeof o);
    struct chaff_train_result res;
    struct chaff_diag d = {""};
    assert_int_equal(chaff_train(raw, y, NROWS, &o, "/nonexistent-never-written", NULL, &res, &d), CHAFF_ETRAIN);
    assert_string_equal(d.msg, "training needs at least 2 low-effort comments, got 1");
    y[5] = 3;
    assert_int_equal(chaff_train(raw, y, NROWS, &o, "/nonexistent-never-written", NULL, &res, &d), CHAFF_EINVAL);
    assert_string_equal(d.msg, "training row 6 has no valid label");
}

/* ---- the catalogue of broken model folders ---- */

struct bad_case {
    const char *dir; /* folder under fixtures/bad-models */
    chaff_err err;
    const char *file; /* the file diag must name */
    int line;         /* 0: no line number */
    const char *why;  /* a part of the message */
};

static const struct bad_case bad_cases[] = {
    {"truncated-header", CHAFF_EMODEL, "model.svm", 6, "expected \"rho\" with 3 numbers"},
    {"truncated-sv", CHAFF_EMODEL, "model.svm", 14, "file ends after 3 of 6 support vectors"},
    {"header-reordered", CHAFF_EMODEL, "model.svm", 4, "expected \"nr_class\" of 2 or 3"},
    {"negative-nr-sv", CHAFF_EMODEL, "model.svm", 10, "nr_sv count -1 out of range"},
    {"huge-total-sv", CHAFF_EMODEL, "model.svm", 5, "expected \"total_sv\" between 1 and 2000000"},
    {"total-sv-beyond-file", CHAFF_EMODEL, "model.svm", 17, "file ends after 6 of 2000000 support vectors"},
    {"nr-sv-sum", CHAFF_EMODEL, "model.svm", 10, "nr_sv counts add up to 5, total_sv says 6"},
    {"fewer-sv-lines", CHAFF_EMODEL, "model.svm", 16, "file ends after 5 of 6 support vectors"},
    {"extra-sv-lines", CHAFF_EMODEL, "model.svm", 18, "more support vectors than total_sv 6"},
    {"index-beyond", CHAFF_EMODEL, "model.svm", 12, "feature index 9999 is beyond this feature set"},
    {"index-not-increasing", CHAFF_EMODEL, "model.svm", 12, "feature index 1 is not increasing"},
    {"nan-value", CHAFF_EMODEL, "model.svm", 13, "has no finite value"},
    {"inf-coefficient", CHAFF_EMODEL, "model.svm", 14, "expected 2 coefficients"},
    {"binary-garbage", CHAFF_EMODEL, "model.svm", 0, "contains NUL bytes: not a libsvm model file"},
    {"empty-model", CHAFF_EMODEL, "model.svm", 0, "empty file: not a libsvm model file"},
    {"nu-svc", CHAFF_EMODEL, "model.svm", 1, "svm_type nu_svc is not supported (chaff needs c_svc)"},
    {"label-twice", CHAFF_EMODEL, "model.svm", 7, "label 1 appears twice"},
    {"no-prob", CHAFF_EMODEL, "model.svm", 8,
     "expected \"probA\" with 3 numbers (the model needs probability estimates: train with -b 1)"},
    {"missing-model", CHAFF_EMODEL, "model.svm", 0, "cannot open: No such file or directory"},
    {"missing-ranges", CHAFF_EMODEL, "ranges.txt", 0, "cannot open: No such file or directory"},
    {"bad-ranges", CHAFF_EMODEL, "ranges.txt", 3, "expected \"index min max\" with index 1.."},
    {"missing-meta", CHAFF_EMODEL, "meta.json", 0, "cannot open: No such file or directory"},
    {"meta-not-json", CHAFF_EMODEL, "meta.json", 8, "invalid JSON"},
    {"bad-thresholds", CHAFF_EMODEL, "meta.json", 0, "thresholds must lie between 0 and 1"},
    {"bad-human-weight", CHAFF_EMODEL, "meta.json", 0, "thresholds: human_weight 0 is not a number from 0.01 to 100"},
    {"other-feature-set", CHAFF_EMISMATCH, "meta.json", 0, "the model was built for feature set "},
};

/* "DIR/FILE:LINE: " or "DIR/FILE: ", the start diag must have. */
static void expected_prefix(const struct bad_case *c, char *out, size_t size)
{
    if (c->line)
        snprintf(out, size, "%s/%s/%s:%d: ", BAD_MODELS, c->dir, c->file, c->line);
    else
        snprintf(out, size, "%s/%s/%s: ", BAD_MODELS, c->dir, c->file);
}

static void model_load_should_accept_the_valid_fixture(void **state)
{
    (void)state;
    chaff_model *m = NULL;
    struct chaff_diag d = {""};
    chaff_err err = chaff_model_load(BAD_MODELS "/valid", &m, &d);
    if (err == CHAFF_EMISMATCH)
        fail_msg("the feature set changed: rebuild the fixtures with fixtures/bad-models/make.sh (%s)", d.msg);
    if (err)
        fail_msg("%s: %s", chaff_strerror(err), d.msg);
    char want[512], hash[17];
    chaff_feature_set_hash(hash);
    snprintf(want, sizeof want, "%s/valid (feature set %d/%s, rbf kernel, 6 SV)", BAD_MODELS, CHAFF_FEATURE_SET_VERSION,
             hash);
    assert_string_equal(chaff_model_describe(m), want);
    double ra, ha;
    chaff_model_thresholds(m, &ra, &ha);
    assert_near(ra, 0.5, 0);
    assert_near(ha, 0.85, 0);
    chaff_model_free(m);
    assert_int_equal(chaff_model_validate_file(BAD_MODELS "/valid/model.svm", CHAFF_NFEATURES, &d), CHAFF_OK);
}

static void scorer_without_reasons_should_give_the_same_verdicts_and_no_reasons(void **state)
{
    (void)state;
    chaff_model *m = NULL;
    struct chaff_diag d = {""};
    assert_int_equal(chaff_model_load(BAD_MODELS "/valid", &m, &d), CHAFF_OK);
    chaff_scorer *on = NULL, *off = NULL;
    assert_int_equal(chaff_scorer_new(m, &on), CHAFF_OK);
    assert_int_equal(chaff_scorer_new(m, &off), CHAFF_OK);
    assert_int_equal(chaff_scorer_set_reasons(off, 0), CHAFF_OK);
    assert_int_equal(chaff_scorer_set_reasons(NULL, 0), CHAFF_EINVAL);
    static const char *const texts[] = {
        "first!!! check out my channel \U0001F525\U0001F525",
        "It is striking how fragile peace truly is. Ultimately, we must remember. \U0001F30D\U0001F54A\uFE0F",
        "lol no, the ref was blind in the 80th minute",
    };
    int with_reasons = 0;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        struct chaff_verdict a, b;
        assert_int_equal(chaff_score(on, texts[i], strlen(texts[i]), &a), CHAFF_OK);
        assert_int_equal(chaff_score(off, texts[i], strlen(texts[i]), &b), CHAFF_OK);
        assert_int_equal(b.n_reasons, 0);
        assert_int_equal(a.label, b.label);
        assert_int_equal(a.action, b.action);
        for (int k = 0; k < CHAFF_NLABELS; k++)
            assert_true(a.p[k] == b.p[k]);
        with_reasons += a.n_reasons > 0;
    }
    /* the flagged comments had reasons to leave out */
    assert_true(with_reasons > 0);
    /* and turned on again, the scorer gives them */
    assert_int_equal(chaff_scorer_set_reasons(off, 1), CHAFF_OK);
    struct chaff_verdict c;
    assert_int_equal(chaff_score(off, texts[0], strlen(texts[0]), &c), CHAFF_OK);
    if (c.action != CHAFF_PASS)
        assert_true(c.n_reasons > 0);
    chaff_scorer_free(on);
    chaff_scorer_free(off);
    chaff_model_free(m);
}

/* A verdict labelled human but sent to review (review_at 0 reviews every
 * comment) says what it is suspected of; one that passes says nothing. */
static void verdict_should_give_reasons_to_a_human_label_under_review(void **state)
{
    (void)state;
    chaff_model *m = NULL;
    struct chaff_diag d = {""};
    assert_int_equal(chaff_model_load(BAD_MODELS "/valid", &m, &d), CHAFF_OK);
    chaff_scorer *s = NULL;
    assert_int_equal(chaff_scorer_new(m, &s), CHAFF_OK);
    static const char *const texts[] = {
        "lol no, the ref was blind in the 80th minute",
        "my nan had one of these in 1987 and it still works, the hinge is the only bit that went",
        "first!!! check out my channel \U0001F525\U0001F525 free giveaway",
    };
    int humans_reviewed = 0, humans_passed = 0;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        struct chaff_verdict v;
        assert_int_equal(chaff_model_set_thresholds(m, 0.5, 0.85), CHAFF_OK);
        assert_int_equal(chaff_score(s, texts[i], strlen(texts[i]), &v), CHAFF_OK);
        if (v.label == CHAFF_HUMAN && v.action == CHAFF_PASS) {
            assert_int_equal(v.n_reasons, 0);
            humans_passed++;
        }
        assert_int_equal(chaff_model_set_thresholds(m, 0, 1), CHAFF_OK);
        assert_int_equal(chaff_score(s, texts[i], strlen(texts[i]), &v), CHAFF_OK);
        assert_int_equal(v.action, CHAFF_REVIEW);
        if (v.label == CHAFF_HUMAN) {
            if (v.n_reasons == 0)
                fail_msg("'%s': labelled human and reviewed, but no reasons", texts[i]);
            humans_reviewed++;
        }
    }
    /* the tiny model calls at least one of them human */
    assert_true(humans_reviewed > 0);
    assert_true(humans_passed > 0);
    chaff_scorer_free(s);
    chaff_model_free(m);
}

static void model_load_should_refuse_every_broken_fixture_naming_file_and_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const struct bad_case *c = &bad_cases[i];
        char dir[512], prefix[600];
        snprintf(dir, sizeof dir, "%s/%s", BAD_MODELS, c->dir);
        expected_prefix(c, prefix, sizeof prefix);
        chaff_model *m = (chaff_model *)dir; /* must be reset to NULL */
        struct chaff_diag d = {""};
        chaff_err err = chaff_model_load(dir, &m, &d);
        if (err != c->err)
            fail_msg("%s: got %s, expected %s (%s)", c->dir, chaff_strerror(err), chaff_strerror(c->err), d.msg);
        assert_null(m);
        if (strncmp(d.msg, prefix, strlen(prefix)) != 0)
            fail_msg("%s: \"%s\" does not start with \"%s\"", c->dir, d.msg, prefix);
        assert_contains(d.msg + strlen(prefix), c->why);
    }
}

static void model_load_should_say_which_feature_set_a_mismatched_model_needs(void **state)
{
    (void)state;
    chaff_model *m = NULL;
    struct chaff_diag d = {""};
    assert_int_equal(chaff_model_load(BAD_MODELS "/other-feature-set", &m, &d), CHAFF_EMISMATCH);
    char want[512], hash[17];
    chaff_feature_set_hash(hash);
    snprintf(want, sizeof want,
             "%s/other-feature-set/meta.json: the model was built for feature set %d/0123456789abcdef, this chaff "
             "extracts feature set %d/%s; retrain it with chaff train",
             BAD_MODELS, CHAFF_FEATURE_SET_VERSION, CHAFF_FEATURE_SET_VERSION, hash);
    assert_string_equal(d.msg, want);
}

static void model_validate_file_should_report_like_the_loader(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const struct bad_case *c = &bad_cases[i];
        if (strcmp(c->file, "model.svm") != 0)
            continue;
        char path[512], prefix[600];
        snprintf(path, sizeof path, "%s/%s/model.svm", BAD_MODELS, c->dir);
        expected_prefix(c, prefix, sizeof prefix);
        struct chaff_diag d = {""};
        chaff_err err = chaff_model_validate_file(path, CHAFF_NFEATURES, &d);
        if (err != c->err)
            fail_msg("%s: got %s, expected %s (%s)", c->dir, chaff_strerror(err), chaff_strerror(c->err), d.msg);
        if (strncmp(d.msg, prefix, strlen(prefix)) != 0)
            fail_msg("%s: \"%s\" does not start with \"%s\"", c->dir, d.msg, prefix);
        assert_contains(d.msg + strlen(prefix), c->why);
        /* without diag too */
        assert_int_equal(chaff_model_validate_file(path, CHAFF_NFEATURES, NULL), c->err);
    }
}

static void model_validate_file_should_check_indices_against_n_features(void **state)
{
    (void)state;
    struct chaff_diag d = {""};
    /* the first SV (line 12) has features 1, 2, 3...: with 1 feature, 2 is too many */
    assert_int_equal(chaff_model_validate_file(BAD_MODELS "/valid/model.svm", 1, &d), CHAFF_EMODEL);
    assert_string_equal(d.msg, BAD_MODELS "/valid/model.svm:12: feature index 2 is beyond this feature set");
    /* a folder or a missing file */
    assert_int_equal(chaff_model_validate_file(BAD_MODELS "/valid", CHAFF_NFEATURES, &d), CHAFF_EMODEL);
    assert_string_equal(d.msg, BAD_MODELS "/valid: not a regular file");
    assert_int_equal(chaff_model_validate_file(BAD_MODELS "/nonexistent.svm", CHAFF_NFEATURES, &d), CHAFF_EMODEL);
    assert_string_equal(d.msg, BAD_MODELS "/nonexistent.svm: cannot open: No such file or directory");
}

static void model_validate_file_should_not_allocate_for_lines_the_file_lacks(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* AddressSanitizer reserves terabytes of address space */
#else
    /* total-sv-beyond-file promises 2000000 support vectors in 2 KB; under
     * a 256 MB address-space limit that must still be "invalid model", not
     * "out of memory" from allocating for all of them up front */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit lim = {256L << 20, 256L << 20};
        if (setrlimit(RLIMIT_AS, &lim) != 0)
            _exit(77);
        chaff_err err = chaff_model_validate_file(BAD_MODELS "/total-sv-beyond-file/model.svm", CHAFF_NFEATURES, NULL);
        _exit(err == CHAFF_EMODEL ? 0 : 10 + (int)err);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        skip();
    if (WEXITSTATUS(status) != 0)
        fail_msg("got %s, expected %s", chaff_strerror((chaff_err)(WEXITSTATUS(status) - 10)),
                 chaff_strerror(CHAFF_EMODEL));
#endif
}

static void model_load_should_refuse_what_is_not_a_model_folder(void **state)
{
    (void)state;
    chaff_model *m = NULL;
    struct chaff_diag d = {""};
    assert_int_equal(chaff_model_load(BAD_MODELS "/no-such-folder", &m, &d), CHAFF_EMODEL);
    assert_null(m);
    assert_string_equal(d.msg, BAD_MODELS "/no-such-folder: model folder not found: No such file or directory");
    assert_int_equal(chaff_model_load(BAD_MODELS "/valid/model.svm", &m, &d), CHAFF_EMODEL);
    assert_contains(d.msg, "/valid/model.svm: not a model folder");
    assert_int_equal(chaff_model_load(NULL, &m, &d), CHAFF_EINVAL);
    assert_int_equal(chaff_model_load(BAD_MODELS "/valid", NULL, &d), CHAFF_EINVAL);
}

/* A two-class linear model small enough to predict by hand:
 * f(x) = sum coef_i <sv_i, x> - rho = 1*(1*x1) + (-1)*(-1*x1) - 0.5
 *      = 2*x1 - 0.5, and P(human) = 1 / (1 + exp(probA*f + probB))
 *      = 1 / (1 + exp(-2f)). Label 3 (machine) is the other class. */
static const char linear_model[] = "svm_type c_svc\n"
                                   "kernel_type linear\n"
                                   "nr_class 2\n"
                                   "total_sv 2\n"
                                   "rho 0.5\n"
                                   "label 1 3\n"
                                   "probA -2\n"
                                   "probB 0\n"
                                   "nr_sv 1 1\n"
                                   "SV\n"
                                   "1 1:1 \n"
                                   "-1 1:-1 \n";

/* Loads a hand-made model file into a model folder at t. */
static chaff_model *load_hand_made(struct tmpdir *t, const char *model_text)
{
    tmpdir_make(t);
    write_file(t->path, CHAFF_MODEL_FILE, model_text);
    copy_valid(t->path, CHAFF_RANGES_FILE);
    /* the valid folder's meta.json names its own model.svm's SHA-256: a
     * hand-made model goes with a meta.json that names no files */
    char path[1024];
    snprintf(path, sizeof path, "%s/valid/%s", BAD_MODELS, CHAFF_META_FILE);
    json_t *meta = json_load_file(path, 0, NULL);
    assert_non_null(meta);
    assert_int_equal(json_object_del(meta, "files"), 0);
    snprintf(path, sizeof path, "%s/%s", t->path, CHAFF_META_FILE);
    assert_int_equal(json_dump_file(meta, path, 0), 0);
    json_decref(meta);
    snprintf(path, sizeof path, "%s/%s", t->path, CHAFF_MODEL_FILE);
    struct chaff_diag d = {""};
    assert_int_equal(chaff_model_validate_file(path, CHAFF_NFEATURES, &d), CHAFF_OK);
    chaff_model *m = NULL;
    chaff_err err = chaff_model_load(t->path, &m, &d);
    if (err)
        fail_msg("%s: %s", chaff_strerror(err), d.msg);
    return m;
}

static void model_should_predict_a_hand_made_linear_model_exactly(void **state)
{
    (void)state;
    struct tmpdir t;
    chaff_model *m = load_hand_made(&t, linear_model);
    assert_contains(chaff_model_describe(m), "linear kernel, 2 SV)");
    double scaled[CHAFF_NFEATURES] = {0}, p[CHAFF_NLABELS];

    scaled[0] = 1; /* f = 1.5: P(human) = 1/(1+e^-3) */
    chaff_model_predict_scaled(m, scaled, p);
    assert_near(p[CHAFF_HUMAN], 1 / (1 + exp(-3.0)), 1e-12); /* 0.95257... */
    assert_near(p[CHAFF_LOW_EFFORT], 0, 0);                  /* not in the model */
    assert_near(p[CHAFF_MACHINE], 1 - 1 / (1 + exp(-3.0)), 1e-12);

    scaled[0] = 0.25; /* f = 0: even */
    chaff_model_predict_scaled(m, scaled, p);
    assert_near(p[CHAFF_HUMAN], 0.5, 1e-12);
    assert_near(p[CHAFF_MACHINE], 0.5, 1e-12);

    scaled[0] = -1; /* f = -2.5: P(human) = 1/(1+e^5) */
    chaff_model_predict_scaled(m, scaled, p);
    assert_near(p[CHAFF_HUMAN], 1 / (1 + exp(5.0)), 1e-12);
    assert_near(p[CHAFF_MACHINE], 1 - 1 / (1 + exp(5.0)), 1e-12);

    /* and the verdict of that: machine, held (flag 0.9933 >= 0.85) */
    struct chaff_verdict v;
    memset(&v, 0, sizeof v);
    memcpy(v.p, p, sizeof v.p);
    chaff_verdict_decide(&v, 1, 0.5, 0.85);
    assert_int_equal(v.label, CHAFF_MACHINE);
    assert_int_equal(v.action, CHAFF_HOLD);
    chaff_model_free(m);
    tmpdir_remove(&t);
}

/* The dense predictor keeps a column's values as whole numbers of 1e-9
 * and the rest as exceptions: values with more digits (below 0.01) and
 * values too large for 32 bits must still give libsvm's probabilities.
 * Every feature here differs between most SVs, so all three columns are
 * dense. */
static const char *const odd_values_model[] = {
    "svm_type c_svc\nkernel_type rbf\ngamma 0.5\nnr_class 2\ntotal_sv 4\nrho 0.125\nlabel 1 2\n"
    "probA -1.5\nprobB 0.25\nnr_sv 2 2\nSV\n"
    "1 1:0.5 2:0.0012345678 3:3 \n"
    "0.75 1:-1.25 2:-0.00098765432 3:-2.75 \n"
    "-1 1:0.12345678 2:3.1e-12 3:2.5 \n"
    "-0.75 1:1.5 2:0.25 3:0.5 \n",
    "svm_type c_svc\nkernel_type linear\nnr_class 2\ntotal_sv 4\nrho -0.5\nlabel 1 2\n"
    "probA -1\nprobB 0.25\nnr_sv 2 2\nSV\n"
    "1 1:0.5 2:0.0012345678 3:4000.5 \n"
    "0.75 1:-1.25 2:-0.00098765432 3:-2500000 \n"
    "-1 1:0.12345678 2:3.1e-12 3:1e+300 \n"
    "-0.75 1:1.5 2:0.25 3:-1e+300 \n",
};

static void dense_prediction_should_keep_values_that_are_not_whole_nanos(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        struct tmpdir t;
        chaff_model *m = load_hand_made(&t, odd_values_model[k]);
        static const double xs[][3] = {{0, 0, 0}, {0.5, 0.0012345678, 3}, {-1.5, 1.5, -1.5}, {0.3, -0.7, 1.1}};
        for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
            double x[CHAFF_NFEATURES] = {0}, a[CHAFF_NLABELS], b[CHAFF_NLABELS];
            memcpy(x, xs[i], sizeof xs[i]);
            if (k == 1)
                x[2] = 0; /* 1e300 times anything else overflows in libsvm too */
            chaff_model_predict_scaled(m, x, a);
            chaff_model_predict_libsvm(m, x, b);
            for (int c = 0; c < CHAFF_NLABELS; c++)
                assert_near(a[c], b[c], 1e-12);
            assert_true(a[CHAFF_HUMAN] > 1e-6 && a[CHAFF_HUMAN] < 1 - 1e-6); /* not saturated: a real check */
        }
        chaff_model_free(m);
        tmpdir_remove(&t);
    }
}

/* ---- thresholds and verdicts ---- */

static void set_thresholds_should_accept_only_ordered_values_in_0_1(void **state)
{
    (void)state;
    chaff_model *m = NULL;
    struct chaff_diag d = {""};
    if (chaff_model_load(BAD_MODELS "/valid", &m, &d) != CHAFF_OK)
        fail_msg("%s", d.msg);
    double ra, ha;
    assert_int_equal(chaff_model_set_thresholds(m, 0, 1), CHAFF_OK); /* both ends are in */
    chaff_model_thresholds(m, &ra, &ha);
    assert_near(ra, 0, 0);
    assert_near(ha, 1, 0);
    assert_int_equal(chaff_model_set_thresholds(m, 0.5, 0.5), CHAFF_OK); /* equal is allowed */
    assert_int_equal(chaff_model_set_thresholds(m, 0.25, 0.75), CHAFF_OK);
    /* outside [0, 1], not numbers, or review_at above hold_at */
    static const double bad[][2] = {{-0.01, 0.5}, {0.5, 1.01},     {1.5, 0.5},       {0.5, -1},  {NAN, 0.5},
                                    {0.5, NAN},   {INFINITY, 0.5}, {0.5, -INFINITY}, {0.75, 0.5}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(chaff_model_set_thresholds(m, bad[i][0], bad[i][1]), CHAFF_EINVAL);
        /* a refused pair changes nothing */
        chaff_model_thresholds(m, &ra, &ha);
        assert_near(ra, 0.25, 0);
        assert_near(ha, 0.75, 0);
    }
    assert_int_equal(chaff_model_set_thresholds(NULL, 0.5, 0.5), CHAFF_EINVAL);
    chaff_model_free(m);
}

static struct chaff_verdict decide_w(double ph, double pl, double pm, double w, double review_at, double hold_at)
{
    struct chaff_verdict v;
    memset(&v, 0, sizeof v);
    v.label = -1;
    v.action = -1;
    v.p[CHAFF_HUMAN] = ph;
    v.p[CHAFF_LOW_EFFORT] = pl;
    v.p[CHAFF_MACHINE] = pm;
    chaff_verdict_decide(&v, w, review_at, hold_at);
    return v;
}

static struct chaff_verdict decide(double ph, double pl, double pm, double review_at, double hold_at)
{
    return decide_w(ph, pl, pm, 1, review_at, hold_at);
}

static void verdict_decide_should_label_the_most_probable_class(void **state)
{
    (void)state;
    assert_int_equal(decide(0.625, 0.25, 0.125, 0.5, 0.75).label, CHAFF_HUMAN);
    assert_int_equal(decide(0.25, 0.5, 0.25, 0.5, 0.75).label, CHAFF_LOW_EFFORT);
    assert_int_equal(decide(0.125, 0.25, 0.625, 0.5, 0.75).label, CHAFF_MACHINE);
    /* human is the most probable class though 0.625 is not human: the
     * label stays human, the action is review */
    struct chaff_verdict v = decide(0.375, 0.25, 0.375 - 0.0625, 0.5, 0.75);
    assert_int_equal(v.label, CHAFF_HUMAN);
    assert_int_equal(v.action, CHAFF_REVIEW);
    /* a review threshold above 0.5: machine is the most probable class
     * (0.5625) but below 0.625, so it is labelled machine and passes */
    v = decide(0.4375, 0, 0.5625, 0.625, 0.75);
    assert_int_equal(v.label, CHAFF_MACHINE);
    assert_int_equal(v.action, CHAFF_PASS);
    /* ties go to human, then low-effort */
    assert_int_equal(decide(0.25, 0.375, 0.375, 0.5, 0.75).label, CHAFF_LOW_EFFORT);
    assert_int_equal(decide(0.375, 0.375, 0.25, 0.5, 0.75).label, CHAFF_HUMAN);
    assert_int_equal(decide(0.375, 0.25, 0.375, 0.5, 0.75).label, CHAFF_HUMAN);
    /* reasons are not decide's business */
    assert_int_equal(decide(0.125, 0.25, 0.625, 0.5, 0.75).n_reasons, 0);
}

static void verdict_decide_should_weigh_human_before_deciding(void **state)
{
    (void)state;
    /* w 1.5: (0.375, 0.125, 0.5) -> (0.5625, 0.125, 0.5) / 1.1875 =
     * (9/19, 2/19, 8/19): human is now the most probable class, and its
     * flag 10/19 is above review_at 0.5 */
    struct chaff_verdict v = decide_w(0.375, 0.125, 0.5, 1.5, 0.5, 0.9);
    assert_near(v.p[CHAFF_HUMAN], 9.0 / 19, 1e-15);
    assert_near(v.p[CHAFF_LOW_EFFORT], 2.0 / 19, 1e-15);
    assert_near(v.p[CHAFF_MACHINE], 8.0 / 19, 1e-15);
    assert_int_equal(v.label, CHAFF_HUMAN);
    assert_int_equal(v.action, CHAFF_REVIEW);
    /* unweighted it is machine */
    assert_int_equal(decide(0.375, 0.125, 0.5, 0.5, 0.9).label, CHAFF_MACHINE);
    /* unweighted P(not human) 0.6 is the line for w 1.5 and review_at 0.5:
     * (0.375, 0, 0.625) -> (0.5625, 0, 0.625) / 1.1875, machine 0.526,
     * flagged; (0.4375, 0, 0.5625) -> (0.65625, 0, 0.5625) / 1.21875,
     * human 0.538, passes */
    v = decide_w(0.375, 0, 0.625, 1.5, 0.5, 0.9);
    assert_near(v.p[CHAFF_MACHINE], 0.625 / 1.1875, 1e-15);
    assert_int_equal(v.label, CHAFF_MACHINE);
    assert_int_equal(v.action, CHAFF_REVIEW);
    v = decide_w(0.4375, 0, 0.5625, 1.5, 0.5, 0.9);
    assert_near(v.p[CHAFF_HUMAN], 0.65625 / 1.21875, 1e-15);
    assert_int_equal(v.label, CHAFF_HUMAN);
    assert_int_equal(v.action, CHAFF_PASS);
    /* the probabilities still sum to 1; w 1 leaves them alone */
    v = decide_w(0.2, 0.3, 0.5, 3, 0.5, 0.9);
    assert_near(v.p[CHAFF_HUMAN] + v.p[CHAFF_LOW_EFFORT] + v.p[CHAFF_MACHINE], 1, 1e-15);
    assert_near(v.p[CHAFF_HUMAN], 3.0 / 7, 1e-15); /* 0.6 / (0.6 + 0.3 + 0.5) */
    v = decide_w(0.2, 0.3, 0.5, 1, 0.5, 0.9);
    assert_true(v.p[CHAFF_HUMAN] == 0.2 && v.p[CHAFF_LOW_EFFORT] == 0.3 && v.p[CHAFF_MACHINE] == 0.5);
    /* a certain verdict stays certain: (0, 0, 1) has nothing to weigh */
    v = decide_w(0, 0, 1, 1.5, 0.5, 0.9);
    assert_true(v.p[CHAFF_MACHINE] == 1);
    assert_int_equal(v.action, CHAFF_HOLD);
}

static void verdict_decide_should_act_on_the_share_that_is_not_human(void **state)
{
    (void)state;
    /* review_at 0.5, hold_at 0.75; flag = 1 - p(human) (all exact in binary) */
    assert_int_equal(decide(0.625, 0.25, 0.125, 0.5, 0.75).action, CHAFF_PASS);  /* flag 0.375 */
    assert_int_equal(decide(0.5, 0.25, 0.25, 0.5, 0.75).action, CHAFF_REVIEW);   /* flag 0.5 = review_at */
    assert_int_equal(decide(0.375, 0.5, 0.125, 0.5, 0.75).action, CHAFF_REVIEW); /* flag 0.625 */
    assert_int_equal(decide(0.25, 0.5, 0.25, 0.5, 0.75).action, CHAFF_HOLD);     /* flag 0.75 = hold_at */
    assert_int_equal(decide(0, 0, 1, 0.5, 0.75).action, CHAFF_HOLD);             /* flag 1 */
    /* the action follows the non-human share: human is the most probable
     * class (0.375 vs 0.3125 twice) yet 0.625 is not human */
    struct chaff_verdict v = decide(0.375, 0.3125, 0.3125, 0.5, 0.75);
    assert_int_equal(v.action, CHAFF_REVIEW);
    /* the thresholds are the caller's: 0 reviews everything, 1 holds only certainty */
    assert_int_equal(decide(1, 0, 0, 0, 1).action, CHAFF_REVIEW); /* flag 0 >= 0 */
    assert_int_equal(decide(0.001, 0.5, 0.499, 0, 1).action, CHAFF_REVIEW);
    assert_int_equal(decide(0, 0.5, 0.5, 0, 1).action, CHAFF_HOLD);
    /* hold_at below review_at: holding wins */
    assert_int_equal(decide(0.5, 0.25, 0.25, 0.75, 0.5).action, CHAFF_HOLD);
}

/* Trains the synthetic set with kernel into t and loads it. With dup,
 * every row is there twice and rows 0 and 1 once more in the next class,
 * so that the model has identical SVs within a class and across classes;
 * n_sv gets the model's SV count. */
static chaff_model *train_synthetic(struct tmpdir *t, int kernel, int dup, int *n_sv)
{
    static double raw[(2 * NROWS + 2) * CHAFF_NFEATURES];
    int y[2 * NROWS + 2];
    synth(raw, y);
    int n = NROWS;
    if (dup) {
        memcpy(raw + (size_t)NROWS * CHAFF_NFEATURES, raw, sizeof raw[0] * NROWS * CHAFF_NFEATURES);
        memcpy(y + NROWS, y, sizeof y[0] * NROWS);
        memcpy(raw + (size_t)2 * NROWS * CHAFF_NFEATURES, raw, sizeof raw[0] * 2 * CHAFF_NFEATURES);
        y[2 * NROWS] = y[2 * NROWS + 1] = (y[0] + 1) % CHAFF_NLABELS;
        n = 2 * NROWS + 2;
    }
    tmpdir_make(t);
    struct chaff_train_opts o;
    memset(&o, 0, sizeof o);
    o.kernel = kernel;
    o.C = 2;
    o.gamma = 0.05;
    o.folds = 3;
    o.seed = 1;
    struct chaff_train_result res;
    struct chaff_diag d = {""};
    if (chaff_train(raw, y, (size_t)n, &o, t->path, NULL, &res, &d))
        fail_msg("train: %s", d.msg);
    *n_sv = res.n_sv;
    chaff_model *m = NULL;
    if (chaff_model_load(t->path, &m, &d))
        fail_msg("load: %s", d.msg);
    return m;
}

/* The dense predictor must give libsvm's probabilities (to 1e-9), and each
 * reason group's evidence must equal the evidence of the comment scored
 * from scratch with that group at its typical human values (to 1e-5: the
 * reasons' kernel values are single precision; a wrong group or SV would
 * be off by far more). */
static void dense_prediction_should_agree_with_libsvm(void **state)
{
    (void)state;
    for (int run = 0; run < 4; run++) {
        int kernel = run % 2 ? CHAFF_KERNEL_LINEAR : CHAFF_KERNEL_RBF, dup = run >= 2, n_sv;
        struct tmpdir t;
        chaff_model *m = train_synthetic(&t, kernel, dup, &n_sv);
        /* identical SVs are evaluated once, with their coefficients summed */
        if (dup)
            assert_true(chaff_model_distinct_svs(m) < (size_t)n_sv);
        else
            assert_int_equal(chaff_model_distinct_svs(m), n_sv);
        double *work = calloc(chaff_model_work_size(m), sizeof *work);
        assert_non_null(work);
        uint64_t seed = 88172645463325252ULL;
        for (int trial = 0; trial < 200; trial++) {
            double x[CHAFF_NFEATURES], a[CHAFF_NLABELS], b[CHAFF_NLABELS], ev[CHAFF_NLABELS];
            for (int f = 0; f < CHAFF_NFEATURES; f++) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                /* mostly zeros, as real scaled rows have many */
                x[f] = (seed % 3 == 0) ? 0.0 : ((double)(seed % 3001) / 1000.0 - 1.5);
            }
            chaff_model_predict_ev(m, x, a, ev, work);
            chaff_model_predict_libsvm(m, x, b);
            for (int k = 0; k < CHAFF_NLABELS; k++)
                assert_near(a[k], b[k], 1e-9);
            if (trial % 10)
                continue;
            double ge[CHAFF_REASON_GROUPS][CHAFF_NLABELS];
            chaff_model_group_evidence(m, x, ev, NULL, work, ge);
            /* a group not wanted keeps the comment's own evidence */
            int only[CHAFF_REASON_GROUPS] = {0};
            only[trial % CHAFF_REASON_GROUPS] = 1;
            double ge1[CHAFF_REASON_GROUPS][CHAFF_NLABELS];
            chaff_model_group_evidence(m, x, ev, only, work, ge1);
            for (int g = 0; g < CHAFF_REASON_GROUPS; g++) {
                for (int k = 0; k < CHAFF_NLABELS; k++)
                    assert_true(ge1[g][k] == (only[g] ? ge[g][k] : ev[k]));
            }
            for (int g = 0; g < CHAFF_REASON_GROUPS; g++) {
                double y[CHAFF_NFEATURES], want[CHAFF_NLABELS];
                int changed = 0;
                for (int f = 0; f < CHAFF_NFEATURES; f++) {
                    y[f] = x[f];
                    if (chaff_reason_group(f) == g) {
                        y[f] = chaff_model_scale_one(m, f, chaff_model_human_typical(m, f));
                        changed += y[f] != x[f];
                    }
                }
                assert_true(changed > 0);
                chaff_model_predict_ev(m, y, b, want, NULL);
                chaff_model_predict_libsvm(m, y, a);
                for (int k = 0; k < CHAFF_NLABELS; k++) {
                    assert_near(a[k], b[k], 1e-9);
                    assert_near(ge[g][k], want[k], 1e-5); /* single-precision kernel values: about 2e-7 */
                }
            }
        }
        free(work);
        chaff_model_free(m);
        tmpdir_remove(&t);
    }
}

/* A folder whose files come from two trainings (a retrain that died after
 * writing ranges.txt) is refused, though each file is well-formed. */
static void model_load_should_refuse_files_of_two_trainings(void **state)
{
    (void)state;
    struct tmpdir t;
    tmpdir_make(&t);
    copy_valid(t.path, CHAFF_MODEL_FILE);
    copy_valid(t.path, CHAFF_META_FILE);
    write_file(t.path, CHAFF_RANGES_FILE, "x\n-1 1\n1 0 10\n");
    chaff_model *m = NULL;
    struct chaff_diag d = {""};
    assert_int_equal(chaff_model_load(t.path, &m, &d), CHAFF_EMODEL);
    assert_null(m);
    char want[1024];
    snprintf(want, sizeof want,
             "%s/ranges.txt: differs from the one meta.json was written with (SHA-256): the folder mixes two "
             "trainings; retrain it",
             t.path);
    assert_string_equal(d.msg, want);
    tmpdir_remove(&t);
}

static void strip(const char *in, const char *want)
{
    char out[256];
    size_t n = chaff_strip_links(in, strlen(in), out);
    out[n] = '\0';
    assert_string_equal(out, want);
}

/* --strip-links: URLs and @mentions go, e-mail addresses and the rest stay. */
static void strip_links_should_drop_urls_and_mentions_only(void **state)
{
    (void)state;
    strip("@dana_k so true https://t.co/abc", "so true");
    strip("read this: https://example.com/a?b=1 then decide", "read this: then decide");
    strip("see www.Example.org, and HTTP://X.Y", "see and");
    strip("mail me at ann@example.com or @bob_2!", "mail me at ann@example.com or !");
    strip("no links here", "no links here");
    strip("a@b.c x.@y @ z", "a@b.c x.@y @ z");
    strip("@a @b @c", "");
    strip("tail https://x.y", "tail");
    strip("", "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(train_should_write_a_model_folder_that_separates_an_easy_set),
        cmocka_unit_test(train_should_refuse_a_class_with_fewer_than_two_rows),
        cmocka_unit_test(model_load_should_accept_the_valid_fixture),
        cmocka_unit_test(scorer_without_reasons_should_give_the_same_verdicts_and_no_reasons),
        cmocka_unit_test(model_load_should_refuse_every_broken_fixture_naming_file_and_line),
        cmocka_unit_test(model_load_should_say_which_feature_set_a_mismatched_model_needs),
        cmocka_unit_test(model_validate_file_should_report_like_the_loader),
        cmocka_unit_test(model_validate_file_should_check_indices_against_n_features),
        cmocka_unit_test(model_validate_file_should_not_allocate_for_lines_the_file_lacks),
        cmocka_unit_test(model_load_should_refuse_what_is_not_a_model_folder),
        cmocka_unit_test(model_should_predict_a_hand_made_linear_model_exactly),
        cmocka_unit_test(set_thresholds_should_accept_only_ordered_values_in_0_1),
        cmocka_unit_test(verdict_decide_should_label_the_most_probable_class),
        cmocka_unit_test(verdict_decide_should_weigh_human_before_deciding),
        cmocka_unit_test(verdict_should_give_reasons_to_a_human_label_under_review),
        cmocka_unit_test(strip_links_should_drop_urls_and_mentions_only),
        cmocka_unit_test(verdict_decide_should_act_on_the_share_that_is_not_human),
        cmocka_unit_test(dense_prediction_should_agree_with_libsvm),
        cmocka_unit_test(dense_prediction_should_keep_values_that_are_not_whole_nanos),
        cmocka_unit_test(model_load_should_refuse_files_of_two_trainings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
