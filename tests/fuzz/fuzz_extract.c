/* fuzz_extract.c: any bytes through the normaliser and the extractor; every
 * feature must come out finite. */
#include <math.h>
#include <stdlib.h>

#include "chaff_features.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static chaff_extractor *ex;
    static chaff_fctx *ctx;
    if (!ex && (chaff_extractor_new(&ex, NULL) || chaff_fctx_new(&ctx)))
        abort();
    double f[CHAFF_NFEATURES];
    if (chaff_extract(ex, ctx, (const char *)data, size, f) != CHAFF_OK)
        return 0;
    for (int i = 0; i < CHAFF_NFEATURES; i++) {
        if (!isfinite(f[i]))
            abort();
    }
    return 0;
}
