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

/* Reweights v->p by the model's human weight w (P(human) times w, then
 * all three renormalised to sum to 1: a prior shift, since a comment
 * section holds more people than the training mix does, and a wrongly
 * flagged person costs more than a missed bot), then fills the label, the
 * most probable class of the reweighted p (ties: human, then low-effort),
 * and the action, from the thresholds on 1 - p[human]. With w 1.5 and
 * review_at 0.5 a comment is flagged when its unweighted P(not human) is
 * at least 0.6 (up to rounding). */
void chaff_verdict_decide(struct chaff_verdict *v, double human_weight, double review_at, double hold_at);

/* Fills v->reasons for a non-human verdict. Method: the features fall in
 * groups (emoji, LLM-style wording, promotion, praise, polish, length,
 * vocabulary, person, repetition, shouting, script, learned wording); each group in turn is
 * set to the value typical of human training comments and the comment is
 * scored again; the groups whose replacement lowers the probability of the
 * verdict's class most (in its evidence, the sum of its pairwise Platt
 * log-odds, by at least 0.2) are named, largest
 * first, each with the numbers behind it; groups with nothing concrete to
 * say (no emoji, no phrases) are passed over. When no group qualifies, the
 * one reason says that no single feature stands out. The class explained is the
 * label, or for a comment labelled human but flagged (its weighted human
 * share is the largest but below 1 - review_at) the likelier of the other
 * two; a human verdict that passes gets no reasons. */
void chaff_verdict_explain(const chaff_model *m, const chaff_fctx *ctx, const double *raw, const double *scaled,
                           const double *ev, const double *work, struct chaff_verdict *v);
/* raw and scaled: the comment's features; ev and work: from
 * chaff_model_predict_ev on scaled. */

#endif
