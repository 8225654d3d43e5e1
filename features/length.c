/* length.c: the length family (sizes and sentence-length burstiness). */
#include <math.h>
#include <utf8proc.h>

#include "family.h"

chaff_err chaff_family_length(const chaff_extractor *ex, chaff_fctx *ctx, const struct chaff_doc *d, double *f)
{
    (void)ex;
    (void)ctx;
    f[F_BYTES] = (double)d->raw_len;
    f[F_CODEPOINTS] = (double)d->n_cp;
    size_t graphemes = 0;
    utf8proc_int32_t state = 0;
    for (size_t i = 0; i < d->n_cp; i++) {
        if (i == 0 || utf8proc_grapheme_break_stateful(d->cp[i - 1], d->cp[i], &state))
            graphemes++;
    }
    f[F_GRAPHEMES] = (double)graphemes;
    f[F_WORDS] = (double)d->n_words;
    f[F_SENTENCES] = (double)d->n_sentences;
    f[F_PARAGRAPHS] = (double)d->n_lines;
    if (d->n_sentences) {
        double sum = 0, sq = 0;
        for (size_t i = 0; i < d->n_sentences; i++)
            sum += d->sent_words[i];
        double mean = sum / (double)d->n_sentences;
        for (size_t i = 0; i < d->n_sentences; i++)
            sq += (d->sent_words[i] - mean) * (d->sent_words[i] - mean);
        f[F_SENT_LEN_MEAN] = mean;
        f[F_SENT_LEN_SD] = sqrt(sq / (double)d->n_sentences);
    }
    if (d->n_words) {
        double sum = 0;
        uint32_t max = 0;
        for (size_t i = 0; i < d->n_words; i++) {
            sum += d->words[i].ncp;
            if (d->words[i].ncp > max)
                max = d->words[i].ncp;
        }
        f[F_WORD_LEN_MEAN] = sum / (double)d->n_words;
        f[F_WORD_LEN_MAX] = max;
    }
    return CHAFF_OK;
}
