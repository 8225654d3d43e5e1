/* two_threads.c: libchaff in a program that scores from two threads.
 *
 * One chaff_model is loaded once and shared, read-only, by every thread;
 * each thread scores with its own chaff_scorer (a scorer reuses its
 * buffers, so it serves one thread at a time). Build it against the
 * installed library and run it on the installed default model:
 *
 *   cc two_threads.c $(pkg-config --cflags --libs chaff) -pthread -o two_threads
 *   ./two_threads "$(pkg-config --variable=modeldir chaff)"
 *
 * Usage: two_threads MODEL_DIR [COMMENT1 COMMENT2]. Each thread scores one
 * comment; the program prints "LABEL<TAB>ACTION<TAB>COMMENT" for each, in
 * order, and exits 0, or 2 when the model cannot be loaded or a comment
 * cannot be scored. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <chaff.h>

struct job {
    const chaff_model *model; /* shared by the threads, read-only */
    const char *text;
    struct chaff_verdict verdict; /* written by the job's thread */
    chaff_err err;
};

static void *score_job(void *arg)
{
    struct job *job = arg;
    chaff_scorer *scorer = NULL; /* this thread's own */
    job->err = chaff_scorer_new(job->model, &scorer);
    if (job->err == CHAFF_OK)
        job->err = chaff_score(scorer, job->text, strlen(job->text), &job->verdict);
    chaff_scorer_free(scorer); /* NULL is a no-op */
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 4) {
        fprintf(stderr, "usage: %s MODEL_DIR [COMMENT1 COMMENT2]\n", argv[0]);
        return 2;
    }
    const char *texts[2] = {"Check out my channel!!! sub4sub, link in bio 🔥🔥🔥",
                            "lol no, the match was on tuesday not monday"};
    if (argc == 4) {
        texts[0] = argv[2];
        texts[1] = argv[3];
    }

    chaff_model *model = NULL;
    struct chaff_diag diag = {""};
    chaff_err err = chaff_model_load(argv[1], &model, &diag);
    if (err != CHAFF_OK) {
        fprintf(stderr, "two_threads: %s\n", diag.msg[0] ? diag.msg : chaff_strerror(err));
        return 2;
    }

    struct job jobs[2];
    pthread_t threads[2];
    int started[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].model = model;
        jobs[i].text = texts[i];
        jobs[i].err = CHAFF_OK;
        started[i] = pthread_create(&threads[i], NULL, score_job, &jobs[i]) == 0;
        if (!started[i])
            fprintf(stderr, "two_threads: cannot start thread %d\n", i + 1);
    }
    int status = 0;
    for (int i = 0; i < 2; i++) {
        if (!started[i]) {
            status = 2;
            continue;
        }
        pthread_join(threads[i], NULL);
        if (jobs[i].err != CHAFF_OK) {
            fprintf(stderr, "two_threads: comment %d: %s\n", i + 1, chaff_strerror(jobs[i].err));
            status = 2;
            continue;
        }
        printf("%s\t%s\t%s\n", chaff_label_name(jobs[i].verdict.label), chaff_action_name(jobs[i].verdict.action),
               jobs[i].text);
    }
    chaff_model_free(model); /* after every scorer of it is freed */
    return status;
}
