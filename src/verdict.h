/* verdict.h: label, action and plain-word reasons from probabilities. */
#ifndef CHAFF_VERDICT_H
#define CHAFF_VERDICT_H

#include "chaff.h"
#include "chaff_features.h"

/* The reason groups (emoji, LLM-style wording, promotion, ..., learned
 * n-gram wording) and the group of feature i, or -1 for a feature in
 * none. */
#define CHAFF_REASON_GROUPS 12
int chaff_reason_group(int feature);

/* Fills action (from the thresholds on 1 - p[human]) and label of v from
 * v->p: human when the action is pass, else the likelier of low-effort
 * and machine, so that every flagged comment says what it is suspected of
 * and a model's review_at above 0.5 leans towards human (a wrongly flagged
 * person costs more than a missed bot). */
void chaff_verdict_decide(struct chaff_verdict *v, double review_at, double hold_at);

/* Fills v->reasons for a non-human verdict. Method: the features fall in
 * groups (emoji, LLM-style wording, promotion, praise, polish, length,
 * vocabulary, person, repetition, shouting, script, learned wording); each group in turn is
 * set to the value typical of human training comments and the comment is
 * scored again; the groups whose replacement lowers the probability of the
 * verdict's class most (in its evidence, the sum of its pairwise Platt
 * log-odds, by at least 0.2) are named, largest
 * first, each with the numbers behind it; groups with nothing concrete to
 * say (no emoji, no phrases) are passed over. Human verdicts get no reasons. */
void chaff_verdict_explain(const chaff_model *m, const chaff_fctx *ctx, const double *raw, const double *scaled,
                           const double *ev, const double *work, struct chaff_verdict *v);
/* raw and scaled: the comment's features; ev and work: from
 * chaff_model_predict_ev on scaled. */

#endif
