/* common.c: argument helpers shared by the subcommands. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "model.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("chaff: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

double cli_parse_prob(const char *s)
{
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (e == s || *e || errno || !(v >= 0 && v <= 1))
        return -1;
    return v;
}

int cli_parse_long(const char *name, const char *s, long min, long max, long *out)
{
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (e == s || *e || errno || v < min || v > max) {
        cli_error("%s: expected a whole number from %ld to %ld, got '%s'", name, min, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_positive(const char *name, const char *s, double *out)
{
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (e == s || *e || errno || !(v > 0) || !isfinite(v)) {
        cli_error("%s: expected a positive number, got '%s'", name, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_apply_thresholds(chaff_model *m, double review_at, double hold_at)
{
    double ra, ha;
    chaff_model_thresholds(m, &ra, &ha);
    ra = review_at >= 0 ? review_at : ra;
    ha = hold_at >= 0 ? hold_at : ha;
    if (chaff_model_set_thresholds(m, ra, ha) != CHAFF_OK) {
        cli_error("--review-at %g is above --hold-at %g: a comment is sent to review before it is held", ra, ha);
        return -1;
    }
    return 0;
}

int cli_input_option(struct cli_input *in, int c, const char *arg)
{
    switch (c) {
    case 1001: {
        int f = chaff_format_parse(arg);
        if (f < 0) {
            cli_error("--format: unknown format '%s' (auto, jsonl, csv, tsv, text)", arg);
            return -1;
        }
        in->ro.format = f;
        return 1;
    }
    case 1002: in->ro.text_field = arg; return 1;
    case 1003: in->ro.id_field = arg; return 1;
    case 1004: {
        char *e;
        errno = 0;
        unsigned long long v = arg[0] >= '0' && arg[0] <= '9' ? strtoull(arg, &e, 10) : 0;
        if (v == 0 || errno) {
            cli_error("--max-bytes: expected a number of bytes from 1 to 64M (suffix k or M allowed), got '%s'", arg);
            return -1;
        }
        unsigned long long unit = 1;
        if (*e == 'k' || *e == 'K')
            unit = 1024, e++;
        else if (*e == 'M' || *e == 'm')
            unit = 1024 * 1024, e++;
        /* the largest comment chaff analyses: CHAFF_MAX_TEXT (64 MiB) */
        if (*e || v > CHAFF_MAX_TEXT / unit) {
            cli_error("--max-bytes: expected a number of bytes from 1 to 64M (suffix k or M allowed), got '%s'", arg);
            return -1;
        }
        in->ro.max_bytes = (size_t)v;
        return 1;
    }
    case 1005: in->strict = 1; return 1;
    default: return 0;
    }
}

static int has_dump_ext(const char *name)
{
    static const char *const exts[] = {".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".tab", ".txt", NULL};
    size_t n = strlen(name);
    if (n > 3 && strcmp(name + n - 3, ".gz") == 0)
        n -= 3;
    for (int i = 0; exts[i]; i++) {
        size_t m = strlen(exts[i]);
        if (n > m && strncmp(name + n - m, exts[i], m) == 0)
            return 1;
    }
    return 0;
}

static int add_path(struct cli_input *in, const char *p)
{
    char **q = realloc(in->paths, (in->npaths + 1) * sizeof *q);
    if (!q)
        return -1;
    in->paths = q;
    in->paths[in->npaths] = strdup(p);
    if (!in->paths[in->npaths])
        return -1;
    in->npaths++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(struct cli_input *in, const char *dir)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0) {
        cli_error("%s: cannot read folder: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        if (name[0] != '.' && rc == 0) {
            size_t len = strlen(dir) + strlen(name) + 2;
            char *p = malloc(len);
            if (!p) {
                rc = -1;
            } else {
                size_t dl = strlen(dir);
                /* "dir/" given: "dir/name", not "dir//name" */
                snprintf(p, len, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", name);
                /* lstat: a symlinked folder is not followed (no loops);
                 * a symlinked file is read */
                struct stat st;
                if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                    rc = walk(in, p);
                else if (has_dump_ext(name))
                    rc = add_path(in, p);
                free(p);
            }
        }
        free(ents[i]);
    }
    free(ents);
    return rc;
}

int cli_input_paths(struct cli_input *in, int argc, char **argv, int allow_stdin)
{
    if (argc == 0 && allow_stdin)
        return add_path(in, "-");
    for (int i = 0; i < argc; i++) {
        struct stat st;
        if (strcmp(argv[i], "-") == 0) {
            if (add_path(in, "-"))
                return -1;
            continue;
        }
        if (stat(argv[i], &st) != 0) {
            cli_error("%s: cannot open: %s", argv[i], strerror(errno));
            return -1;
        }
        if (S_ISDIR(st.st_mode)) {
            size_t before = in->npaths;
            if (walk(in, argv[i]))
                return -1;
            if (in->npaths == before) {
                cli_error("%s: folder holds no .jsonl, .csv, .tsv or .txt files", argv[i]);
                return -1;
            }
            qsort(in->paths + before, in->npaths - before, sizeof *in->paths, cmp_str);
        } else if (add_path(in, argv[i])) {
            return -1;
        }
    }
    return 0;
}

void cli_input_free(struct cli_input *in)
{
    for (size_t i = 0; i < in->npaths; i++)
        free(in->paths[i]);
    free(in->paths);
    in->paths = NULL;
    in->npaths = 0;
}

chaff_model *cli_load_model(const char *dir)
{
    if (!dir)
        dir = getenv("CHAFF_MODEL");
    if (!dir) {
#ifdef CHAFF_INSTALLED_MODEL
        if (access(CHAFF_INSTALLED_MODEL "/model.svm", R_OK) == 0)
            dir = CHAFF_INSTALLED_MODEL;
        else
#endif
            dir = CHAFF_SOURCE_MODEL;
    }
    chaff_model *m = NULL;
    struct chaff_diag diag = {""};
    chaff_err err = chaff_model_load(dir, &m, &diag);
    if (err) {
        cli_error("%s", diag.msg[0] ? diag.msg : chaff_strerror(err));
        return NULL;
    }
    return m;
}

#include <signal.h>

volatile sig_atomic_t cli_signal;

static void on_signal(int sig)
{
    cli_signal = sig;
}

void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void cli_for_each(struct cli_input *in, cli_record_fn fn, cli_bad_fn bad, void *ud, struct cli_counts *c)
{
    for (size_t i = 0; i < in->npaths && !c->stopped && !cli_signal; i++) {
        chaff_reader *r = NULL;
        struct chaff_diag diag = {""};
        chaff_err err = chaff_reader_open(in->paths[i], &in->ro, &r, &diag);
        if (err) {
            cli_error("%s", diag.msg[0] ? diag.msg : chaff_strerror(err));
            c->input_failed = 1;
            continue;
        }
        in->reader = r;
        long before_read = c->read, before_bad = c->bad;
        int ended = 0;
        for (;;) {
            if (cli_signal)
                break;
            const struct chaff_record *rec = NULL;
            diag.msg[0] = '\0';
            err = chaff_reader_next(r, &rec, &diag);
            if (err == CHAFF_EBADREC || err == CHAFF_ETOOBIG || err == CHAFF_EINVAL) {
                cli_error("%s", diag.msg);
                c->bad++;
                if (bad)
                    bad(in->paths[i], chaff_reader_record_line(r), diag.msg, ud);
                if (in->strict || err == CHAFF_EINVAL) {
                    if (in->strict)
                        cli_error("stopping: --strict makes a bad record fatal");
                    c->input_failed = 1;
                    if (in->strict)
                        c->stopped = 1;
                    break;
                }
                continue;
            }
            if (err) {
                if (cli_signal)
                    break; /* the read was interrupted by SIGINT/SIGTERM */
                cli_error("%s", diag.msg[0] ? diag.msg : chaff_strerror(err));
                c->input_failed = 1;
                break;
            }
            if (!rec) {
                ended = 1;
                break;
            }
            c->read++;
            if (fn(rec, ud)) {
                c->stopped = 1;
                break;
            }
        }
        if (ended && c->read == before_read && c->bad == before_bad)
            cli_error("%s: no comments found (an empty input, or only blank lines)", in->paths[i]);
        in->reader = NULL;
        chaff_reader_close(r);
    }
}
