/* score.c: chaff score: comment dumps into SQLite. */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "model.h"
#include "cluster.h"
#include "scorer.h"
#include "store.h"
#include "util.h"

static const char help[] = "usage: chaff score [--db PATH] [--model DIR] [OPTIONS] FILE...\n"
                           "Scores every comment of the dumps into a SQLite database (default chaff.db).\n"
                           "  --db PATH          database (created if missing)\n"
                           "  --model DIR        model folder (default: the shipped model)\n"
                           "  --review-at P      send to review when P(not human) >= P (default: the model's)\n"
                           "  --hold-at P        hold when P(not human) >= P (default: the model's)\n"
                           "  --batch N          comments per transaction (default 1000)\n"
                           "  --busy-timeout MS  wait this long for a database locked by another process (5000)\n"
                           "  --threads N        score on N threads (default: the number of cores); the\n"
                           "                     results are the same whatever N\n"
                           "  --quiet            no summary\n"
                           "  --format F         auto, jsonl, csv, tsv, text (default auto)\n"
                           "  --text-field NAME  text field or column (default text; CSV: text/content/body/comment)\n"
                           "  --id-field NAME    id field or column (default id)\n"
                           "  --max-bytes N      skip records over N bytes (default 1M)\n"
                           "  --strict           stop at the first malformed record\n"
                           "Exit status: 0 done (bad records are reported and skipped), 2 the run could not\n"
                           "go on (an unreadable input, a bad model, a database error); 130/143 interrupted.\n";

/* Records are scored in batches: read in order, scored on --threads
 * threads (each with its own scorer; a comment's verdict does not depend on
 * which thread scored it or what came before), then stored in order. With
 * more than one thread the batches overlap: while threads - 1 workers score
 * a batch, this thread stores the one before it (SQLite and the
 * near-duplicate index are this thread's alone) and reads the next, then
 * scores what is left of the batch with them. The threads take SCORE_CHUNK
 * records at a time from a shared counter, so none of them waits while
 * another has records left: threads - 1 workers and this thread keep
 * --threads cores busy. */
#define SCORE_BATCH 256
#define SCORE_CHUNK 8

struct item {
    struct chaff_record rec;                            /* fields point into the buffers below */
    struct chaff_buf source, text, id, author, created; /* copies: the reader
                             reuses its buffers and frees them at the end of a file */
    uint32_t sig[CHAFF_CLUSTER_HASHES];                 /* near duplicates: the MinHash signature of */
    int has_sig;                                        /* the normalised text (0: too short) */
    struct chaff_verdict v;
    chaff_err err;
    long read_no; /* records read up to and including this one */
    long bad_no;  /* bad records seen by then */
};

struct score_state;

/* A scoring thread: t is its scorer (0: this thread's). */
struct worker {
    struct score_state *s;
    int t;
};

struct score_state {
    chaff_store *st;
    chaff_scorer **sc; /* one per thread */
    int threads;
    int64_t run;
    long scored, dups, batch, since;
    long per_label[CHAFF_NLABELS];
    long per_action[3];
    int failed;
    long committed_read, committed_scored, committed_bad; /* at the last commit */
    struct cli_counts *counts;
    chaff_clusterer *clusters;
    struct item items[2][SCORE_BATCH];
    int cur, n;      /* the batch being read, and its records so far */
    int busy;        /* the batch being scored in the background, or -1 */
    int busy_n;      /* its records */
    atomic_int next; /* its first record no thread has taken */
    struct worker w[CLI_MAX_THREADS];
    pthread_t tid[CLI_MAX_THREADS];
    char running[CLI_MAX_THREADS]; /* the slice's thread started */
    int progress;                  /* stderr is a terminal and not --quiet */
    double t0, last_shown;
    off_t total_bytes; /* of the input files, for the ETA (0: unknown) */
    off_t bytes_done;  /* text bytes scored so far, an estimate */
};

static double now_s(void);

/* One line on a terminal: records, rate, ETA, labels so far. */
static void show_progress(struct score_state *s, int final)
{
    double t = now_s();
    if (!final && t - s->last_shown < 0.25)
        return;
    s->last_shown = t;
    double dt = t - s->t0;
    long done = s->counts->read;
    double rate = dt > 0 ? (double)done / dt : 0;
    char eta[32] = "";
    if (s->total_bytes > 0 && s->bytes_done > 0 && dt > 0) {
        double left = (double)(s->total_bytes - s->bytes_done) / ((double)s->bytes_done / dt);
        if (left > 0)
            snprintf(eta, sizeof eta, ", ETA %.0f s", left);
    }
    fprintf(stderr, "\r\033[K%ld comments, %.0f/s%s: human %ld, low-effort %ld, machine %ld", done, rate, eta,
            s->per_label[0], s->per_label[1], s->per_label[2]);
    if (final)
        fputs("\r\033[K", stderr);
    fflush(stderr);
}

static chaff_err copy_field(struct chaff_buf *b, const char *s, size_t len, const char **out)
{
    b->len = 0;
    if (!s) {
        *out = NULL;
        return CHAFF_OK;
    }
    chaff_err err = chaff_buf_append(b, s, len);
    *out = b->data;
    return err;
}

/* Scores records of the busy batch with scorer t until none is left. */
static void score_records(struct score_state *s, int t)
{
    struct item *items = s->items[s->busy];
    int n = s->busy_n;
    for (;;) {
        int i = atomic_fetch_add(&s->next, SCORE_CHUNK);
        if (i >= n)
            return;
        for (int end = i + SCORE_CHUNK < n ? i + SCORE_CHUNK : n; i < end; i++) {
            struct item *it = &items[i];
            it->err = chaff_score(s->sc[t], it->rec.text, it->rec.text_len, &it->v);
            if (!it->err) {
                size_t nlen;
                const char *norm = chaff_scorer_norm(s->sc[t], &nlen);
                it->has_sig = chaff_minhash(norm ? norm : "", nlen, it->sig);
            }
        }
    }
}

static void *work(void *arg)
{
    struct worker *w = arg;
    score_records(w->s, w->t);
    return NULL;
}

/* Starts scoring batch b (n records) on the workers, so that this thread
 * can go on; a worker whose thread cannot start leaves more records to the
 * others. */
static void start_scoring(struct score_state *s, int b, int n)
{
    s->busy = b;
    s->busy_n = n;
    atomic_store(&s->next, 0);
    for (int t = 1; t < s->threads && (t - 1) * SCORE_CHUNK < n; t++) {
        s->w[t] = (struct worker){s, t};
        s->running[t] = pthread_create(&s->tid[t], NULL, work, &s->w[t]) == 0;
    }
}

/* Scores what is left of the batch being scored, and waits for the workers
 * to finish theirs. */
static void finish_scoring(struct score_state *s)
{
    if (s->busy < 0)
        return;
    score_records(s, 0);
    for (int t = 1; t < s->threads; t++) {
        if (s->running[t])
            pthread_join(s->tid[t], NULL);
        s->running[t] = 0;
    }
    s->busy = -1;
}

/* The run cannot go on: the records no thread has taken are left
 * unscored (they will not be stored), and the workers are waited for. */
static void cancel_scoring(struct score_state *s)
{
    if (s->busy >= 0)
        atomic_store(&s->next, s->busy_n);
    finish_scoring(s);
}

/* Stores batch b (n records, scored) in input order; 0, or 1 when the run
 * cannot go on. */
static int store_batch(struct score_state *s, int b, int n)
{
    for (int i = 0; i < n; i++) {
        struct item *it = &s->items[b][i];
        const struct chaff_record *rec = &it->rec;
        struct chaff_diag diag = {""};
        if (it->err) {
            cli_error("%s:%lu: cannot score: %s", rec->source, rec->line, chaff_strerror(it->err));
            s->failed = 1;
            return 1;
        }
        int dup = 0;
        chaff_err err = chaff_store_add(s->st, s->run, rec, &it->v, &dup, &diag);
        if (err) {
            cli_error("%s", diag.msg);
            s->failed = 1;
            return 1;
        }
        if (dup) {
            s->dups++;
        } else {
            s->scored++;
            s->per_label[it->v.label]++;
            s->per_action[it->v.action]++;
        }
        /* a comment scored before a resume still belongs to the run's
         * clusters; the clusterer takes each comment once */
        if (it->has_sig)
            err = chaff_clusterer_add_minhash(s->clusters, chaff_store_last_comment(s->st), it->sig, rec->author);
        if (err) {
            cli_error("%s:%lu: cannot track near duplicates: %s", rec->source, rec->line, chaff_strerror(err));
            s->failed = 1;
            return 1;
        }
        s->bytes_done += (off_t)rec->text_len + 40; /* plus the record's framing, roughly */
        if (++s->since >= s->batch) {
            s->since = 0;
            err = chaff_store_checkpoint(s->st, s->run, it->read_no, s->scored, it->bad_no, &diag);
            if (err) {
                cli_error("%s", diag.msg);
                s->failed = 1;
                return 1;
            }
            s->committed_read = it->read_no;
            s->committed_scored = s->scored;
            s->committed_bad = it->bad_no;
        }
    }
    if (s->progress)
        show_progress(s, 0);
    return 0;
}

/* The batch being read is full (or the input has ended): with one thread,
 * score it and store it; with more, wait for the batch before it, start
 * scoring this one and store the one before while it runs. At the end
 * (last), everything read is scored and stored. 0, or 1 when the run
 * cannot go on (no scoring is then left running). */
static int flush_batch(struct score_state *s, int last)
{
    int b = s->cur, n = s->n;
    s->n = 0;
    if (s->threads == 1) {
        start_scoring(s, b, n);
        finish_scoring(s);
        return n ? store_batch(s, b, n) : 0;
    }
    int prev = s->busy, prev_n = s->busy_n;
    finish_scoring(s);
    if (n)
        start_scoring(s, b, n);
    s->cur = 1 - b; /* the batch before is stored below: its buffers are free next */
    int failed = prev >= 0 && prev_n && store_batch(s, prev, prev_n);
    if (failed || last) {
        int pending = s->busy, pending_n = s->busy_n;
        if (failed)
            cancel_scoring(s);
        else
            finish_scoring(s);
        if (!failed && pending >= 0 && pending_n)
            failed = store_batch(s, pending, pending_n);
    }
    return failed;
}

static int on_record(const struct chaff_record *rec, void *ud)
{
    struct score_state *s = ud;
    struct item *it = &s->items[s->cur][s->n];
    it->rec = *rec;
    chaff_err err = copy_field(&it->source, rec->source, strlen(rec->source), &it->rec.source);
    if (!err)
        err = copy_field(&it->text, rec->text, rec->text_len, &it->rec.text);
    if (!err)
        err = copy_field(&it->id, rec->id, rec->id ? strlen(rec->id) : 0, &it->rec.id);
    if (!err)
        err = copy_field(&it->author, rec->author, rec->author ? strlen(rec->author) : 0, &it->rec.author);
    if (!err)
        err = copy_field(&it->created, rec->created_at, rec->created_at ? strlen(rec->created_at) : 0,
                         &it->rec.created_at);
    if (err) {
        cli_error("%s:%lu: %s", rec->source, rec->line, chaff_strerror(err));
        s->failed = 1;
        return 1;
    }
    it->rec.label_raw = NULL;
    it->read_no = s->counts->read;
    it->bad_no = s->counts->bad;
    if (++s->n == SCORE_BATCH)
        return flush_batch(s, 0);
    return 0;
}

static void free_items(struct score_state *s)
{
    for (int b = 0; b < 2; b++) {
        for (int i = 0; i < SCORE_BATCH; i++) {
            struct item *it = &s->items[b][i];
            chaff_buf_free(&it->source);
            chaff_buf_free(&it->text);
            chaff_buf_free(&it->id);
            chaff_buf_free(&it->author);
            chaff_buf_free(&it->created);
        }
    }
}

struct cluster_state {
    struct score_state *s;
    long n;
    char msg[CHAFF_DIAG_SIZE];
};

/* Clusters of at least this many comments are named in the reasons (and
 * sent to review at least): two alike comments can be chance. */
#define CAMPAIGN_MIN 3

static int store_cluster(const struct chaff_cluster_member *m, void *ud)
{
    struct cluster_state *cs = ud;
    char reason[CHAFF_REASON_SIZE];
    const char *r = NULL;
    if (m->size >= CAMPAIGN_MIN) {
        /* the authors are the cluster's, this comment's own included: "2
         * other comments by 3 authors" would read as an impossibility */
        if (m->authors)
            snprintf(reason, sizeof reason, "same text as %zu other comments, %zu %s in all", m->size - 1, m->authors,
                     m->authors == 1 ? "author" : "authors");
        else
            snprintf(reason, sizeof reason, "same text as %zu other comments", m->size - 1);
        r = reason;
    }
    struct chaff_diag diag = {""};
    if (chaff_store_add_cluster(cs->s->st, cs->s->run, m->id, m->cluster, m->size, m->authors, r, &diag)) {
        snprintf(cs->msg, sizeof cs->msg, "%s", diag.msg);
        return -1;
    }
    cs->n++;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_score(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"model", required_argument, NULL, 'm'},
                                         {"review-at", required_argument, NULL, 'r'},
                                         {"hold-at", required_argument, NULL, 'H'},
                                         {"batch", required_argument, NULL, 'b'},
                                         {"busy-timeout", required_argument, NULL, 'B'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"threads", required_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         CLI_INPUT_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    struct cli_input in = {0};
    in.ro.lenient_labels = 1; /* labels are not used here */
    const char *db = "chaff.db", *model_dir = NULL;
    double review_at = -1, hold_at = -1;
    long batch = 1000;
    int busy_ms = 5000, quiet = 0, c;
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    if (threads > CLI_MAX_THREADS)
        threads = CLI_MAX_THREADS;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int k = cli_input_option(&in, c, optarg);
        if (k < 0)
            return EXIT_FAIL;
        if (k)
            continue;
        switch (c) {
        case 'd': db = optarg; break;
        case 'm': model_dir = optarg; break;
        case 'r':
            if ((review_at = cli_parse_prob(optarg)) < 0) {
                cli_error("--review-at: expected a probability between 0 and 1, got '%s'", optarg);
                return EXIT_FAIL;
            }
            break;
        case 'H':
            if ((hold_at = cli_parse_prob(optarg)) < 0) {
                cli_error("--hold-at: expected a probability between 0 and 1, got '%s'", optarg);
                return EXIT_FAIL;
            }
            break;
        case 'b':
            if (cli_parse_long("--batch", optarg, 1, 10000000, &batch))
                return EXIT_FAIL;
            break;
        case 'B': {
            long ms;
            if (cli_parse_long("--busy-timeout", optarg, 0, 3600000, &ms))
                return EXIT_FAIL;
            busy_ms = (int)ms;
            break;
        }
        case 'q': quiet = 1; break;
        case 'T':
            if (cli_parse_long("--threads", optarg, 1, CLI_MAX_THREADS, &threads))
                return EXIT_FAIL;
            break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        default: fputs(help, stderr); return EXIT_FAIL;
        }
    }
    if (optind >= argc) {
        cli_error("score: name at least one FILE (or - for stdin)");
        fputs(help, stderr);
        return EXIT_FAIL;
    }
    if (cli_input_paths(&in, argc - optind, argv + optind, 0)) {
        cli_input_free(&in);
        return EXIT_FAIL;
    }
    for (size_t i = 0; i < in.npaths; i++) {
        if (strcmp(in.paths[i], "-") != 0 && access(in.paths[i], R_OK) != 0) {
            cli_error("%s: cannot read: permission denied", in.paths[i]);
            cli_input_free(&in);
            return EXIT_FAIL;
        }
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

    struct chaff_diag diag = {""};
    struct cli_counts counts = {0};
    int status = EXIT_OK;
    struct score_state *s = calloc(1, sizeof *s);
    if (!s) {
        chaff_model_free(model);
        cli_input_free(&in);
        return EXIT_FAIL;
    }
    s->busy = -1;
    s->batch = batch;
    s->counts = &counts;
    s->threads = (int)threads;
    s->sc = calloc((size_t)s->threads, sizeof *s->sc);
    chaff_err err = s->sc ? chaff_clusterer_new(&s->clusters) : CHAFF_ENOMEM;
    for (int t = 0; !err && t < s->threads; t++)
        err = chaff_scorer_new(model, &s->sc[t]);
    if (err) {
        cli_error("%s", chaff_strerror(err));
        status = EXIT_FAIL;
        goto done;
    }
    err = chaff_store_open(db, busy_ms, &s->st, &diag);
    if (err) {
        cli_error("%s", diag.msg);
        status = EXIT_FAIL;
        goto done;
    }
    json_t *inputs = json_array();
    for (size_t i = 0; i < in.npaths; i++)
        json_array_append_new(inputs, json_string(in.paths[i]));
    char *inputs_json = json_dumps(inputs, JSON_COMPACT);
    json_decref(inputs);
    /* the same command after a crash or an interrupt takes its run up again */
    long already = 0;
    err = chaff_store_run_resume(s->st, chaff_model_describe(model), inputs_json ? inputs_json : "[]", &s->run,
                                 &already, &diag);
    if (!err && s->run) {
        s->scored = already;
        s->committed_scored = already;
        if (!quiet)
            fprintf(stderr, "chaff: taking up unfinished run %lld (%ld comments already scored)\n", (long long)s->run,
                    already);
    } else if (!err) {
        err =
            chaff_store_run_begin(s->st, chaff_model_describe(model), inputs_json ? inputs_json : "[]", &s->run, &diag);
    }
    free(inputs_json);
    if (err) {
        cli_error("%s", diag.msg[0] ? diag.msg : chaff_strerror(err));
        status = EXIT_FAIL;
        goto done;
    }
    cli_catch_signals();
    double t0 = now_s();
    s->t0 = t0;
    s->progress = !quiet && isatty(2);
    for (size_t i = 0; i < in.npaths; i++) {
        struct stat sb;
        if (strcmp(in.paths[i], "-") != 0 && stat(in.paths[i], &sb) == 0 && S_ISREG(sb.st_mode) &&
            !strstr(in.paths[i], ".gz"))
            s->total_bytes += sb.st_size;
    }
    cli_for_each(&in, on_record, NULL, s, &counts);
    /* the records read before the end, or before a signal: score and
     * commit them too */
    if (!s->failed)
        flush_batch(s, 1);
    else
        cancel_scoring(s); /* no worker may outlive the batches */
    if (s->progress)
        show_progress(s, 1);
    const char *run_status = "done";
    if (cli_signal) {
        run_status = "interrupted";
        status = 128 + cli_signal;
    } else if (s->failed || counts.input_failed) {
        run_status = "failed";
        status = EXIT_FAIL;
    }
    long n_clustered = 0;
    if (!s->failed && !cli_signal) { /* clusters describe a finished run */
        struct cluster_state cs = {s, 0, ""};
        if (chaff_clusterer_each(s->clusters, store_cluster, &cs) != 0) {
            cli_error("%s", cs.msg[0] ? cs.msg : "cannot store near-duplicate clusters");
            s->failed = 1;
            run_status = "failed";
            status = EXIT_FAIL;
        }
        n_clustered = cs.n;
    }
    double dt = now_s() - t0;
    if (s->failed) {
        /* the open batch was lost with the failed statement: the run
         * keeps what was committed */
        err = chaff_store_run_end(s->st, s->run, run_status, s->committed_read, s->committed_scored, s->committed_bad,
                                  &diag);
    } else {
        err = chaff_store_run_end(s->st, s->run, run_status, counts.read, s->scored, counts.bad, &diag);
        if (err) {
            /* the last batch could not be committed: record the failure
             * with what earlier commits hold */
            cli_error("%s", diag.msg);
            run_status = "failed";
            s->failed = 1;
            err = chaff_store_run_end(s->st, s->run, run_status, s->committed_read, s->committed_scored,
                                      s->committed_bad, &diag);
        }
    }
    if (err) {
        cli_error("%s (run %lld may still say 'running')", diag.msg, (long long)s->run);
        run_status = "failed";
        status = EXIT_FAIL;
    } else if (s->failed) {
        status = EXIT_FAIL;
    }
    if (s->failed)
        s->scored = s->committed_scored;
    if (!quiet) {
        fprintf(stderr,
                "chaff: run %lld %s: read %ld, scored %ld (human %ld, low-effort %ld, machine %ld; "
                "pass %ld, review %ld, hold %ld), skipped %ld bad, %ld already scored in this run, "
                "%ld in near-duplicate clusters, %.2f s (%.0f comments/s) -> %s\n",
                (long long)s->run, run_status, counts.read, s->scored, s->per_label[0], s->per_label[1],
                s->per_label[2], s->per_action[0], s->per_action[1], s->per_action[2], counts.bad, s->dups, n_clustered,
                dt, dt > 0 ? (double)counts.read / dt : 0.0, db);
    }
done:
    for (int t = 0; s->sc && t < s->threads; t++)
        chaff_scorer_free(s->sc[t]);
    free(s->sc);
    free_items(s);
    chaff_clusterer_free(s->clusters);
    chaff_store_close(s->st);
    free(s);
    chaff_model_free(model);
    cli_input_free(&in);
    return status;
}
