/* review_tui.c: chaff review's interactive screen: one comment at a time,
 * one key per answer, written to the database at once. Plain termios and
 * ANSI escapes: no dependency beyond the terminal. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "store.h"
#include "util.h"

struct queued {
    int64_t id;
    char *where; /* source and id */
    char *author;
    char *text;
    char *label, *action, *reasons;
    double p[CHAFF_NLABELS];
    long cluster;
};

struct queue {
    struct queued *q;
    size_t n, cap;
};

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static int collect(const struct chaff_queue_item *it, void *ud)
{
    struct queue *qu = ud;
    if (qu->n == qu->cap) {
        size_t cap = qu->cap ? qu->cap * 2 : 64;
        struct queued *p = realloc(qu->q, cap * sizeof *p);
        if (!p)
            return 1;
        qu->q = p;
        qu->cap = cap;
    }
    struct queued *e = &qu->q[qu->n];
    struct chaff_buf where = {0};
    chaff_buf_printf(&where, "%s%s%s", it->source ? it->source : "", it->source_id ? " " : "",
                     it->source_id ? it->source_id : "");
    e->id = it->comment_id;
    e->where = where.data ? where.data : strdup("");
    e->author = dup_or_empty(it->author);
    e->text = dup_or_empty(it->text);
    e->label = dup_or_empty(it->label);
    e->action = dup_or_empty(it->action);
    e->reasons = dup_or_empty(it->reasons);
    memcpy(e->p, it->p, sizeof e->p);
    e->cluster = it->cluster_size;
    qu->n++;
    return 0;
}

static void free_queue(struct queue *qu)
{
    for (size_t i = 0; i < qu->n; i++) {
        free(qu->q[i].where);
        free(qu->q[i].author);
        free(qu->q[i].text);
        free(qu->q[i].label);
        free(qu->q[i].action);
        free(qu->q[i].reasons);
    }
    free(qu->q);
}

static void show(const struct queue *qu, size_t i, size_t done, const char *status)
{
    const struct queued *e = &qu->q[i];
    printf("\033[H\033[2J");
    printf("chaff review  [%zu of %zu, %zu answered]\r\n\r\n", i + 1, qu->n, done);
    printf("#%lld  %s  %s  (human %.2f, low-effort %.2f, machine %.2f)\r\n", (long long)e->id, e->label, e->action,
           e->p[0], e->p[1], e->p[2]);
    printf("%s%s%s\r\n", e->where, e->author[0] ? "  by " : "", e->author);
    if (e->cluster > 1)
        printf("near-duplicate cluster of %ld comments\r\n", e->cluster);
    printf("\r\n");
    /* the text, with its line breaks made terminal line breaks */
    for (const char *p = e->text; *p; p++) {
        if (*p == '\n')
            fputs("\r\n", stdout);
        else
            fputc(*p, stdout);
    }
    printf("\r\n\r\nreasons: %s\r\n\r\n", e->reasons);
    printf("h human   l low-effort   m machine   s skip   u undo   q quit\r\n");
    if (status && *status)
        printf("%s\r\n", status);
    fflush(stdout);
}

/* The interactive loop; stdin must be a terminal. */
int cli_review_screen(chaff_store *st, const char *reviewer)
{
    struct queue qu = {0};
    struct chaff_diag diag = {""};
    if (chaff_store_queue(st, 0, collect, &qu, &diag)) {
        cli_error("%s", diag.msg);
        free_queue(&qu);
        return EXIT_FAIL;
    }
    if (!qu.n) {
        printf("chaff review: nothing to review\n");
        free_queue(&qu);
        return EXIT_OK;
    }
    struct termios saved, raw;
    if (tcgetattr(0, &saved) != 0) {
        cli_error("review: cannot set up the terminal: %s", strerror(errno));
        free_queue(&qu);
        return EXIT_FAIL;
    }
    raw = saved;
    raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    tcsetattr(0, TCSANOW, &raw);

    /* undo stack: which item each answer was for, and its review row */
    size_t *undo_item = calloc(qu.n, sizeof *undo_item);
    int64_t *undo_review = calloc(qu.n, sizeof *undo_review);
    size_t nundo = 0, i = 0, done = 0;
    int status = EXIT_OK;
    char msg[CHAFF_DIAG_SIZE + 32] = "";
    if (!undo_item || !undo_review) {
        status = EXIT_FAIL;
        goto out;
    }
    while (i < qu.n) {
        show(&qu, i, done, msg);
        msg[0] = '\0';
        unsigned char key;
        ssize_t got = read(0, &key, 1);
        if (got <= 0)
            break; /* end of input: as q */
        int label = key == 'h' ? CHAFF_HUMAN : key == 'l' ? CHAFF_LOW_EFFORT : key == 'm' ? CHAFF_MACHINE : -1;
        if (label >= 0) {
            int64_t rid = 0;
            if (chaff_store_review(st, qu.q[i].id, label, reviewer, NULL, &rid, &diag)) {
                snprintf(msg, sizeof msg, "error: %s", diag.msg);
                continue;
            }
            undo_item[nundo] = i;
            undo_review[nundo++] = rid;
            done++;
            i++;
        } else if (key == 's') {
            i++;
        } else if (key == 'u') {
            if (!nundo) {
                snprintf(msg, sizeof msg, "nothing to undo");
                continue;
            }
            nundo--;
            if (chaff_store_unreview(st, undo_review[nundo], &diag)) {
                snprintf(msg, sizeof msg, "error: %s", diag.msg);
                nundo++;
                continue;
            }
            done--;
            i = undo_item[nundo];
            snprintf(msg, sizeof msg, "undone");
        } else if (key == 'q') {
            break;
        } else {
            snprintf(msg, sizeof msg, "keys: h l m s u q");
        }
    }
out:
    tcsetattr(0, TCSANOW, &saved);
    printf("\033[H\033[2Jchaff review: %zu answered, %zu left in the queue\n", done, qu.n - done);
    free(undo_item);
    free(undo_review);
    free_queue(&qu);
    return status;
}
