/* verdict.c: decisions and reasons. */
#include "verdict.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

/* Least drop in log-odds for a group to be named. */
#define REASON_MIN_DROP 0.2

void chaff_verdict_decide(struct chaff_verdict *v, double human_weight, double review_at, double hold_at)
{
    if (human_weight != 1) {
        double h = human_weight * v->p[CHAFF_HUMAN], z = h + v->p[CHAFF_LOW_EFFORT] + v->p[CHAFF_MACHINE];
        if (z > 0) {
            v->p[CHAFF_HUMAN] = h / z;
            v->p[CHAFF_LOW_EFFORT] /= z;
            v->p[CHAFF_MACHINE] /= z;
        }
    }
    double flag = 1.0 - v->p[CHAFF_HUMAN];
    v->action = flag >= hold_at ? CHAFF_HOLD : flag >= review_at ? CHAFF_REVIEW : CHAFF_PASS;
    v->label = CHAFF_HUMAN;
    for (int c = CHAFF_HUMAN + 1; c < CHAFF_NLABELS; c++) {
        if (v->p[c] > v->p[v->label])
            v->label = c;
    }
}

enum group {
    G_EMOJI,
    G_LLM,
    G_PROMO,
    G_PRAISE,
    G_POLISH,
    G_LENGTH,
    G_VOCAB,
    G_PERSON,
    G_REPEAT,
    G_SHOUT,
    G_SCRIPT,
    G_WORDING,
    NGROUPS
};

_Static_assert(NGROUPS == CHAFF_REASON_GROUPS, "verdict.h counts the groups");

static const int group_features[NGROUPS][16] = {
    [G_EMOJI] = {F_EMOJI, F_EMOJI_DISTINCT, F_EMOJI_DENSITY, F_EMOJI_TRAILING, F_EMOJI_ONLY, F_EMOJI_RUN_MAX,
                 F_EMOJI_ZWJ, F_EMOJI_SKIN, F_EMOJI_FLAGS, F_EMOJI_KEYCAPS, F_TEXT_SYMBOLS, F_EMOTICONS, -1},
    [G_LLM] = {F_LLM_VOCAB, F_HEDGES, F_TEMPLATES, -1},
    [G_PROMO] = {F_PROMO, F_URLS, F_EMAILS, F_PHONES, F_MONEY, F_MENTIONS, F_HASHTAGS, -1},
    [G_PRAISE] = {F_PRAISE, -1},
    [G_POLISH] = {F_SENT_CAPS, F_ENDS_TERMINAL, F_COMMAS, F_SEMICOLONS, F_COLONS, F_EM_DASHES, F_EN_DASHES,
                  F_CURLY_QUOTES, F_STRAIGHT_QUOTES, F_PARENS, F_ELLIPSES, -1},
    [G_LENGTH] = {F_BYTES, F_CODEPOINTS, F_GRAPHEMES, F_WORDS, F_SENTENCES, F_PARAGRAPHS, F_SENT_LEN_MEAN,
                  F_SENT_LEN_SD, -1},
    [G_VOCAB] = {F_TTR, F_MATTR, F_HAPAX, F_FUNCTION_WORDS, F_WORD_LEN_MEAN, F_WORD_LEN_MAX, F_FLESCH, F_ARI, -1},
    [G_PERSON] = {F_FIRST_PERSON, F_SECOND_PERSON, F_CONTRACTIONS, -1},
    [G_REPEAT] = {F_CHAR_RUN_MAX, F_CHAR_RUNS3, F_WORD_REPEATS, F_BIGRAM_REPEATS, F_TRIGRAM_REPEATS, F_COMPRESSION,
                  F_TRIGRAM_ENTROPY, F_DUP_LINES, -1},
    [G_SHOUT] = {F_UPPER_SHARE, F_ALLCAPS_WORDS, F_EXCLAMATIONS, F_QUESTIONS, F_DIGIT_SHARE, -1},
    [G_SCRIPT] = {F_LATIN_SHARE, F_CYRILLIC_SHARE, F_CJK_SHARE, F_OTHER_SCRIPT_SHARE, F_MIXED_SCRIPT_WORDS, F_INVISIBLE,
                  F_FANCY_ALNUM, F_REPLACEMENT_CHARS, -1},
    [G_WORDING] = {F_NB_WORD_HUMAN, F_NB_WORD_LOW, F_NB_WORD_MACHINE, F_NB_CHAR_HUMAN, F_NB_CHAR_LOW, F_NB_CHAR_MACHINE,
                   -1},
};

static double words_of(const double *f)
{
    return f[F_WORDS] > 0 ? f[F_WORDS] : 1;
}

static const char *plural(double n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* How reasons name a flagged class: "... typical of %s comments". */
static const char *class_words(int label)
{
    return label == CHAFF_MACHINE ? "machine-written" : "spam and low-effort";
}

/* The wording reason's example for a comment labelled label: the first
 * phrase of the comment that the class's lexicons matched (NULL if none),
 * and the group that names that lexicon's matches in its own reason. */
static const char *wording_example(int label, const chaff_fctx *ctx, int *group)
{
    static const struct {
        int lex, group;
    } by[2][3] = {{{LEX_PROMO, G_PROMO}, {LEX_PRAISE, G_PRAISE}, {-1, -1}},
                  {{LEX_HEDGES, G_LLM}, {LEX_LLM_VOCAB, G_LLM}, {LEX_TEMPLATE_OPENERS, G_LLM}}};
    const char *first = NULL;
    for (int k = 0; k < 3; k++) {
        const int lex = by[label == CHAFF_MACHINE][k].lex;
        if (lex < 0)
            break;
        if (chaff_fctx_matches(ctx, lex, &first) && first) {
            *group = by[label == CHAFF_MACHINE][k].group;
            return first;
        }
    }
    *group = -1;
    return NULL;
}

/* The reason text of group g for raw features f of a comment labelled
 * label. */
static int describe(int g, int label, const chaff_fctx *ctx, const double *f, char *out, size_t size)
{
    const char *first;
    double w = words_of(f);
    out[0] = '\0';
    switch (g) {
    case G_EMOJI:
        if (f[F_EMOJI_ONLY] > 0)
            snprintf(out, size, "emoji only (%.0f %s)", f[F_EMOJI], plural(f[F_EMOJI], "emoji", "emoji"));
        else if (f[F_EMOJI] > 0)
            snprintf(out, size, "%.0f emoji, %.0f at the end", f[F_EMOJI], f[F_EMOJI_TRAILING]);
        else if (f[F_EMOTICONS] > 0 || f[F_TEXT_SYMBOLS] > 0)
            snprintf(out, size, "%.0f emoticons or text symbols", f[F_EMOTICONS] + f[F_TEXT_SYMBOLS]);
        else
            return 0;
        break;
    case G_LLM: {
        size_t nv = chaff_fctx_matches(ctx, LEX_LLM_VOCAB, &first);
        const char *hedge;
        size_t nh = chaff_fctx_matches(ctx, LEX_HEDGES, &hedge);
        if (nh && nv)
            snprintf(out, size, "LLM-style wording: %zu %s ('%s'), %zu favoured %s ('%s')", nh,
                     nh == 1 ? "phrase" : "phrases", hedge, nv, nv == 1 ? "word" : "words", first);
        else if (nh)
            snprintf(out, size, "%zu LLM-style %s ('%s')", nh, nh == 1 ? "phrase" : "phrases", hedge);
        else if (nv)
            snprintf(out, size, "%zu LLM-favoured %s ('%s')", nv, nv == 1 ? "word" : "words", first);
        else if (f[F_TEMPLATES] > 0)
            snprintf(out, size, "%.0f rhetorical %s (lists of three, 'not just X but Y')", f[F_TEMPLATES],
                     plural(f[F_TEMPLATES], "template", "templates"));
        else
            return 0;
        if (f[F_TEMPLATES] > 0 && (nh || nv)) {
            size_t len = strlen(out);
            snprintf(out + len, size - len, ", %.0f rhetorical %s", f[F_TEMPLATES],
                     plural(f[F_TEMPLATES], "template", "templates"));
        }
        break;
    }
    case G_PROMO: {
        size_t np = chaff_fctx_matches(ctx, LEX_PROMO, &first);
        size_t len = 0;
        if (np)
            len += (size_t)snprintf(out, size, "%zu promotional %s ('%s')", np, np == 1 ? "phrase" : "phrases", first);
        struct {
            int f;
            const char *one, *many;
        } items[] = {{F_URLS, "link", "links"},
                     {F_PHONES, "phone number", "phone numbers"},
                     {F_EMAILS, "e-mail address", "e-mail addresses"},
                     {F_MONEY, "money amount", "money amounts"},
                     {F_MENTIONS, "@mention", "@mentions"},
                     {F_HASHTAGS, "hashtag", "hashtags"}};
        for (size_t i = 0; i < sizeof items / sizeof *items && len < size; i++) {
            if (f[items[i].f] > 0)
                len += (size_t)snprintf(out + len, size - len, "%s%.0f %s", len ? ", " : "", f[items[i].f],
                                        plural(f[items[i].f], items[i].one, items[i].many));
        }
        if (!out[0])
            return 0;
        break;
    }
    case G_PRAISE: {
        size_t n = chaff_fctx_matches(ctx, LEX_PRAISE, &first);
        if (n)
            snprintf(out, size, "generic praise or bait ('%s')", first);
        else
            return 0;
        break;
    }
    case G_POLISH: {
        if (f[F_WORDS] < 3)
            return 0;
        size_t len = (size_t)snprintf(out, size, "%s",
                                      f[F_SENT_CAPS] >= 1   ? "every sentence capitalised"
                                      : f[F_SENT_CAPS] <= 0 ? "no capital letters at sentence starts"
                                                            : "some sentences capitalised");
        if (len < size)
            len += (size_t)snprintf(out + len, size - len, ", %s",
                                    f[F_ENDS_TERMINAL] > 0 ? "closing punctuation" : "no closing punctuation");
        double commas = round(f[F_COMMAS] * w);
        if (commas > 0 && len < size)
            len += (size_t)snprintf(out + len, size - len, ", %.0f %s", commas, plural(commas, "comma", "commas"));
        if (f[F_EM_DASHES] > 0 && len < size)
            len += (size_t)snprintf(out + len, size - len, ", em dashes");
        if (f[F_SEMICOLONS] > 0 && len < size)
            snprintf(out + len, size - len, ", semicolons");
        break;
    }
    case G_LENGTH:
        if (f[F_WORDS] < 1)
            return 0;
        if (f[F_SENTENCES] < 2) {
            snprintf(out, size, "%.0f %s", f[F_WORDS], plural(f[F_WORDS], "word", "words"));
            break;
        }
        snprintf(out, size, "%.0f %s in %.0f %s (mean %.1f words, spread %.1f)", f[F_WORDS],
                 plural(f[F_WORDS], "word", "words"), f[F_SENTENCES], plural(f[F_SENTENCES], "sentence", "sentences"),
                 f[F_SENT_LEN_MEAN], f[F_SENT_LEN_SD]);
        break;
    case G_VOCAB:
        if (f[F_WORDS] < 5)
            return 0;
        snprintf(out, size, "vocabulary: mean word length %.1f, %.0f%% distinct words, reading ease %.0f",
                 f[F_WORD_LEN_MEAN], f[F_TTR] * 100, f[F_FLESCH]);
        break;
    case G_PERSON:
        if (f[F_WORDS] < 3)
            return 0;
        {
            double c = round(f[F_CONTRACTIONS] * w);
            snprintf(out, size, "%.0f first-person, %.0f second-person words, %.0f %s", round(f[F_FIRST_PERSON] * w),
                     round(f[F_SECOND_PERSON] * w), c, plural(c, "contraction", "contractions"));
        }
        break;
    case G_REPEAT:
        if (f[F_CHAR_RUNS3] > 0)
            snprintf(out, size, "repeated characters (a run of %.0f)", f[F_CHAR_RUN_MAX]);
        else if (f[F_WORD_REPEATS] > 0 || f[F_DUP_LINES] > 0)
            snprintf(out, size, "repeated words or lines (%.0f, %.0f)", f[F_WORD_REPEATS], f[F_DUP_LINES]);
        else if (f[F_BIGRAM_REPEATS] > 0)
            snprintf(out, size, "%.0f%% of word pairs repeat", f[F_BIGRAM_REPEATS] * 100);
        else
            return 0;
        break;
    case G_SHOUT:
        if (f[F_UPPER_SHARE] < 0.3 && f[F_EXCLAMATIONS] <= 0 && f[F_QUESTIONS] <= 0)
            return 0;
        snprintf(out, size, "%.0f%% capitals, %.0f '!', %.0f '?'", f[F_UPPER_SHARE] * 100, round(f[F_EXCLAMATIONS] * w),
                 round(f[F_QUESTIONS] * w));
        break;
    case G_WORDING: {
        /* the learned n-gram features: name the class, and a phrase of the
         * comment from the matching lexicons as an example */
        int from;
        first = wording_example(label, ctx, &from);
        int n = snprintf(out, size, "wording typical of %s comments", class_words(label));
        if (first && n > 0 && (size_t)n < size)
            snprintf(out + n, size - (size_t)n, " ('%s')", first);
        break;
    }
    case G_SCRIPT:
        if (f[F_MIXED_SCRIPT_WORDS] > 0 || f[F_INVISIBLE] > 0 || f[F_FANCY_ALNUM] > 0)
            snprintf(out, size,
                     "disguised text: %.0f mixed-script words, %.0f invisible characters, %.0f styled letters",
                     f[F_MIXED_SCRIPT_WORDS], f[F_INVISIBLE], f[F_FANCY_ALNUM]);
        else
            return 0;
        break;
    }
    return out[0] != '\0';
}

int chaff_reason_group(int feature)
{
    for (int g = 0; g < NGROUPS; g++) {
        for (int k = 0; k < 16 && group_features[g][k] >= 0; k++) {
            if (group_features[g][k] == feature)
                return g;
        }
    }
    return -1;
}

void chaff_verdict_explain(const chaff_model *m, const chaff_fctx *ctx, const double *raw, const double *scaled,
                           const double *ev, const double *work, struct chaff_verdict *v)
{
    v->n_reasons = 0;
    int label = v->label;
    if (label == CHAFF_HUMAN) {
        if (v->action == CHAFF_PASS)
            return;
        label = v->p[CHAFF_MACHINE] > v->p[CHAFF_LOW_EFFORT] ? CHAFF_MACHINE : CHAFF_LOW_EFFORT;
    }
    /* drops are measured in the class's evidence (summed pairwise log-odds),
     * so that a confident verdict, whose probability has saturated, still
     * ranks its groups */
    double base = ev[label];
    /* a group with nothing to say about this comment cannot be a reason:
     * its words first, and the model re-scores only the groups that have
     * them (the costly part: one pass over the SVs per group) */
    char text[NGROUPS][CHAFF_REASON_SIZE];
    int can[NGROUPS];
    for (int g = 0; g < NGROUPS; g++)
        can[g] = describe(g, label, ctx, raw, text[g], sizeof text[g]);
    double e[NGROUPS][CHAFF_NLABELS], drop[NGROUPS];
    chaff_model_group_evidence(m, scaled, ev, can, work, e);
    for (int g = 0; g < NGROUPS; g++)
        drop[g] = can[g] ? base - e[g][label] : -1;
    int named[NGROUPS] = {0}, wording_at = -1;
    while (v->n_reasons < CHAFF_MAX_REASONS) {
        int best = -1;
        for (int g = 0; g < NGROUPS; g++) {
            if (drop[g] >= REASON_MIN_DROP && (best < 0 || drop[g] > drop[best]))
                best = g;
        }
        if (best < 0)
            break;
        drop[best] = -1;
        named[best] = 1;
        if (best == G_WORDING)
            wording_at = v->n_reasons;
        memcpy(v->reasons[v->n_reasons++], text[best], sizeof text[best]);
    }
    /* the wording reason's example is left out when the group whose
     * lexicon it came from is named too ("generic praise or bait
     * ('first')" says it already) */
    int from;
    if (wording_at >= 0 && wording_example(label, ctx, &from) && named[from]) {
        char *example = strstr(v->reasons[wording_at], " ('");
        if (example)
            *example = '\0';
    }
    /* a verdict no single group explains (short comments, whose every
     * feature is near its typical value) still says so */
    if (!v->n_reasons)
        snprintf(v->reasons[v->n_reasons++], sizeof v->reasons[0],
                 "no single feature stands out: the style as a whole is closer to %s comments", class_words(label));
}
