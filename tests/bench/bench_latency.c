/* bench_latency.c: in-process chaff_score latency on one core.
 *
 * usage: bench_latency MODEL_DIR FILE [MAX_BYTES]
 * Reads comments (one per line of a plain-text FILE, at most MAX_BYTES each,
 * default 2048), scores each once to warm up, then times chaff_score on
 * every comment over several passes and prints p50, p90, p99 and max in
 * microseconds, and how many comments were flagged (reasons are computed for
 * those); then the same for the passed and the flagged comments apart, and
 * all of it again with reasons turned off. A benchmark, not a test:
 * scripts/bench-latency runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chaff.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts t[0..k) and prints its p50, p90, p99 and max. */
static void percentiles(double *t, size_t k)
{
    if (!k) {
        printf("none");
        return;
    }
    qsort(t, k, sizeof *t, cmp_double);
    printf("p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us", t[k / 2], t[k * 9 / 10], t[k * 99 / 100], t[k - 1]);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_latency MODEL_DIR FILE [MAX_BYTES]\n");
        return 2;
    }
    size_t max = argc > 3 ? (size_t)atol(argv[3]) : 2048;
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    size_t n = 0, cap = 0;
    char **texts = NULL;
    size_t *lens = NULL;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t got;
    while ((got = getline(&line, &lcap, f)) > 0) {
        size_t len = (size_t)got;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (!len || len > max)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            texts = realloc(texts, cap * sizeof *texts);
            lens = realloc(lens, cap * sizeof *lens);
            if (!texts || !lens)
                return 2;
        }
        texts[n] = malloc(len);
        if (!texts[n])
            return 2;
        memcpy(texts[n], line, len);
        lens[n++] = len;
    }
    free(line);
    fclose(f);
    if (!n) {
        fprintf(stderr, "%s: no comments of at most %zu bytes\n", argv[2], max);
        return 2;
    }
    chaff_model *m = NULL;
    struct chaff_diag d = {""};
    if (chaff_model_load(argv[1], &m, &d)) {
        fprintf(stderr, "%s\n", d.msg);
        return 2;
    }
    chaff_scorer *s = NULL;
    if (chaff_scorer_new(m, &s))
        return 2;
    struct chaff_verdict v;
    size_t flagged = 0;
    char *is_flagged = malloc(n);
    if (!is_flagged)
        return 2;
    for (size_t i = 0; i < n; i++) {
        chaff_score(s, texts[i], lens[i], &v);
        is_flagged[i] = v.label != CHAFF_HUMAN;
        flagged += (size_t)is_flagged[i];
    }
    enum { PASSES = 3 };
    double *t = malloc(n * PASSES * sizeof *t), *tp = malloc(n * PASSES * sizeof *tp),
           *tf = malloc(n * PASSES * sizeof *tf);
    if (!t || !tp || !tf)
        return 2;
    size_t np = 0, nf = 0;
    for (int p = 0; p < PASSES; p++) {
        for (size_t i = 0; i < n; i++) {
            double a = now_us();
            chaff_score(s, texts[i], lens[i], &v);
            double dt = now_us() - a;
            t[p * n + i] = dt;
            if (is_flagged[i])
                tf[nf++] = dt;
            else
                tp[np++] = dt;
        }
    }
    printf("chaff_score: %zu comments of at most %zu bytes (%zu flagged, with reasons), %d passes: ", n, max, flagged,
           PASSES);
    percentiles(t, n * PASSES);
    printf("\n  passed (no reasons): ");
    percentiles(tp, np);
    printf("\n  flagged (reasons):   ");
    percentiles(tf, nf);
    /* the same comments with chaff_scorer_set_reasons(s, 0) */
    chaff_scorer_set_reasons(s, 0);
    size_t nall = 0;
    nf = 0;
    for (int p = 0; p < PASSES; p++) {
        for (size_t i = 0; i < n; i++) {
            double a = now_us();
            chaff_score(s, texts[i], lens[i], &v);
            double dt = now_us() - a;
            t[nall++] = dt;
            if (is_flagged[i])
                tf[nf++] = dt;
        }
    }
    printf("\nwithout reasons (chaff_scorer_set_reasons off): ");
    percentiles(t, nall);
    printf("\n  flagged:             ");
    percentiles(tf, nf);
    printf("\n");
    free(t);
    free(tp);
    free(tf);
    free(is_flagged);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    free(lens);
    chaff_scorer_free(s);
    chaff_model_free(m);
    return 0;
}
