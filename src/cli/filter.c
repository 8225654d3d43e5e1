/* filter.c: chaff filter (one JSON line per record, in input order) and
 * chaff check (one comment, in words, with an exit status per action). */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "model.h"
#include "util.h"

static const char filter_help[] =
    "usage: chaff filter [--model DIR] [OPTIONS] [FILE...]\n"
    "Reads records from stdin (or the FILEs) and writes one JSON object per record\n"
    "to stdout, in input order:\n"
    "  {\"id\": ..., \"label\": ..., \"p\": {...}, \"action\": ..., \"reasons\": [...]}\n"
    "A malformed record gives {\"line\": N, \"error\": \"...\"} in its place.\n"
    "With a pipe or terminal on stdin each answer is flushed before the next read.\n"
    "  --model DIR, --review-at P, --hold-at P   as for chaff score\n"
    "  --format F, --text-field NAME, --id-field NAME, --max-bytes N, --strict\n";

struct filter_state {
    chaff_scorer *sc;
    int flush;
    int failed;
};

static void print_verdict(const struct chaff_record *rec, const struct chaff_verdict *v)
{
    json_t *o = json_object();
    if (rec->id)
        json_object_set_new(o, "id", json_string(rec->id));
    else
        json_object_set_new(o, "id", json_integer((json_int_t)rec->index));
    json_object_set_new(o, "label", json_string(chaff_label_name(v->label)));
    json_t *p = json_object();
    for (int k = 0; k < CHAFF_NLABELS; k++)
        json_object_set_new(p, chaff_label_name(k), json_real(round(v->p[k] * 1e4) / 1e4));
    json_object_set_new(o, "p", p);
    json_object_set_new(o, "action", json_string(chaff_action_name(v->action)));
    json_t *r = json_array();
    for (int i = 0; i < v->n_reasons; i++)
        json_array_append_new(r, json_string(v->reasons[i]));
    json_object_set_new(o, "reasons", r);
    json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
    fputc('\n', stdout);
    json_decref(o);
}

static int filter_record(const struct chaff_record *rec, void *ud)
{
    struct filter_state *s = ud;
    struct chaff_verdict v;
    chaff_err err = chaff_score(s->sc, rec->text, rec->text_len, &v);
    if (err) {
        cli_error("%s:%lu: cannot score: %s", rec->source, rec->line, chaff_strerror(err));
        s->failed = 1;
        return 1;
    }
    print_verdict(rec, &v);
    if (s->flush)
        fflush(stdout);
    return ferror(stdout) ? 1 : 0;
}

static void filter_bad(const char *source, unsigned long line, const char *msg, void *ud)
{
    struct filter_state *s = ud;
    (void)source;
    json_t *o = json_pack("{s:I, s:s}", "line", (json_int_t)line, "error", msg);
    json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(o);
    if (s->flush)
        fflush(stdout);
}

static int parse_thresholds(int c, const char *arg, double *review_at, double *hold_at)
{
    double v = cli_parse_prob(arg);
    if (v < 0) {
        cli_error("%s: expected a probability between 0 and 1, got '%s'", c == 'r' ? "--review-at" : "--hold-at", arg);
        return -1;
    }
    if (c == 'r')
        *review_at = v;
    else
        *hold_at = v;
    return 0;
}

int cmd_filter(int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
                                         {"review-at", required_argument, NULL, 'r'},
                                         {"hold-at", required_argument, NULL, 'H'},
                                         {"help", no_argument, NULL, 'h'},
                                         CLI_INPUT_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    struct cli_input in = {0};
    const char *model_dir = NULL;
    double review_at = -1, hold_at = -1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int k = cli_input_option(&in, c, optarg);
        if (k < 0)
            return EXIT_FAIL;
        if (k)
            continue;
        switch (c) {
        case 'm': model_dir = optarg; break;
        case 'r':
        case 'H':
            if (parse_thresholds(c, optarg, &review_at, &hold_at))
                return EXIT_FAIL;
            break;
        case 'h': fputs(filter_help, stdout); return EXIT_OK;
        default: fputs(filter_help, stderr); return EXIT_FAIL;
        }
    }
    if (cli_input_paths(&in, argc - optind, argv + optind, 1)) {
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
    struct filter_state s = {0};
    struct stat st;
    s.flush = fstat(0, &st) != 0 || !S_ISREG(st.st_mode);
    if (chaff_scorer_new(model, &s.sc)) {
        chaff_model_free(model);
        cli_input_free(&in);
        return EXIT_FAIL;
    }
    struct cli_counts counts = {0};
    cli_for_each(&in, filter_record, filter_bad, &s, &counts);
    int status = s.failed || counts.input_failed ? EXIT_FAIL : EXIT_OK;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write the output");
        status = EXIT_FAIL;
    }
    chaff_scorer_free(s.sc);
    chaff_model_free(model);
    cli_input_free(&in);
    return status;
}

static const char check_help[] =
    "usage: chaff check [--model DIR] [--review-at P] [--hold-at P] [TEXT...]\n"
    "Scores one comment (the arguments joined by spaces, or all of stdin) and\n"
    "explains the verdict. Exit status: 0 pass, 1 review, 2 hold, 3 error.\n";

int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
                                         {"review-at", required_argument, NULL, 'r'},
                                         {"hold-at", required_argument, NULL, 'H'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *model_dir = NULL;
    double review_at = -1, hold_at = -1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model_dir = optarg; break;
        case 'r':
        case 'H':
            if (parse_thresholds(c, optarg, &review_at, &hold_at))
                return 3;
            break;
        case 'h': fputs(check_help, stdout); return EXIT_OK;
        default: fputs(check_help, stderr); return 3;
        }
    }
    struct chaff_buf text = {0};
    if (optind < argc) {
        for (int i = optind; i < argc; i++) {
            if (i > optind)
                chaff_buf_append(&text, " ", 1);
            chaff_buf_append(&text, argv[i], strlen(argv[i]));
        }
    } else {
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
            if (text.len + n > 16 * 1024 * 1024) {
                cli_error("check: the comment on stdin is over 16 MiB");
                chaff_buf_free(&text);
                return 3;
            }
            chaff_buf_append(&text, buf, n);
        }
        while (text.len && (text.data[text.len - 1] == '\n' || text.data[text.len - 1] == '\r'))
            text.len--;
    }
    chaff_model *model = cli_load_model(model_dir);
    if (!model) {
        chaff_buf_free(&text);
        return 3;
    }
    if (cli_apply_thresholds(model, review_at, hold_at)) {
        chaff_model_free(model);
        chaff_buf_free(&text);
        return 3;
    }
    chaff_scorer *sc = NULL;
    struct chaff_verdict v;
    chaff_err err = chaff_scorer_new(model, &sc);
    if (!err)
        err = chaff_score(sc, text.data ? text.data : "", text.len, &v);
    int status = 3;
    if (err) {
        cli_error("check: %s", chaff_strerror(err));
    } else {
        printf("%s  (human %.2f, low-effort %.2f, machine %.2f)  -> %s\n", chaff_label_name(v.label),
               v.p[CHAFF_HUMAN], v.p[CHAFF_LOW_EFFORT], v.p[CHAFF_MACHINE], chaff_action_name(v.action));
        for (int i = 0; i < v.n_reasons; i++)
            printf("  - %s\n", v.reasons[i]);
        status = v.action; /* 0 pass, 1 review, 2 hold */
    }
    chaff_scorer_free(sc);
    chaff_model_free(model);
    chaff_buf_free(&text);
    return status;
}
