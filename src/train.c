/* train.c: scaling, grid search, the final probability model, and the
 * model folder. Part of the model module (with model.c): the only other
 * file that includes libsvm's header. */
#include "train.h"

#include <errno.h>
#include <libsvm/svm.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "learned.h"
#include "model.h"
#include "util.h"

static void quiet(const char *s)
{
    (void)s;
}

static void to_stderr(const char *s)
{
    fputs(s, stderr);
}

/* A deterministic generator for subsampling (independent of rand()). */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

struct problem {
    struct svm_problem p;
    struct svm_node *nodes;
};

static void problem_free(struct problem *q)
{
    free(q->p.y);
    free(q->p.x);
    free(q->nodes);
    memset(q, 0, sizeof *q);
}

/* Rows idx[0..m) of the scaled matrix as a libsvm problem. */
static chaff_err problem_make(const double *scaled, const int *y, const size_t *idx, size_t m, struct problem *q)
{
    memset(q, 0, sizeof *q);
    q->p.l = (int)m;
    q->p.y = chaff_calloc(m, sizeof *q->p.y);
    q->p.x = chaff_calloc(m, sizeof *q->p.x);
    q->nodes = chaff_calloc(m * (CHAFF_NFEATURES + 1), sizeof *q->nodes);
    if (!q->p.y || !q->p.x || !q->nodes) {
        problem_free(q);
        return CHAFF_ENOMEM;
    }
    size_t nn = 0;
    for (size_t r = 0; r < m; r++) {
        const double *row = scaled + idx[r] * CHAFF_NFEATURES;
        q->p.y[r] = y[idx[r]] + 1;
        q->p.x[r] = q->nodes + nn;
        for (int i = 0; i < CHAFF_NFEATURES; i++) {
            if (row[i] != 0) {
                q->nodes[nn].index = i + 1;
                q->nodes[nn].value = row[i];
                nn++;
            }
        }
        q->nodes[nn].index = -1;
        nn++;
    }
    return CHAFF_OK;
}

static void set_params(struct svm_parameter *pa, int kernel, double C, double gamma, const double *class_w, int *wl,
                       double *wv)
{
    memset(pa, 0, sizeof *pa);
    pa->svm_type = C_SVC;
    pa->kernel_type = kernel == CHAFF_KERNEL_LINEAR ? LINEAR : RBF;
    pa->gamma = gamma;
    pa->C = C;
    pa->cache_size = 256;
    pa->eps = 1e-3;
    pa->shrinking = 1;
    pa->nr_weight = CHAFF_NLABELS;
    for (int k = 0; k < CHAFF_NLABELS; k++) {
        wl[k] = k + 1;
        wv[k] = class_w[k];
    }
    pa->weight_label = wl;
    pa->weight = wv;
}

static void cv_confusion(const struct problem *q, const struct svm_parameter *pa, int folds, unsigned seed,
                         struct chaff_confusion *c, double *target)
{
    srand(seed);
    svm_cross_validation(&q->p, pa, folds, target);
    memset(c, 0, sizeof *c);
    for (int r = 0; r < q->p.l; r++) {
        int t = (int)q->p.y[r] - 1, p = (int)target[r] - 1;
        if (t >= 0 && t < CHAFF_NLABELS && p >= 0 && p < CHAFF_NLABELS)
            c->m[t][p]++;
    }
}

static void progress(const struct chaff_train_opts *o, const char *fmt, ...) CHAFF_PRINTF(2, 3);
static void progress(const struct chaff_train_opts *o, const char *fmt, ...)
{
    if (!o->progress)
        return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    o->progress(line, o->ud);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static chaff_err write_text(const char *path, const char *text, struct chaff_diag *diag)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return chaff_diagf(diag, CHAFF_EIO, "%s: cannot write: %s", tmp, strerror(errno));
    int bad = fputs(text, f) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return chaff_diagf(diag, CHAFF_EIO, "%s: cannot write: %s", path, strerror(errno));
    }
    return CHAFF_OK;
}

chaff_err chaff_train(const double *raw, const int *y, size_t n, const struct chaff_train_opts *opts,
                      const char *outdir, json_t *meta, struct chaff_train_result *res, struct chaff_diag *diag)
{
    struct chaff_train_opts o = *opts;
    if (!o.folds)
        o.folds = 5;
    if (!o.grid_rows)
        o.grid_rows = 4000;
    svm_set_print_string_function(o.verbose ? to_stderr : quiet);
    memset(res, 0, sizeof *res);

    size_t count[CHAFF_NLABELS] = {0};
    for (size_t r = 0; r < n; r++) {
        if (y[r] < 0 || y[r] >= CHAFF_NLABELS)
            return chaff_diagf(diag, CHAFF_EINVAL, "training row %zu has no valid label", r + 1);
        count[y[r]]++;
    }
    for (int k = 0; k < CHAFF_NLABELS; k++) {
        if (count[k] < 2)
            return chaff_diagf(diag, CHAFF_ETRAIN, "training needs at least 2 %s comments, got %zu",
                               chaff_label_name(k), count[k]);
    }
    if ((size_t)o.folds > n)
        o.folds = (int)n;

    /* transform, then min-max ranges */
    double lo[CHAFF_NFEATURES], hi[CHAFF_NFEATURES];
    double *scaled = chaff_calloc(n * CHAFF_NFEATURES, sizeof *scaled);
    size_t *idx = chaff_calloc(n, sizeof *idx);
    double *target = chaff_calloc(n, sizeof *target);
    double *col = chaff_calloc(n, sizeof *col);
    struct problem all = {0}, sub = {0};
    struct svm_model *model = NULL;
    chaff_err err = CHAFF_OK;
    if (!scaled || !idx || !target || !col) {
        err = CHAFF_ENOMEM;
        goto out;
    }
    for (int i = 0; i < CHAFF_NFEATURES; i++) {
        lo[i] = INFINITY;
        hi[i] = -INFINITY;
    }
    for (size_t r = 0; r < n; r++) {
        for (int i = 0; i < CHAFF_NFEATURES; i++) {
            double v = chaff_feature_transform(i, raw[r * CHAFF_NFEATURES + i]);
            scaled[r * CHAFF_NFEATURES + i] = v;
            if (v < lo[i])
                lo[i] = v;
            if (v > hi[i])
                hi[i] = v;
        }
    }
    for (size_t r = 0; r < n; r++) {
        for (int i = 0; i < CHAFF_NFEATURES; i++) {
            double span = hi[i] - lo[i];
            double *v = &scaled[r * CHAFF_NFEATURES + i];
            *v = span > 0 ? -1.0 + 2.0 * (*v - lo[i]) / span : 0.0;
        }
    }

    /* class weights: inverse frequency, normalised to mean 1 */
    double class_w[CHAFF_NLABELS];
    for (int k = 0; k < CHAFF_NLABELS; k++)
        class_w[k] = (double)n / (CHAFF_NLABELS * (double)count[k]);
    int wl[CHAFF_NLABELS];
    double wv[CHAFF_NLABELS];
    struct svm_parameter pa;

    int kernel = o.kernel == CHAFF_KERNEL_LINEAR ? CHAFF_KERNEL_LINEAR : CHAFF_KERNEL_RBF;
    double C = o.C > 0 ? o.C : 4;
    double gamma = o.gamma > 0 ? o.gamma : 1.0 / CHAFF_NFEATURES;

    if (o.grid) {
        /* a stratified deterministic sample keeps the grid affordable */
        uint64_t s = 0x9E3779B97F4A7C15ULL ^ o.seed;
        for (size_t r = 0; r < n; r++)
            idx[r] = r;
        for (size_t r = n; r > 1; r--) {
            size_t j = (size_t)(next_rand(&s) % r);
            size_t t = idx[r - 1];
            idx[r - 1] = idx[j];
            idx[j] = t;
        }
        size_t m = n < o.grid_rows ? n : o.grid_rows;
        err = problem_make(scaled, y, idx, m, &sub);
        if (err)
            goto out;
        static const double Cs[] = {0.5, 2, 8, 32, 128};
        static const double gammas[] = {0.01, 0.03, 0.1, 0.3};
        double best = -1;
        for (int kk = 0; kk < 2; kk++) {
            int kern = kk == 0 ? CHAFF_KERNEL_RBF : CHAFF_KERNEL_LINEAR;
            if (o.kernel && o.kernel != kern)
                continue;
            for (size_t ci = 0; ci < sizeof Cs / sizeof *Cs; ci++) {
                size_t ng = kern == CHAFF_KERNEL_RBF ? sizeof gammas / sizeof *gammas : 1;
                if (kern == CHAFF_KERNEL_LINEAR && Cs[ci] > 8)
                    continue; /* libsvm's linear kernel converges slowly at large C */
                for (size_t gi = 0; gi < ng; gi++) {
                    set_params(&pa, kern, Cs[ci], gammas[gi], class_w, wl, wv);
                    struct chaff_confusion c;
                    cv_confusion(&sub, &pa, o.folds, o.seed, &c, target);
                    struct chaff_metrics mt;
                    chaff_metrics_compute(&c, &mt);
                    if (kern == CHAFF_KERNEL_RBF)
                        progress(&o, "grid: rbf C=%g gamma=%g macro-F1 %.4f accuracy %.4f", Cs[ci], gammas[gi],
                                 mt.macro_f1, mt.accuracy);
                    else
                        progress(&o, "grid: linear C=%g macro-F1 %.4f accuracy %.4f", Cs[ci], mt.macro_f1, mt.accuracy);
                    if (mt.macro_f1 > best + 1e-9) {
                        best = mt.macro_f1;
                        kernel = kern;
                        C = Cs[ci];
                        gamma = gammas[gi];
                    }
                }
            }
        }
        if (kernel == CHAFF_KERNEL_RBF)
            progress(&o, "grid: chose rbf C=%g gamma=%g", C, gamma);
        else
            progress(&o, "grid: chose linear C=%g", C);
    }

    for (size_t r = 0; r < n; r++)
        idx[r] = r;
    err = problem_make(scaled, y, idx, n, &all);
    if (err)
        goto out;
    set_params(&pa, kernel, C, gamma, class_w, wl, wv);
    const char *why = svm_check_parameter(&all.p, &pa);
    if (why) {
        err = chaff_diagf(diag, CHAFF_ETRAIN, "libsvm refused the parameters: %s", why);
        goto out;
    }
    /* cross-validated figures of the chosen parameters on all rows */
    cv_confusion(&all, &pa, o.folds, o.seed, &res->cv, target);
    {
        struct chaff_metrics mt;
        chaff_metrics_compute(&res->cv, &mt);
        progress(&o, "cross-validation (%d folds, %zu rows): macro-F1 %.4f accuracy %.4f", o.folds, n, mt.macro_f1,
                 mt.accuracy);
    }
    /* with edit, the final model trains on the rows the cross-validation
     * got right: the rows deep in the other classes' territory, which
     * would each be a support vector at the bound, are left out */
    if (o.editable) {
        size_t m = 0;
        for (size_t r = 0; r < n; r++) {
            if (!o.editable[r] || (int)target[r] - 1 == y[r])
                idx[m++] = r;
        }
        res->edited = n - m;
        problem_free(&all);
        err = problem_make(scaled, y, idx, m, &all);
        if (err)
            goto out;
        progress(&o, "edit: %zu of %zu rows misclassified in cross-validation left out", res->edited, n);
    }
    /* the final model with probability estimates */
    pa.probability = 1;
    srand(o.seed);
    model = svm_train(&all.p, &pa);
    if (!model || !svm_check_probability_model(model)) {
        err = chaff_diagf(diag, CHAFF_ETRAIN, "libsvm did not produce a probability model");
        goto out;
    }
    res->kernel = kernel;
    res->C = C;
    res->gamma = kernel == CHAFF_KERNEL_RBF ? gamma : 0;
    res->n_sv = svm_get_nr_sv(model);

    /* the folder */
    if (mkdir(outdir, 0777) != 0 && errno != EEXIST) {
        err = chaff_diagf(diag, CHAFF_EIO, "%s: cannot create: %s", outdir, strerror(errno));
        goto out;
    }
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s", outdir, CHAFF_MODEL_FILE);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (svm_save_model(tmp, model) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        err = chaff_diagf(diag, CHAFF_EIO, "%s: cannot write the model", path);
        goto out;
    }
    struct chaff_buf ranges = {0};
    chaff_buf_printf(&ranges, "x\n%.17g %.17g\n", -1.0, 1.0);
    for (int i = 0; i < CHAFF_NFEATURES; i++)
        chaff_buf_printf(&ranges, "%d %.17g %.17g\n", i + 1, lo[i], hi[i]);
    snprintf(path, sizeof path, "%s/%s", outdir, CHAFF_RANGES_FILE);
    err = ranges.data ? write_text(path, ranges.data, diag) : CHAFF_ENOMEM;
    chaff_buf_free(&ranges);
    if (err)
        goto out;

    json_t *root = meta ? json_deep_copy(meta) : json_object();
    char hash[17], now[21];
    chaff_feature_set_hash(hash);
    chaff_now_iso(now);
    json_t *names = json_array();
    for (int i = 0; i < CHAFF_NFEATURES; i++)
        json_array_append_new(names, json_string(chaff_features[i].name));
    json_object_set_new(root, "feature_set",
                        json_pack("{s:i, s:s, s:i, s:o}", "version", CHAFF_FEATURE_SET_VERSION, "hash", hash, "count",
                                  CHAFF_NFEATURES, "names", names));
    json_object_set_new(root, "chaff_version", json_string(chaff_version()));
    json_object_set_new(root, "created_at", json_string(now));
    json_object_set_new(root, "libsvm",
                        json_pack("{s:s, s:s, s:f, s:f, s:i, s:i, s:[f,f,f], s:i}", "svm_type", "c_svc", "kernel",
                                  kernel == CHAFF_KERNEL_RBF ? "rbf" : "linear", "C", C, "gamma", res->gamma, "folds",
                                  o.folds, "seed", (int)o.seed, "class_weights", class_w[0], class_w[1], class_w[2],
                                  "total_sv", res->n_sv));
    if (o.editable)
        json_object_set_new(json_object_get(root, "libsvm"), "edited_rows", json_integer((json_int_t)res->edited));
    {
        struct chaff_metrics mt;
        chaff_metrics_compute(&res->cv, &mt);
        json_t *cm = json_array();
        for (int t = 0; t < CHAFF_NLABELS; t++)
            json_array_append_new(cm, json_pack("[I,I,I]", (json_int_t)res->cv.m[t][0], (json_int_t)res->cv.m[t][1],
                                                (json_int_t)res->cv.m[t][2]));
        json_object_set_new(root, "cross_validation",
                            json_pack("{s:I, s:f, s:f, s:f, s:o}", "rows", (json_int_t)n, "macro_f1", mt.macro_f1,
                                      "accuracy", mt.accuracy, "humans_flagged", mt.humans_flagged,
                                      "confusion_truth_by_predicted", cm));
    }
    json_object_set_new(root, "training_counts",
                        json_pack("{s:I, s:I, s:I}", "human", (json_int_t)count[0], "low-effort", (json_int_t)count[1],
                                  "machine", (json_int_t)count[2]));
    /* median raw value per feature among human rows, for reasons */
    json_t *ht = json_array();
    for (int i = 0; i < CHAFF_NFEATURES; i++) {
        size_t m = 0;
        for (size_t r = 0; r < n; r++) {
            if (y[r] == CHAFF_HUMAN)
                col[m++] = raw[r * CHAFF_NFEATURES + i];
        }
        qsort(col, m, sizeof *col, cmp_double);
        json_array_append_new(ht, json_real(m ? col[m / 2] : 0));
    }
    json_object_set_new(root, "human_typical", ht);
    /* meta.json is written last and names the SHA-256 of every other file,
     * so a folder left half-written by a failed retrain is refused at load
     * instead of mixing two trainings */
    {
        json_t *files = json_object();
        static const char *const file_names[] = {CHAFF_MODEL_FILE, CHAFF_RANGES_FILE, CHAFF_NGRAM_FILE};
        int with_ngrams = json_is_true(json_object_get(root, "ngrams"));
        for (int i = 0; i < 3; i++) {
            if (i == 2 && !with_ngrams)
                continue;
            char hex[65];
            snprintf(path, sizeof path, "%s/%s", outdir, file_names[i]);
            if (chaff_sha256_file(path, hex) != CHAFF_OK) {
                json_decref(files);
                json_decref(root);
                err = chaff_diagf(diag, CHAFF_EIO, "%s: cannot read back", path);
                goto out;
            }
            json_object_set_new(files, file_names[i], json_string(hex));
        }
        json_object_set_new(root, "files", files);
    }
    if (!json_object_get(root, "thresholds"))
        json_object_set_new(
            root, "thresholds",
            json_pack("{s:f, s:f}", "review_at", CHAFF_DEFAULT_REVIEW_AT, "hold_at", CHAFF_DEFAULT_HOLD_AT));
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(root);
    snprintf(path, sizeof path, "%s/%s", outdir, CHAFF_META_FILE);
    if (!text) {
        err = CHAFF_ENOMEM;
        goto out;
    }
    size_t tl = strlen(text);
    char *text_nl = realloc(text, tl + 2);
    if (!text_nl) {
        free(text);
        err = CHAFF_ENOMEM;
        goto out;
    }
    text_nl[tl] = '\n';
    text_nl[tl + 1] = '\0';
    err = write_text(path, text_nl, diag);
    free(text_nl);

out:
    if (model)
        svm_free_and_destroy_model(&model);
    problem_free(&all);
    problem_free(&sub);
    free(scaled);
    free(idx);
    free(target);
    free(col);
    return err;
}

static int is_name_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int starts_ci(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && strncasecmp(s, prefix, k) == 0;
}

static int is_space_byte(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t chaff_strip_links(const char *text, size_t len, char *out)
{
    size_t i = 0, o = 0;
    int removed = 0; /* the last thing done was a removal */
    while (i < len) {
        unsigned char prev = i ? (unsigned char)text[i - 1] : ' ';
        size_t end = i;
        if ((i == 0 || !is_name_byte(prev)) &&
            (starts_ci(text + i, len - i, "http://") || starts_ci(text + i, len - i, "https://") ||
             starts_ci(text + i, len - i, "www."))) {
            for (end = i; end < len && !is_space_byte((unsigned char)text[end]); end++)
                ;
        } else if (text[i] == '@' && i + 1 < len && is_name_byte((unsigned char)text[i + 1]) &&
                   (i == 0 || !(is_name_byte(prev) || prev == '.' || prev == '-'))) {
            for (end = i + 1; end < len && is_name_byte((unsigned char)text[end]); end++)
                ;
        }
        if (end > i) {
            i = end;
            removed = 1;
            /* "a URL b" -> "a b", and nothing left at the start */
            while (i < len && text[i] == ' ' && (o == 0 || out[o - 1] == ' '))
                i++;
            continue;
        }
        if (removed && text[i] == ' ' && o > 0 && out[o - 1] == ' ') {
            i++;
            continue;
        }
        removed = 0;
        out[o++] = text[i++];
    }
    while (o > 0 && out[o - 1] == ' ' && removed)
        o--;
    return o;
}
