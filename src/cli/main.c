/* main.c: the chaff command: dispatch to the subcommands. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] = "usage: chaff COMMAND [OPTIONS] [FILE...]\n"
                            "\n"
                            "Sorts user comments into human, low-effort and machine (LLM-generated).\n"
                            "\n"
                            "commands:\n"
                            "  score     score comment dumps into a SQLite database for review\n"
                            "  filter    score records from stdin (or files) and write one JSON line each\n"
                            "  check     score one comment given as arguments or on stdin, in words\n"
                            "  train     train a model folder from labelled comments\n"
                            "  eval      measure a model on labelled comments\n"
                            "  features  print the features of each comment (jsonl, tsv or libsvm)\n"
                            "  review    list the review queue, or record a reviewer's label\n"
                            "  export    write reviewed comments as labelled JSONL for chaff train\n"
                            "  stats     per run: counts per label and action, agreement with reviewers\n"
                            "\n"
                            "Run 'chaff COMMAND --help' for a command's options. FILE may be a folder,\n"
                            "a .gz file or - for stdin. See README.md.\n";

int main(int argc, char **argv)
{
    /* a reader of chaff filter going away ends chaff quietly */
    signal(SIGPIPE, SIG_DFL);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_FAIL : EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("chaff %s\n", chaff_version());
        return EXIT_OK;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"score", cmd_score},   {"filter", cmd_filter}, {"check", cmd_check},
                {"train", cmd_train},   {"eval", cmd_eval},     {"features", cmd_features},
                {"review", cmd_review}, {"export", cmd_export}, {"stats", cmd_stats}};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        if (strcmp(argv[1], cmds[i].name) == 0)
            return cmds[i].fn(argc - 1, argv + 1);
    }
    cli_error("unknown command '%s'", argv[1]);
    fputs(usage, stderr);
    return EXIT_FAIL;
}
