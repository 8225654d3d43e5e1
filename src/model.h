/* model.h: the model folder (libsvm model, scaling ranges, metadata),
 * validated before use, and prediction. The libsvm header is included by
 * model.c and train.c only. */
#ifndef CHAFF_MODEL_H
#define CHAFF_MODEL_H

#include "chaff.h"
#include "chaff_features.h"

#define CHAFF_MODEL_FILE "model.svm"
#define CHAFF_RANGES_FILE "ranges.txt"
#define CHAFF_META_FILE "meta.json"

/* Largest model file accepted (bytes) and most support vectors. */
#define CHAFF_MODEL_MAX_BYTES (512L * 1024 * 1024)
#define CHAFF_MODEL_MAX_SV 2000000

/* Default action thresholds when the metadata has none. */
#define CHAFF_DEFAULT_REVIEW_AT 0.5
#define CHAFF_DEFAULT_HOLD_AT 0.85

/* The extractor the model was loaded with (shared, read-only). */
const chaff_extractor *chaff_model_extractor(const chaff_model *m);

/* Scales raw features (transform, then the model's ranges, clipped to
 * [-1.5, 1.5]) into scaled[CHAFF_NFEATURES]. */
void chaff_model_scale(const chaff_model *m, const double *raw, double *scaled);

/* Scales one raw feature value as chaff_model_scale does. */
double chaff_model_scale_one(const chaff_model *m, int i, double raw);

/* Class probabilities (indexed by enum chaff_label) for scaled features.
 * Allocates nothing. */
void chaff_model_predict_scaled(const chaff_model *m, const double *scaled, double p[CHAFF_NLABELS]);

/* The number of distinct support vectors the predictor evaluates:
 * identical SVs (repeated training rows) are kept once. */
size_t chaff_model_distinct_svs(const chaff_model *m);

/* Doubles of work space that chaff_model_predict_ev can fill for
 * chaff_model_group_evidence (one per support vector, rounded up). */
size_t chaff_model_work_size(const chaff_model *m);

/* As chaff_model_predict_scaled; ev (may be NULL) also gets each class's
 * evidence: the sum of the unclamped pairwise Platt log-odds, which still
 * moves where probabilities saturate. work (may be NULL, else
 * chaff_model_work_size doubles) gets what chaff_model_group_evidence
 * needs. Allocates nothing. */
void chaff_model_predict_ev(const chaff_model *m, const double *scaled, double p[CHAFF_NLABELS], double *ev,
                            double *work);

/* Given base, the ev, and work, the work array of chaff_model_predict_ev
 * on scaled: ev[g] is each class's evidence with the features of reason
 * group g (verdict.h) set to their typical human values
 * (chaff_model_human_typical), for every group with want[g] set (want
 * NULL: all), in one more pass over the support vectors that reads only
 * the features that change (to about 1e-6: reasons only rank groups, so
 * their kernel values are single precision); the other groups get base. */
void chaff_model_group_evidence(const chaff_model *m, const double *scaled, const double base[CHAFF_NLABELS],
                                const int *want, const double *work, double ev[][CHAFF_NLABELS]);

/* The same probabilities through libsvm's svm_predict_probability (for
 * tests: the dense path must agree with it). */
void chaff_model_predict_libsvm(const chaff_model *m, const double *scaled, double p[CHAFF_NLABELS]);

/* A short description for the runs table: "DIR (feature set V/HASH, N SV)". */
const char *chaff_model_describe(const chaff_model *m);

/* Thresholds in force. */
void chaff_model_thresholds(const chaff_model *m, double *review_at, double *hold_at);

/* The model's human weight (meta.json "thresholds": "human_weight",
 * default 1): verdicts multiply P(human) by it and renormalise (a prior
 * shift towards human, see chaff_verdict_decide). */
double chaff_model_human_weight(const chaff_model *m);

/* Typical (median) raw value of feature i among human training comments. */
double chaff_model_human_typical(const chaff_model *m, int i);

/* Checks a libsvm model file the way chaff will use it: header keys in
 * libsvm's order, counts consistent, every SV line well-formed with
 * feature indices increasing within 1..n_features, finite numbers.
 * CHAFF_EMODEL with "FILE:LINE: problem" in diag. */
chaff_err chaff_model_validate_file(const char *path, int n_features, struct chaff_diag *diag);

#endif
