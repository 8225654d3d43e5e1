/* fuzz_model.c: any bytes as a libsvm model file, through chaff's
 * validating parser (libsvm's own loader is never given a file). */
#include <stdio.h>
#include <unistd.h>

#include "chaff_features.h"
#include "fuzz.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/chaff-fuzz-model-%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    struct chaff_diag d;
    chaff_model_validate_file(path, CHAFF_NFEATURES, &d);
    unlink(path);
    return 0;
}
