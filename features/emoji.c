/* emoji.c: the emoji family, counted on the raw text (NFKC drops ZWJ and
 * VS16). An emoji is one unit: a pictograph with its variation selector,
 * skin tone and ZWJ-joined parts, a flag (two regional indicators) or a
 * keycap. Text-presentation symbols (❤ © ™ ☺ without U+FE0F) are counted
 * apart as text_symbols. */
#include <string.h>
#include <utf8proc.h>

#include "family.h"
#include "util.h"

#define ZWJ 0x200D
#define VS16 0xFE0F
#define VS15 0xFE0E
#define KEYCAP 0x20E3

int chaff_cp_is_pictographic_table(int32_t c)
{
    return utf8proc_get_property(c)->boundclass == UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC;
}

static int is_regional(int32_t c)
{
    return c >= 0x1F1E6 && c <= 0x1F1FF;
}

/* Pictographs below U+1F000 that default to emoji presentation. */
static int bmp_emoji_default(int32_t c)
{
    static const int32_t r[][2] = {
        {0x231A, 0x231B}, {0x23E9, 0x23EC}, {0x23F0, 0x23F0}, {0x23F3, 0x23F3}, {0x25FD, 0x25FE}, {0x2614, 0x2615},
        {0x2648, 0x2653}, {0x267F, 0x267F}, {0x2693, 0x2693}, {0x26A1, 0x26A1}, {0x26AA, 0x26AB}, {0x26BD, 0x26BE},
        {0x26C4, 0x26C5}, {0x26CE, 0x26CE}, {0x26D4, 0x26D4}, {0x26EA, 0x26EA}, {0x26F2, 0x26F3}, {0x26F5, 0x26F5},
        {0x26FA, 0x26FA}, {0x26FD, 0x26FD}, {0x2705, 0x2705}, {0x270A, 0x270B}, {0x2728, 0x2728}, {0x274C, 0x274C},
        {0x274E, 0x274E}, {0x2753, 0x2755}, {0x2757, 0x2757}, {0x2795, 0x2797}, {0x27B0, 0x27B0}, {0x27BF, 0x27BF},
        {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50}, {0x2B55, 0x2B55}};
    for (size_t i = 0; i < sizeof r / sizeof *r; i++) {
        if (c >= r[i][0] && c <= r[i][1])
            return 1;
    }
    return 0;
}

/* Emoji presentation of pictograph c given what follows it. */
static int emoji_presented(int32_t c, int32_t next)
{
    if (next == VS15)
        return 0;
    if (next == VS16 || chaff_cp_is_skin_tone(next))
        return 1;
    return c >= 0x1F000 ? !(c >= 0x1F170 && c <= 0x1F189) || next == VS16 : bmp_emoji_default(c);
}

static int is_keycap_base(int32_t c)
{
    return (c >= '0' && c <= '9') || c == '#' || c == '*';
}

/* Code points of the keycap starting at c[i] (base, VS16?, U+20E3), or 0. */
static size_t keycap_len(const int32_t *c, size_t n, size_t i)
{
    if (!is_keycap_base(c[i]))
        return 0;
    if (i + 1 < n && c[i + 1] == KEYCAP)
        return 2;
    if (i + 2 < n && c[i + 1] == VS16 && c[i + 2] == KEYCAP)
        return 3;
    return 0;
}

/* ASCII emoticons, matched between spaces or the text's ends (a following
 * punctuation mark is allowed). */
static const char *const emoticons[] = {":)", ":-)", ":(", ":-(", ":D",  ":-D", ";)",  ";-)", ":P",  ":p", ":-P", ":-p",
                                        "xD", "XD",  "xd", "<3",  ":/",  ":-/", ":'(", "^^",  "^_^", ":o", ":O",  ":3",
                                        "=)", "=(",  ":|", "-_-", "o_O", "O_o", ":*",  ";D",  "8)",  NULL};

/* The first characters of emoticons[] (keep in step). */
static const char emoticon_starts[] = ":;xX<^=-oO8";

static size_t count_emoticons(const int32_t *c, size_t n)
{
    size_t count = 0;
    size_t i = 0;
    while (i < n) {
        if ((i > 0 && !chaff_cp_is_space(c[i - 1])) || c[i] <= 0 || c[i] >= 0x80 ||
            !strchr(emoticon_starts, (int)c[i])) {
            i++;
            continue;
        }
        size_t best = 0;
        for (int k = 0; emoticons[k]; k++) {
            if (c[i] != (unsigned char)emoticons[k][0])
                continue;
            size_t m = strlen(emoticons[k]);
            if (i + m > n)
                continue;
            size_t j = 0;
            while (j < m && c[i + j] == (unsigned char)emoticons[k][j])
                j++;
            if (j < m)
                continue;
            int32_t after = i + m < n ? c[i + m] : ' ';
            if (chaff_cp_is_space(after) || after == '.' || after == ',' || after == '!' || after == '?' ||
                (after == ')' && emoticons[k][m - 1] == ')') || (after == '(' && emoticons[k][m - 1] == '('))
                best = m > best ? m : best;
        }
        if (best) {
            count++;
            i += best;
            while (i < n && (c[i] == ')' || c[i] == '('))
                i++;
        } else {
            i++;
        }
    }
    return count;
}

chaff_err chaff_family_emoji(const chaff_extractor *ex, chaff_fctx *ctx, const struct chaff_doc *d, double *f)
{
    (void)ex;
    const int32_t *c = d->cp;
    size_t n = d->n_cp;
    if (d->max_cp < 0xA9) {
        /* below (c) nothing is pictographic, a regional indicator or a
         * keycap mark: no emoji, only emoticons */
        for (int k = F_EMOJI; k <= F_TEXT_SYMBOLS; k++)
            f[k] = 0;
        f[F_EMOTICONS] = (double)count_emoticons(c, n);
        return CHAFF_OK;
    }
    size_t units = 0, zwj = 0, skin = 0, flags = 0, keycaps = 0, symbols = 0, trailing = 0;
    size_t run = 0, run_max = 0, distinct = 0;
    uint64_t prev_key = 0;
    size_t prev_end = 0;
    int have_prev = 0;
    size_t last_alnum = 0; /* 1 + index of the last letter or digit */
    int any_alnum = 0;
    for (size_t i = 0; i < n; i++) {
        /* a keycap's digit belongs to the emoji, not to the text */
        if ((chaff_cp_is_letter(c[i]) || chaff_cp_is_digit(c[i])) && !keycap_len(c, n, i)) {
            last_alnum = i + 1;
            any_alnum = 1;
        }
    }
    chaff_err err = chaff_hmap_reset(&ctx->map, n);
    if (err)
        return err;
    size_t i = 0;
    while (i < n) {
        size_t start = i, end;
        uint64_t key;
        if (is_regional(c[i]) && i + 1 < n && is_regional(c[i + 1])) {
            end = i + 2;
            flags++;
        } else if (keycap_len(c, n, i)) {
            end = i + keycap_len(c, n, i);
            keycaps++;
        } else if (chaff_cp_is_pictographic(c[i])) {
            int32_t next = i + 1 < n ? c[i + 1] : 0;
            if (!emoji_presented(c[i], next)) {
                symbols++;
                i += next == VS15 ? 2 : 1;
                continue;
            }
            end = i + 1;
            int joined = 0, toned = 0;
            for (;;) {
                while (end < n && (c[end] == VS16 || chaff_cp_is_skin_tone(c[end]))) {
                    toned |= chaff_cp_is_skin_tone(c[end]);
                    end++;
                }
                if (end + 1 < n && c[end] == ZWJ && chaff_cp_is_pictographic(c[end + 1])) {
                    joined = 1;
                    end += 2;
                    continue;
                }
                break;
            }
            zwj += joined;
            skin += toned;
        } else {
            i++;
            continue;
        }
        /* a unit's identity ignores VS16 and skin tones */
        key = 0xcbf29ce484222325ULL;
        for (size_t k = start; k < end; k++) {
            if (c[k] != VS16 && !chaff_cp_is_skin_tone(c[k]))
                key = chaff_fnv1a_more(key, &c[k], sizeof c[k]);
        }
        units++;
        if (chaff_hmap_add(&ctx->map, key) == 1)
            distinct++;
        if (start >= last_alnum)
            trailing++;
        int adjacent = have_prev;
        for (size_t k = prev_end; adjacent && k < start; k++) {
            if (!chaff_cp_is_space(c[k]))
                adjacent = 0;
        }
        run = adjacent && key == prev_key ? run + 1 : 1;
        if (run > run_max)
            run_max = run;
        prev_key = key;
        prev_end = end;
        have_prev = 1;
        i = end;
    }
    f[F_EMOJI] = (double)units;
    f[F_EMOJI_DISTINCT] = (double)distinct;
    f[F_EMOJI_DENSITY] = units ? (double)units / (double)(units + d->n_words) : 0;
    f[F_EMOJI_TRAILING] = any_alnum ? (double)trailing : 0;
    f[F_EMOJI_ONLY] = units > 0 && !any_alnum;
    f[F_EMOJI_RUN_MAX] = (double)run_max;
    f[F_EMOJI_ZWJ] = (double)zwj;
    f[F_EMOJI_SKIN] = (double)skin;
    f[F_EMOJI_FLAGS] = (double)flags;
    f[F_EMOJI_KEYCAPS] = (double)keycaps;
    f[F_TEXT_SYMBOLS] = (double)symbols;
    f[F_EMOTICONS] = (double)count_emoticons(c, n);
    return CHAFF_OK;
}
