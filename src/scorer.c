/* scorer.c: the public scoring API: features -> model -> verdict. */
#include <stdlib.h>
#include <string.h>

#include "chaff.h"
#include "chaff_features.h"
#include "model.h"
#include "scorer.h"
#include "util.h"
#include "verdict.h"

struct chaff_scorer {
    const chaff_model *model;
    chaff_fctx *ctx;
    double raw[CHAFF_NFEATURES];
    double scaled[CHAFF_NFEATURES];
    double ev[CHAFF_NLABELS];
    double *work;   /* chaff_model_work_size(model) doubles, for the reasons */
    int no_reasons; /* chaff_scorer_set_reasons(s, 0) */
};

chaff_err chaff_scorer_new(const chaff_model *model, chaff_scorer **out)
{
    if (!model || !out)
        return CHAFF_EINVAL;
    *out = NULL;
    chaff_scorer *s = calloc(1, sizeof *s);
    if (!s)
        return CHAFF_ENOMEM;
    s->model = model;
    s->work = chaff_calloc(chaff_model_work_size(model), sizeof *s->work);
    chaff_err err = s->work ? chaff_fctx_new(&s->ctx) : CHAFF_ENOMEM;
    if (err) {
        free(s->work);
        free(s);
        return err;
    }
    *out = s;
    return CHAFF_OK;
}

void chaff_scorer_free(chaff_scorer *s)
{
    if (!s)
        return;
    chaff_fctx_free(s->ctx);
    free(s->work);
    free(s);
}

chaff_err chaff_scorer_set_reasons(chaff_scorer *s, int on)
{
    if (!s)
        return CHAFF_EINVAL;
    s->no_reasons = !on;
    return CHAFF_OK;
}

chaff_err chaff_score(chaff_scorer *s, const char *text, size_t len, struct chaff_verdict *v)
{
    if (!s || !v || (!text && len))
        return CHAFF_EINVAL;
    memset(v, 0, sizeof *v);
    chaff_err err = chaff_extract(chaff_model_extractor(s->model), s->ctx, text, len, s->raw);
    if (err)
        return err;
    chaff_model_scale(s->model, s->raw, s->scaled);
    chaff_model_predict_ev(s->model, s->scaled, v->p, s->ev, s->no_reasons ? NULL : s->work);
    double review_at, hold_at;
    chaff_model_thresholds(s->model, &review_at, &hold_at);
    chaff_verdict_decide(v, chaff_model_human_weight(s->model), review_at, hold_at);
    if (!s->no_reasons)
        chaff_verdict_explain(s->model, s->ctx, s->raw, s->scaled, s->ev, s->work, v);
    return CHAFF_OK;
}

const char *chaff_scorer_norm(const chaff_scorer *s, size_t *len)
{
    return chaff_fctx_norm(s->ctx, len);
}
