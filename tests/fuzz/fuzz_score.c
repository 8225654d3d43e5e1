/* fuzz_score.c: any bytes scored with the small valid model of
 * fixtures/bad-models/valid: features, prediction, verdict and reasons. */
#include <math.h>
#include <stdlib.h>

#include "chaff.h"
#include "fuzz.h"

#ifndef CHAFF_SOURCE_DIR
#define CHAFF_SOURCE_DIR "."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static chaff_model *m;
    static chaff_scorer *s;
    if (!m) {
        struct chaff_diag d;
        if (chaff_model_load(CHAFF_SOURCE_DIR "/fixtures/bad-models/valid", &m, &d) || chaff_scorer_new(m, &s))
            abort();
    }
    struct chaff_verdict v;
    if (chaff_score(s, (const char *)data, size, &v) != CHAFF_OK)
        return 0;
    double sum = 0;
    for (int k = 0; k < CHAFF_NLABELS; k++) {
        if (!(v.p[k] >= 0 && v.p[k] <= 1))
            abort();
        sum += v.p[k];
    }
    if (fabs(sum - 1) > 1e-6 || v.n_reasons < 0 || v.n_reasons > CHAFF_MAX_REASONS)
        abort();
    return 0;
}
