/*
 * chaff.h: the public API of libchaff, a classifier that sorts user
 * comments into human, low-effort and machine (LLM-generated).
 *
 * Conventions (after curl and cJSON):
 * - every function that can fail returns a chaff_err; CHAFF_OK is 0;
 * - an optional struct chaff_diag * receives one line of context
 *   ("FILE:LINE: reason"); pass NULL when you do not want it;
 * - text is passed as bytes plus length and need not be NUL-terminated
 *   nor valid UTF-8 (invalid bytes are read as U+FFFD);
 * - the library never prints, exits or aborts; destructors accept NULL.
 */
#ifndef CHAFF_H
#define CHAFF_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the functions that libchaff.so exports; the library is built with
 * every other symbol hidden. */
#if defined(__GNUC__) || defined(__clang__)
#define CHAFF_API __attribute__((visibility("default")))
#else
#define CHAFF_API
#endif

/* Error codes. Append-only: a value is never renumbered or reused. */
typedef enum chaff_err {
    CHAFF_OK = 0,
    CHAFF_ENOMEM = 1,     /* out of memory */
    CHAFF_EINVAL = 2,     /* invalid argument */
    CHAFF_EIO = 3,        /* a file could not be opened, read or written */
    CHAFF_EBADREC = 4,    /* one input record is malformed; the rest can go on */
    CHAFF_ETOOBIG = 5,    /* a record or file is over its size limit */
    CHAFF_EMODEL = 6,     /* a model folder is missing, corrupt or invalid */
    CHAFF_EMISMATCH = 7,  /* the model was built for another feature set */
    CHAFF_EDB = 8,        /* database error */
    CHAFF_EBUSY = 9,      /* database locked by another process too long */
    CHAFF_EFULL = 10,     /* disk or database full */
    CHAFF_EREADONLY = 11, /* database or its folder is read-only */
    CHAFF_ESCHEMA = 12,   /* database written by a newer chaff */
    CHAFF_ETRAIN = 13     /* training impossible (e.g. a class has no examples) */
} chaff_err;

/* Size of the one-line context buffer of struct chaff_diag. */
#define CHAFF_DIAG_SIZE 512

/* Caller-owned; functions that fail write one line of context into msg. */
struct chaff_diag {
    char msg[CHAFF_DIAG_SIZE];
};

/* A static English description of err; never NULL. */
CHAFF_API const char *chaff_strerror(chaff_err err);

/* The three classes. Their numbering is stable (libsvm labels are +1). */
enum chaff_label { CHAFF_HUMAN = 0, CHAFF_LOW_EFFORT = 1, CHAFF_MACHINE = 2 };
#define CHAFF_NLABELS 3

/* "human", "low-effort" or "machine"; "?" for anything else. Static. */
CHAFF_API const char *chaff_label_name(int label);

/* The label named by s[0..len) exactly, or -1. */
CHAFF_API int chaff_label_parse(const char *s, size_t len);

/* What a moderation system should do with a comment. */
enum chaff_action { CHAFF_PASS = 0, CHAFF_REVIEW = 1, CHAFF_HOLD = 2 };

/* "pass", "review" or "hold"; "?" for anything else. Static. */
CHAFF_API const char *chaff_action_name(int action);

#define CHAFF_MAX_REASONS 4
#define CHAFF_REASON_SIZE 160

/* One comment's verdict; caller-owned, filled by chaff_score(). */
struct chaff_verdict {
    int label;                                          /* enum chaff_label: the most probable class of p */
    double p[CHAFF_NLABELS];                            /* probabilities, indexed by enum chaff_label, after the
                                                           model's human weight (meta.json thresholds.human_weight) */
    int action;                                         /* enum chaff_action, from the thresholds */
    int n_reasons;                                      /* reasons filled, 0..CHAFF_MAX_REASONS */
    char reasons[CHAFF_MAX_REASONS][CHAFF_REASON_SIZE]; /* plain words */
};

/* A loaded model: read-only after loading, shareable across threads. */
typedef struct chaff_model chaff_model;

/* Loads the model folder dir (model.svm, ranges.txt, meta.json), validating
 * every file before use. On success *out is the caller's, to free with
 * chaff_model_free(). Fails with CHAFF_EMODEL (missing or corrupt file,
 * named in diag) or CHAFF_EMISMATCH (built for another feature set).
 * Thread-safe: it never touches the process locale. */
CHAFF_API chaff_err chaff_model_load(const char *dir, chaff_model **out, struct chaff_diag *diag);

/* Frees a model; NULL is a no-op. No scorer of it may be in use. */
CHAFF_API void chaff_model_free(chaff_model *model);

/* Overrides the model's action thresholds: a comment is held when its
 * probability of not being human is at least hold_at, sent to review when
 * at least review_at. Values outside [0,1], or review_at above hold_at,
 * give CHAFF_EINVAL. Not
 * thread-safe against concurrent scoring with the same model. */
CHAFF_API chaff_err chaff_model_set_thresholds(chaff_model *model, double review_at, double hold_at);

/* Per-thread scoring state with reusable buffers. */
typedef struct chaff_scorer chaff_scorer;

/* A scorer for model; the model must outlive it. *out is the caller's, to
 * free with chaff_scorer_free(). One scorer serves one thread at a time. */
CHAFF_API chaff_err chaff_scorer_new(const chaff_model *model, chaff_scorer **out);

/* Frees a scorer; NULL is a no-op. */
CHAFF_API void chaff_scorer_free(chaff_scorer *scorer);

/* Turns reasons on (on != 0, the default) or off for the scorer's later
 * chaff_score() calls. Off, every verdict has n_reasons 0 and the same
 * label, probabilities and action: a service that acts only on the action
 * saves the reasons' pass over the model, about half of a flagged
 * comment's time. CHAFF_EINVAL for a NULL scorer. Like chaff_score(), for
 * the scorer's own thread. */
CHAFF_API chaff_err chaff_scorer_set_reasons(chaff_scorer *scorer, int on);

/* The longest comment chaff analyses, in bytes (64 MiB). */
#define CHAFF_MAX_TEXT (64u * 1024 * 1024)

/* Scores text[0..len) into *verdict. Any bytes are accepted; a text over
 * CHAFF_MAX_TEXT gives CHAFF_ETOOBIG. */
CHAFF_API chaff_err chaff_score(chaff_scorer *scorer, const char *text, size_t len, struct chaff_verdict *verdict);

/* The library's version, e.g. "0.1.0". Static. */
CHAFF_API const char *chaff_version(void);

#ifdef __cplusplus
}
#endif

#endif /* CHAFF_H */
