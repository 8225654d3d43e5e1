/* script.c: the script and obfuscation family, on the raw text. */
#include "family.h"

enum script { S_NONE, S_LATIN, S_CYRILLIC, S_GREEK, S_CJK, S_OTHER };

static enum script script_of(int32_t c)
{
    if ((c >= 0x41 && c <= 0x24F) || (c >= 0x1E00 && c <= 0x1EFF) || (c >= 0x2C60 && c <= 0x2C7F) ||
        (c >= 0xA720 && c <= 0xA7FF) || (c >= 0xFF21 && c <= 0xFF5A) || (c >= 0x1D400 && c <= 0x1D6A5))
        return S_LATIN;
    if ((c >= 0x400 && c <= 0x52F) || (c >= 0x1C80 && c <= 0x1C8F) || (c >= 0x2DE0 && c <= 0x2DFF) ||
        (c >= 0xA640 && c <= 0xA69F))
        return S_CYRILLIC;
    if ((c >= 0x370 && c <= 0x3FF) || (c >= 0x1F00 && c <= 0x1FFF))
        return S_GREEK;
    if ((c >= 0x1100 && c <= 0x11FF) || (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3130 && c <= 0x318F) ||
        (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) ||
        (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3134F))
        return S_CJK;
    return S_OTHER;
}

static int is_invisible(const int32_t *c, size_t n, size_t i)
{
    int32_t x = c[i];
    if (x == 0x200D) /* ZWJ between pictographs is part of an emoji */
        return !(i > 0 && i + 1 < n &&
                 (chaff_cp_is_pictographic(c[i - 1]) || c[i - 1] == 0xFE0F || chaff_cp_is_skin_tone(c[i - 1])) &&
                 chaff_cp_is_pictographic(c[i + 1]));
    if (x == 0xFEFF)
        return i > 0; /* a leading BOM is not hidden text */
    return x == 0x200B || x == 0x200C || (x >= 0x2060 && x <= 0x2064) || x == 0xAD || x == 0x200E || x == 0x200F ||
           (x >= 0x202A && x <= 0x202E) || (x >= 0x2066 && x <= 0x2069) || x == 0x61C || x == 0x180E;
}

static int is_fancy(int32_t x)
{
    if (x < 0x24B6)
        return 0;
    return (x >= 0xFF10 && x <= 0xFF19) || (x >= 0xFF21 && x <= 0xFF3A) || (x >= 0xFF41 && x <= 0xFF5A) ||
           (x >= 0x1D400 && x <= 0x1D7FF) || (x >= 0x24B6 && x <= 0x24E9) || (x >= 0x1F130 && x <= 0x1F169);
}

chaff_err chaff_family_script(const chaff_extractor *ex, chaff_fctx *ctx, const struct chaff_doc *d, double *f)
{
    (void)ex;
    (void)ctx;
    const int32_t *c = d->cp;
    size_t n = d->n_cp;
    size_t letters = 0, per[S_OTHER + 1] = {0};
    size_t mixed = 0, invisible = 0, fancy = 0, replaced = 0;
    size_t i = 0;
    while (i < n) {
        if (is_invisible(c, n, i))
            invisible++;
        /* fancy letters are counted in the word loop below */
        if (is_fancy(c[i]) && !chaff_cp_is_letter(c[i]))
            fancy++;
        if (c[i] == 0xFFFD)
            replaced++;
        if (!chaff_cp_is_letter(c[i])) {
            i++;
            continue;
        }
        /* a word: letters, possibly joined by invisible characters */
        int seen_latin = 0, seen_other = 0;
        while (i < n &&
               (chaff_cp_is_letter(c[i]) || (is_invisible(c, n, i) && i + 1 < n && chaff_cp_is_letter(c[i + 1])))) {
            if (chaff_cp_is_letter(c[i])) {
                enum script s = script_of(c[i]);
                per[s]++;
                letters++;
                seen_latin |= s == S_LATIN;
                seen_other |= s == S_CYRILLIC || s == S_GREEK;
                if (is_fancy(c[i]))
                    fancy++;
            } else {
                invisible++;
            }
            i++;
        }
        mixed += seen_latin && seen_other;
    }
    if (letters) {
        f[F_LATIN_SHARE] = (double)per[S_LATIN] / (double)letters;
        f[F_CYRILLIC_SHARE] = (double)per[S_CYRILLIC] / (double)letters;
        f[F_CJK_SHARE] = (double)per[S_CJK] / (double)letters;
        f[F_OTHER_SCRIPT_SHARE] = (double)(per[S_GREEK] + per[S_OTHER]) / (double)letters;
    }
    f[F_MIXED_SCRIPT_WORDS] = (double)mixed;
    f[F_INVISIBLE] = (double)invisible;
    f[F_FANCY_ALNUM] = (double)fancy;
    f[F_REPLACEMENT_CHARS] = (double)replaced;
    return CHAFF_OK;
}
