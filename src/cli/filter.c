/* filter.c: chaff filter (one JSON line per record, in input order) and
 * chaff check (one comment, in words, with an exit status per action). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "model.h"
#include "normalize.h"
#include "util.h"

static const char filter_help[] =
    "usage: chaff filter [--model DIR] [OPTIONS] [FILE...]\n"
    "Reads records from stdin (or the FILEs) and writes one JSON object per record\n"
    "to stdout, in input order:\n"
    "  {\"id\": ..., \"label\": ..., \"p\": {...}, \"action\": ..., \"reasons\": [...]}\n"
    "A malformed record gives {\"line\": N, \"error\": \"...\"} in its place.\n"
    "With a pipe or terminal on stdin each answer is flushed before the next read.\n"
    "  --pass-through     JSONL input: write each input object as it came, with the\n"
    "                     verdict added as its last member:\n"
    "                     \"chaff\": {\"label\": ..., \"p\": {...}, \"action\": ..., \"reasons\": [...]}\n"
    "  --keep ACTIONS     write only the records whose action is listed, e.g.\n"
    "                     --keep pass,review (actions: pass, review, hold);\n"
    "                     error lines stay in their place\n"
    "  --held-to FILE     write the records --keep drops to FILE (same format), so\n"
    "                     that nothing is lost\n"
    "  --no-reasons       leave \"reasons\" out: the same labels, probabilities and\n"
    "                     actions, with flagged comments scored in about half the time\n"
    "  --model DIR, --review-at P, --hold-at P   as for chaff score\n"
    "  --format F, --text-field NAME, --id-field NAME, --max-bytes N, --strict\n"
    "Exit status: 0 done (bad records are answered with an error line), 2 the run\n"
    "could not go on (usage, the model, an unreadable input, a write error);\n"
    "130/143 interrupted by SIGINT/SIGTERM (what was answered is written out).\n";

struct filter_state {
    chaff_scorer *sc;
    struct cli_input *in;
    int flush;
    int failed;
    int pass_through;
    int no_reasons;
    unsigned keep; /* bit 1 << action set: such records go to stdout */
    FILE *held;    /* --held-to: where the other records go; NULL: dropped */
    const char *held_path;
};

/* Sets the verdict's members on o: label, p, action, reasons (unless
 * no_reasons), in that order. */
static void set_verdict_members(json_t *o, const struct chaff_verdict *v, int no_reasons)
{
    json_object_set_new(o, "label", json_string(chaff_label_name(v->label)));
    json_t *p = json_object();
    for (int k = 0; k < CHAFF_NLABELS; k++)
        json_object_set_new(p, chaff_label_name(k), json_real(round(v->p[k] * 1e4) / 1e4));
    json_object_set_new(o, "p", p);
    json_object_set_new(o, "action", json_string(chaff_action_name(v->action)));
    if (no_reasons)
        return;
    json_t *r = json_array();
    for (int i = 0; i < v->n_reasons; i++)
        json_array_append_new(r, json_string(v->reasons[i]));
    json_object_set_new(o, "reasons", r);
}

static void print_verdict(FILE *f, const struct chaff_record *rec, const struct chaff_verdict *v, int no_reasons)
{
    json_t *o = json_object();
    if (rec->id)
        json_object_set_new(o, "id", json_string(rec->id));
    else
        json_object_set_new(o, "id", json_integer((json_int_t)rec->index));
    set_verdict_members(o, v, no_reasons);
    json_dumpf(o, f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
    fputc('\n', f);
    json_decref(o);
}

static int is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Writes the record's own JSON object raw[0..len) with the verdict added
 * as its last member "chaff". The verdict is spliced in before the closing
 * brace, so every other byte goes out as it came (number spellings,
 * escapes, spacing, duplicate keys). Only an object that already has a
 * "chaff" member is re-serialised, without it, so that the output holds
 * exactly one "chaff", the new one. -1 when out of memory. */
static int print_pass_through(FILE *f, const char *raw, size_t len, const struct chaff_verdict *v, int no_reasons)
{
    /* the reader parsed these bytes with the same flags: this parse succeeds */
    json_error_t jerr;
    json_t *obj = json_loadb(raw, len, JSON_ALLOW_NUL, &jerr);
    if (!obj || !json_is_object(obj)) {
        json_decref(obj);
        return -1;
    }
    char *redone = NULL;
    if (json_object_get(obj, "chaff")) {
        json_object_del(obj, "chaff");
        redone = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
        raw = redone;
        len = redone ? strlen(redone) : 0;
    }
    int empty = json_object_size(obj) == 0;
    json_decref(obj);
    json_t *c = json_object();
    set_verdict_members(c, v, no_reasons);
    char *member = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
    json_decref(c);
    size_t end = len; /* just past the closing brace */
    while (end > 0 && is_json_space(raw[end - 1]))
        end--;
    if (!raw || !member || end == 0 || raw[end - 1] != '}') {
        free(member);
        free(redone);
        return -1;
    }
    end--;
    fwrite(raw, 1, end, f);
    fputs(empty ? "\"chaff\":" : ",\"chaff\":", f);
    fputs(member, f);
    fwrite(raw + end, 1, len - end, f);
    fputc('\n', f);
    free(member);
    free(redone);
    return 0;
}

static int filter_record(const struct chaff_record *rec, void *ud)
{
    struct filter_state *s = ud;
    const char *raw = NULL;
    size_t raw_len = 0;
    if (s->pass_through) {
        raw = chaff_reader_raw(s->in->reader, &raw_len);
        if (!raw) {
            cli_error("%s: --pass-through needs JSONL input, and this input is read as %s", rec->source,
                      chaff_format_name(chaff_reader_format(s->in->reader)));
            s->failed = 1;
            return 1;
        }
    }
    struct chaff_verdict v;
    chaff_err err = chaff_score(s->sc, rec->text, rec->text_len, &v);
    if (err) {
        cli_error("%s:%lu: cannot score: %s", rec->source, rec->line, chaff_strerror(err));
        s->failed = 1;
        return 1;
    }
    FILE *f = (s->keep >> v.action) & 1 ? stdout : s->held;
    if (!f)
        return 0; /* dropped by --keep */
    if (!s->pass_through) {
        print_verdict(f, rec, &v, s->no_reasons);
    } else if (print_pass_through(f, raw, raw_len, &v, s->no_reasons)) {
        cli_error("%s:%lu: cannot echo the record: %s", rec->source, rec->line, chaff_strerror(CHAFF_ENOMEM));
        s->failed = 1;
        return 1;
    }
    if (s->flush)
        fflush(f);
    if (f == s->held && ferror(f)) {
        cli_error("--held-to %s: cannot write: %s", s->held_path, strerror(errno));
        s->failed = 1;
        return 1;
    }
    return ferror(stdout) ? 1 : 0;
}

static void filter_bad(const char *source, unsigned long line, const char *msg, void *ud)
{
    struct filter_state *s = ud;
    (void)source;
    /* the message may quote invalid UTF-8 (a path, a cut label): repair it,
     * since a JSON string must be valid UTF-8 */
    struct chaff_buf clean = {0};
    json_t *o = NULL;
    if (chaff_utf8_sanitize(msg, strlen(msg), &clean, NULL) == CHAFF_OK && clean.data)
        o = json_pack("{s:I, s:s}", "line", (json_int_t)line, "error", clean.data);
    chaff_buf_free(&clean);
    if (o) {
        json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
    } else {
        printf("{\"line\":%lu,\"error\":\"unprintable error\"}", line);
    }
    fputc('\n', stdout);
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

/* Parses --keep's comma-separated actions into a set of bits 1 << action. */
static int parse_keep(const char *arg, unsigned *keep)
{
    unsigned bits = 0;
    const char *p = arg;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        int action = -1;
        for (int a = CHAFF_PASS; a <= CHAFF_HOLD; a++) {
            const char *name = chaff_action_name(a);
            if (strlen(name) == n && strncmp(p, name, n) == 0)
                action = a;
        }
        if (action < 0) {
            cli_error("--keep: expected actions among pass, review and hold separated by commas, got '%s'", arg);
            return -1;
        }
        bits |= 1u << action;
        if (!comma)
            break;
        p = comma + 1;
    }
    *keep = bits;
    return 0;
}

/* Opens --held-to FILE for writing, refusing one of the inputs (opening it
 * would empty it before it is read). */
static FILE *open_held(const char *path, const struct cli_input *in)
{
    struct stat hs, is;
    if (stat(path, &hs) == 0) {
        for (size_t i = 0; i < in->npaths; i++) {
            if (strcmp(in->paths[i], "-") != 0 && stat(in->paths[i], &is) == 0 && is.st_dev == hs.st_dev &&
                is.st_ino == hs.st_ino) {
                cli_error("--held-to %s: is also an input; writing to it would empty it", path);
                return NULL;
            }
        }
    }
    FILE *f = fopen(path, "w");
    if (!f)
        cli_error("--held-to %s: cannot open for writing: %s", path, strerror(errno));
    return f;
}

int cmd_filter(int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
                                         {"review-at", required_argument, NULL, 'r'},
                                         {"hold-at", required_argument, NULL, 'H'},
                                         {"pass-through", no_argument, NULL, 'P'},
                                         {"keep", required_argument, NULL, 'K'},
                                         {"held-to", required_argument, NULL, 'O'},
                                         {"no-reasons", no_argument, NULL, 'N'},
                                         {"help", no_argument, NULL, 'h'},
                                         CLI_INPUT_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    struct cli_input in = {0};
    in.ro.lenient_labels = 1; /* labels are not used here */
    struct filter_state s = {0};
    s.in = &in;
    s.keep = 1u << CHAFF_PASS | 1u << CHAFF_REVIEW | 1u << CHAFF_HOLD;
    int keep_given = 0;
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
        case 'P': s.pass_through = 1; break;
        case 'K':
            if (parse_keep(optarg, &s.keep))
                return EXIT_FAIL;
            keep_given = 1;
            break;
        case 'O': s.held_path = optarg; break;
        case 'N': s.no_reasons = 1; break;
        case 'h': fputs(filter_help, stdout); return EXIT_OK;
        default: fputs(filter_help, stderr); return EXIT_FAIL;
        }
    }
    if (s.held_path && !keep_given) {
        cli_error("--held-to needs --keep: without it no record is dropped");
        return EXIT_FAIL;
    }
    if (s.pass_through) {
        /* the input objects are echoed: read every input as JSONL, whatever
         * its name or first line */
        if (in.ro.format == CHAFF_FMT_AUTO)
            in.ro.format = CHAFF_FMT_JSONL;
        if (in.ro.format != CHAFF_FMT_JSONL) {
            cli_error("--pass-through needs JSONL input, not --format %s", chaff_format_name(in.ro.format));
            return EXIT_FAIL;
        }
    }
    if (cli_input_paths(&in, argc - optind, argv + optind, 1)) {
        cli_input_free(&in);
        return EXIT_FAIL;
    }
    int status = EXIT_FAIL;
    chaff_model *model = cli_load_model(model_dir);
    if (!model || cli_apply_thresholds(model, review_at, hold_at))
        goto done;
    if (s.held_path) {
        s.held = open_held(s.held_path, &in);
        if (!s.held)
            goto done;
    }
    struct stat st;
    s.flush = fstat(0, &st) != 0 || !S_ISREG(st.st_mode);
    if (chaff_scorer_new(model, &s.sc) || chaff_scorer_set_reasons(s.sc, !s.no_reasons))
        goto done;
    /* SIGINT and SIGTERM end the loop between records, so that what was
     * answered is flushed and the --held-to file closed: nothing is lost */
    cli_catch_signals();
    struct cli_counts counts = {0};
    cli_for_each(&in, filter_record, filter_bad, &s, &counts);
    status = s.failed || counts.input_failed ? EXIT_FAIL : EXIT_OK;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write the output");
        status = EXIT_FAIL;
    }
done:
    if (s.held && fclose(s.held) != 0 && status == EXIT_OK) {
        cli_error("--held-to %s: cannot write: %s", s.held_path, strerror(errno));
        status = EXIT_FAIL;
    }
    if (cli_signal)
        status = 128 + cli_signal;
    chaff_scorer_free(s.sc);
    chaff_model_free(model);
    cli_input_free(&in);
    return status;
}

static const char check_help[] = "usage: chaff check [--model DIR] [--review-at P] [--hold-at P] [TEXT...]\n"
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
        printf("%s  (human %.2f, low-effort %.2f, machine %.2f)  -> %s\n", chaff_label_name(v.label), v.p[CHAFF_HUMAN],
               v.p[CHAFF_LOW_EFFORT], v.p[CHAFF_MACHINE], chaff_action_name(v.action));
        for (int i = 0; i < v.n_reasons; i++)
            printf("  - %s\n", v.reasons[i]);
        status = v.action; /* 0 pass, 1 review, 2 hold */
    }
    chaff_scorer_free(sc);
    chaff_model_free(model);
    chaff_buf_free(&text);
    return status;
}
