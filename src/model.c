/* model.c: load and check a model folder; predict with libsvm.
 *
 * libsvm's svm_load_model() trusts its input (a malformed file crashes it)
 * and switches the process locale while it reads. chaff therefore parses
 * and validates the file itself, in the C locale of this thread only
 * (strtod_l), and builds the struct svm_model from what it parsed; libsvm
 * is used for prediction. */
#include "model.h"

#include <errno.h>
#include <jansson.h>
#include <libsvm/svm.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "learned.h"
#include "util.h"
#include "verdict.h"

struct chaff_model {
    struct svm_model *svm;
    int class_label[CHAFF_NLABELS]; /* svm class k -> chaff label */
    double lo[CHAFF_NFEATURES], hi[CHAFF_NFEATURES];
    double human_typical[CHAFF_NFEATURES];
    double review_at, hold_at;
    double human_weight; /* meta.json thresholds.human_weight, default 1 */
    chaff_extractor *ex;
    int needs_ngrams;    /* meta.json says the model uses ngrams.bin */
    json_t *files;       /* meta.json's SHA-256 of each file, or NULL */
    struct dense *dense; /* the SVs laid out for prediction (below) */
    char describe[512];
};

const chaff_extractor *chaff_model_extractor(const chaff_model *m)
{
    return m->ex;
}

const char *chaff_model_describe(const chaff_model *m)
{
    return m->describe;
}

void chaff_model_thresholds(const chaff_model *m, double *review_at, double *hold_at)
{
    *review_at = m->review_at;
    *hold_at = m->hold_at;
}

double chaff_model_human_weight(const chaff_model *m)
{
    return m->human_weight;
}

double chaff_model_human_typical(const chaff_model *m, int i)
{
    return m->human_typical[i];
}

chaff_err chaff_model_set_thresholds(chaff_model *m, double review_at, double hold_at)
{
    if (!m || !(review_at >= 0 && review_at <= 1) || !(hold_at >= 0 && hold_at <= 1) || review_at > hold_at)
        return CHAFF_EINVAL;
    m->review_at = review_at;
    m->hold_at = hold_at;
    return CHAFF_OK;
}

/* ---- reading files ---- */

static chaff_err slurp(const char *path, long max, char **out, size_t *len, struct chaff_diag *diag)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return chaff_diagf(diag, CHAFF_EMODEL, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return chaff_diagf(diag, CHAFF_EMODEL, "%s: not a regular file", path);
    }
    if (st.st_size > max) {
        fclose(f);
        return chaff_diagf(diag, CHAFF_EMODEL, "%s: %lld bytes is over the limit of %ld", path, (long long)st.st_size,
                           max);
    }
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        fclose(f);
        return CHAFF_ENOMEM;
    }
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return chaff_diagf(diag, CHAFF_EMODEL, "%s: read error", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return CHAFF_OK;
}

/* A cursor over the lines of a buffer. */
struct lines {
    char *p, *end;
    unsigned long no;
    const char *path;
};

static char *next_line(struct lines *l)
{
    if (l->p >= l->end)
        return NULL;
    char *s = l->p;
    char *nl = memchr(s, '\n', (size_t)(l->end - s));
    if (nl) {
        *nl = '\0';
        l->p = nl + 1;
    } else {
        l->p = l->end;
    }
    size_t n = strlen(s);
    if (n && s[n - 1] == '\r')
        s[n - 1] = '\0';
    l->no++;
    return s;
}

/* Parses exactly count finite numbers from s into out. */
static int parse_numbers(const char *s, locale_t c, double *out, int count)
{
    for (int i = 0; i < count; i++) {
        char *e;
        errno = 0;
        double v = strtod_l(s, &e, c);
        if (e == s || errno == ERANGE || !isfinite(v))
            return 0;
        out[i] = v;
        s = e;
    }
    while (*s == ' ')
        s++;
    return *s == '\0';
}

static int parse_ints(const char *s, long *out, int count)
{
    for (int i = 0; i < count; i++) {
        char *e;
        errno = 0;
        long v = strtol(s, &e, 10);
        if (e == s || errno == ERANGE)
            return 0;
        out[i] = v;
        s = e;
    }
    while (*s == ' ')
        s++;
    return *s == '\0';
}

/* Expects line "key rest" and returns rest, or NULL. */
static const char *expect_key(char *line, const char *key)
{
    if (!line)
        return NULL;
    size_t n = strlen(key);
    if (strncmp(line, key, n) != 0 || (line[n] != ' ' && line[n] != '\0'))
        return NULL;
    return line[n] == ' ' ? line + n + 1 : line + n;
}

struct parsed {
    int kernel;
    double gamma;
    int nr_class;
    long total_sv;
    double rho[3], probA[3], probB[3];
    long label[3], nr_sv[3];
    double *coef;           /* total_sv * (nr_class-1), row-major per SV */
    struct svm_node *nodes; /* all SV nodes with -1 terminators */
    size_t *start;          /* first node of each SV */
};

static void parsed_free(struct parsed *p)
{
    free(p->coef);
    free(p->nodes);
    free(p->start);
    memset(p, 0, sizeof *p);
}

#define BAD(...) chaff_diagf(diag, CHAFF_EMODEL, __VA_ARGS__)

/* Makes room in p->nodes for node nn and one after it (a terminator):
 * 0, or -1 without memory. */
static int grow_nodes(struct parsed *p, size_t nn, size_t *cap)
{
    if (nn + 2 < *cap)
        return 0;
    size_t c = *cap * 2;
    struct svm_node *q = chaff_reallocarray(p->nodes, c, sizeof *q);
    if (!q)
        return -1;
    p->nodes = q;
    *cap = c;
    return 0;
}

static chaff_err parse_model(char *buf, size_t len, const char *path, int n_features, struct parsed *p,
                             struct chaff_diag *diag)
{
    memset(p, 0, sizeof *p);
    if (len == 0)
        return BAD("%s: empty file: not a libsvm model file", path);
    if (memchr(buf, '\0', len))
        return BAD("%s: contains NUL bytes: not a libsvm model file", path);
    locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!c)
        return CHAFF_ENOMEM;
    struct lines l = {buf, buf + len, 0, path};
    chaff_err err = CHAFF_OK;
    char *line;
    const char *v;
    int npairs;

    line = next_line(&l);
    if (!(v = expect_key(line, "svm_type"))) {
        err = BAD("%s:%lu: expected \"svm_type\" first: not a libsvm model file", path, l.no);
        goto out;
    }
    if (strcmp(v, "c_svc") != 0) {
        err = BAD("%s:%lu: svm_type %.40s is not supported (chaff needs c_svc)", path, l.no, v);
        goto out;
    }
    line = next_line(&l);
    if (!(v = expect_key(line, "kernel_type"))) {
        err = BAD("%s:%lu: expected \"kernel_type\" after svm_type", path, l.no);
        goto out;
    }
    if (strcmp(v, "rbf") == 0) {
        p->kernel = RBF;
        line = next_line(&l);
        if (!(v = expect_key(line, "gamma")) || !parse_numbers(v, c, &p->gamma, 1) || p->gamma <= 0) {
            err = BAD("%s:%lu: expected \"gamma\" with a positive number", path, l.no);
            goto out;
        }
    } else if (strcmp(v, "linear") == 0) {
        p->kernel = LINEAR;
    } else {
        err = BAD("%s:%lu: kernel_type %.40s is not supported (rbf or linear)", path, l.no, v);
        goto out;
    }
    long nc;
    line = next_line(&l);
    if (!(v = expect_key(line, "nr_class")) || !parse_ints(v, &nc, 1) || nc < 2 || nc > 3) {
        err = BAD("%s:%lu: expected \"nr_class\" of 2 or 3", path, l.no);
        goto out;
    }
    p->nr_class = (int)nc;
    npairs = p->nr_class * (p->nr_class - 1) / 2;
    line = next_line(&l);
    if (!(v = expect_key(line, "total_sv")) || !parse_ints(v, &p->total_sv, 1) || p->total_sv < 1 ||
        p->total_sv > CHAFF_MODEL_MAX_SV) {
        err = BAD("%s:%lu: expected \"total_sv\" between 1 and %d", path, l.no, CHAFF_MODEL_MAX_SV);
        goto out;
    }
    line = next_line(&l);
    if (!(v = expect_key(line, "rho")) || !parse_numbers(v, c, p->rho, npairs)) {
        err = BAD("%s:%lu: expected \"rho\" with %d numbers", path, l.no, npairs);
        goto out;
    }
    line = next_line(&l);
    if (!(v = expect_key(line, "label")) || !parse_ints(v, p->label, p->nr_class)) {
        err = BAD("%s:%lu: expected \"label\" with %d labels", path, l.no, p->nr_class);
        goto out;
    }
    for (int i = 0; i < p->nr_class; i++) {
        if (p->label[i] < 1 || p->label[i] > CHAFF_NLABELS) {
            err = BAD("%s:%lu: label %ld is not 1 (human), 2 (low-effort) or 3 (machine)", path, l.no, p->label[i]);
            goto out;
        }
        for (int j = 0; j < i; j++) {
            if (p->label[i] == p->label[j]) {
                err = BAD("%s:%lu: label %ld appears twice", path, l.no, p->label[i]);
                goto out;
            }
        }
    }
    line = next_line(&l);
    if (!(v = expect_key(line, "probA")) || !parse_numbers(v, c, p->probA, npairs)) {
        err = BAD("%s:%lu: expected \"probA\" with %d numbers (the model needs probability estimates: "
                  "train with -b 1)",
                  path, l.no, npairs);
        goto out;
    }
    line = next_line(&l);
    if (!(v = expect_key(line, "probB")) || !parse_numbers(v, c, p->probB, npairs)) {
        err = BAD("%s:%lu: expected \"probB\" with %d numbers", path, l.no, npairs);
        goto out;
    }
    line = next_line(&l);
    if (!(v = expect_key(line, "nr_sv")) || !parse_ints(v, p->nr_sv, p->nr_class)) {
        err = BAD("%s:%lu: expected \"nr_sv\" with %d counts", path, l.no, p->nr_class);
        goto out;
    }
    long sum = 0;
    for (int i = 0; i < p->nr_class; i++) {
        if (p->nr_sv[i] < 0 || p->nr_sv[i] > p->total_sv) {
            err = BAD("%s:%lu: nr_sv count %ld out of range", path, l.no, p->nr_sv[i]);
            goto out;
        }
        sum += p->nr_sv[i];
    }
    if (sum != p->total_sv) {
        err = BAD("%s:%lu: nr_sv counts add up to %ld, total_sv says %ld", path, l.no, sum, p->total_sv);
        goto out;
    }
    line = next_line(&l);
    if (!line || strcmp(line, "SV") != 0) {
        err = BAD("%s:%lu: expected \"SV\" before the support vectors", path, l.no);
        goto out;
    }
    {
        size_t nsv = (size_t)p->total_sv, ncoef = (size_t)(p->nr_class - 1);
        /* one line per SV: a short file cannot make us allocate for
         * total_sv (up to CHAFF_MODEL_MAX_SV) support vectors */
        size_t avail = 0;
        for (const char *q = l.p; q < l.end; avail++) {
            const char *nl = memchr(q, '\n', (size_t)(l.end - q));
            q = nl ? nl + 1 : l.end;
        }
        if (avail < nsv) {
            err = BAD("%s:%lu: file ends after %zu of %zu support vectors", path, l.no + (unsigned long)avail, avail,
                      nsv);
            goto out;
        }
        size_t node_cap = nsv * 8 + 1, nn = 0;
        p->coef = chaff_calloc(nsv * ncoef, sizeof *p->coef);
        p->start = chaff_calloc(nsv, sizeof *p->start);
        p->nodes = chaff_calloc(node_cap, sizeof *p->nodes);
        if (!p->coef || !p->start || !p->nodes) {
            err = CHAFF_ENOMEM;
            goto out;
        }
        for (size_t k = 0; k < nsv; k++) {
            line = next_line(&l);
            if (!line) {
                err = BAD("%s:%lu: file ends after %zu of %zu support vectors", path, l.no, k, nsv);
                goto out;
            }
            char *s = line;
            for (size_t j = 0; j < ncoef; j++) {
                char *e;
                errno = 0;
                double x = strtod_l(s, &e, c);
                if (e == s || errno == ERANGE || !isfinite(x)) {
                    err = BAD("%s:%lu: expected %zu coefficients", path, l.no, ncoef);
                    goto out;
                }
                p->coef[k * ncoef + j] = x;
                s = e;
            }
            p->start[k] = nn;
            long prev = 0;
            for (;;) {
                while (*s == ' ')
                    s++;
                if (*s == '\0')
                    break;
                char *e;
                errno = 0;
                long idx = strtol(s, &e, 10);
                if (e == s || *e != ':' || errno == ERANGE) {
                    err = BAD("%s:%lu: expected index:value", path, l.no);
                    goto out;
                }
                if (idx <= prev || idx > n_features) {
                    err = BAD("%s:%lu: feature index %ld is %s", path, l.no, idx,
                              idx > n_features ? "beyond this feature set" : "not increasing");
                    goto out;
                }
                s = e + 1;
                errno = 0;
                double x = strtod_l(s, &e, c);
                if (e == s || errno == ERANGE || !isfinite(x)) {
                    err = BAD("%s:%lu: feature %ld has no finite value", path, l.no, idx);
                    goto out;
                }
                s = e;
                if (grow_nodes(p, nn, &node_cap)) {
                    err = CHAFF_ENOMEM;
                    goto out;
                }
                p->nodes[nn].index = (int)idx;
                p->nodes[nn].value = x;
                nn++;
                prev = idx;
            }
            /* the terminator needs room too: SVs without features can
             * follow SVs that filled the array */
            if (grow_nodes(p, nn, &node_cap)) {
                err = CHAFF_ENOMEM;
                goto out;
            }
            p->nodes[nn].index = -1;
            p->nodes[nn].value = 0;
            nn++;
        }
        while ((line = next_line(&l)) != NULL) {
            if (line[0] != '\0') {
                err = BAD("%s:%lu: more support vectors than total_sv %zu", path, l.no, nsv);
                goto out;
            }
        }
    }
out:
    freelocale(c);
    if (err)
        parsed_free(p);
    return err;
}

chaff_err chaff_model_validate_file(const char *path, int n_features, struct chaff_diag *diag)
{
    char *buf;
    size_t len;
    chaff_err err = slurp(path, CHAFF_MODEL_MAX_BYTES, &buf, &len, diag);
    if (err)
        return err;
    struct parsed p;
    err = parse_model(buf, len, path, n_features, &p, diag);
    free(buf);
    parsed_free(&p);
    return err;
}

/* Builds a struct svm_model laid out as svm_load_model() would, so that
 * svm_free_and_destroy_model() frees it (free_sv = 1: SV[0] owns the nodes). */
static chaff_err build_svm(struct parsed *p, struct svm_model **out)
{
    int k = p->nr_class, npairs = k * (k - 1) / 2;
    size_t l = (size_t)p->total_sv;
    struct svm_model *m = calloc(1, sizeof *m);
    if (!m)
        return CHAFF_ENOMEM;
    m->param.svm_type = C_SVC;
    m->param.kernel_type = p->kernel;
    m->param.gamma = p->gamma;
    m->nr_class = k;
    m->l = (int)l;
    m->free_sv = 1;
    m->rho = malloc(sizeof(double) * (size_t)npairs);
    m->probA = malloc(sizeof(double) * (size_t)npairs);
    m->probB = malloc(sizeof(double) * (size_t)npairs);
    m->label = malloc(sizeof(int) * (size_t)k);
    m->nSV = malloc(sizeof(int) * (size_t)k);
    m->sv_coef = calloc((size_t)(k - 1), sizeof(double *));
    m->SV = calloc(l, sizeof(struct svm_node *));
    int ok = m->rho && m->probA && m->probB && m->label && m->nSV && m->sv_coef && m->SV;
    for (int j = 0; ok && j < k - 1; j++) {
        m->sv_coef[j] = malloc(sizeof(double) * l);
        ok = m->sv_coef[j] != NULL;
    }
    if (!ok) {
        m->free_sv = 0; /* SV[0] not set yet */
        svm_free_and_destroy_model(&m);
        return CHAFF_ENOMEM;
    }
    for (int i = 0; i < npairs; i++) {
        m->rho[i] = p->rho[i];
        m->probA[i] = p->probA[i];
        m->probB[i] = p->probB[i];
    }
    for (int i = 0; i < k; i++) {
        m->label[i] = (int)p->label[i];
        m->nSV[i] = (int)p->nr_sv[i];
    }
    for (size_t s = 0; s < l; s++) {
        for (int j = 0; j < k - 1; j++)
            m->sv_coef[j][s] = p->coef[s * (size_t)(k - 1) + (size_t)j];
        m->SV[s] = p->nodes + p->start[s];
    }
    p->nodes = NULL; /* now owned by m->SV[0] */
    *out = m;
    return CHAFF_OK;
}

struct dense;
static chaff_err build_dense(chaff_model *m);
static void dense_free(struct dense *d);

/* ---- ranges (svm-scale format) ---- */

static chaff_err load_ranges(const char *path, chaff_model *m, struct chaff_diag *diag)
{
    char *buf;
    size_t len;
    chaff_err err = slurp(path, 1 << 20, &buf, &len, diag);
    if (err)
        return err;
    locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!c) {
        free(buf);
        return CHAFF_ENOMEM;
    }
    struct lines l = {buf, buf + len, 0, path};
    char *line = next_line(&l);
    double lu[2];
    int seen[CHAFF_NFEATURES] = {0};
    if (!line || strcmp(line, "x") != 0) {
        err = BAD("%s:%lu: expected \"x\" (svm-scale ranges)", path, l.no);
        goto out;
    }
    line = next_line(&l);
    if (!line || !parse_numbers(line, c, lu, 2) || lu[0] != -1 || lu[1] != 1) {
        err = BAD("%s:%lu: expected \"-1 1\"", path, l.no);
        goto out;
    }
    for (int i = 0; i < CHAFF_NFEATURES; i++) {
        m->lo[i] = 0;
        m->hi[i] = 0;
    }
    while ((line = next_line(&l)) != NULL) {
        if (line[0] == '\0')
            continue;
        char *e;
        long idx = strtol(line, &e, 10);
        double mm[2];
        if (e == line || idx < 1 || idx > CHAFF_NFEATURES || !parse_numbers(e, c, mm, 2) || mm[0] > mm[1]) {
            err = BAD("%s:%lu: expected \"index min max\" with index 1..%d", path, l.no, CHAFF_NFEATURES);
            goto out;
        }
        m->lo[idx - 1] = mm[0];
        m->hi[idx - 1] = mm[1];
        seen[idx - 1] = 1;
    }
    (void)seen;
out:
    freelocale(c);
    free(buf);
    return err;
}

/* ---- metadata ---- */

static chaff_err load_meta(const char *path, chaff_model *m, struct chaff_diag *diag)
{
    /* read like the other two files: a missing file says "cannot open",
     * a folder or a huge file is refused before parsing */
    char *buf;
    size_t len;
    chaff_err err = slurp(path, 1 << 20, &buf, &len, diag);
    if (err)
        return err;
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    free(buf);
    if (!root && json_error_code(&jerr) == json_error_out_of_memory)
        return CHAFF_ENOMEM;
    if (!root)
        return BAD("%s:%d: invalid JSON: %s", path, jerr.line, jerr.text);
    char hash[17];
    chaff_feature_set_hash(hash);
    json_t *fs = json_object_get(root, "feature_set");
    json_t *ver = json_object_get(fs, "version");
    json_t *h = json_object_get(fs, "hash");
    json_t *cnt = json_object_get(fs, "count");
    if (!json_is_integer(ver) || !json_is_string(h)) {
        err = BAD("%s: no feature_set {version, hash}: not a chaff model folder", path);
        goto out;
    }
    if (json_integer_value(ver) != CHAFF_FEATURE_SET_VERSION || strcmp(json_string_value(h), hash) != 0 ||
        (json_is_integer(cnt) && json_integer_value(cnt) != CHAFF_NFEATURES)) {
        err = chaff_diagf(diag, CHAFF_EMISMATCH,
                          "%s: the model was built for feature set %lld/%.20s, this chaff extracts "
                          "feature set %d/%s; retrain it with chaff train",
                          path, (long long)json_integer_value(ver), json_string_value(h), CHAFF_FEATURE_SET_VERSION,
                          hash);
        goto out;
    }
    json_t *th = json_object_get(root, "thresholds");
    json_t *ra = json_object_get(th, "review_at"), *ha = json_object_get(th, "hold_at");
    m->review_at = json_is_number(ra) ? json_number_value(ra) : CHAFF_DEFAULT_REVIEW_AT;
    m->hold_at = json_is_number(ha) ? json_number_value(ha) : CHAFF_DEFAULT_HOLD_AT;
    if (!(m->review_at >= 0 && m->review_at <= 1 && m->hold_at >= 0 && m->hold_at <= 1)) {
        err = BAD("%s: thresholds must lie between 0 and 1", path);
        goto out;
    }
    if (m->review_at > m->hold_at) {
        err = BAD("%s: thresholds: review_at %g is above hold_at %g", path, m->review_at, m->hold_at);
        goto out;
    }
    json_t *hw = json_object_get(th, "human_weight");
    m->human_weight = hw ? (json_is_number(hw) ? json_number_value(hw) : NAN) : 1;
    if (!(m->human_weight >= 0.01 && m->human_weight <= 100)) {
        if (json_is_number(hw))
            err = BAD("%s: thresholds: human_weight %g is not a number from 0.01 to 100", path, m->human_weight);
        else
            err = BAD("%s: thresholds: human_weight is not a number from 0.01 to 100", path);
        goto out;
    }
    json_t *files = json_object_get(root, "files");
    if (files && !json_is_object(files)) {
        err = BAD("%s: \"files\" is not an object", path);
        goto out;
    }
    m->files = json_incref(files);
    m->needs_ngrams = json_is_true(json_object_get(root, "ngrams"));
    json_t *ht = json_object_get(root, "human_typical");
    if (json_is_array(ht) && json_array_size(ht) == CHAFF_NFEATURES) {
        for (int i = 0; i < CHAFF_NFEATURES; i++) {
            json_t *x = json_array_get(ht, (size_t)i);
            m->human_typical[i] = json_is_number(x) ? json_number_value(x) : 0;
        }
    }
out:
    json_decref(root);
    return err;
}

chaff_err chaff_model_load(const char *dir, chaff_model **out, struct chaff_diag *diag)
{
    if (!dir || !out)
        return CHAFF_EINVAL;
    *out = NULL;
    struct stat st;
    if (stat(dir, &st) != 0)
        return BAD("%s: model folder not found: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return BAD("%s: not a model folder (expected a folder with %s, %s, %s)", dir, CHAFF_MODEL_FILE,
                   CHAFF_RANGES_FILE, CHAFF_META_FILE);
    chaff_model *m = calloc(1, sizeof *m);
    if (!m)
        return CHAFF_ENOMEM;
    char path[4096];
    chaff_err err;
    snprintf(path, sizeof path, "%s/%s", dir, CHAFF_META_FILE);
    err = load_meta(path, m, diag);
    if (!err) {
        snprintf(path, sizeof path, "%s/%s", dir, CHAFF_RANGES_FILE);
        err = load_ranges(path, m, diag);
    }
    if (!err) {
        snprintf(path, sizeof path, "%s/%s", dir, CHAFF_MODEL_FILE);
        char *buf;
        size_t len;
        err = slurp(path, CHAFF_MODEL_MAX_BYTES, &buf, &len, diag);
        if (!err) {
            struct parsed p;
            err = parse_model(buf, len, path, CHAFF_NFEATURES, &p, diag);
            free(buf);
            if (!err) {
                err = build_svm(&p, &m->svm);
                parsed_free(&p);
            }
        }
    }
    if (!err) {
        for (int i = 0; i < m->svm->nr_class; i++)
            m->class_label[i] = m->svm->label[i] - 1;
        err = build_dense(m);
    }
    if (!err) {
        err = chaff_extractor_new(&m->ex, diag);
    }
    if (!err && m->needs_ngrams) {
        struct chaff_ngrams *ng = NULL;
        snprintf(path, sizeof path, "%s/%s", dir, CHAFF_NGRAM_FILE);
        err = chaff_ngrams_load(path, &ng, diag);
        if (!err)
            chaff_extractor_set_ngrams(m->ex, ng);
    }
    /* last, once each file is known to be well-formed: do they belong
     * together? */
    const char *name;
    json_t *want;
    json_object_foreach(m->files, name, want)
    {
        if (err)
            break;
        char hex[65];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (!json_is_string(want) || strchr(name, '/'))
            err = BAD("%s/%s: bad \"files\" entry %s", dir, CHAFF_META_FILE, name);
        else if (chaff_sha256_file(path, hex) != CHAFF_OK)
            err = BAD("%s: cannot read: %s", path, strerror(errno));
        else if (strcmp(hex, json_string_value(want)) != 0)
            err = BAD("%s: differs from the one %s was written with (SHA-256): the folder mixes two trainings; "
                      "retrain it",
                      path, CHAFF_META_FILE);
    }
    if (err) {
        chaff_model_free(m);
        return err;
    }
    char hash[17];
    chaff_feature_set_hash(hash);
    snprintf(m->describe, sizeof m->describe, "%s (feature set %d/%s, %s kernel, %d SV)", dir,
             CHAFF_FEATURE_SET_VERSION, hash, m->svm->param.kernel_type == RBF ? "rbf" : "linear", m->svm->l);
    *out = m;
    return CHAFF_OK;
}

void chaff_model_free(chaff_model *m)
{
    if (!m)
        return;
    if (m->svm)
        svm_free_and_destroy_model(&m->svm);
    dense_free(m->dense);
    json_decref(m->files);
    chaff_extractor_free(m->ex);
    free(m);
}

double chaff_model_scale_one(const chaff_model *m, int i, double raw)
{
    double v = chaff_feature_transform(i, raw);
    double span = m->hi[i] - m->lo[i];
    double s = span > 0 ? -1.0 + 2.0 * (v - m->lo[i]) / span : 0.0;
    return s < -1.5 ? -1.5 : s > 1.5 ? 1.5 : s;
}

void chaff_model_scale(const chaff_model *m, const double *raw, double *scaled)
{
    for (int i = 0; i < CHAFF_NFEATURES; i++)
        scaled[i] = chaff_model_scale_one(m, i, raw[i]);
}

/* ---- dense prediction ----
 *
 * libsvm's svm_predict_probability() walks sparse svm_node lists for every
 * support vector. chaff lays the support vectors out for the machine
 * instead and then follows libsvm's own steps (pairwise decision values,
 * Platt sigmoids, pairwise coupling), so that the probabilities agree with
 * libsvm's to 1e-9 (tests/unit/test_model.c checks it):
 *
 * - The RBF kernel's squared distance is expanded, |x - s|^2 =
 *   |x|^2 + |s|^2 - 2 x.s, with |s|^2 stored per SV: one multiply and one
 *   add per feature and SV. The linear kernel is x.s itself.
 * - Most features take one value (their mode) in most support vectors: a
 *   count of emoji or URLs is 0 for nearly every SV. A feature whose mode
 *   covers at least 3/4 of the SVs is stored sparsely, as the SVs that
 *   differ from it and by how much; the mode's share of x.s is one number
 *   per comment. The others are dense columns, so that the loops over SVs
 *   run in vector registers.
 * - The dense columns hold each value as an integer number of 1e-9: the
 *   model file writes values with 8 significant digits, so nearly every
 *   value is k / 1e9 exactly, in half the bytes of a double (the SVs are
 *   read from memory for every comment, and at 4 bytes a value they stay
 *   in a core's L2 cache). A value that is not (below 0.01 in size) keeps
 *   its remainder as an exception, as below.
 * - SVs are taken in blocks that stay in the L1 cache: the dense columns
 *   tile by tile, and each block's exceptions as one flat list.
 * - Kernel values use an exp() in plain vector arithmetic (relative error
 *   about 1e-15), and reductions keep eight lanes (one AVX-512 register;
 *   two AVX2 or four SSE2 ones on CPUs without it, chosen at run time).
 * - Reasons re-score the comment with one reason group (verdict.h) set to
 *   its typical human values t. The first pass can leave each SV's
 *   squared distance (x.s for the linear kernel) in a work array; setting
 *   group g to t adds the sum over g's features of t^2 - x^2 - 2 (t - x) s
 *   ((t - x) s), so the second pass reads only the columns of the features
 *   that differ from their typical values.
 */

/* The helpers below pass 64-byte vectors by value; they are static and
 * inlined, so GCC's note that this ABI changes with AVX does not apply. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
typedef double vd __attribute__((vector_size(8 * sizeof(double))));
typedef long long vl __attribute__((vector_size(8 * sizeof(long long))));

/* The SV loops are compiled for several instruction sets and the best the
 * CPU has is chosen at run time (not under AddressSanitizer, whose
 * instrumentation does not mix with target clones). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_ADDRESS__) && !defined(CHAFF_NO_CLONES)
#define CHAFF_CLONES 1
#include <immintrin.h>
#else
#define CHAFF_CLONES 0
#endif

typedef void sum_cols_fn(const int32_t *col, int ndense, size_t n, const int *cols, int ncols, const vd *w, double base,
                         const double *init, double *out);

typedef void kern_fn(const double *d2, const double *coef, size_t lpad, int npairs, size_t n, double gamma, vd *acc);

#define LANES 8
#define TILE (4 * LANES) /* SVs summed at once, in four vectors */
#define BLOCK 128        /* SVs per block: a block's partial sums fit in L1 */
#define COL_UNIT 1e9     /* a dense column's integers are its values times this */
_Static_assert(BLOCK * 2 * CHAFF_NFEATURES <= 65535, "a block's exceptions are counted in 16 bits");

struct dense {
    size_t l, lpad, nblocks; /* SVs, rounded up to TILE, and blocks of BLOCK */
    int rbf, npairs;
    double gamma;
    int group[CHAFF_NFEATURES];      /* reason group of each feature, or CHAFF_REASON_GROUPS */
    double mode[CHAFF_NFEATURES];    /* a sparse feature's mode (0 for dense ones) */
    double typical[CHAFF_NFEATURES]; /* scaled typical human values */
    int ndense, dense_feature[CHAFF_NFEATURES];
    int all_dense[CHAFF_NFEATURES]; /* 0 .. ndense - 1 */
    int32_t *col;                   /* ndense x lpad, in units of COL_UNIT, tile by tile:
                                       the tile of SV t * TILE holds column j at
                                       col + (t * ndense + j) * TILE */
    double *sqn;                    /* lpad: each SV's |s|^2 (RBF), or 0 (linear) */
    int nsparse;
    /* the slots of exceptions: the sparse features, then the dense ones */
    int nslots, slot_feature[2 * CHAFF_NFEATURES];
    /* the exceptions of block k: [ex_start[k], ex_start[k + 1]), in slot
     * order; slot s's are ex_start[k] + ex_slot[k * (nslots + 1) + s] up to
     * the next slot's */
    size_t *ex_start;
    uint16_t *ex_slot;
    uint16_t *ex_col; /* the slot */
    uint16_t *ex_off; /* SV within the block */
    double *ex_delta; /* what the SV's value has beyond its slot's base (slot_rest) */
    /* sum_cols_vec or sum_cols_avx512 */
    sum_cols_fn *sum_cols;
    kern_fn *kern; /* kern_vec or kern_avx512 */
    double *coef;  /* npairs x lpad: each SV's coefficient in each pairwise
                      decision function (0 where it takes no part) */
    double rho[3];
};

static void pick_kernels(struct dense *d);

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void dense_free(struct dense *d)
{
    if (!d)
        return;
    free(d->col);
    free(d->sqn);
    free(d->ex_start);
    free(d->ex_slot);
    free(d->ex_col);
    free(d->ex_off);
    free(d->ex_delta);
    free(d->coef);
    free(d);
}

static int same_sv(const double *full, size_t l, size_t a, size_t b)
{
    for (int f = 0; f < CHAFF_NFEATURES; f++) {
        if (full[(size_t)f * l + a] != full[(size_t)f * l + b])
            return 0;
    }
    return 1;
}

/* Identical support vectors (a training row repeated by --weight, or the
 * same comment in two classes) have the same kernel value: each distinct
 * SV is kept once, uid[i] numbering SV i's copy, rep[] each copy's first
 * SV in the model. Returns the number of distinct SVs, or 0 without
 * memory. */
static size_t dedupe_svs(const double *full, size_t l, size_t *uid, size_t *rep)
{
    size_t cap = 16;
    while (cap < 2 * l)
        cap *= 2;
    size_t *slot = chaff_calloc(cap, sizeof *slot); /* SV index + 1, or 0 */
    if (!slot)
        return 0;
    size_t nu = 0;
    for (size_t i = 0; i < l; i++) {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (int f = 0; f < CHAFF_NFEATURES; f++) {
            double v = full[(size_t)f * l + i] + 0.0; /* -0 hashes as 0 */
            h = chaff_fnv1a_more(h, &v, sizeof v);
        }
        size_t k = (size_t)h & (cap - 1);
        while (slot[k] && !same_sv(full, l, slot[k] - 1, i))
            k = (k + 1) & (cap - 1);
        if (slot[k]) {
            uid[i] = uid[slot[k] - 1];
        } else {
            slot[k] = i + 1;
            rep[nu] = i;
            uid[i] = nu++;
        }
    }
    free(slot);
    return nu;
}

/* Where SV i's value of dense column j is in d->col. */
static size_t col_index(const struct dense *d, size_t i, int j)
{
    return (i / TILE * (size_t)d->ndense + (size_t)j) * TILE + i % TILE;
}

/* What SV i's value of slot a (full: the distinct SVs, column-major) has
 * beyond the slot's base: a sparse feature's mode, or the whole nanos of
 * its dense column in d->col. 0 for all but a few SVs. */
static double slot_rest(const struct dense *d, const double *full, int a, size_t i)
{
    double v = full[(size_t)d->slot_feature[a] * d->l + i];
    if (a < d->nsparse)
        return v - d->mode[d->slot_feature[a]];
    return v - d->col[col_index(d, i, a - d->nsparse)] / COL_UNIT;
}

static chaff_err build_dense(chaff_model *m)
{
    const struct svm_model *s = m->svm;
    size_t nsv = (size_t)s->l, l = 0, lpad = 0;
    struct dense *d = calloc(1, sizeof *d);
    double *all = chaff_calloc(nsv * CHAFF_NFEATURES, sizeof *all); /* column-major */
    size_t *uid = chaff_calloc(nsv, sizeof *uid), *rep = chaff_calloc(nsv, sizeof *rep), *pos = NULL;
    double *full = NULL, *sorted = NULL;
    if (!d || !all || !uid || !rep)
        goto nomem;
    for (size_t i = 0; i < nsv; i++) {
        for (const struct svm_node *n = s->SV[i]; n->index != -1; n++)
            all[(size_t)(n->index - 1) * nsv + i] = n->value;
    }
    l = dedupe_svs(all, nsv, uid, rep);
    lpad = (l + TILE - 1) / TILE * TILE;
    full = chaff_calloc(l * CHAFF_NFEATURES, sizeof *full); /* distinct SVs, column-major */
    sorted = chaff_calloc(l, sizeof *sorted);
    if (!l || !full || !sorted)
        goto nomem;
    for (int f = 0; f < CHAFF_NFEATURES; f++) {
        for (size_t u = 0; u < l; u++)
            full[(size_t)f * l + u] = all[(size_t)f * nsv + rep[u]];
    }
    d->l = l;
    d->lpad = lpad;
    d->nblocks = (lpad + BLOCK - 1) / BLOCK;
    d->rbf = s->param.kernel_type == RBF;
    d->gamma = s->param.gamma;
    pick_kernels(d);
    d->npairs = s->nr_class * (s->nr_class - 1) / 2;
    /* each feature's mode, and how many SVs differ from it */
    size_t differ[CHAFF_NFEATURES];
    for (int f = 0; f < CHAFF_NFEATURES; f++) {
        memcpy(sorted, full + (size_t)f * l, l * sizeof *sorted);
        qsort(sorted, l, sizeof *sorted, cmp_double);
        size_t best = 0;
        for (size_t i = 0, j; i < l; i = j) {
            for (j = i + 1; j < l && sorted[j] == sorted[i]; j++)
                ;
            if (j - i > best) {
                best = j - i;
                d->mode[f] = sorted[i];
            }
        }
        differ[f] = l - best;
        d->group[f] = chaff_reason_group(f);
        if (d->group[f] < 0)
            d->group[f] = CHAFF_REASON_GROUPS;
        if (differ[f] * 4 <= l) {
            d->slot_feature[d->nsparse++] = f;
        } else {
            d->mode[f] = 0; /* dense: no mode */
            d->dense_feature[d->ndense] = f;
            d->all_dense[d->ndense] = d->ndense;
            d->ndense++;
        }
    }
    d->nslots = d->nsparse + d->ndense;
    memcpy(d->slot_feature + d->nsparse, d->dense_feature, (size_t)d->ndense * sizeof *d->dense_feature);
    size_t nso = d->nblocks * (size_t)(d->nslots + 1);
    d->ex_start = chaff_calloc(d->nblocks + 1, sizeof *d->ex_start);
    d->ex_slot = chaff_calloc(nso, sizeof *d->ex_slot);
    pos = chaff_calloc(d->nblocks, sizeof *pos);
    d->col = chaff_calloc((size_t)d->ndense * lpad, sizeof *d->col);
    d->sqn = chaff_calloc(lpad, sizeof *d->sqn);
    d->coef = chaff_calloc((size_t)d->npairs * lpad, sizeof *d->coef);
    if (!d->ex_start || !d->ex_slot || !pos || !d->col || !d->sqn || !d->coef)
        goto nomem;
    /* dense values as whole numbers of 1e-9, tile by tile */
    for (int j = 0; j < d->ndense; j++) {
        const double *c = full + (size_t)d->dense_feature[j] * l;
        for (size_t i = 0; i < l; i++) {
            double k = nearbyint(c[i] * COL_UNIT);
            d->col[col_index(d, i, j)] = (int32_t)(fabs(k) < 2147483647.0 ? k : 0);
        }
    }
    /* the exceptions, counted per block and slot, then laid out block by
     * block, each block's in slot order */
    for (int a = 0; a < d->nslots; a++) {
        for (size_t i = 0; i < l; i++)
            d->ex_slot[i / BLOCK * (size_t)(d->nslots + 1) + (size_t)a + 1] += slot_rest(d, full, a, i) != 0;
    }
    for (size_t k = 0; k < d->nblocks; k++) {
        uint16_t *so = d->ex_slot + k * (size_t)(d->nslots + 1);
        for (int a = 0; a < d->nslots; a++)
            so[a + 1] = (uint16_t)(so[a + 1] + so[a]);
        d->ex_start[k + 1] = d->ex_start[k] + so[d->nslots];
    }
    size_t nnz = d->ex_start[d->nblocks];
    d->ex_col = chaff_calloc(nnz, sizeof *d->ex_col);
    d->ex_off = chaff_calloc(nnz, sizeof *d->ex_off);
    d->ex_delta = chaff_calloc(nnz, sizeof *d->ex_delta);
    if (!d->ex_col || !d->ex_off || !d->ex_delta)
        goto nomem;
    for (int a = 0; a < d->nslots; a++) {
        for (size_t i = 0; i < l; i++) {
            double rest = slot_rest(d, full, a, i);
            if (rest != 0) {
                size_t e = d->ex_start[i / BLOCK] + pos[i / BLOCK]++;
                d->ex_col[e] = (uint16_t)a;
                d->ex_off[e] = (uint16_t)(i % BLOCK);
                d->ex_delta[e] = rest;
            }
        }
    }
    if (d->rbf) {
        for (int f = 0; f < CHAFF_NFEATURES; f++) {
            const double *c = full + (size_t)f * l;
            for (size_t i = 0; i < l; i++)
                d->sqn[i] += c[i] * c[i];
        }
    }
    /* pairwise coefficients, as svm_predict_values() pairs them */
    int start[3] = {0};
    for (int i = 1; i < s->nr_class; i++)
        start[i] = start[i - 1] + s->nSV[i - 1];
    int pair = 0;
    for (int i = 0; i < s->nr_class; i++) {
        for (int j = i + 1; j < s->nr_class; j++) {
            double *cp = d->coef + (size_t)pair * lpad;
            for (int t = start[i]; t < start[i] + s->nSV[i]; t++)
                cp[uid[t]] += s->sv_coef[j - 1][t];
            for (int t = start[j]; t < start[j] + s->nSV[j]; t++)
                cp[uid[t]] += s->sv_coef[i][t];
            d->rho[pair] = s->rho[pair];
            pair++;
        }
    }
    for (int f = 0; f < CHAFF_NFEATURES; f++)
        d->typical[f] = chaff_model_scale_one(m, f, m->human_typical[f]);
    free(all);
    free(uid);
    free(rep);
    free(pos);
    free(full);
    free(sorted);
    m->dense = d;
    return CHAFF_OK;
nomem:
    free(all);
    free(uid);
    free(rep);
    free(pos);
    free(full);
    free(sorted);
    dense_free(d);
    return CHAFF_ENOMEM;
}

size_t chaff_model_distinct_svs(const chaff_model *m)
{
    return m->dense->l;
}

size_t chaff_model_work_size(const chaff_model *m)
{
    return m->dense->lpad;
}

/* e^z for z <= 0 (z below -700 gives e^-700): e^z = 2^k e^r with
 * k = round(z / ln 2) and |r| <= ln 2 / 2, e^r by its Taylor polynomial
 * of the given degree (13: relative error about 1e-15; 9: about 1e-11),
 * 2^k built in the exponent bits. */
static inline __attribute__((always_inline)) vd vexp(vd z, int degree)
{
    const vd lo = (vd){0} - 700;
    vl below = z < lo;
    z = (vd)(((vl)z & ~below) | ((vl)lo & below));
    const double magic = 6755399441055744.0; /* 1.5 * 2^52: rounds to an integer */
    vd t = z * 1.4426950408889634 + magic;
    vd k = t - magic;
    vd r = (z - k * 0.693147180559945286) - k * 2.319046813846299558e-17;
    static const double inv_fact[14] = {
        1.0,        1.0,         1.0 / 2,      1.0 / 6,       1.0 / 24,       1.0 / 120,       1.0 / 720,
        1.0 / 5040, 1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800};
    vd e = (vd){0} + inv_fact[degree];
    for (int j = degree - 1; j >= 0; j--)
        e = e * r + inv_fact[j];
    vl bits = (vl)t - ((vl){0} + 0x4338000000000000LL);
    vd scale = (vd)((bits + 1023) << 52);
    return e * scale;
}

/* Single precision, for the reasons' kernel values: sixteen lanes (one
 * AVX-512 register), and halves of eight. */
typedef float vf __attribute__((vector_size(16 * sizeof(float))));
typedef int vi __attribute__((vector_size(16 * sizeof(int))));
typedef float vh __attribute__((vector_size(8 * sizeof(float))));

static inline __attribute__((always_inline)) vf join(vh a, vh b)
{
    return __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

static inline __attribute__((always_inline)) vh low_half(vf v)
{
    return __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7);
}

static inline __attribute__((always_inline)) vh high_half(vf v)
{
    return __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
}

/* e^z for z <= 0 in single precision (relative error about 2e-7; z below
 * -87 gives e^-87), as vexp with a degree-6 polynomial. */
static inline __attribute__((always_inline)) vf vexpf(vf z)
{
    const vf lo = (vf){0} - 87.0f;
    vi below = z < lo;
    z = (vf)(((vi)z & ~below) | ((vi)lo & below));
    const float magic = 12582912.0f; /* 1.5 * 2^23 */
    vf t = z * 1.44269504f + magic;
    vf k = t - magic;
    vf r = (z - k * 0.693145751953125f) - k * 1.428606765330187e-6f;
    vf e = (vf){0} + 1.0f / 720;
    e = e * r + 1.0f / 120;
    e = e * r + 1.0f / 24;
    e = e * r + 1.0f / 6;
    e = e * r + 0.5f;
    e = e * r + 1.0f;
    e = e * r + 1.0f;
    vi bits = (vi)t - ((vi){0} + 0x4B400000); /* the bits of magic */
    return e * (vf)((bits + 127) << 23);
}

static inline __attribute__((always_inline)) vd loadv(const double *p)
{
    vd v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) void storev(double *p, vd v)
{
    memcpy(p, &v, sizeof v);
}

static inline __attribute__((always_inline)) double hsum(vd v)
{
    return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}

/* Kernel values of sum[0..n) (n a multiple of LANES) from squared
 * distances (RBF) or dot products (linear), in place; a squared distance
 * that rounding took below 0 counts as 0. */
static inline __attribute__((always_inline)) void kernel4(const struct dense *d, double *sum, size_t n, int degree)
{
    if (!d->rbf)
        return;
    for (size_t i = 0; i < n; i += LANES) {
        vd t = loadv(sum + i);
        vl neg = t < (vd){0};
        storev(sum + i, vexp((vd)((vl)t & ~neg) * -d->gamma, degree));
    }
}

/* out[i] = base + init[i] + the sum over the dense columns cols[0..ncols)
 * of w[j] times the SV's value, for the n SVs (a multiple of TILE) from
 * the tiles at col, a tile (four vectors of SVs: independent chains of
 * additions) at a time, in registers. GCC's vector extensions convert
 * eight integers to doubles in three instructions where AVX-512 has one,
 * so CPUs with AVX-512 get their own version (chosen by pick_kernels). */
typedef int vi8 __attribute__((vector_size(8 * sizeof(int))));

static inline __attribute__((always_inline)) vd loadi(const int32_t *p)
{
    vi8 v;
    memcpy(&v, p, sizeof v);
    return __builtin_convertvector(v, vd);
}

#if CHAFF_CLONES
__attribute__((target_clones("default", "avx2")))
#endif
static void
sum_cols_vec(const int32_t *col, int ndense, size_t n, const int *cols, int ncols, const vd *w, double base,
             const double *init, double *out)
{
    for (size_t i = 0; i < n; i += TILE) {
        const int32_t *tile = col + i * (size_t)ndense;
        vd a0 = loadv(init + i) + base, a1 = loadv(init + i + LANES) + base, a2 = loadv(init + i + 2 * LANES) + base,
           a3 = loadv(init + i + 3 * LANES) + base;
        for (int k = 0; k < ncols; k++) {
            int j = cols[k];
            const int32_t *c = tile + (size_t)j * TILE;
            a0 += w[j] * loadi(c);
            a1 += w[j] * loadi(c + LANES);
            a2 += w[j] * loadi(c + 2 * LANES);
            a3 += w[j] * loadi(c + 3 * LANES);
        }
        storev(out + i, a0);
        storev(out + i + LANES, a1);
        storev(out + i + 2 * LANES, a2);
        storev(out + i + 3 * LANES, a3);
    }
}

#if CHAFF_CLONES
/* sum_cols_vec in AVX-512 intrinsics: the same operations in the same
 * order, so the same bits. */
__attribute__((target("avx512f"))) static void sum_cols_avx512(const int32_t *col, int ndense, size_t n,
                                                               const int *cols, int ncols, const vd *w, double base,
                                                               const double *init, double *out)
{
    __m512d b = _mm512_set1_pd(base);
    for (size_t i = 0; i < n; i += TILE) {
        const int32_t *tile = col + i * (size_t)ndense;
        __m512d a0 = _mm512_add_pd(_mm512_loadu_pd(init + i), b);
        __m512d a1 = _mm512_add_pd(_mm512_loadu_pd(init + i + LANES), b);
        __m512d a2 = _mm512_add_pd(_mm512_loadu_pd(init + i + 2 * LANES), b);
        __m512d a3 = _mm512_add_pd(_mm512_loadu_pd(init + i + 3 * LANES), b);
        for (int k = 0; k < ncols; k++) {
            int j = cols[k];
            const int32_t *c = tile + (size_t)j * TILE;
            __m512d wj = _mm512_loadu_pd((const double *)&w[j]);
            a0 = _mm512_add_pd(a0, _mm512_mul_pd(wj, _mm512_cvtepi32_pd(_mm256_loadu_si256((const __m256i *)c))));
            a1 = _mm512_add_pd(a1,
                               _mm512_mul_pd(wj, _mm512_cvtepi32_pd(_mm256_loadu_si256((const __m256i *)(c + LANES)))));
            a2 = _mm512_add_pd(
                a2, _mm512_mul_pd(wj, _mm512_cvtepi32_pd(_mm256_loadu_si256((const __m256i *)(c + 2 * LANES)))));
            a3 = _mm512_add_pd(
                a3, _mm512_mul_pd(wj, _mm512_cvtepi32_pd(_mm256_loadu_si256((const __m256i *)(c + 3 * LANES)))));
        }
        _mm512_storeu_pd(out + i, a0);
        _mm512_storeu_pd(out + i + LANES, a1);
        _mm512_storeu_pd(out + i + 2 * LANES, a2);
        _mm512_storeu_pd(out + i + 3 * LANES, a3);
    }
}
#endif

/* For the reasons: acc[p] += the sum over SVs i < n of coef[p * lpad + i]
 * times exp(-gamma d[i]) (a negative d counts as 0), the kernel values in
 * single precision, sixteen at a time (n is a multiple of TILE). As with
 * sum_cols, AVX-512 CPUs get a version in intrinsics (GCC converts between
 * float and double vectors in halves), with the same operations in the
 * same order. */
#if CHAFF_CLONES
__attribute__((target_clones("default", "avx2")))
#endif
static void
kern_vec(const double *d2, const double *coef, size_t lpad, int npairs, size_t n, double gamma, vd *acc)
{
    for (size_t i = 0; i < n; i += 2 * LANES) {
        vd z0 = loadv(d2 + i), z1 = loadv(d2 + i + LANES);
        z0 = (vd)((vl)z0 & ~(vl)(z0 < (vd){0})) * -gamma;
        z1 = (vd)((vl)z1 & ~(vl)(z1 < (vd){0})) * -gamma;
        vf e = vexpf(join(__builtin_convertvector(z0, vh), __builtin_convertvector(z1, vh)));
        vd k0 = __builtin_convertvector(low_half(e), vd), k1 = __builtin_convertvector(high_half(e), vd);
        for (int p = 0; p < npairs; p++) {
            const double *cp = coef + (size_t)p * lpad + i;
            acc[p] += loadv(cp) * k0;
            acc[p] += loadv(cp + LANES) * k1;
        }
    }
}

#if CHAFF_CLONES
__attribute__((target("avx512f"))) static void kern_avx512(const double *d2, const double *coef, size_t lpad,
                                                           int npairs, size_t n, double gamma, vd *acc)
{
    const __m512d zero = _mm512_setzero_pd(), ng = _mm512_set1_pd(-gamma);
    const __m512 lo = _mm512_set1_ps(-87.0f), magic = _mm512_set1_ps(12582912.0f);
    __m512d a[3];
    for (int p = 0; p < npairs; p++)
        a[p] = _mm512_loadu_pd((const double *)&acc[p]);
    for (size_t i = 0; i < n; i += 2 * LANES) {
        __m512d z0 = _mm512_loadu_pd(d2 + i), z1 = _mm512_loadu_pd(d2 + i + LANES);
        z0 = _mm512_mul_pd(_mm512_mask_mov_pd(z0, _mm512_cmp_pd_mask(z0, zero, _CMP_LT_OQ), zero), ng);
        z1 = _mm512_mul_pd(_mm512_mask_mov_pd(z1, _mm512_cmp_pd_mask(z1, zero, _CMP_LT_OQ), zero), ng);
        __m512 z = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(_mm512_cvtpd_ps(z0))),
                                                       _mm256_castps_pd(_mm512_cvtpd_ps(z1)), 1));
        /* vexpf */
        z = _mm512_mask_mov_ps(z, _mm512_cmp_ps_mask(z, lo, _CMP_LT_OQ), lo);
        __m512 t = _mm512_add_ps(_mm512_mul_ps(z, _mm512_set1_ps(1.44269504f)), magic);
        __m512 k = _mm512_sub_ps(t, magic);
        __m512 r = _mm512_sub_ps(_mm512_sub_ps(z, _mm512_mul_ps(k, _mm512_set1_ps(0.693145751953125f))),
                                 _mm512_mul_ps(k, _mm512_set1_ps(1.428606765330187e-6f)));
        __m512 e = _mm512_set1_ps(1.0f / 720);
        e = _mm512_add_ps(_mm512_mul_ps(e, r), _mm512_set1_ps(1.0f / 120));
        e = _mm512_add_ps(_mm512_mul_ps(e, r), _mm512_set1_ps(1.0f / 24));
        e = _mm512_add_ps(_mm512_mul_ps(e, r), _mm512_set1_ps(1.0f / 6));
        e = _mm512_add_ps(_mm512_mul_ps(e, r), _mm512_set1_ps(0.5f));
        e = _mm512_add_ps(_mm512_mul_ps(e, r), _mm512_set1_ps(1.0f));
        e = _mm512_add_ps(_mm512_mul_ps(e, r), _mm512_set1_ps(1.0f));
        __m512i bits = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000));
        e = _mm512_mul_ps(e,
                          _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(bits, _mm512_set1_epi32(127)), 23)));
        __m512d k0 = _mm512_cvtps_pd(_mm512_castps512_ps256(e));
        __m512d k1 = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1)));
        for (int p = 0; p < npairs; p++) {
            const double *cp = coef + (size_t)p * lpad + i;
            a[p] = _mm512_add_pd(a[p], _mm512_mul_pd(_mm512_loadu_pd(cp), k0));
            a[p] = _mm512_add_pd(a[p], _mm512_mul_pd(_mm512_loadu_pd(cp + LANES), k1));
        }
    }
    for (int p = 0; p < npairs; p++)
        _mm512_storeu_pd((double *)&acc[p], a[p]);
}
#endif

/* The AVX-512 versions where the CPU has it, else the vector-extension
 * ones (target clones for AVX2 and SSE2). */
static void pick_kernels(struct dense *d)
{
    d->sum_cols = sum_cols_vec;
    d->kern = kern_vec;
#if CHAFF_CLONES
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        d->sum_cols = sum_cols_avx512;
        d->kern = kern_avx512;
    }
#endif
}

/* The pass over the SVs for the pairwise decision values dec: each SV's
 * squared distance (|x|^2 and the sparse features' modes once, |s|^2, the
 * dense columns, then the exceptions), its kernel value, and the
 * coefficients; work (may be NULL) gets the squared distances (the dot
 * products for the linear kernel). */
#if CHAFF_CLONES
__attribute__((target_clones("default", "avx2", "avx512f")))
#endif
static void
sv_pass(const struct dense *d, const double *x, double dec[3], double *work)
{
    /* the comment's weights: -2x for the RBF kernel's cross term, x for
     * the linear kernel */
    double k = d->rbf ? -2 : 1, base = 0, ws[2 * CHAFF_NFEATURES];
    vd wd[CHAFF_NFEATURES];
    if (d->rbf) {
        for (int f = 0; f < CHAFF_NFEATURES; f++)
            base += x[f] * x[f];
    }
    for (int j = 0; j < d->nsparse; j++) {
        int f = d->slot_feature[j];
        ws[j] = k * x[f];
        base += ws[j] * d->mode[f];
    }
    for (int j = 0; j < d->ndense; j++) {
        ws[d->nsparse + j] = k * x[d->dense_feature[j]];
        wd[j] = (vd){0} + ws[d->nsparse + j] / COL_UNIT;
    }
    vd acc[3] = {{0}, {0}, {0}};
    double kv[BLOCK];
    for (size_t blk = 0; blk < d->nblocks; blk++) {
        size_t b = blk * BLOCK, n = d->lpad - b < BLOCK ? d->lpad - b : BLOCK;
        d->sum_cols(d->col + b * (size_t)d->ndense, d->ndense, n, d->all_dense, d->ndense, wd, base, d->sqn + b, kv);
        for (size_t e = d->ex_start[blk]; e < d->ex_start[blk + 1]; e++)
            kv[d->ex_off[e]] += ws[d->ex_col[e]] * d->ex_delta[e];
        if (work)
            memcpy(work + b, kv, n * sizeof *kv);
        kernel4(d, kv, n, 13);
        for (int p = 0; p < d->npairs; p++) {
            const double *cp = d->coef + (size_t)p * d->lpad + b;
            for (size_t i = 0; i < n; i += LANES)
                acc[p] += loadv(cp + i) * loadv(kv + i);
        }
    }
    for (int p = 0; p < d->npairs; p++)
        dec[p] = hsum(acc[p]) - d->rho[p];
}

/* The pairwise decision values with group g at its typical human values,
 * for every group with use[g] set, from the squared distances (dot
 * products) sv_pass left in work: each SV's value moves by the group's
 * constant (t^2 - x^2 and the sparse modes' share) and by the columns of
 * the features whose value differs from typical. Reasons only rank the
 * groups, so kernel values in single precision do. */
#if CHAFF_CLONES
__attribute__((target_clones("default", "avx2", "avx512f")))
#endif
static void
group_pass(const struct dense *d, const double *x, const int *use, const double *work,
           double dec[CHAFF_REASON_GROUPS][3])
{
    enum { G = CHAFF_REASON_GROUPS };
    double k = d->rbf ? -2 : 1, c[G] = {0}, ws[2 * CHAFF_NFEATURES];
    vd wd[CHAFF_NFEATURES];
    /* each group's dense columns that change: cols[start[g] .. start[g + 1]) */
    int cols[CHAFF_NFEATURES], start[G + 1], row[2 * CHAFF_NFEATURES], nc = 0;
    int active[2 * CHAFF_NFEATURES], na = 0; /* slots whose exceptions count */
    for (int f = 0; f < CHAFF_NFEATURES; f++) {
        int g = d->group[f];
        if (g < G && use[g] && d->rbf)
            c[g] += d->typical[f] * d->typical[f] - x[f] * x[f];
    }
    for (int g = 0; g < G; g++) {
        start[g] = nc;
        for (int j = 0; j < d->ndense && use[g]; j++) {
            int f = d->dense_feature[j];
            if (d->group[f] == g && d->typical[f] != x[f]) {
                wd[j] = (vd){0} + k * (d->typical[f] - x[f]) / COL_UNIT;
                cols[nc++] = j;
            }
        }
    }
    start[G] = nc;
    for (int a = 0; a < d->nslots; a++) {
        int f = d->slot_feature[a], g = d->group[f];
        if (!(g < G && use[g] && d->typical[f] != x[f]))
            continue;
        ws[a] = k * (d->typical[f] - x[f]);
        row[a] = g;
        active[na++] = a;
        c[g] += ws[a] * d->mode[f]; /* 0 for the dense features */
    }
    vd acc[G][3];
    memset(acc, 0, sizeof acc);
    double part[G * BLOCK];
    for (size_t blk = 0; blk < d->nblocks; blk++) {
        size_t b = blk * BLOCK, n = d->lpad - b < BLOCK ? d->lpad - b : BLOCK;
        const int32_t *cb = d->col + b * (size_t)d->ndense;
        for (int g = 0; g < G; g++) {
            if (use[g])
                d->sum_cols(cb, d->ndense, n, cols + start[g], start[g + 1] - start[g], wd, c[g], work + b,
                            part + (size_t)g * BLOCK);
        }
        const uint16_t *so = d->ex_slot + blk * (size_t)(d->nslots + 1);
        for (int q = 0; q < na; q++) {
            int a = active[q];
            double *pa = part + (size_t)row[a] * BLOCK;
            for (size_t e = d->ex_start[blk] + so[a]; e < d->ex_start[blk] + so[a + 1]; e++)
                pa[d->ex_off[e]] += ws[a] * d->ex_delta[e];
        }
        for (int g = 0; g < G; g++) {
            if (!use[g])
                continue;
            const double *pg = part + (size_t)g * BLOCK;
            if (!d->rbf) {
                for (int p = 0; p < d->npairs; p++) {
                    const double *cp = d->coef + (size_t)p * d->lpad + b;
                    for (size_t i = 0; i < n; i += LANES)
                        acc[g][p] += loadv(cp + i) * loadv(pg + i);
                }
                continue;
            }
            d->kern(pg, d->coef + b, d->lpad, d->npairs, n, d->gamma, acc[g]);
        }
    }
    for (int g = 0; g < G; g++) {
        for (int p = 0; p < d->npairs; p++)
            dec[g][p] = hsum(acc[g][p]) - d->rho[p];
    }
}

/* libsvm's sigmoid_predict() */
static double sigmoid(double dv, double A, double B)
{
    double fApB = dv * A + B;
    if (fApB >= 0)
        return exp(-fApB) / (1.0 + exp(-fApB));
    return 1.0 / (1 + exp(fApB));
}

/* libsvm's multiclass_probability(): pairwise coupling (Wu, Lin and Weng). */
static void couple(int k, double r[CHAFF_NLABELS][CHAFF_NLABELS], double *p)
{
    double Q[CHAFF_NLABELS][CHAFF_NLABELS], Qp[CHAFF_NLABELS];
    int max_iter = k > 100 ? k : 100;
    double eps = 0.005 / k;
    for (int t = 0; t < k; t++) {
        p[t] = 1.0 / k;
        Q[t][t] = 0;
        for (int j = 0; j < t; j++) {
            Q[t][t] += r[j][t] * r[j][t];
            Q[t][j] = Q[j][t];
        }
        for (int j = t + 1; j < k; j++) {
            Q[t][t] += r[j][t] * r[j][t];
            Q[t][j] = -r[j][t] * r[t][j];
        }
    }
    for (int iter = 0; iter < max_iter; iter++) {
        double pQp = 0;
        for (int t = 0; t < k; t++) {
            Qp[t] = 0;
            for (int j = 0; j < k; j++)
                Qp[t] += Q[t][j] * p[j];
            pQp += p[t] * Qp[t];
        }
        double max_error = 0;
        for (int t = 0; t < k; t++) {
            double error = fabs(Qp[t] - pQp);
            if (error > max_error)
                max_error = error;
        }
        if (max_error < eps)
            break;
        for (int t = 0; t < k; t++) {
            double diff = (-Qp[t] + pQp) / Q[t][t];
            p[t] += diff;
            pQp = (pQp + diff * (diff * Q[t][t] + 2 * Qp[t])) / (1 + diff) / (1 + diff);
            for (int j = 0; j < k; j++) {
                Qp[j] = (Qp[j] + diff * Q[t][j]) / (1 + diff);
                p[j] /= (1 + diff);
            }
        }
    }
}

/* Probabilities from the pairwise decision values, as
 * svm_predict_probability(); ev (may be NULL) gets each class's evidence:
 * the sum of the unclamped Platt log-odds of its pairwise contests, which
 * keeps moving where the clamped probabilities have saturated. With p NULL
 * only ev is computed. */
static void probabilities(const chaff_model *m, const double *dec, double *p, double *ev)
{
    const struct svm_model *s = m->svm;
    int k = s->nr_class;
    double r[CHAFF_NLABELS][CHAFF_NLABELS] = {{0}};
    double lo[CHAFF_NLABELS][CHAFF_NLABELS] = {{0}};
    int pair = 0;
    for (int i = 0; i < k; i++) {
        for (int j = i + 1; j < k; j++) {
            double sum = dec[pair];
            /* log-odds of class i over j: q = 1 / (1 + exp(A dv + B)) */
            lo[i][j] = -(sum * s->probA[pair] + s->probB[pair]);
            lo[j][i] = -lo[i][j];
            if (p) {
                double q = sigmoid(sum, s->probA[pair], s->probB[pair]);
                q = q < 1e-7 ? 1e-7 : q > 1 - 1e-7 ? 1 - 1e-7 : q;
                r[i][j] = q;
                r[j][i] = 1 - q;
            }
            pair++;
        }
    }
    if (p) {
        double prob[CHAFF_NLABELS] = {0};
        if (k == 2) {
            prob[0] = r[0][1];
            prob[1] = r[1][0];
        } else {
            couple(k, r, prob);
        }
        for (int c = 0; c < CHAFF_NLABELS; c++)
            p[c] = 0;
        for (int c = 0; c < k; c++)
            p[m->class_label[c]] = prob[c];
    }
    if (ev) {
        for (int c = 0; c < CHAFF_NLABELS; c++)
            ev[c] = 0;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++)
                ev[m->class_label[i]] += lo[i][j];
        }
    }
}

void chaff_model_predict_ev(const chaff_model *m, const double *scaled, double p[CHAFF_NLABELS], double *ev,
                            double *work)
{
    double dec[3] = {0};
    sv_pass(m->dense, scaled, dec, work);
    probabilities(m, dec, p, ev);
}

void chaff_model_group_evidence(const chaff_model *m, const double *scaled, const double base[CHAFF_NLABELS],
                                const int *want, const double *work, double ev[][CHAFF_NLABELS])
{
    const struct dense *d = m->dense;
    /* a group already at its typical values changes nothing */
    int use[CHAFF_REASON_GROUPS] = {0};
    for (int f = 0; f < CHAFF_NFEATURES; f++) {
        int g = d->group[f];
        if (g < CHAFF_REASON_GROUPS && scaled[f] != d->typical[f] && (!want || want[g]))
            use[g] = 1;
    }
    double dec[CHAFF_REASON_GROUPS][3] = {{0}};
    group_pass(d, scaled, use, work, dec);
    for (int g = 0; g < CHAFF_REASON_GROUPS; g++) {
        if (use[g])
            probabilities(m, dec[g], NULL, ev[g]);
        else
            memcpy(ev[g], base, sizeof ev[g]);
    }
}

void chaff_model_predict_libsvm(const chaff_model *m, const double *scaled, double p[CHAFF_NLABELS])
{
    struct svm_node x[CHAFF_NFEATURES + 1];
    int n = 0;
    for (int i = 0; i < CHAFF_NFEATURES; i++) {
        if (scaled[i] != 0) {
            x[n].index = i + 1;
            x[n].value = scaled[i];
            n++;
        }
    }
    x[n].index = -1;
    x[n].value = 0;
    double prob[CHAFF_NLABELS] = {0};
    svm_predict_probability(m->svm, x, prob);
    for (int k = 0; k < CHAFF_NLABELS; k++)
        p[k] = 0;
    for (int k = 0; k < m->svm->nr_class; k++)
        p[m->class_label[k]] = prob[k];
}

void chaff_model_predict_scaled(const chaff_model *m, const double *scaled, double p[CHAFF_NLABELS])
{
    chaff_model_predict_ev(m, scaled, p, NULL, NULL);
}
