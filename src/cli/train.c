/* train.c: chaff train and chaff eval. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "chaff_features.h"
#include "model.h"
#include "train.h"
#include "learned.h"
#include "util.h"
#include "verdict.h"

static const char train_help[] =
    "usage: chaff train [-o DIR] [OPTIONS] FILE|DIR...\n"
    "Trains a model folder from labelled comments (JSONL with \"label\", TSV\n"
    "label<TAB>text, CSV with a label column; labels human, low-effort, machine).\n"
    "  -o, --output DIR     model folder to write (default model)\n"
    "  --grid               choose kernel, C and gamma by cross-validated macro-F1\n"
    "  --kernel K           rbf, linear or auto (auto: the grid tries both)\n"
    "  --C X, --gamma G     parameters when not searching (default C 4, gamma 1/features)\n"
    "  --folds K            cross-validation folds (default 5)\n"
    "  --grid-rows N        rows sampled for the grid search (default 4000)\n"
    "  --cap N              keep at most N rows of each input file (deterministic sample)\n"
    "  --ngram-cap N        the learned n-gram tables count up to N rows of each\n"
    "                       file (default: the --cap): the rows beyond --cap add\n"
    "                       to the tables only (once, whatever --weight)\n"
    "  --weight PAT=W       repeat the rows of inputs whose path contains PAT W times\n"
    "  --balance-links PAT  in inputs whose path contains PAT, drop URLs and\n"
    "                       @mentions from a share of the rows of whichever of human\n"
    "                       and machine has more of them, until both have the same\n"
    "                       share (data where one class posts the links)\n"
    "  --seed S             seed for sampling and libsvm's folds (default 1)\n"
    "  --review-at P, --hold-at P   thresholds stored in the model\n"
    "  --human-weight W     verdicts multiply P(human) by W (0.01 to 100) and\n"
    "                       renormalise (stored in the model; default 1)\n"
    "  --no-ngrams          no learned n-gram features (they stay 0)\n"
    "  --edit PAT           the final model leaves out the rows of inputs whose\n"
    "                       path contains PAT that the cross-validation\n"
    "                       misclassified (fewer support vectors)\n"
    "  --verbose            libsvm's own output\n"
    "  reader options as for chaff score\n";

struct weight_rule {
    const char *pattern;
    int times;
};

struct rows {
    double *x;
    int *y;
    struct chaff_ngram_row *ng; /* buckets and fold of each row */
    size_t n, cap;
    /* rows beyond --cap but within --ngram-cap: for the n-gram tables only */
    struct chaff_ngram_row *extra;
    size_t nextra, extra_cap;
    size_t next_id; /* original rows seen, for the fold */
    /* per input */
    size_t file_start;
    size_t skipped_unlabelled;
    chaff_extractor *ex;
    chaff_fctx *ctx;
    int failed;
    int strip;       /* this input: --balance-links */
    int strip_label; /* the class whose links are thinned */
    double strip_p;  /* the share of its rows with links that lose them */
    unsigned seed;
    size_t stripped;            /* rows of this input changed by it */
    struct chaff_buf strip_buf; /* the stripped text */
};

#define NGRAM_FOLDS 5

/* Appends a row; its n-gram buckets are copied. */
static int add_row(struct rows *r, const double *f, int y, const uint32_t *const b[CHAFF_NGRAM_TABLES],
                   const uint32_t nb[CHAFF_NGRAM_TABLES], int fold)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        double *x = chaff_reallocarray(r->x, cap * CHAFF_NFEATURES, sizeof *x);
        if (!x)
            return -1;
        r->x = x;
        int *yy = chaff_reallocarray(r->y, cap, sizeof *yy);
        if (!yy)
            return -1;
        r->y = yy;
        struct chaff_ngram_row *g = chaff_reallocarray(r->ng, cap, sizeof *g);
        if (!g)
            return -1;
        r->ng = g;
        r->cap = cap;
    }
    struct chaff_ngram_row *g = &r->ng[r->n];
    memset(g, 0, sizeof *g);
    for (int t = 0; t < CHAFF_NGRAM_TABLES; t++) {
        g->n[t] = nb[t];
        g->bucket[t] = chaff_calloc(nb[t], sizeof *g->bucket[t]);
        if (!g->bucket[t]) {
            free(g->bucket[0]);
            return -1;
        }
        if (nb[t])
            memcpy(g->bucket[t], b[t], nb[t] * sizeof *b[t]);
    }
    g->label = y;
    g->fold = fold;
    memcpy(r->x + r->n * CHAFF_NFEATURES, f, sizeof(double) * CHAFF_NFEATURES);
    r->y[r->n++] = y;
    return 0;
}

static void free_ngram_row(struct chaff_ngram_row *g)
{
    for (int t = 0; t < CHAFF_NGRAM_TABLES; t++)
        free(g->bucket[t]);
}

static int train_record(const struct chaff_record *rec, void *ud)
{
    struct rows *r = ud;
    if (rec->label < 0) {
        r->skipped_unlabelled++;
        return 0;
    }
    double f[CHAFF_NFEATURES];
    const char *text = rec->text;
    size_t len = rec->text_len;
    /* a row of the thinned class is drawn (by a hash of its text) before it
     * is stripped; the rows not drawn keep their links */
    uint64_t h = r->strip && rec->label == r->strip_label && len
                     ? chaff_fnv1a_more(chaff_fnv1a(&r->seed, sizeof r->seed), text, len)
                     : 0;
    if (h && (double)(h >> 11) / 9007199254740992.0 < r->strip_p) {
        if (chaff_buf_reserve(&r->strip_buf, len)) {
            r->failed = 1;
            return 1;
        }
        size_t n = chaff_strip_links(text, len, r->strip_buf.data);
        if (n != len) {
            text = r->strip_buf.data;
            len = n;
            r->stripped++;
        }
    }
    if (chaff_extract(r->ex, r->ctx, text, len, f)) {
        r->failed = 1;
        return 1;
    }
    const uint32_t *b[CHAFF_NGRAM_TABLES];
    uint32_t nb[CHAFF_NGRAM_TABLES];
    for (int t = 0; t < CHAFF_NGRAM_TABLES; t++) {
        size_t k;
        b[t] = chaff_fctx_ngrams(r->ctx, t, &k);
        nb[t] = (uint32_t)k;
    }
    /* the fold of an original row, kept by its repeats (--weight) */
    int fold = (int)(chaff_fnv1a(&r->next_id, sizeof r->next_id) % NGRAM_FOLDS);
    r->next_id++;
    if (add_row(r, f, rec->label, b, nb, fold)) {
        r->failed = 1;
        return 1;
    }
    return 0;
}

struct link_counts {
    size_t rows[CHAFF_NLABELS], linked[CHAFF_NLABELS];
    struct chaff_buf buf;
    int failed;
};

static int count_links(const struct chaff_record *rec, void *ud)
{
    struct link_counts *c = ud;
    if (rec->label < 0)
        return 0;
    if (chaff_buf_reserve(&c->buf, rec->text_len)) {
        c->failed = 1;
        return 1;
    }
    c->rows[rec->label]++;
    if (rec->text_len && chaff_strip_links(rec->text, rec->text_len, c->buf.data) != rec->text_len)
        c->linked[rec->label]++;
    return 0;
}

/* --balance-links: which of human and machine has the larger share of rows
 * with links in this input, and the share of those rows that must lose
 * them for both classes to have the same. 0 on success. */
static int plan_link_balance(struct cli_input *one, struct rows *r)
{
    struct link_counts c = {0};
    struct cli_counts counts = {0};
    cli_for_each(one, count_links, NULL, &c, &counts);
    chaff_buf_free(&c.buf);
    if (c.failed || counts.input_failed)
        return -1;
    double share[CHAFF_NLABELS] = {0};
    for (int k = 0; k < CHAFF_NLABELS; k++)
        share[k] = c.rows[k] ? (double)c.linked[k] / (double)c.rows[k] : 0;
    r->strip = c.rows[CHAFF_HUMAN] && c.rows[CHAFF_MACHINE];
    if (!r->strip)
        return 0;
    int hi = share[CHAFF_HUMAN] >= share[CHAFF_MACHINE] ? CHAFF_HUMAN : CHAFF_MACHINE;
    int lo = hi == CHAFF_HUMAN ? CHAFF_MACHINE : CHAFF_HUMAN;
    r->strip_label = hi;
    r->strip_p = share[hi] > 0 ? 1.0 - share[lo] / share[hi] : 0;
    return 0;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Keeps a deterministic sample of cap rows among rows [from, n), in order;
 * of the others, a sample of up to ngram_cap - cap more goes to r->extra,
 * for the n-gram tables. 0, or -1 without memory. */
static int cap_rows(struct rows *r, size_t from, size_t cap, size_t ngram_cap, unsigned seed, const char *key)
{
    size_t m = r->n - from;
    if (m <= cap)
        return 0;
    char *keep = calloc(m, 1);
    size_t *idx = malloc(m * sizeof *idx);
    size_t more = (ngram_cap < m ? ngram_cap : m) - cap;
    if (!keep || !idx) {
        free(keep);
        free(idx);
        return -1;
    }
    if (r->nextra + more > r->extra_cap) {
        size_t c = r->nextra + more;
        struct chaff_ngram_row *e = chaff_reallocarray(r->extra, c, sizeof *e);
        if (!e) {
            free(keep);
            free(idx);
            return -1;
        }
        r->extra = e;
        r->extra_cap = c;
    }
    /* key: the file's SHA-256 (its path for stdin), so that the sample
     * depends on what the file holds, not on the path that names it:
     * ../shared/corpus/train/x.tsv and /work/shared/corpus/train/x.tsv give
     * the same model, and two files never share a sample by their names */
    uint64_t s = chaff_fnv1a(key, strlen(key)) ^ (0x9E3779B97F4A7C15ULL * (seed + 1));
    if (!s)
        s = 1;
    for (size_t i = 0; i < m; i++)
        idx[i] = i;
    for (size_t i = m; i > 1; i--) {
        size_t j = (size_t)(xorshift(&s) % i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
    /* idx is a permutation of 0..m-1, filled above */
    for (size_t i = 0; i < cap + more; i++)
        keep[idx[i]] = i < cap ? 1 : 2; // NOLINT(clang-analyzer-core.uninitialized.ArraySubscript)
    size_t w = from;
    for (size_t i = 0; i < m; i++) {
        if (keep[i] == 2)
            r->extra[r->nextra++] = r->ng[from + i];
        else if (!keep[i])
            free_ngram_row(&r->ng[from + i]);
        if (keep[i] != 1)
            continue;
        memmove(r->x + w * CHAFF_NFEATURES, r->x + (from + i) * CHAFF_NFEATURES, sizeof(double) * CHAFF_NFEATURES);
        r->y[w] = r->y[from + i];
        r->ng[w] = r->ng[from + i];
        w++;
    }
    r->n = w;
    free(keep);
    free(idx);
    return 0;
}

/* Frees what the argument loop of cmd_train allocated; returns status. */
static int train_args_done(struct cli_input *in, struct weight_rule *w, int n, int status)
{
    for (int i = 0; i < n; i++)
        free((char *)w[i].pattern);
    cli_input_free(in);
    return status;
}

static void print_progress(const char *line, void *ud)
{
    (void)ud;
    fprintf(stderr, "chaff: %s\n", line);
}

int cmd_train(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"grid", no_argument, NULL, 'g'},
                                         {"kernel", required_argument, NULL, 'k'},
                                         {"C", required_argument, NULL, 'C'},
                                         {"gamma", required_argument, NULL, 'G'},
                                         {"folds", required_argument, NULL, 'f'},
                                         {"grid-rows", required_argument, NULL, 'R'},
                                         {"cap", required_argument, NULL, 'c'},
                                         {"ngram-cap", required_argument, NULL, 'n'},
                                         {"weight", required_argument, NULL, 'w'},
                                         {"balance-links", required_argument, NULL, 'S'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"review-at", required_argument, NULL, 'r'},
                                         {"hold-at", required_argument, NULL, 'H'},
                                         {"human-weight", required_argument, NULL, 'W'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"edit", required_argument, NULL, 'E'},
                                         {"no-ngrams", no_argument, NULL, 'N'},
                                         {"help", no_argument, NULL, 'h'},
                                         CLI_INPUT_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    struct cli_input in = {0};
    struct chaff_train_opts to = {0};
    const char *out = "model";
    size_t cap = 0, ngram_cap = 0;
    struct weight_rule weights[16];
    const char *strip[16], *edit[16];
    unsigned char *editable = NULL;
    int nweights = 0, nstrip = 0, nedit = 0, c, use_ngrams = 1;
    double review_at = CHAFF_DEFAULT_REVIEW_AT, hold_at = CHAFF_DEFAULT_HOLD_AT, human_weight = 1;
    to.seed = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        int k = cli_input_option(&in, c, optarg);
        if (k < 0)
            return train_args_done(&in, weights, nweights, EXIT_FAIL);
        if (k)
            continue;
        switch (c) {
        case 'o': out = optarg; break;
        case 'g': to.grid = 1; break;
        case 'k':
            if (strcmp(optarg, "rbf") == 0)
                to.kernel = CHAFF_KERNEL_RBF;
            else if (strcmp(optarg, "linear") == 0)
                to.kernel = CHAFF_KERNEL_LINEAR;
            else if (strcmp(optarg, "auto") == 0)
                to.kernel = CHAFF_KERNEL_AUTO;
            else {
                cli_error("--kernel: expected rbf, linear or auto, got '%s'", optarg);
                return train_args_done(&in, weights, nweights, EXIT_FAIL);
            }
            break;
        case 'C':
            if (cli_parse_positive("--C", optarg, &to.C))
                return train_args_done(&in, weights, nweights, EXIT_FAIL);
            break;
        case 'G':
            if (cli_parse_positive("--gamma", optarg, &to.gamma))
                return train_args_done(&in, weights, nweights, EXIT_FAIL);
            break;
        case 'f':
        case 'R':
        case 'c':
        case 'n':
        case 's': {
            long v;
            const char *name = c == 'f'   ? "--folds"
                               : c == 'R' ? "--grid-rows"
                               : c == 'c' ? "--cap"
                               : c == 'n' ? "--ngram-cap"
                                          : "--seed";
            if (cli_parse_long(name, optarg, c == 'f' ? 2 : c == 's' ? 0 : 1, c == 'f' ? 100 : 2147483647L, &v))
                return train_args_done(&in, weights, nweights, EXIT_FAIL);
            if (c == 'f')
                to.folds = (int)v;
            else if (c == 'R')
                to.grid_rows = (size_t)v;
            else if (c == 'c')
                cap = (size_t)v;
            else if (c == 'n')
                ngram_cap = (size_t)v;
            else
                to.seed = (unsigned)v;
            break;
        }
        case 'v': to.verbose = 1; break;
        case 'N': use_ngrams = 0; break;
        case 'r':
        case 'H': {
            double v = cli_parse_prob(optarg);
            if (v < 0) {
                cli_error("expected a probability between 0 and 1, got '%s'", optarg);
                return train_args_done(&in, weights, nweights, EXIT_FAIL);
            }
            if (c == 'r')
                review_at = v;
            else
                hold_at = v;
            break;
        }
        case 'W':
            if (cli_parse_positive("--human-weight", optarg, &human_weight))
                return train_args_done(&in, weights, nweights, EXIT_FAIL);
            if (!(human_weight >= 0.01 && human_weight <= 100)) {
                cli_error("--human-weight: expected a number from 0.01 to 100, got '%s'", optarg);
                return train_args_done(&in, weights, nweights, EXIT_FAIL);
            }
            break;
        case 'w': {
            const char *eq = strrchr(optarg, '=');
            int times = eq ? atoi(eq + 1) : 0;
            if (!eq || eq == optarg || times < 1 || times > 100 || nweights == 16) {
                cli_error("--weight: expected PATTERN=W with W a whole number 1..100, got '%s'", optarg);
                return train_args_done(&in, weights, nweights, EXIT_FAIL);
            }
            weights[nweights].pattern = strndup(optarg, (size_t)(eq - optarg));
            weights[nweights].times = times;
            nweights++;
            break;
        }
        case 'S':
        case 'E': {
            const char **list = c == 'S' ? strip : edit;
            int *count = c == 'S' ? &nstrip : &nedit;
            if (!*optarg || *count == 16) {
                cli_error("%s: expected a path pattern (at most 16 of them), got '%s'",
                          c == 'S' ? "--balance-links" : "--edit", optarg);
                return train_args_done(&in, weights, nweights, EXIT_FAIL);
            }
            list[(*count)++] = optarg;
            break;
        }
        case 'h': fputs(train_help, stdout); return train_args_done(&in, weights, nweights, EXIT_OK);
        default: fputs(train_help, stderr); return train_args_done(&in, weights, nweights, EXIT_FAIL);
        }
    }
    if (review_at > hold_at) {
        cli_error("--review-at %g is above --hold-at %g: a comment is sent to review before it is held", review_at,
                  hold_at);
        return train_args_done(&in, weights, nweights, EXIT_FAIL);
    }
    if (ngram_cap && ngram_cap < cap) {
        cli_error("--ngram-cap %zu is below --cap %zu: the n-gram tables learn from every row the model does",
                  ngram_cap, cap);
        return train_args_done(&in, weights, nweights, EXIT_FAIL);
    }
    if (!ngram_cap)
        ngram_cap = cap;
    if (optind >= argc) {
        cli_error("train: name the labelled FILEs or folders to train on");
        return train_args_done(&in, weights, nweights, EXIT_FAIL);
    }
    if (cli_input_paths(&in, argc - optind, argv + optind, 0))
        return train_args_done(&in, weights, nweights, EXIT_FAIL);
    struct rows rows = {0};
    struct chaff_diag diag = {""};
    if (chaff_extractor_new(&rows.ex, &diag) || chaff_fctx_new(&rows.ctx)) {
        cli_error("%s", diag.msg);
        chaff_fctx_free(rows.ctx);
        chaff_extractor_free(rows.ex);
        return train_args_done(&in, weights, nweights, EXIT_FAIL);
    }
    to.progress = print_progress;
    json_t *inputs = json_array();
    int status = EXIT_OK;
    for (size_t i = 0; i < in.npaths && status == EXIT_OK; i++) {
        struct cli_input one = in;
        one.paths = &in.paths[i];
        one.npaths = 1;
        struct cli_counts counts = {0};
        size_t from = rows.n;
        rows.skipped_unlabelled = 0;
        rows.stripped = 0;
        rows.strip = 0;
        rows.seed = to.seed;
        int balance = 0;
        for (int k = 0; k < nstrip; k++)
            balance |= strstr(in.paths[i], strip[k]) != NULL;
        if (balance && strcmp(in.paths[i], "-") == 0) {
            cli_error("--balance-links reads its inputs twice: it cannot take stdin");
            status = EXIT_FAIL;
            break;
        }
        if (balance && plan_link_balance(&one, &rows)) {
            status = EXIT_FAIL;
            break;
        }
        cli_for_each(&one, train_record, NULL, &rows, &counts);
        if (rows.failed || counts.input_failed) {
            status = EXIT_FAIL;
            break;
        }
        size_t extra_from = rows.nextra;
        char sha[65] = "";
        if (strcmp(in.paths[i], "-") != 0)
            chaff_sha256_file(in.paths[i], sha);
        if (cap && cap_rows(&rows, from, cap, use_ngrams ? ngram_cap : cap, to.seed, sha[0] ? sha : in.paths[i])) {
            cli_error("out of memory");
            status = EXIT_FAIL;
            break;
        }
        int times = 1;
        for (int w = 0; w < nweights; w++) {
            if (strstr(in.paths[i], weights[w].pattern))
                times = weights[w].times;
        }
        size_t kept = rows.n - from;
        for (int t = 1; t < times; t++) {
            for (size_t k = 0; k < kept; k++) {
                /* copy first: add_row may move rows.x and rows.ng */
                double f[CHAFF_NFEATURES];
                memcpy(f, rows.x + (from + k) * CHAFF_NFEATURES, sizeof f);
                struct chaff_ngram_row g = rows.ng[from + k];
                const uint32_t *b[CHAFF_NGRAM_TABLES] = {g.bucket[0], g.bucket[1]};
                if (add_row(&rows, f, rows.y[from + k], b, g.n, g.fold)) {
                    status = EXIT_FAIL;
                    break;
                }
            }
        }
        if (nedit) {
            unsigned char *e = realloc(editable, rows.n ? rows.n : 1);
            if (!e) {
                cli_error("out of memory");
                status = EXIT_FAIL;
                break;
            }
            editable = e;
            int match = 0;
            for (int k = 0; k < nedit; k++)
                match |= strstr(in.paths[i], edit[k]) != NULL;
            memset(editable + from, match, rows.n - from);
        }
        size_t per[CHAFF_NLABELS] = {0};
        for (size_t k = from; k < from + kept; k++)
            per[rows.y[k]]++;
        json_array_append_new(inputs, json_pack("{s:s, s:s, s:I, s:I, s:{s:I, s:I, s:I}, s:I, s:i}", "path",
                                                in.paths[i], "sha256", sha, "records", (json_int_t)counts.read, "bad",
                                                (json_int_t)counts.bad, "used", "human", (json_int_t)per[0],
                                                "low-effort", (json_int_t)per[1], "machine", (json_int_t)per[2],
                                                "unlabelled", (json_int_t)rows.skipped_unlabelled, "weight", times));
        if (rows.nextra > extra_from)
            json_object_set_new(json_array_get(inputs, json_array_size(inputs) - 1), "ngram_only",
                                json_integer((json_int_t)(rows.nextra - extra_from)));
        if (rows.strip)
            json_object_set_new(json_array_get(inputs, json_array_size(inputs) - 1), "links_balanced",
                                json_pack("{s:s, s:f, s:I}", "thinned", chaff_label_name(rows.strip_label), "share",
                                          rows.strip_p, "rows_changed", (json_int_t)rows.stripped));
        fprintf(stderr, "chaff: %s: %zu human, %zu low-effort, %zu machine%s\n", in.paths[i], per[0], per[1], per[2],
                times > 1 ? " (repeated)" : "");
        if (rows.strip)
            fprintf(stderr, "chaff: %s: links and mentions dropped from %zu %s rows (%.0f%% of those with any)\n",
                    in.paths[i], rows.stripped, chaff_label_name(rows.strip_label), 100 * rows.strip_p);
    }
    if (status == EXIT_OK) {
        json_t *meta = json_object();
        json_object_set_new(meta, "inputs", inputs);
        json_object_set_new(meta, "cap_per_file", json_integer((json_int_t)cap));
        json_object_set_new(meta, "ngram_cap_per_file", json_integer((json_int_t)ngram_cap));
        json_object_set_new(
            meta, "thresholds",
            json_pack("{s:f, s:f, s:f}", "review_at", review_at, "hold_at", hold_at, "human_weight", human_weight));
        struct chaff_train_result res = {0};
        struct chaff_ngrams *ngrams = NULL;
        chaff_err err = CHAFF_OK;
        if (use_ngrams && rows.n) {
            /* the learned features: out-of-fold for the training rows */
            err = chaff_ngrams_fit(rows.ng, rows.n, rows.extra, rows.nextra, NGRAM_FOLDS, rows.x, CHAFF_NFEATURES,
                                   F_NB_WORD_HUMAN, &ngrams);
            if (err)
                cli_error("cannot fit the n-gram tables: %s", chaff_strerror(err));
        }
        json_object_set_new(meta, "ngrams", json_boolean(ngrams != NULL));
        fprintf(stderr, "chaff: training on %zu rows with %d features\n", rows.n, CHAFF_NFEATURES);
        /* ngrams.bin first: chaff_train writes meta.json last, naming the
         * SHA-256 of every file of the folder */
        if (!err && ngrams) {
            char path[4096];
            if (mkdir(out, 0777) != 0 && errno != EEXIST) {
                err = chaff_diagf(&diag, CHAFF_EIO, "%s: cannot create: %s", out, strerror(errno));
            } else {
                snprintf(path, sizeof path, "%s/%s", out, CHAFF_NGRAM_FILE);
                err = chaff_ngrams_save(ngrams, path, &diag);
            }
        }
        to.editable = editable;
        if (!err)
            err = chaff_train(rows.x, rows.y, rows.n, &to, out, meta, &res, &diag);
        chaff_ngrams_free(ngrams);
        json_decref(meta);
        if (err) {
            cli_error("%s", diag.msg[0] ? diag.msg : chaff_strerror(err));
            status = EXIT_FAIL;
        } else {
            struct chaff_metrics m;
            chaff_metrics_compute(&res.cv, &m);
            fprintf(stderr,
                    "chaff: wrote %s: %s kernel, C %g, gamma %g, %d support vectors; cross-validated "
                    "macro-F1 %.4f, accuracy %.4f\n",
                    out, res.kernel == CHAFF_KERNEL_RBF ? "rbf" : "linear", res.C, res.gamma, res.n_sv, m.macro_f1,
                    m.accuracy);
        }
    } else {
        json_decref(inputs);
    }
    for (int w = 0; w < nweights; w++)
        free((char *)weights[w].pattern);
    for (size_t k = 0; k < rows.n; k++)
        free_ngram_row(&rows.ng[k]);
    free(rows.ng);
    for (size_t k = 0; k < rows.nextra; k++)
        free_ngram_row(&rows.extra[k]);
    free(rows.extra);
    chaff_buf_free(&rows.strip_buf);
    free(editable);
    free(rows.x);
    free(rows.y);
    chaff_fctx_free(rows.ctx);
    chaff_extractor_free(rows.ex);
    cli_input_free(&in);
    return status;
}

/* ---- eval ---- */

static const char eval_help[] = "usage: chaff eval [--model DIR] [--json] [OPTIONS] FILE|DIR...\n"
                                "Scores labelled comments and prints, per input file and pooled: the confusion\n"
                                "matrix, per-class precision, recall and F1, macro-F1 (over the classes present),\n"
                                "accuracy, the share of humans flagged (labelled low-effort or machine), acted\n"
                                "on (action review or hold) and held, and the share of non-humans caught.\n"
                                "  --model DIR, --review-at P, --hold-at P, reader options as for chaff score\n";

struct eval_file {
    struct chaff_confusion c;
    unsigned long human_held, human_review;
};

struct eval_state {
    chaff_scorer *sc;
    struct eval_file *cur;
    unsigned long unlabelled;
    int failed;
};

static int eval_record(const struct chaff_record *rec, void *ud)
{
    struct eval_state *s = ud;
    if (rec->label < 0) {
        s->unlabelled++;
        return 0;
    }
    struct chaff_verdict v;
    if (chaff_score(s->sc, rec->text, rec->text_len, &v)) {
        s->failed = 1;
        return 1;
    }
    s->cur->c.m[rec->label][v.label]++;
    if (rec->label == CHAFF_HUMAN) {
        s->cur->human_held += v.action == CHAFF_HOLD;
        s->cur->human_review += v.action == CHAFF_REVIEW;
    }
    return 0;
}

static json_t *metrics_json(const char *name, const struct eval_file *f)
{
    struct chaff_metrics m;
    chaff_metrics_compute(&f->c, &m);
    json_t *per = json_object();
    for (int k = 0; k < CHAFF_NLABELS; k++) {
        json_object_set_new(per, chaff_label_name(k),
                            json_pack("{s:I, s:f, s:f, s:f}", "support", (json_int_t)m.support[k], "precision",
                                      m.precision[k], "recall", m.recall[k], "f1", m.f1[k]));
    }
    json_t *cm = json_array();
    for (int t = 0; t < CHAFF_NLABELS; t++)
        json_array_append_new(
            cm, json_pack("[I,I,I]", (json_int_t)f->c.m[t][0], (json_int_t)f->c.m[t][1], (json_int_t)f->c.m[t][2]));
    double held = m.support[0] ? (double)f->human_held / (double)m.support[0] : 0;
    double acted = m.support[0] ? (double)(f->human_held + f->human_review) / (double)m.support[0] : 0;
    return json_pack("{s:s, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:o, s:o}", "input", name, "n", (json_int_t)m.n,
                     "macro_f1", m.macro_f1, "accuracy", m.accuracy, "humans_flagged", m.humans_flagged,
                     "humans_acted_on", acted, "humans_held", held, "nonhuman_caught", m.nonhuman_caught, "per_class",
                     per, "confusion_truth_by_predicted", cm);
}

static void metrics_text(const char *name, const struct eval_file *f)
{
    struct chaff_metrics m;
    chaff_metrics_compute(&f->c, &m);
    printf("== %s (%lu comments)\n", name, m.n);
    printf("  truth \\ predicted   human  low-effort  machine\n");
    for (int t = 0; t < CHAFF_NLABELS; t++)
        printf("  %-18s %7lu %11lu %8lu\n", chaff_label_name(t), f->c.m[t][0], f->c.m[t][1], f->c.m[t][2]);
    for (int k = 0; k < CHAFF_NLABELS; k++) {
        if (m.support[k])
            printf("  %-10s precision %.3f  recall %.3f  F1 %.3f\n", chaff_label_name(k), m.precision[k], m.recall[k],
                   m.f1[k]);
    }
    printf("  macro-F1 %.3f  accuracy %.3f", m.macro_f1, m.accuracy);
    if (m.support[0])
        printf("  humans flagged %.1f%%  acted on %.1f%%  held %.1f%%", 100 * m.humans_flagged,
               100.0 * (double)(f->human_held + f->human_review) / (double)m.support[0],
               100.0 * (double)f->human_held / (double)m.support[0]);
    if (m.n > m.support[0])
        printf("  non-humans caught %.1f%%", 100 * m.nonhuman_caught);
    printf("\n");
}

int cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"review-at", required_argument, NULL, 'r'},
                                         {"hold-at", required_argument, NULL, 'H'},
                                         {"help", no_argument, NULL, 'h'},
                                         CLI_INPUT_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    struct cli_input in = {0};
    const char *model_dir = NULL;
    int as_json = 0, c;
    double review_at = -1, hold_at = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int k = cli_input_option(&in, c, optarg);
        if (k < 0)
            return EXIT_FAIL;
        if (k)
            continue;
        switch (c) {
        case 'm': model_dir = optarg; break;
        case 'j': as_json = 1; break;
        case 'r':
        case 'H': {
            double v = cli_parse_prob(optarg);
            if (v < 0) {
                cli_error("expected a probability between 0 and 1, got '%s'", optarg);
                return EXIT_FAIL;
            }
            if (c == 'r')
                review_at = v;
            else
                hold_at = v;
            break;
        }
        case 'h': fputs(eval_help, stdout); return EXIT_OK;
        default: fputs(eval_help, stderr); return EXIT_FAIL;
        }
    }
    if (optind >= argc) {
        cli_error("eval: name the labelled FILEs or folders to measure on");
        return EXIT_FAIL;
    }
    if (cli_input_paths(&in, argc - optind, argv + optind, 0)) {
        cli_input_free(&in);
        return EXIT_FAIL;
    }
    chaff_model *model = cli_load_model(model_dir);
    if (!model) {
        cli_input_free(&in);
        return EXIT_FAIL;
    }
    if (cli_apply_thresholds(model, review_at, hold_at)) {
        chaff_model_free(model);
        cli_input_free(&in);
        return EXIT_FAIL;
    }
    struct eval_state s = {0};
    struct eval_file *files = calloc(in.npaths + 1, sizeof *files);
    if (!files || chaff_scorer_new(model, &s.sc)) {
        cli_error("eval: %s", chaff_strerror(CHAFF_ENOMEM));
        free(files);
        chaff_model_free(model);
        cli_input_free(&in);
        return EXIT_FAIL;
    }
    int status = EXIT_OK;
    for (size_t i = 0; i < in.npaths; i++) {
        struct cli_input one = in;
        one.paths = &in.paths[i];
        one.npaths = 1;
        struct cli_counts counts = {0};
        s.cur = &files[i];
        cli_for_each(&one, eval_record, NULL, &s, &counts);
        if (s.failed || counts.input_failed)
            status = EXIT_FAIL;
        struct eval_file *all = &files[in.npaths];
        for (int t = 0; t < CHAFF_NLABELS; t++)
            for (int p = 0; p < CHAFF_NLABELS; p++)
                all->c.m[t][p] += files[i].c.m[t][p];
        all->human_held += files[i].human_held;
        all->human_review += files[i].human_review;
    }
    if (as_json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < in.npaths; i++)
            json_array_append_new(arr, metrics_json(in.paths[i], &files[i]));
        json_t *root = json_pack("{s:s, s:o, s:o}", "model", chaff_model_describe(model), "files", arr, "pooled",
                                 metrics_json("pooled", &files[in.npaths]));
        json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
        fputc('\n', stdout);
        json_decref(root);
    } else {
        for (size_t i = 0; i < in.npaths; i++)
            metrics_text(in.paths[i], &files[i]);
        if (in.npaths > 1)
            metrics_text("pooled", &files[in.npaths]);
    }
    if (s.unlabelled)
        cli_error("eval: %lu records without a label were not counted", s.unlabelled);
    free(files);
    chaff_scorer_free(s.sc);
    chaff_model_free(model);
    cli_input_free(&in);
    return status;
}
