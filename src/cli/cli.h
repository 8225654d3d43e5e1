/* cli.h: what the subcommands of the chaff tool share. The CLI only parses
 * arguments, prints and picks exit codes; libchaff does the work. */
#ifndef CHAFF_CLI_H
#define CHAFF_CLI_H

#include <signal.h>
#include <stdio.h>

#include "chaff.h"
#include "reader.h"

/* Most threads a command runs. */
#define CLI_MAX_THREADS 64

/* Exit statuses. */
#define EXIT_OK 0
#define EXIT_FAIL 2 /* the run could not go on (usage, input, model, database) */

/* Reader options shared by every subcommand that reads comments. */
struct cli_input {
    struct chaff_reader_opts ro;
    int strict;
    char **paths; /* expanded: folders become the dump files inside them */
    size_t npaths;
    chaff_reader *reader; /* the open input while cli_for_each() runs, else NULL
                             (for chaff_reader_raw() in a record callback) */
};

/* Long options of struct cli_input, to append to a getopt_long table. */
#define CLI_INPUT_OPTIONS                                                                                              \
    {"format", required_argument, NULL, 1001}, {"text-field", required_argument, NULL, 1002},                          \
        {"id-field", required_argument, NULL, 1003}, {"max-bytes", required_argument, NULL, 1004},                     \
    {                                                                                                                  \
        "strict", no_argument, NULL, 1005                                                                              \
    }

/* Handles a reader option (c from getopt_long); 1 if it was one, -1 on a bad value. */
int cli_input_option(struct cli_input *in, int c, const char *arg);

/* Expands argv[0..argc) (folders: their *.jsonl, *.csv, *.tsv, *.txt files,
 * optionally .gz, recursively, sorted); none means "-" (stdin) when
 * allow_stdin. Prints and returns -1 when a path does not exist. */
int cli_input_paths(struct cli_input *in, int argc, char **argv, int allow_stdin);
void cli_input_free(struct cli_input *in);

/* The model folder: --model, else $CHAFF_MODEL, else the installed or
 * source-tree default. Prints the error and returns NULL on failure. */
chaff_model *cli_load_model(const char *dir);

/* Prints "chaff: " + message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses a probability in [0,1]; -1 on error. */
double cli_parse_prob(const char *s);

/* Parses a whole number in [min,max] for option name into *out; prints the
 * error and returns -1 when it is not one. */
int cli_parse_long(const char *name, const char *s, long min, long max, long *out);

/* Parses a positive finite number for option name; -1 on error (printed). */
int cli_parse_positive(const char *name, const char *s, double *out);

/* Sets the model's thresholds, -1 meaning the model's own; prints the
 * error and returns -1 when review-at would be above hold-at. */
int cli_apply_thresholds(chaff_model *m, double review_at, double hold_at);

int cmd_score(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_review(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_stats(int argc, char **argv);

struct chaff_store;
/* chaff review's interactive screen over the store's review queue. */
int cli_review_screen(struct chaff_store *st, const char *reviewer);

#endif

/* ---- iterating over the records of every input ---- */

struct cli_counts {
    long read;        /* records handed to the callback */
    long bad;         /* records skipped as malformed or too big */
    int input_failed; /* an input could not be opened or read to its end */
    int stopped;      /* the callback asked to stop */
};

/* Called for each good record; return non-zero to stop. */
typedef int (*cli_record_fn)(const struct chaff_record *rec, void *ud);
/* Called for each bad record after it was reported (may be NULL). */
typedef void (*cli_bad_fn)(const char *source, unsigned long line, const char *msg, void *ud);

/* Reads every input in order; bad records are reported as "chaff: FILE:LINE:
 * reason" on stderr and skipped (with --strict, the first one stops the run
 * with input_failed set). */
void cli_for_each(struct cli_input *in, cli_record_fn fn, cli_bad_fn bad, void *ud, struct cli_counts *c);

/* Set by SIGINT/SIGTERM handlers installed with cli_catch_signals(). */
extern volatile sig_atomic_t cli_signal;
void cli_catch_signals(void);
