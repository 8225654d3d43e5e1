/* features.c: chaff features, the extractor alone (as bogolexer is the
 * tokeniser alone). */
#include <getopt.h>
#include <jansson.h>
#include <string.h>

#include "cli.h"
#include "chaff_features.h"
#include "model.h"

static const char help[] =
    "usage: chaff features [--output jsonl|tsv|libsvm] [--model DIR] [reader options] [FILE...|-]\n"
    "Prints every feature of each comment, by name in index order:\n"
    "  jsonl   {\"id\": ..., \"features\": {\"bytes\": 12, ...}}\n"
    "  tsv     a header of names, then one row per comment\n"
    "  libsvm  LABEL idx:value ... (labels 1 human, 2 low-effort, 3 machine, 0 none),\n"
    "          raw values for svm-scale, svm-train and svm-grid\n"
    "  --model DIR  the learned n-gram features (nb_*) from DIR's tables;\n"
    "               without it they are 0 (the extractor alone)\n";

enum { OUT_JSONL, OUT_TSV, OUT_LIBSVM };

struct feat_state {
    const chaff_extractor *ex;
    chaff_fctx *ctx;
    int out;
    int failed;
};

/* Longest text fmt_value writes: "%.6g" of a double needs at most 13
 * bytes ("-1.23457e+308"), an integer below 1e15 at most 16. */
#define VALUE_MAX 24

/* Writes v as printf("%lld") would for whole numbers below 1e15 and as
 * printf("%.6g") otherwise; returns the length. The whole numbers (most
 * features are counts) skip printf's parsing and locale machinery. */
static size_t fmt_value(char *out, double v)
{
    if (v == (double)(long long)v && v > -1e15 && v < 1e15) {
        long long x = (long long)v;
        unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
        char digits[20];
        size_t n = 0;
        do {
            digits[n++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        size_t len = 0;
        if (x < 0)
            out[len++] = '-';
        while (n)
            out[len++] = digits[--n];
        return len;
    }
    return (size_t)snprintf(out, VALUE_MAX, "%.6g", v);
}

static void print_value(double v)
{
    char b[VALUE_MAX];
    size_t n = fmt_value(b, v);
    fwrite(b, 1, n, stdout);
}

static int feat_record(const struct chaff_record *rec, void *ud)
{
    struct feat_state *s = ud;
    double f[CHAFF_NFEATURES];
    chaff_err err = chaff_extract(s->ex, s->ctx, rec->text, rec->text_len, f);
    if (err) {
        cli_error("%s:%lu: cannot extract features: %s", rec->source, rec->line, chaff_strerror(err));
        s->failed = 1;
        return 1;
    }
    switch (s->out) {
    case OUT_JSONL:
        fputs("{\"id\":", stdout);
        if (rec->id) {
            json_t *id = json_string(rec->id);
            json_dumpf(id, stdout, JSON_ENCODE_ANY);
            json_decref(id);
        } else {
            printf("%lu", rec->index);
        }
        fputs(",\"features\":{", stdout);
        for (int i = 0; i < CHAFF_NFEATURES; i++) {
            printf("%s\"%s\":", i ? "," : "", chaff_features[i].name);
            print_value(f[i]);
        }
        fputs("}}\n", stdout);
        break;
    case OUT_TSV: {
        /* a row is built whole and written once */
        char line[CHAFF_NFEATURES * (VALUE_MAX + 1) + 1];
        size_t n = 0;
        for (int i = 0; i < CHAFF_NFEATURES; i++) {
            if (i)
                line[n++] = '\t';
            n += fmt_value(line + n, f[i]);
        }
        line[n++] = '\n';
        fwrite(line, 1, n, stdout);
        break;
    }
    default: {
        /* "LABEL idx:value ...", built whole; labels and indices are
         * small whole numbers */
        char line[VALUE_MAX + CHAFF_NFEATURES * (2 * VALUE_MAX + 2) + 1];
        size_t n = fmt_value(line, rec->label >= 0 ? rec->label + 1 : 0);
        for (int i = 0; i < CHAFF_NFEATURES; i++) {
            if (f[i] != 0) {
                line[n++] = ' ';
                n += fmt_value(line + n, i + 1);
                line[n++] = ':';
                n += fmt_value(line + n, f[i]);
            }
        }
        line[n++] = '\n';
        fwrite(line, 1, n, stdout);
        break;
    }
    }
    return ferror(stdout) ? 1 : 0;
}

int cmd_features(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"model", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         CLI_INPUT_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    struct cli_input in = {0};
    in.ro.lenient_labels = 1; /* labels are not used here */
    struct feat_state s = {0};
    const char *model_dir = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int k = cli_input_option(&in, c, optarg);
        if (k < 0)
            return EXIT_FAIL;
        if (k)
            continue;
        switch (c) {
        case 'o':
            if (strcmp(optarg, "jsonl") == 0)
                s.out = OUT_JSONL;
            else if (strcmp(optarg, "tsv") == 0)
                s.out = OUT_TSV;
            else if (strcmp(optarg, "libsvm") == 0)
                s.out = OUT_LIBSVM;
            else {
                cli_error("--output: expected jsonl, tsv or libsvm, got '%s'", optarg);
                return EXIT_FAIL;
            }
            break;
        case 'm': model_dir = optarg; break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        default: fputs(help, stderr); return EXIT_FAIL;
        }
    }
    if (cli_input_paths(&in, argc - optind, argv + optind, 1)) {
        cli_input_free(&in);
        return EXIT_FAIL;
    }
    /* with a model, its extractor (the n-gram tables set); else one of
     * our own, whose learned features stay 0 */
    chaff_extractor *ex = NULL;
    chaff_model *m = NULL;
    struct chaff_diag diag = {""};
    if (model_dir) {
        if (!(m = cli_load_model(model_dir))) {
            cli_input_free(&in);
            return EXIT_FAIL;
        }
    } else if (chaff_extractor_new(&ex, &diag)) {
        cli_error("%s", diag.msg[0] ? diag.msg : "cannot set up the feature extractor");
        cli_input_free(&in);
        return EXIT_FAIL;
    }
    if (chaff_fctx_new(&s.ctx)) {
        cli_error("cannot set up the feature extractor: %s", chaff_strerror(CHAFF_ENOMEM));
        chaff_extractor_free(ex);
        chaff_model_free(m);
        cli_input_free(&in);
        return EXIT_FAIL;
    }
    s.ex = m ? chaff_model_extractor(m) : ex;
    if (s.out == OUT_TSV) {
        for (int i = 0; i < CHAFF_NFEATURES; i++)
            printf("%s%s", i ? "\t" : "", chaff_features[i].name);
        putchar('\n');
    }
    struct cli_counts counts = {0};
    cli_for_each(&in, feat_record, NULL, &s, &counts);
    int status = s.failed || counts.input_failed || fflush(stdout) != 0 ? EXIT_FAIL : EXIT_OK;
    chaff_fctx_free(s.ctx);
    chaff_extractor_free(ex);
    chaff_model_free(m);
    cli_input_free(&in);
    return status;
}
