/* review.c: the review loop: chaff review (--list, --set), chaff export
 * --reviewed, chaff stats. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "store.h"

/* Opens an existing database (these commands never create one). */
static chaff_store *open_existing(const char *db)
{
    if (!db || access(db, F_OK) != 0) {
        cli_error("%s: no such database (run chaff score first, or name it with --db)", db);
        return NULL;
    }
    chaff_store *st = NULL;
    struct chaff_diag diag = {""};
    if (chaff_store_open(db, 5000, &st, &diag)) {
        cli_error("%s", diag.msg);
        return NULL;
    }
    return st;
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

struct list_state {
    int as_json;
    long n;
};

static int print_item(const struct chaff_queue_item *it, void *ud)
{
    struct list_state *ls = ud;
    ls->n++;
    if (ls->as_json) {
        json_t *reasons = json_loads(it->reasons ? it->reasons : "[]", 0, NULL);
        json_t *o =
            json_pack("{s:I, s:o, s:o, s:o, s:o, s:s, s:{s:f, s:f, s:f}, s:s, s:o, s:I}", "comment_id",
                      (json_int_t)it->comment_id, "source", jstr(it->source), "source_id", jstr(it->source_id),
                      "author", jstr(it->author), "text", json_stringn(it->text ? it->text : "", it->text_len), "label",
                      it->label, "p", "human", round(it->p[0] * 1e4) / 1e4, "low-effort", round(it->p[1] * 1e4) / 1e4,
                      "machine", round(it->p[2] * 1e4) / 1e4, "action", it->action, "reasons",
                      reasons ? reasons : json_array(), "cluster_size", (json_int_t)it->cluster_size);
        if (o) {
            json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
            fputc('\n', stdout);
            json_decref(o);
        }
        return 0;
    }
    printf("#%lld  %s %s  (human %.2f, low-effort %.2f, machine %.2f)%s\n", (long long)it->comment_id, it->label,
           it->action, it->p[0], it->p[1], it->p[2], it->cluster_size > 1 ? "  [near-duplicate cluster]" : "");
    printf("    %s%s%s: %.200s%s\n", it->source ? it->source : "", it->source_id ? " " : "",
           it->source_id ? it->source_id : "", it->text ? it->text : "", it->text_len > 200 ? "..." : "");
    if (it->reasons && strcmp(it->reasons, "[]") != 0)
        printf("    reasons: %s\n", it->reasons);
    return 0;
}

static const char review_help[] = "usage: chaff review [--db PATH] [--reviewer NAME]\n"
                                  "       chaff review [--db PATH] --list [--limit N] [--json]\n"
                                  "       chaff review [--db PATH] --set ID=LABEL [--note TEXT] [--reviewer NAME]\n"
                                  "Without --list or --set, an interactive screen shows the review queue one\n"
                                  "comment at a time and takes one key: h human, l low-effort, m machine, s skip,\n"
                                  "u undo, q quit; each answer is written at once. --list prints the queue:\n"
                                  "flagged comments of the latest run with no review yet, most confident and\n"
                                  "largest near-duplicate clusters first. --set records a reviewer's label\n"
                                  "(human, low-effort or machine) for comment ID (the number --list shows).\n";

int cmd_review(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"list", no_argument, NULL, 'l'},
                                         {"limit", required_argument, NULL, 'n'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"set", required_argument, NULL, 's'},
                                         {"note", required_argument, NULL, 'N'},
                                         {"reviewer", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = "chaff.db", *set = NULL, *note = NULL, *reviewer = NULL;
    int list = 0, as_json = 0, c;
    long limit = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'l': list = 1; break;
        case 'n':
            if (cli_parse_long("--limit", optarg, 1, 1000000000L, &limit))
                return EXIT_FAIL;
            break;
        case 'j': as_json = 1; break;
        case 's': set = optarg; break;
        case 'N': note = optarg; break;
        case 'r': reviewer = optarg; break;
        case 'h': fputs(review_help, stdout); return EXIT_OK;
        default: fputs(review_help, stderr); return EXIT_FAIL;
        }
    }
    if (list && set) {
        cli_error("review: give --list or --set ID=LABEL, not both");
        fputs(review_help, stderr);
        return EXIT_FAIL;
    }
    if (!list && !set) {
        if (!isatty(0) || !isatty(1)) {
            cli_error("review: the interactive screen needs a terminal; use --list or --set ID=LABEL");
            return EXIT_FAIL;
        }
        chaff_store *st = open_existing(db);
        if (!st)
            return EXIT_FAIL;
        int rc = cli_review_screen(st, reviewer ? reviewer : getenv("USER"));
        chaff_store_close(st);
        return rc;
    }
    long long id = 0;
    int label = -1;
    if (set) {
        const char *eq = strchr(set, '=');
        char *e;
        errno = 0;
        id = eq ? strtoll(set, &e, 10) : 0;
        if (!eq || e != eq || errno || id <= 0) {
            cli_error("--set: expected ID=LABEL, e.g. 42=machine, got '%s'", set);
            return EXIT_FAIL;
        }
        label = chaff_label_parse(eq + 1, strlen(eq + 1));
        if (label < 0) {
            cli_error("--set: unknown label '%s' (expected human, low-effort or machine)", eq + 1);
            return EXIT_FAIL;
        }
    }
    chaff_store *st = open_existing(db);
    if (!st)
        return EXIT_FAIL;
    struct chaff_diag diag = {""};
    chaff_err err;
    if (list) {
        struct list_state ls = {as_json, 0};
        err = chaff_store_queue(st, limit, print_item, &ls, &diag);
        if (!err && !as_json) {
            if (limit && ls.n == limit)
                fprintf(stderr, "chaff: the first %ld comments of the review queue\n", ls.n);
            else
                fprintf(stderr, "chaff: %ld comments waiting for review\n", ls.n);
        }
    } else {
        err = chaff_store_review(st, id, label, reviewer ? reviewer : getenv("USER"), note, NULL, &diag);
        if (!err)
            fprintf(stderr, "chaff: comment %lld reviewed as %s\n", id, chaff_label_name(label));
    }
    if (err)
        cli_error("%s", diag.msg[0] ? diag.msg : chaff_strerror(err));
    chaff_store_close(st);
    return err ? EXIT_FAIL : EXIT_OK;
}

struct export_state {
    FILE *out;
    long n;
};

static int export_one(const struct chaff_reviewed *r, void *ud)
{
    struct export_state *es = ud;
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)r->comment_id);
    json_t *o = json_pack("{s:s, s:o, s:o, s:s, s:o, s:o, s:o}", "id", r->source_id ? r->source_id : num, "source",
                          jstr(r->source), "author", jstr(r->author), "label", r->label, "text",
                          json_stringn(r->text ? r->text : "", r->text_len), "reviewer", jstr(r->reviewer), "note",
                          jstr(r->note));
    if (!o)
        return 0;
    json_dumpf(o, es->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', es->out);
    json_decref(o);
    es->n++;
    return ferror(es->out) ? 1 : 0;
}

static const char export_help[] = "usage: chaff export --reviewed [--db PATH] [-o FILE]\n"
                                  "Writes every reviewed comment, with its latest reviewer label, as JSONL that\n"
                                  "chaff train reads: chaff train -o DIR fixtures/labelled FILE.\n";

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"reviewed", no_argument, NULL, 'r'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = "chaff.db", *out = NULL;
    int reviewed = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'r': reviewed = 1; break;
        case 'o': out = optarg; break;
        case 'h': fputs(export_help, stdout); return EXIT_OK;
        default: fputs(export_help, stderr); return EXIT_FAIL;
        }
    }
    if (!reviewed) {
        cli_error("export: only --reviewed is supported");
        return EXIT_FAIL;
    }
    chaff_store *st = open_existing(db);
    if (!st)
        return EXIT_FAIL;
    struct export_state es = {stdout, 0};
    if (out && !(es.out = fopen(out, "w"))) {
        cli_error("%s: cannot write: %s", out, strerror(errno));
        chaff_store_close(st);
        return EXIT_FAIL;
    }
    struct chaff_diag diag = {""};
    chaff_err err = chaff_store_reviewed(st, export_one, &es, &diag);
    int bad = ferror(es.out) || (out && fclose(es.out) != 0) || (!out && fflush(stdout) != 0);
    if (err)
        cli_error("%s", diag.msg);
    else if (bad)
        cli_error("%s: cannot write", out ? out : "standard output");
    else
        fprintf(stderr, "chaff: exported %ld reviewed comments%s%s\n", es.n, out ? " to " : "", out ? out : "");
    chaff_store_close(st);
    return err || bad ? EXIT_FAIL : EXIT_OK;
}

static int print_stats(const struct chaff_run_stats *s, void *ud)
{
    (void)ud;
    printf("run %lld  %s  %s  read %ld, scored %ld, errors %ld\n", (long long)s->run,
           s->started_at ? s->started_at : "", s->status ? s->status : "", s->n_read, s->n_scored, s->n_errors);
    printf("  labels: human %ld, low-effort %ld, machine %ld; actions: pass %ld, review %ld, hold %ld\n",
           s->per_label[0], s->per_label[1], s->per_label[2], s->per_action[0], s->per_action[1], s->per_action[2]);
    if (s->reviewed) {
        long agree = s->confusion[0][0] + s->confusion[1][1] + s->confusion[2][2];
        printf("  reviewed %ld, reviewers agreed with the model on %ld (%.1f%%)\n", s->reviewed, agree,
               100.0 * (double)agree / (double)s->reviewed);
        printf("  model \\ reviewer   human  low-effort  machine\n");
        for (int m = 0; m < CHAFF_NLABELS; m++)
            printf("  %-16s %7ld %11ld %8ld\n", chaff_label_name(m), s->confusion[m][0], s->confusion[m][1],
                   s->confusion[m][2]);
    }
    return 0;
}

int cmd_stats(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *db = "chaff.db";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'h':
            puts("usage: chaff stats [--db PATH]\nPer run: counts per label and action, and how often reviewers\n"
                 "agreed with the model (model label against the latest reviewer label).");
            return EXIT_OK;
        default: return EXIT_FAIL;
        }
    }
    chaff_store *st = open_existing(db);
    if (!st)
        return EXIT_FAIL;
    struct chaff_diag diag = {""};
    chaff_err err = chaff_store_stats(st, print_stats, NULL, &diag);
    if (err)
        cli_error("%s", diag.msg);
    chaff_store_close(st);
    return err ? EXIT_FAIL : EXIT_OK;
}
