/* length.c: the length family (sizes and sentence-length burstiness). */
#include <math.h>
#include <utf8proc.h>

#include "family.h"

/* utf8proc's grapheme boundary class of an ASCII character. */
static utf8proc_int32_t ascii_boundclass(int32_t c)
{
    if (c == '\r')
        return UTF8PROC_BOUNDCLASS_CR;
    if (c == '\n')
        return UTF8PROC_BOUNDCLASS_LF;
    if (c < 0x20 || c == 0x7F)
        return UTF8PROC_BOUNDCLASS_CONTROL;
    return UTF8PROC_BOUNDCLASS_OTHER;
}

chaff_err chaff_family_length(const chaff_extractor *ex, chaff_fctx *ctx, const struct chaff_doc *d, double *f)
{
    (void)ex;
    (void)ctx;
    f[F_BYTES] = (double)d->raw_len;
    f[F_CODEPOINTS] = (double)d->n_cp;
    size_t graphemes = 0;
    utf8proc_int32_t state = 0;
    for (size_t i = 0; i < d->n_cp; i++) {
        /* Between two ASCII characters utf8proc breaks unless they are
         * CR LF, and leaves the second one's class as the state: checked
         * for every first code point, every state and every ASCII second
         * one. The state is only read by later calls. */
        if (i > 0 && d->cp[i] < 0x80 && d->cp[i - 1] < 0x80) {
            graphemes += !(d->cp[i - 1] == '\r' && d->cp[i] == '\n');
            state = ascii_boundclass(d->cp[i]);
            continue;
        }
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
