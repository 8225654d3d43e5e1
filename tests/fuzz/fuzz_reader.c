/* fuzz_reader.c: any bytes as a dump in each format (and sniffed), read to
 * the end with small record limits. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"
#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/chaff-fuzz-reader-%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    for (int format = CHAFF_FMT_AUTO; format <= CHAFF_FMT_TEXT; format++) {
        struct chaff_reader_opts o = {.format = format, .max_bytes = 256};
        chaff_reader *r = NULL;
        struct chaff_diag d;
        if (chaff_reader_open(path, &o, &r, &d) != CHAFF_OK)
            continue;
        for (int i = 0; i < 100000; i++) {
            const struct chaff_record *rec = NULL;
            chaff_err err = chaff_reader_next(r, &rec, &d);
            if (err == CHAFF_EBADREC || err == CHAFF_ETOOBIG)
                continue;
            if (err || !rec)
                break;
            /* touch every byte the record promises */
            volatile unsigned char sink = 0;
            for (size_t k = 0; k < rec->text_len; k++)
                sink ^= (unsigned char)rec->text[k];
            (void)sink;
        }
        chaff_reader_close(r);
    }
    unlink(path);
    return 0;
}
