/*
 * test_features.c: every feature of features/table.def on small invented
 * comments, with the expected value worked out by hand beside each assert;
 * the lexicon matcher; the feature table and its hash; and robustness on
 * scripts other than Latin, broken UTF-8, NUL bytes, empty and 1 MB text.
 *
 * Definitions are in features/README.md. Word-level features read the
 * NFKC-casefolded text; character-level ones (case, punctuation, emoji,
 * scripts) read the raw text after UTF-8 repair.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chaff_features.h"
#include "doc.h"
#include "lexicon.h"

#define EPS 1e-9

/* cmocka 1.1.5 has no assert_double_equal (its assert_float_equal works in
 * float precision); this one compares doubles within an absolute epsilon. */
#ifndef assert_double_equal
static void check_double_equal(double got, double want, double eps, const char *expr, const char *file, int line)
{
    if (fabs(got - want) <= eps)
        return;
    print_error("%s: got %.12g, want %.12g\n", expr, got, want);
    _fail(file, line);
}
#define assert_double_equal(a, b, eps) check_double_equal((a), (b), (eps), #a, __FILE__, __LINE__)
#endif

struct fx {
    chaff_extractor *ex;
    chaff_fctx *ctx;
    double f[CHAFF_NFEATURES];
};

static int group_setup(void **state)
{
    struct fx *x = calloc(1, sizeof *x);
    if (!x)
        return -1;
    if (chaff_extractor_new(&x->ex, NULL) != CHAFF_OK || chaff_fctx_new(&x->ctx) != CHAFF_OK) {
        chaff_extractor_free(x->ex);
        free(x);
        return -1;
    }
    *state = x;
    return 0;
}

static int group_teardown(void **state)
{
    struct fx *x = *state;
    chaff_fctx_free(x->ctx);
    chaff_extractor_free(x->ex);
    free(x);
    return 0;
}

/* Extracts text[0..len) with the shared context (reused on purpose: every
 * test also checks that nothing leaks from the previous comment). */
static const double *feat_n(void **state, const char *text, size_t len)
{
    struct fx *x = *state;
    assert_int_equal(chaff_extract(x->ex, x->ctx, text, len, x->f), CHAFF_OK);
    return x->f;
}

static const double *feat(void **state, const char *text)
{
    return feat_n(state, text, strlen(text));
}

/* Matches of lexicon lex in the last extracted comment. */
static size_t lex_matches(void **state, int lex, const char **first)
{
    struct fx *x = *state;
    return chaff_fctx_matches(x->ctx, lex, first);
}

/* ------------------------------------------------------------------ */
/* length                                                              */

static void bytes_should_count_utf8_bytes_after_repair(void **state)
{
    /* h(1) é(2) l(1) l(1) o(1) = 6 */
    assert_double_equal(feat(state, "h\u00e9llo")[F_BYTES], 6, EPS);
    /* a(1) + 0xFF repaired to U+FFFD (3) + b(1) = 5 */
    assert_double_equal(feat(state, "a\xff"
                                    "b")[F_BYTES],
                        5, EPS);
}

static void codepoints_should_count_decoded_code_points(void **state)
{
    /* h é l l o: precomposed é is 1 code point -> 5 */
    assert_double_equal(feat(state, "h\u00e9llo")[F_CODEPOINTS], 5, EPS);
    /* h e U+0301 l l o: the raw text is not recomposed -> 6 */
    assert_double_equal(feat(state, "he\u0301llo")[F_CODEPOINTS], 6, EPS);
}

static void graphemes_should_join_marks_skin_tones_and_flags(void **state)
{
    /* o, k, space, thumbs+tone, F+R indicators: 7 code points, 5 clusters */
    const double *f = feat(state, "ok \U0001F44D\U0001F3FD\U0001F1EB\U0001F1F7");
    assert_double_equal(f[F_CODEPOINTS], 7, EPS);
    assert_double_equal(f[F_GRAPHEMES], 5, EPS);
    /* h, e+U+0301, l, l, o -> 5 */
    assert_double_equal(feat(state, "he\u0301llo")[F_GRAPHEMES], 5, EPS);
}

static void words_should_keep_contractions_and_decimals_and_skip_links(void **state)
{
    /* don't | stop | it's | 3.5 | km -> 5 (the ' and the digit '.' join) */
    assert_double_equal(feat(state, "Don't stop, it's 3.5 km!")[F_WORDS], 5, EPS);
    /* see | [link] | now -> 2: links, e-mails, mentions, hashtags are not words */
    assert_double_equal(feat(state, "see https://a.io/x now")[F_WORDS], 2, EPS);
    /* a '.' between letters splits: end | next | word -> 3 */
    assert_double_equal(feat(state, "end.Next word")[F_WORDS], 3, EPS);
}

static void sentences_should_count_sentences_with_words(void **state)
{
    /* [one two] [three] [four] [five] -> 4 */
    assert_double_equal(feat(state, "One two. Three! Four? five")[F_SENTENCES], 4, EPS);
    /* a terminator inside a chunk does not end a sentence -> 1 */
    assert_double_equal(feat(state, "end.Next word")[F_SENTENCES], 1, EPS);
    /* a line break ends a sentence -> 2 */
    assert_double_equal(feat(state, "line one\nline two")[F_SENTENCES], 2, EPS);
    /* "wait..." ends with '.', "what?" with '?' -> 2 */
    assert_double_equal(feat(state, "Wait... what?")[F_SENTENCES], 2, EPS);
    /* no words at all -> 0 */
    assert_double_equal(feat(state, "!!! ...")[F_SENTENCES], 0, EPS);
}

static void html_escapes_should_read_as_the_author_typed_them(void **state)
{
    /* "I&#39;m" is "I'm": 1 contraction / i'm here (2) = 0.5, and the ';'
     * of the reference is not a semicolon */
    const double *f = feat(state, "I&#39;m here");
    assert_double_equal(f[F_CONTRACTIONS], 0.5, EPS);
    assert_double_equal(f[F_SEMICOLONS], 0, EPS);
    /* "&lt;3" is the emoticon <3; "<br />" and "<BR>" are line breaks:
     * 3 non-blank lines */
    f = feat(state, "love it &lt;3<br />second<BR>third");
    assert_double_equal(f[F_EMOTICONS], 1, EPS);
    assert_double_equal(f[F_PARAGRAPHS], 3, EPS);
    /* &#x1F600; is one emoji */
    f = feat(state, "ok &#x1F600;");
    assert_double_equal(f[F_EMOJI], 1, EPS);
    /* "&#0;", "&bogus;" and "&#xD800;" (NUL, unknown, a surrogate) stay as
     * written: words a 0 b bogus c xd800 = 6, semicolons 3: 3 / 6 = 0.5 */
    f = feat(state, "a &#0; b &bogus; c &#xD800;");
    assert_double_equal(f[F_SEMICOLONS], 0.5, EPS);
}

static void paragraphs_should_count_non_blank_lines(void **state)
{
    /* "a" | "" | "  " | "b" (ended by \r) | "" (the \n) | "c" -> 3 non-blank */
    assert_double_equal(feat(state, "a\n\n  \nb\r\nc")[F_PARAGRAPHS], 3, EPS);
    assert_double_equal(feat(state, " \n\t")[F_PARAGRAPHS], 0, EPS);
}

static void sentence_len_mean_should_average_words_per_sentence(void **state)
{
    /* [a b c] [d] [e f] -> (3 + 1 + 2) / 3 = 2 */
    assert_double_equal(feat(state, "A b c. D. E f.")[F_SENT_LEN_MEAN], 2, EPS);
    assert_double_equal(feat(state, "")[F_SENT_LEN_MEAN], 0, EPS);
}

static void sentence_len_sd_should_be_the_population_sd(void **state)
{
    /* lengths 3 1 2, mean 2: sqrt(((3-2)^2 + (1-2)^2 + (2-2)^2) / 3) = sqrt(2/3) */
    assert_double_equal(feat(state, "A b c. D. E f.")[F_SENT_LEN_SD], sqrt(2.0 / 3.0), EPS);
    /* one sentence -> 0 */
    assert_double_equal(feat(state, "just one sentence here")[F_SENT_LEN_SD], 0, EPS);
}

static void word_len_mean_should_use_normalised_code_points(void **state)
{
    /* the ligature U+FB01 folds to "fi": fine(4) day(3) -> 7 / 2 = 3.5 */
    assert_double_equal(feat(state, "\ufb01ne day")[F_WORD_LEN_MEAN], 3.5, EPS);
    /* ß casefolds to ss: "strasse" -> 7 */
    assert_double_equal(feat(state, "Stra\u00dfe")[F_WORD_LEN_MEAN], 7, EPS);
}

static void word_len_max_should_take_the_longest_word(void **state)
{
    /* fine(4) day(3) -> 4 */
    assert_double_equal(feat(state, "\ufb01ne day")[F_WORD_LEN_MAX], 4, EPS);
    /* i(1) love(4) café(4) -> 4: e + U+0301 composes to one code point */
    assert_double_equal(feat(state, "I love cafe\u0301")[F_WORD_LEN_MAX], 4, EPS);
}

/* ------------------------------------------------------------------ */
/* lexical                                                             */

static void type_token_ratio_should_fold_case(void **state)
{
    /* the cat saw the dog: 4 types / 5 tokens = 0.8 */
    assert_double_equal(feat(state, "The cat saw THE dog")[F_TTR], 0.8, EPS);
}

static void hapax_share_should_divide_once_seen_words_by_types(void **state)
{
    /* cat, saw, dog seen once; 4 types -> 3 / 4 */
    assert_double_equal(feat(state, "The cat saw THE dog")[F_HAPAX], 0.75, EPS);
}

static void mattr_should_equal_ttr_up_to_25_words(void **state)
{
    /* 5 words <= window of 25 -> MATTR = TTR = 0.8 */
    assert_double_equal(feat(state, "The cat saw THE dog")[F_MATTR], 0.8, EPS);
}

#define NATO25                                                                                                         \
    "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november "                         \
    "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee"

static void mattr_should_average_sliding_25_word_windows(void **state)
{
    /* 25 distinct words then "bravo": window 1 has 25 types, window 2
     * (bravo..yankee, bravo) has 24 -> (25/25 + 24/25) / 2 = 0.98 */
    const double *f = feat(state, NATO25 " bravo");
    assert_double_equal(f[F_MATTR], 0.98, EPS);
    assert_double_equal(f[F_TTR], 25.0 / 26.0, EPS);
    /* "a b c d e" six times: each of the 6 windows holds 5 types -> 5/25 = 0.2
     * while TTR = 5/30 */
    f = feat(state, "a b c d e a b c d e a b c d e a b c d e a b c d e a b c d e");
    assert_double_equal(f[F_MATTR], 0.2, EPS);
    assert_double_equal(f[F_TTR], 5.0 / 30.0, EPS);
    /* alpha leaves the window (count 0) and comes back: windows
     * [alpha..yankee], [bravo..zulu], [charlie..zulu alpha] all hold 25
     * types -> 1 */
    assert_double_equal(feat(state, NATO25 " zulu alpha")[F_MATTR], 1.0, EPS);
}

static void function_word_rate_should_divide_by_words(void **state)
{
    /* the, and, the of 5 words -> 0.6 */
    assert_double_equal(feat(state, "The cat and the dog")[F_FUNCTION_WORDS], 0.6, EPS);
}

static void first_person_rate_should_divide_by_words(void **state)
{
    /* i, my, ours of i think my idea is ours (6) -> 0.5 */
    assert_double_equal(feat(state, "I think my idea is ours")[F_FIRST_PERSON], 0.5, EPS);
}

static void second_person_rate_should_read_curly_apostrophes(void **state)
{
    /* you’re folds to you're: you're, your of 5 words -> 0.4 */
    assert_double_equal(feat(state, "You\u2019re right about your plan")[F_SECOND_PERSON], 0.4, EPS);
}

static void contraction_rate_should_count_words_with_an_apostrophe(void **state)
{
    /* i | don't | know | it's | fine: 2 of 5 -> 0.4 */
    assert_double_equal(feat(state, "I don't know, it\u2019s fine")[F_CONTRACTIONS], 0.4, EPS);
}

static void uppercase_share_should_divide_capitals_by_letters(void **state)
{
    /* H + W O R L D = 6 capitals of 10 letters */
    assert_double_equal(feat(state, "Hello WORLD")[F_UPPER_SHARE], 0.6, EPS);
    assert_double_equal(feat(state, "123 !!")[F_UPPER_SHARE], 0, EPS);
}

static void allcaps_word_share_should_need_two_capitals(void **state)
{
    /* letter runs I SAID NO way OK: SAID NO OK are caps; I is too short -> 3/5 */
    assert_double_equal(feat(state, "I SAID NO way OK")[F_ALLCAPS_WORDS], 0.6, EPS);
    /* runs DON and T: only DON -> 1/2 */
    assert_double_equal(feat(state, "DON'T")[F_ALLCAPS_WORDS], 0.5, EPS);
}

static void digit_share_should_divide_digits_by_code_points(void **state)
{
    /* 1 2 3 of a b c ' ' 1 2 3 = 3/7 */
    assert_double_equal(feat(state, "abc 123")[F_DIGIT_SHARE], 3.0 / 7.0, EPS);
    /* Arabic-Indic digits are decimal digits too -> 3/3 */
    assert_double_equal(feat(state, "\u0661\u0662\u0663")[F_DIGIT_SHARE], 1, EPS);
}

static void exclamation_rate_should_count_marks_per_word(void **state)
{
    /* 3 marks / 2 words */
    assert_double_equal(feat(state, "Wow! Great!!")[F_EXCLAMATIONS], 1.5, EPS);
    /* fullwidth ！ after one Han word -> 1 / 1 */
    assert_double_equal(feat(state, "\u597d\uff01")[F_EXCLAMATIONS], 1, EPS);
    /* no words: the denominator is 1 -> 3 */
    assert_double_equal(feat(state, "!!!")[F_EXCLAMATIONS], 3, EPS);
}

static void question_rate_should_count_marks_per_word(void **state)
{
    /* 3 marks / 2 words */
    assert_double_equal(feat(state, "Why? Really??")[F_QUESTIONS], 1.5, EPS);
}

static void comma_rate_should_count_every_comma_per_word(void **state)
{
    /* 2 commas / 3 words */
    assert_double_equal(feat(state, "one, two, three")[F_COMMAS], 2.0 / 3.0, EPS);
    /* the comma inside 1,000 counts too: 1 / 2 words */
    assert_double_equal(feat(state, "1,000 people")[F_COMMAS], 0.5, EPS);
    /* ideographic comma: 1 / 4 Han words */
    assert_double_equal(feat(state, "\u4f60\u597d\u3001\u4e16\u754c")[F_COMMAS], 0.25, EPS);
}

static void semicolon_rate_should_count_per_word(void **state)
{
    /* 2 / 3 words */
    assert_double_equal(feat(state, "a; b; c")[F_SEMICOLONS], 2.0 / 3.0, EPS);
}

static void colon_rate_should_skip_times_and_schemes(void **state)
{
    /* "Note:" counts; 10:30 and https:// do not -> 1 colon; words note at
     * 10 30 see (the link is not a word) = 5 -> 0.2 */
    assert_double_equal(feat(state, "Note: at 10:30 see https://x.io")[F_COLONS], 0.2, EPS);
}

static void ellipsis_rate_should_count_dot_runs_once(void **state)
{
    /* "..." (1) ".." (1) "…" (1), the final "." no -> 3 / 4 words */
    assert_double_equal(feat(state, "Well... ok.. fine\u2026 end.")[F_ELLIPSES], 0.75, EPS);
}

static void em_dash_rate_should_count_u2014_per_word(void **state)
{
    /* 2 em dashes / this that other (3) */
    assert_double_equal(feat(state, "This\u2014that \u2014 other")[F_EM_DASHES], 2.0 / 3.0, EPS);
    assert_double_equal(feat(state, "This - that")[F_EM_DASHES], 0, EPS);
}

static void en_dash_rate_should_count_u2013_per_word(void **state)
{
    /* 1 / pages 10 20 (3) */
    assert_double_equal(feat(state, "pages 10\u201320")[F_EN_DASHES], 1.0 / 3.0, EPS);
}

static void curly_quote_rate_should_skip_curly_apostrophes_between_letters(void **state)
{
    /* “ ” = 2 (’ between letters is an apostrophe, as ' is for the
     * straight rate) / it's odd (2) = 1.0; a closing ’ after a word counts */
    assert_double_equal(feat(state, "It\u2019s \u201codd\u201d")[F_CURLY_QUOTES], 1.0, EPS);
    /* ‘ ’ = 2 / so odd (2) = 1.0 */
    assert_double_equal(feat(state, "\u2018so odd\u2019")[F_CURLY_QUOTES], 1.0, EPS);
}

static void straight_quote_rate_should_skip_apostrophes_between_letters(void **state)
{
    /* " " ' ' = 4 (the ' of it's is skipped) / hi it's ok (3) */
    assert_double_equal(feat(state, "\"Hi\" it's 'ok'")[F_STRAIGHT_QUOTES], 4.0 / 3.0, EPS);
}

static void paren_rate_should_count_both_brackets(void **state)
{
    /* ( ) ( = 3 / a b c (3) */
    assert_double_equal(feat(state, "a (b) (c")[F_PARENS], 1, EPS);
}

static void urls_should_count_schemes_www_and_known_tlds(void **state)
{
    /* https://a.com/x (comma stripped), www.b.org, c.io (dot stripped);
     * "not.atld" and "x.y" have no known TLD -> 3 */
    assert_double_equal(feat(state, "see https://a.com/x, www.b.org and c.io. not.atld x.y")[F_URLS], 3, EPS);
}

static void emails_should_need_a_dot_after_the_at(void **state)
{
    /* bob@example.com yes; x@y has no dot -> 1 */
    assert_double_equal(feat(state, "mail bob@example.com or x@y")[F_EMAILS], 1, EPS);
}

static void mentions_should_need_a_word_character_after_the_at(void **state)
{
    /* @alice, @bob (the ! is stripped), @1x; a lone @ is not -> 3 */
    assert_double_equal(feat(state, "@alice hi @bob! @ @1x")[F_MENTIONS], 3, EPS);
}

static void hashtags_should_need_a_letter_after_the_hash(void **state)
{
    /* #love, #été; #2024 starts with a digit, # alone -> 2 */
    assert_double_equal(feat(state, "#love #2024 #\u00e9t\u00e9 #")[F_HASHTAGS], 2, EPS);
}

static void phone_numbers_should_need_9_to_15_digits(void **state)
{
    /* +1 555 123 4567 has 11 digits; 555-1234 only 7 -> 1 */
    assert_double_equal(feat(state, "call +1 555 123 4567 or 555-1234")[F_PHONES], 1, EPS);
    /* 17 digits is too many; digits glued to letters are not a number */
    assert_double_equal(feat(state, "order 12345678901234567 abc123456789")[F_PHONES], 0, EPS);
}

static void money_amounts_should_pair_symbols_or_units_with_digits(void **state)
{
    /* $5 (1), "10 €" (2), a lone € no, "20 dollars" (3) -> 3 */
    assert_double_equal(feat(state, "$5, 10 \u20ac, \u20ac and 20 dollars")[F_MONEY], 3, EPS);
}

static void flesch_reading_ease_should_follow_the_formula(void **state)
{
    /* words the cat sat it was happy = 6, sentences 2, syllables (vowel
     * groups, y a vowel) 1+1+1+1+1+2 = 7:
     * 206.835 - 1.015 * 6/2 - 84.6 * 7/6 = 206.835 - 3.045 - 98.7 = 105.09 */
    assert_double_equal(feat(state, "The cat sat. It was happy.")[F_FLESCH], 105.09, 1e-9);
    /* one word of 8 vowel groups (i o e e i i i ie):
     * 206.835 - 1.015 - 676.8 = -470.98, clamped to -100 */
    assert_double_equal(feat(state, "Incomprehensibilities")[F_FLESCH], -100, EPS);
    /* no words -> 0 */
    assert_double_equal(feat(state, "!!!")[F_FLESCH], 0, EPS);
}

static void ari_should_follow_the_formula(void **state)
{
    /* characters 3+3+3+2+3+5 = 19, words 6, sentences 2:
     * 4.71 * 19/6 + 0.5 * 6/2 - 21.43 = 14.915 + 1.5 - 21.43 = -5.015 */
    assert_double_equal(feat(state, "The cat sat. It was happy.")[F_ARI], -5.015, 1e-9);
    /* 21 characters: 98.91 + 0.5 - 21.43 = 77.98, clamped to 50 */
    assert_double_equal(feat(state, "Incomprehensibilities")[F_ARI], 50, EPS);
}

static void llm_vocab_rate_should_match_prefix_entries(void **state)
{
    /* delve (delv*), tapestry, delving (delv*) of 7 words -> 3/7 */
    assert_double_equal(feat(state, "We delve into this tapestry, delving deeper")[F_LLM_VOCAB], 3.0 / 7.0, EPS);
}

static void hedge_phrases_should_count_each_starting_position(void **state)
{
    /* it's important to (at "it's"), important to note (at "important"),
     * ultimately, we must -> 4 */
    assert_double_equal(feat(state, "It\u2019s important to note that, ultimately, we must act.")[F_HEDGES], 4, EPS);
}

static void rhetorical_templates_should_count_not_just_and_lists_of_three(void **state)
{
    /* "not just" at word 2, "but" at word 5 (at least one word between) -> 1 */
    assert_double_equal(feat(state, "It is not just fast, but also cheap.")[F_TEMPLATES], 1, EPS);
    /* apples, pears, and plums: "and" follows "pears" which follows the
     * comma-closed "apples" -> 1 */
    assert_double_equal(feat(state, "We need apples, pears, and plums.")[F_TEMPLATES], 1, EPS);
    /* both in one comment -> 2 */
    assert_double_equal(feat(state, "Not just fast, but cheap. Red, green and blue.")[F_TEMPLATES], 2, EPS);
    /* the turn right after the opener is no template -> 0 */
    assert_double_equal(feat(state, "Not just but")[F_TEMPLATES], 0, EPS);
}

static void promo_phrases_should_count_calls_to_action(void **state)
{
    /* check out, my channel, subscribe, free -> 4 */
    assert_double_equal(feat(state, "Check out my channel and subscribe for free")[F_PROMO], 4, EPS);
}

static void lexicons_should_match_unspaced_scripts_and_more_languages(void **state)
{
    /* Chinese is matched character by character: 不仅 opens and 更 turns
     * within the sentence (one template), 值得注意的是 is a hedge, 赚钱 a
     * promo phrase */
    const double *f =
        feat(state, "\u8fd9\u4e0d\u4ec5\u662f\u4e00\u9053\u83dc\uff0c\u66f4\u662f\u4e00\u79cd\u6587\u5316\u3002"
                    "\u503c\u5f97\u6ce8\u610f\u7684\u662f\uff0c\u8d5a\u94b1\u4e0d\u662f\u4e00\u5207\u3002");
    assert_double_equal(f[F_TEMPLATES], 1, EPS);
    assert_double_equal(f[F_HEDGES], 1, EPS);
    assert_double_equal(f[F_PROMO], 1, EPS);
    /* Korean prefix entry 감동적* matches 감동적이네요; 다시 한번 is a hedge */
    f = feat(state,
             "\uc815\ub9d0 \uac10\ub3d9\uc801\uc774\ub124\uc694. \ub2e4\uc2dc \ud55c\ubc88 \ub290\ub08d\ub2c8\ub2e4");
    assert_double_equal(f[F_LLM_VOCAB], 1.0 / 5.0, EPS);
    assert_double_equal(f[F_HEDGES], 1, EPS);
    /* Indonesian: tidak hanya ... tetapi (one template); gaji and tanpa
     * modal are promo phrases */
    f = feat(state, "Tidak hanya mudah, tetapi juga gaji besar tanpa modal");
    assert_double_equal(f[F_TEMPLATES], 1, EPS);
    assert_double_equal(f[F_PROMO], 2, EPS);
    /* Arabic: واتساب and استثمار -> 2 */
    assert_double_equal(
        feat(state, "\u062a\u0648\u0627\u0635\u0644\u0648\u0627 \u0639\u0644\u0649 "
                    "\u0648\u0627\u062a\u0633\u0627\u0628 \u0644\u0644\u0627\u0633\u062a\u062b\u0645\u0627\u0631 "
                    "\u0627\u0633\u062a\u062b\u0645\u0627\u0631")[F_PROMO],
        2, EPS);
}

static void generic_praise_should_count_phrases(void **state)
{
    /* great video, love it, wow -> 3 */
    assert_double_equal(feat(state, "Great video, love it! Wow")[F_PRAISE], 3, EPS);
}

static void generic_praise_should_count_engagement_bait(void **state)
{
    /* like if, who's still (not who's here: one match per start word), pin
     * me -> 3; "likes" and "if" apart are nothing */
    assert_double_equal(feat(state, "Like if you're watching in 2026, who's still here?? pin me")[F_PRAISE], 3, EPS);
    assert_double_equal(feat(state, "nobody likes it if the ref hides")[F_PRAISE], 0, EPS);
    /* Russian: ставь лайк (word 1) and лайк если (word 2) start at different
     * words, кто смотрит -> 3 */
    assert_double_equal(feat(state, "\u0421\u0442\u0430\u0432\u044c \u043b\u0430\u0439\u043a \u0435\u0441\u043b\u0438 "
                                    "\u0441\u043e\u0433\u043b\u0430\u0441\u0435\u043d, \u043a\u0442\u043e "
                                    "\u0441\u043c\u043e\u0442\u0440\u0438\u0442 \u0432 2026?")[F_PRAISE],
                        3, EPS);
    /* Portuguese without the accent, Spanish with it: quem ta vendo, dale
     * like -> 2 */
    assert_double_equal(feat(state, "quem ta vendo em 2026? dale like")[F_PRAISE], 2, EPS);
}

/* The folded form of a word: leetspeak digits read as letters in a word
 * with letters, runs of one letter once; "disguised" only for leet or a run
 * of three. */
static void word_fold_should_undo_stretching_and_leetspeak(void **state)
{
    (void)state;
    struct {
        const char *in, *out;
        int disguised;
    } cases[] = {
        {"subscribeeee", "subscribe", 1},
        {"pleassssse", "please", 1},
        {"fr33", "fre", 1},
        {"ch3ck", "check", 1},
        {"channel", "chanel", 0},
        {"1000", "1000", 0},
        {"4k", "4k", 0},
        {"too", "to", 0},
        {"goooood", "god", 1},
        {"ok", "ok", 0},
        {"a11y", "aiy", 1},
        {"zzz", "z", 0},
        {"i7", "i7", 0},
        {"t0", "t0", 0},
        {"1st", "1st", 0},
        {"iii", "i", 0},
        {"0ut", "out", 1},
        {"nooooo", "no", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int32_t in[32], out[32], want[32];
        size_t n = 0, nw = 0;
        for (const char *p = cases[i].in; *p; p++)
            in[n++] = (unsigned char)*p;
        for (const char *p = cases[i].out; *p; p++)
            want[nw++] = (unsigned char)*p;
        int disguised = -1;
        size_t m = chaff_word_fold(in, n, out, &disguised);
        if (m != nw || memcmp(out, want, m * sizeof *out) != 0 || disguised != cases[i].disguised)
            fail_msg("%s: got %zu code points, disguised %d; want %s, %d", cases[i].in, m, disguised, cases[i].out,
                     cases[i].disguised);
    }
    /* Cyrillic stretched: даааа -> да */
    int32_t ru[5] = {0x434, 0x430, 0x430, 0x430, 0x430}, out[5];
    int disguised = 0;
    assert_int_equal(chaff_word_fold(ru, 5, out, &disguised), 2);
    assert_int_equal(out[1], 0x430);
    assert_int_equal(disguised, 1);
}

/* Spam disguised against word lists: stretched and leetspeak words match
 * the promotional lexicon as the plain words do; plain words still match
 * only as written. */
static void promo_should_see_through_stretched_and_leet_words(void **state)
{
    /* please / subscribe, my channel -> 2, however they are written */
    assert_double_equal(feat(state, "please subscribe to my channel plz")[F_PROMO], 2, EPS);
    assert_double_equal(feat(state, "PLEASSSSE SUBSCRIBEEEEE TO MY CHANNELLLLL PLZZZ")[F_PROMO], 2, EPS);
    /* check out (word 1), my channel (word 3), subscribe (word 5), free
     * (word 7) -> 4 */
    assert_double_equal(feat(state, "ch3ck 0ut my ch4nnel, SUBSCRIBEEEE for fr33")[F_PROMO], 4, EPS);
    /* "fre" and "chanel" are not disguised: they must match as written */
    assert_double_equal(feat(state, "fre entry on my chanel")[F_PROMO], 0, EPS);
    /* model names, ordinals and roman numerals are not disguises: World,
     * War, III, and, the, i7, t0, 1st, m3 -> no first person, and only
     * "war" (German's "was"), "and" and "the" are function words (3 of 9) */
    const double *f = feat(state, "World War III and the i7 t0 1st m3");
    assert_double_equal(f[F_FIRST_PERSON], 0, EPS);
    assert_double_equal(f[F_FUNCTION_WORDS], 3.0 / 9.0, EPS);
    const char *first = NULL;
    feat(state, "fr33 robux");
    assert_int_equal(lex_matches(state, LEX_PROMO, &first), 1);
    assert_string_equal(first, "free");
}

/* Feature f of each of the n texts is want, or the test fails naming the
 * text. */
static void expect_each(void **state, const char *const *texts, size_t n, int f, double want)
{
    for (size_t i = 0; i < n; i++) {
        double got = feat(state, texts[i])[f];
        if (got != want)
            fail_msg("%s: %s is %g, want %g", texts[i], chaff_features[f].name, got, want);
    }
}

static void hedges_should_count_assistant_leftovers(void **state)
{
    /* "as an ai language model" (word 1) and "don't have personal
     * opinions" (word 8) -> 2 */
    assert_double_equal(
        feat(state, "As an AI language model, I don't have personal opinions, but this phone looks great.")[F_HEDGES],
        2, EPS);
    const char *first = NULL;
    assert_int_equal(lex_matches(state, LEX_HEDGES, &first), 2);
    assert_string_equal(first, "as an ai language model");
    /* "as an ai i" reads through the comma: 1 */
    assert_double_equal(feat(state, "As an AI, I can't watch videos, but this sounds fascinating.")[F_HEDGES], 1, EPS);
    /* the same in Russian and French: one each */
    assert_double_equal(feat(state, "Как языковая модель, я не могу смотреть видео.")[F_HEDGES], 1, EPS);
    assert_double_equal(feat(state, "En tant qu'IA, je n'ai pas d'avis.")[F_HEDGES], 1, EPS);
    /* people talking about AI, models, browsing or their own experience: 0 */
    static const char *const people[] = {
        "I'm an AI researcher and this benchmark is junk",
        "I am an AI engineer, the demo was staged",
        "As an artificial intelligence researcher I disagree",
        "ChatGPT works well as a language model but not as a search engine",
        "the language model in the app kept hallucinating street names",
        "I'm unable to browse the site on mobile since the update",
        "My phone can't browse the internet after the update",
        "Here's a comment I left on the council page last week",
        "As of my last update the app still crashes",
        "I don't have personal experiences with the brand, my sister does",
        "I don't have personal feelings about him either way",
        "el sistema funciona como modelo de lenguaje, nada más",
        "taugt als Sprachmodell, aber nicht als Suchmaschine",
    };
    expect_each(state, people, sizeof people / sizeof *people, F_HEDGES, 0);
    /* refusal boilerplate: one each, curly apostrophe too */
    static const char *const refusals[] = {
        "I'm sorry, but I can't assist with that request.",
        "I’m sorry, but I can’t assist with that request.",
        "I'm sorry, but I cannot fulfill this request as it goes against my guidelines.",
        "Sorry, I can't do that. Is there anything else I can help you with?",
        "Lo siento, pero no puedo ayudar con esa solicitud.",
        "Извините, но я не могу помочь с этим запросом.",
    };
    expect_each(state, refusals, sizeof refusals / sizeof *refusals, F_HEDGES, 1);
    /* people declining or quoting a refusal in their own words: 0 */
    static const char *const declines[] = {
        "sorry I can't make it tonight, car broke down again",
        "I'm sorry but I can't support a candidate who lies this much",
        "called support twice and they said they can't help with that",
        "I can't assist with the move this weekend, my back is done",
        "the bank cannot process this request until Monday apparently",
        "no puedo creer que lo cancelaron",
    };
    expect_each(state, declines, sizeof declines / sizeof *declines, F_HEDGES, 0);
    /* sub 4 sub: a request for subscribers, as sub4sub and sub for sub */
    assert_double_equal(feat(state, "sub 4 sub anyone?")[F_PROMO], 1, EPS);
    assert_double_equal(feat(state, "sub 4 sub anyone?")[F_PRAISE], 1, EPS);
}

static void sentence_caps_share_should_be_half_without_cased_starts(void **state)
{
    /* starts H (upper), h (lower), F (upper) -> 2/3 */
    assert_double_equal(feat(state, "Hello there. how are you? Fine")[F_SENT_CAPS], 2.0 / 3.0, EPS);
    /* digits start the text, Han letters have no case -> 0.5 */
    assert_double_equal(feat(state, "123 \u65e5\u672c")[F_SENT_CAPS], 0.5, EPS);
}

static void ends_with_terminal_should_skip_emoji_quotes_and_brackets(void **state)
{
    assert_double_equal(feat(state, "Done. \U0001F44D\U0001F3FD ")[F_ENDS_TERMINAL], 1, EPS);
    assert_double_equal(feat(state, "Done \U0001F44D")[F_ENDS_TERMINAL], 0, EPS);
    assert_double_equal(feat(state, "He said \"yes.\")")[F_ENDS_TERMINAL], 1, EPS);
    assert_double_equal(feat(state, "\u597d\u5417\uff1f")[F_ENDS_TERMINAL], 1, EPS);
    assert_double_equal(feat(state, "")[F_ENDS_TERMINAL], 0, EPS);
}

/* ------------------------------------------------------------------ */
/* emoji                                                               */

static void emoji_should_count_units_not_code_points(void **state)
{
    /* thumbs+tone, man ZWJ woman ZWJ girl, FR flag, keycap 1, ❤ + VS16 ->
     * 5; the bare ❤ is a text symbol */
    const double *f = feat(state, "Hi \U0001F44D\U0001F3FD \U0001F468\u200D\U0001F469\u200D\U0001F467 "
                                  "\U0001F1EB\U0001F1F7 1\uFE0F\u20E3 \u2764\uFE0F \u2764");
    assert_double_equal(f[F_EMOJI], 5, EPS);
    assert_double_equal(f[F_TEXT_SYMBOLS], 1, EPS);
}

static void emoji_distinct_should_ignore_skin_tones(void **state)
{
    /* 👍 👍🏽 👍🏿 are one identity, 😀 another -> 2 of 4 units */
    const double *f = feat(state, "\U0001F44D \U0001F44D\U0001F3FD \U0001F44D\U0001F3FF \U0001F600");
    assert_double_equal(f[F_EMOJI], 4, EPS);
    assert_double_equal(f[F_EMOJI_DISTINCT], 2, EPS);
}

static void emoji_density_should_divide_units_by_units_and_words(void **state)
{
    /* 2 units / (2 units + 2 words) */
    assert_double_equal(feat(state, "so good \U0001F602\U0001F602")[F_EMOJI_DENSITY], 0.5, EPS);
    assert_double_equal(feat(state, "so good")[F_EMOJI_DENSITY], 0, EPS);
}

static void emoji_trailing_should_count_units_after_the_last_letter(void **state)
{
    /* 😀 comes before "nice"; 👍 and 🎉 after -> 2 */
    assert_double_equal(feat(state, "\U0001F600 nice \U0001F44D \U0001F389")[F_EMOJI_TRAILING], 2, EPS);
    /* the keycap's digit is part of the emoji, not text -> 1 */
    assert_double_equal(feat(state, "Vote 1\uFE0F\u20E3")[F_EMOJI_TRAILING], 1, EPS);
    /* no letters or digits at all -> 0 (emoji_only says it) */
    assert_double_equal(feat(state, "\U0001F44D\U0001F44D")[F_EMOJI_TRAILING], 0, EPS);
}

static void emoji_only_should_need_units_and_no_letters_or_digits(void **state)
{
    assert_double_equal(feat(state, "\U0001F44D \U0001F389!")[F_EMOJI_ONLY], 1, EPS);
    assert_double_equal(feat(state, "ok \U0001F44D")[F_EMOJI_ONLY], 0, EPS);
    /* keycaps 1 and 2 are emoji, their digits are not text */
    assert_double_equal(feat(state, "1\uFE0F\u20E3"
                                    "2\uFE0F\u20E3")[F_EMOJI_ONLY],
                        1, EPS);
    assert_double_equal(feat(state, "!!!")[F_EMOJI_ONLY], 0, EPS);
    assert_double_equal(feat(state, "")[F_EMOJI_ONLY], 0, EPS);
}

static void emoji_run_max_should_allow_spaces_inside_a_run(void **state)
{
    /* 😂😂 then space 😂 -> 3; x breaks; 😂😂 -> 2 */
    assert_double_equal(feat(state, "\U0001F602\U0001F602 \U0001F602 x \U0001F602\U0001F602")[F_EMOJI_RUN_MAX], 3, EPS);
    /* 👍🏽 then 👍: same identity -> 2 */
    assert_double_equal(feat(state, "\U0001F44D\U0001F3FD\U0001F44D")[F_EMOJI_RUN_MAX], 2, EPS);
}

static void emoji_zwj_sequences_should_count_joined_units(void **state)
{
    /* family (man ZWJ woman ZWJ girl), rainbow flag (flag VS16 ZWJ rainbow);
     * 👍 is not joined -> 2 of 3 units */
    const double *f = feat(state, "\U0001F468\u200D\U0001F469\u200D\U0001F467 and \U0001F3F3\uFE0F\u200D\U0001F308 and "
                                  "\U0001F44D");
    assert_double_equal(f[F_EMOJI_ZWJ], 2, EPS);
    assert_double_equal(f[F_EMOJI], 3, EPS);
}

static void emoji_skin_tones_should_count_toned_units(void **state)
{
    /* 👍🏽 and 👋🏿 toned, 🙂 not -> 2 */
    assert_double_equal(feat(state, "\U0001F44D\U0001F3FD\U0001F44B\U0001F3FF \U0001F642")[F_EMOJI_SKIN], 2, EPS);
}

static void emoji_flags_should_pair_regional_indicators(void **state)
{
    /* FR, DE; a lone U indicator is nothing -> 2 flags, 2 units */
    const double *f = feat(state, "\U0001F1EB\U0001F1F7\U0001F1E9\U0001F1EA \U0001F1FA");
    assert_double_equal(f[F_EMOJI_FLAGS], 2, EPS);
    assert_double_equal(f[F_EMOJI], 2, EPS);
}

static void emoji_keycaps_should_accept_with_and_without_vs16(void **state)
{
    /* 1 VS16 U+20E3, # U+20E3; a plain 5 is no keycap -> 2 */
    assert_double_equal(feat(state, "1\uFE0F\u20E3 #\u20E3 5")[F_EMOJI_KEYCAPS], 2, EPS);
}

static void text_symbols_should_count_text_presentation_pictographs(void **state)
{
    /* ©, ™, ❤ (no VS16), ☺ + VS15 -> 4; ❤ + VS16 is an emoji */
    const double *f = feat(state, "\u00a9 2024 \u2122 \u2764 \u2764\uFE0F \u263A\uFE0E");
    assert_double_equal(f[F_TEXT_SYMBOLS], 4, EPS);
    assert_double_equal(f[F_EMOJI], 1, EPS);
}

static void ascii_emoticons_should_stand_apart(void **state)
{
    /* :) | :-D, | xD | <3 | a:) no (glued) | :(( -> 5 */
    assert_double_equal(feat(state, ":) nice :-D, xD <3 a:) :((")[F_EMOTICONS], 5, EPS);
    /* times and links are no emoticons */
    assert_double_equal(feat(state, "at 10:30 see https://x.io")[F_EMOTICONS], 0, EPS);
}

/* ------------------------------------------------------------------ */
/* repetition                                                          */

static void char_run_max_should_take_the_longest_run(void **state)
{
    /* S ooooo (5), g oo (2) d, !!! (3) -> 5 */
    assert_double_equal(feat(state, "Sooooo good!!!")[F_CHAR_RUN_MAX], 5, EPS);
    /* spaces never form runs */
    assert_double_equal(feat(state, "a     b")[F_CHAR_RUN_MAX], 1, EPS);
}

static void char_runs3_should_count_runs_of_three_but_not_digits(void **state)
{
    /* ooooo (1), !!! (2); 000 is digits; aa too short -> 2 */
    assert_double_equal(feat(state, "Sooooo good!!! 1000 aa")[F_CHAR_RUNS3], 2, EPS);
}

static void immediate_word_repeats_should_fold_case(void **state)
{
    /* no no | no No | way way -> 3 */
    assert_double_equal(feat(state, "no no No way way")[F_WORD_REPEATS], 3, EPS);
}

static void repeated_bigram_share_should_count_positions(void **state)
{
    /* bigrams ab ba ab bc: ab twice -> 2 of 4 positions */
    assert_double_equal(feat(state, "a b a b c")[F_BIGRAM_REPEATS], 0.5, EPS);
    /* ab bc ca ab bc: ab, bc twice -> 4 of 5 */
    assert_double_equal(feat(state, "a b c a b c")[F_BIGRAM_REPEATS], 0.8, EPS);
    /* fewer than 3 words -> 0 */
    assert_double_equal(feat(state, "a a")[F_BIGRAM_REPEATS], 0, EPS);
}

static void repeated_trigram_share_should_count_positions(void **state)
{
    /* abc bca cab abc: abc twice -> 2 of 4 */
    assert_double_equal(feat(state, "a b c a b c")[F_TRIGRAM_REPEATS], 0.5, EPS);
    /* fewer than 4 words -> 0 */
    assert_double_equal(feat(state, "a a a")[F_TRIGRAM_REPEATS], 0, EPS);
}

static void compression_ratio_should_divide_zlib_bytes_by_raw_bytes(void **state)
{
    /* zlib header 2 + fixed-Huffman block (3 header bits + 8 for 'a' + 7
     * for end of block = 18 bits -> 3 bytes) + Adler-32 4 = 9 -> 9 / 1 */
    assert_double_equal(feat(state, "a")[F_COMPRESSION], 9, EPS);
    /* 3 + 3*8 + 7 = 34 bits -> 5 bytes; 2 + 5 + 4 = 11 -> 11 / 3 */
    assert_double_equal(feat(state, "xyz")[F_COMPRESSION], 11.0 / 3.0, EPS);
    assert_double_equal(feat(state, "")[F_COMPRESSION], 0, EPS);
}

static void char_trigram_entropy_should_use_normalised_text(void **state)
{
    /* trigrams abc bca cab abc: p = 1/2, 1/4, 1/4 ->
     * -(1/2 log2 1/2 + 2 * 1/4 log2 1/4) = 0.5 + 1 = 1.5 bits */
    assert_double_equal(feat(state, "abcabc")[F_TRIGRAM_ENTROPY], 1.5, EPS);
    /* casefolded first: the same */
    assert_double_equal(feat(state, "ABCabc")[F_TRIGRAM_ENTROPY], 1.5, EPS);
    /* one trigram -> 0; fewer than 3 code points -> 0 */
    assert_double_equal(feat(state, "aaaa")[F_TRIGRAM_ENTROPY], 0, EPS);
    assert_double_equal(feat(state, "ab")[F_TRIGRAM_ENTROPY], 0, EPS);
}

static void duplicated_lines_should_trim_but_keep_case(void **state)
{
    /* hi | Hi (new, case counts) | " hi " = hi (dup 1) | blank | "hi\r" =
     * hi (dup 2) | bye -> 2 */
    assert_double_equal(feat(state, "hi\nHi\n hi \n\nhi\r\nbye")[F_DUP_LINES], 2, EPS);
}

static void duplicated_lines_should_count_lines_of_unicode_spaces(void **state)
{
    /* 100 lines of 1..100 vertical tabs, then the same 100 again. They are
     * blank to "paragraphs" (\v is a space) but not to the trim here (' ',
     * \t, \r), so 200 lines, 100 of them repeats. The map used to be sized
     * by the non-blank line count and never stopped probing once full. */
    size_t len = 2 * (100 * 101 / 2 + 100);
    char *text = malloc(len);
    assert_non_null(text);
    size_t o = 0;
    for (int round = 0; round < 2; round++) {
        for (int k = 1; k <= 100; k++) {
            memset(text + o, '\v', (size_t)k);
            o += (size_t)k;
            text[o++] = '\n';
        }
    }
    assert_int_equal(o, len);
    const double *f = feat_n(state, text, len);
    free(text);
    assert_double_equal(f[F_DUP_LINES], 100, EPS);
    assert_double_equal(f[F_PARAGRAPHS], 0, EPS);
}

/* ------------------------------------------------------------------ */
/* script                                                              */

static void script_shares_should_divide_letters_by_script(void **state)
{
    /* Hello 5 Latin, мир 3 Cyrillic, 世界 2 CJK of 10 letters */
    const double *f = feat(state, "Hello \u043c\u0438\u0440 \u4e16\u754c");
    assert_double_equal(f[F_LATIN_SHARE], 0.5, EPS);
    assert_double_equal(f[F_CYRILLIC_SHARE], 0.3, EPS);
    assert_double_equal(f[F_CJK_SHARE], 0.2, EPS);
    assert_double_equal(f[F_OTHER_SCRIPT_SHARE], 0, EPS);
}

static void other_script_share_should_hold_greek_and_arabic(void **state)
{
    /* abc 3 Latin, αβγ 3 Greek, سلام 4 Arabic: other = 7/10 */
    const double *f = feat(state, "abc \u03b1\u03b2\u03b3 \u0633\u0644\u0627\u0645");
    assert_double_equal(f[F_LATIN_SHARE], 0.3, EPS);
    assert_double_equal(f[F_OTHER_SCRIPT_SHARE], 0.7, EPS);
    assert_double_equal(f[F_CYRILLIC_SHARE], 0, EPS);
    assert_double_equal(f[F_CJK_SHARE], 0, EPS);
    /* no letters -> every share 0 */
    f = feat(state, "123 !!");
    assert_double_equal(f[F_LATIN_SHARE] + f[F_CYRILLIC_SHARE] + f[F_CJK_SHARE] + f[F_OTHER_SCRIPT_SHARE], 0, EPS);
}

static void cjk_share_should_include_kana_and_hangul(void **state)
{
    /* ひら (2 kana) 한 (1 Hangul) 字 (1 Han) -> 4/4 */
    assert_double_equal(feat(state, "\u3072\u3089 \ud55c \u5b57")[F_CJK_SHARE], 1, EPS);
}

static void mixed_script_words_should_catch_homoglyphs(void **state)
{
    /* p + Cyrillic а + ypal: one word with Latin and Cyrillic; "hello" and
     * "мир" are separate words -> 1 */
    assert_double_equal(feat(state, "p\u0430ypal and hello \u043c\u0438\u0440")[F_MIXED_SCRIPT_WORDS], 1, EPS);
    /* Greek α inside a Latin word -> 1 */
    assert_double_equal(feat(state, "p\u03b1ypal")[F_MIXED_SCRIPT_WORDS], 1, EPS);
    /* Latin next to Han is not a homoglyph trick -> 0 */
    assert_double_equal(feat(state, "abc\u65e5\u672c")[F_MIXED_SCRIPT_WORDS], 0, EPS);
    /* a zero-width space does not split the word -> 1 */
    assert_double_equal(feat(state, "pay\u200Bp\u0430l")[F_MIXED_SCRIPT_WORDS], 1, EPS);
}

static void invisible_chars_should_spare_emoji_zwj_and_a_leading_bom(void **state)
{
    /* leading BOM no; ZWSP in a\u200Bb (1); ZWJ between letters (2); ZWJ
     * inside the family emoji no; soft hyphen (3); RLO (4) -> 4 */
    assert_double_equal(
        feat(state, "\uFEFFhi a\u200Bb c\u200Dd \U0001F468\u200D\U0001F469 e\u00ADf \u202Eg")[F_INVISIBLE], 4, EPS);
}

static void fancy_alnum_should_count_each_styled_character_once(void **state)
{
    /* math bold H i (2), fullwidth o k (2), fullwidth 1 2 (2), circled A
     * (1) -> 7 */
    assert_double_equal(feat(state, "\U0001D407\U0001D422 \uff4f\uff4b \uff11\uff12 \u24b6")[F_FANCY_ALNUM], 7, EPS);
    /* five fullwidth letters in one word -> 5 */
    assert_double_equal(feat(state, "\uff48\uff45\uff4c\uff4c\uff4f")[F_FANCY_ALNUM], 5, EPS);
}

static void replacement_chars_should_count_each_bad_byte(void **state)
{
    /* 0xFF (1), truncated E2 82 (2 bytes -> 2) -> 3 */
    assert_double_equal(feat_n(state,
                               "a\xff"
                               "b\xe2\x82",
                               5)[F_REPLACEMENT_CHARS],
                        3, EPS);
    /* a U+FFFD already in the text counts too -> 1 */
    assert_double_equal(feat(state, "x\uFFFDy")[F_REPLACEMENT_CHARS], 1, EPS);
}

/* ------------------------------------------------------------------ */
/* lexicon matcher                                                     */

static void lexicon_prefix_entry_should_match_words_starting_with_it(void **state)
{
    const char *first = NULL;
    /* delve, delves, delving, Delv match delv*; del is too short -> 4 */
    feat(state, "delve delves delving del Delv");
    assert_int_equal(lex_matches(state, LEX_LLM_VOCAB, &first), 4);
    assert_non_null(first);
    /* the entry as written, without its '*' */
    assert_string_equal(first, "delv");
}

static void lexicon_plain_entry_should_not_match_as_a_prefix(void **state)
{
    const char *first = "unset";
    feat(state, "tapestries");
    assert_int_equal(lex_matches(state, LEX_LLM_VOCAB, &first), 0);
    assert_null(first);
    feat(state, "Tapestry");
    assert_int_equal(lex_matches(state, LEX_LLM_VOCAB, &first), 1);
    assert_string_equal(first, "tapestry");
}

static void lexicon_phrase_should_match_word_by_word(void **state)
{
    const char *first = NULL;
    /* case, punctuation and spacing between the words do not matter */
    feat(state, "THANK you,   for sharing!");
    assert_int_equal(lex_matches(state, LEX_PRAISE, &first), 1);
    assert_string_equal(first, "thank you for sharing");
    /* a phrase cut short does not match */
    feat(state, "thank you for");
    assert_int_equal(lex_matches(state, LEX_PRAISE, NULL), 0);
}

static void lexicon_overlapping_entries_should_count_once_per_position(void **state)
{
    const char *first = NULL;
    /* "love this" and "love this song" both start at "love": 1, the file's
     * first wins */
    feat(state, "love this song");
    assert_int_equal(lex_matches(state, LEX_PRAISE, &first), 1);
    assert_string_equal(first, "love this");
    /* check out (at "check"), my channel (at "my") -> 2 */
    feat(state, "check out my channel");
    assert_int_equal(lex_matches(state, LEX_PROMO, &first), 2);
    assert_string_equal(first, "check out");
}

static void lexicon_should_match_normalised_words(void **state)
{
    /* fullwidth ＤＥＬＶＥ folds to delve */
    feat(state, "\uff24\uff25\uff2c\uff36\uff25");
    assert_int_equal(lex_matches(state, LEX_LLM_VOCAB, NULL), 1);
    /* I’M folds to i'm */
    const char *first = NULL;
    feat(state, "I\u2019M HERE");
    assert_int_equal(lex_matches(state, LEX_FIRST_PERSON, &first), 1);
    assert_string_equal(first, "i'm");
    /* Cyrillic entries: мой канал (promo); я and мой (first person) */
    feat(state, "\u042f \u0441\u043c\u043e\u0442\u0440\u044e \u043c\u043e\u0439 \u043a\u0430\u043d\u0430\u043b");
    assert_int_equal(lex_matches(state, LEX_PROMO, &first), 1);
    assert_string_equal(first, "\u043c\u043e\u0439 \u043a\u0430\u043d\u0430\u043b");
    assert_int_equal(lex_matches(state, LEX_FIRST_PERSON, NULL), 2);
}

/* ------------------------------------------------------------------ */
/* the table                                                           */

/* The 74 features of feature-set version 1, by index. Indices are stable:
 * features may be appended after these, never moved or removed. */
#define N_BASE 74
static const char *const base_names[N_BASE] = {"bytes",
                                               "codepoints",
                                               "graphemes",
                                               "words",
                                               "sentences",
                                               "paragraphs",
                                               "sentence_len_mean",
                                               "sentence_len_sd",
                                               "word_len_mean",
                                               "word_len_max",
                                               "type_token_ratio",
                                               "mattr",
                                               "hapax_share",
                                               "function_word_rate",
                                               "first_person_rate",
                                               "second_person_rate",
                                               "contraction_rate",
                                               "uppercase_share",
                                               "allcaps_word_share",
                                               "digit_share",
                                               "exclamation_rate",
                                               "question_rate",
                                               "comma_rate",
                                               "semicolon_rate",
                                               "colon_rate",
                                               "ellipsis_rate",
                                               "em_dash_rate",
                                               "en_dash_rate",
                                               "curly_quote_rate",
                                               "straight_quote_rate",
                                               "paren_rate",
                                               "urls",
                                               "emails",
                                               "mentions",
                                               "hashtags",
                                               "phone_numbers",
                                               "money_amounts",
                                               "flesch_reading_ease",
                                               "ari",
                                               "llm_vocab_rate",
                                               "hedge_phrases",
                                               "rhetorical_templates",
                                               "promo_phrases",
                                               "generic_praise",
                                               "sentence_caps_share",
                                               "ends_with_terminal",
                                               "emoji",
                                               "emoji_distinct",
                                               "emoji_density",
                                               "emoji_trailing",
                                               "emoji_only",
                                               "emoji_run_max",
                                               "emoji_zwj_sequences",
                                               "emoji_skin_tones",
                                               "emoji_flags",
                                               "emoji_keycaps",
                                               "text_symbols",
                                               "ascii_emoticons",
                                               "char_run_max",
                                               "char_runs3",
                                               "immediate_word_repeats",
                                               "repeated_bigram_share",
                                               "repeated_trigram_share",
                                               "compression_ratio",
                                               "char_trigram_entropy",
                                               "duplicated_lines",
                                               "latin_share",
                                               "cyrillic_share",
                                               "cjk_share",
                                               "other_script_share",
                                               "mixed_script_words",
                                               "invisible_chars",
                                               "fancy_alnum",
                                               "replacement_chars"};

static void feature_table_should_keep_the_74_base_features_in_order(void **state)
{
    (void)state;
    assert_true(CHAFF_NFEATURES >= N_BASE);
    for (int i = 0; i < N_BASE; i++)
        assert_string_equal(chaff_features[i].name, base_names[i]);
    /* family boundaries: length 0-9, lexical 10-45, emoji 46-57,
     * repetition 58-65, script 66-73 */
    for (int i = 0; i < N_BASE; i++) {
        int want = i < 10   ? FAM_LENGTH
                   : i < 46 ? FAM_LEXICAL
                   : i < 58 ? FAM_EMOJI
                   : i < 66 ? FAM_REPETITION
                            : FAM_SCRIPT;
        assert_int_equal(chaff_features[i].family, want);
    }
    assert_int_equal(F_BYTES, 0);
    assert_int_equal(F_TTR, 10);
    assert_int_equal(F_EMOJI, 46);
    assert_int_equal(F_CHAR_RUN_MAX, 58);
    assert_int_equal(F_LATIN_SHARE, 66);
    assert_int_equal(F_REPLACEMENT_CHARS, 73);
    assert_string_equal(chaff_family_name(FAM_REPETITION), "repetition");
    assert_string_equal(chaff_family_name(-1), "?");
    for (int i = 0; i < CHAFF_NFEATURES; i++)
        assert_true(chaff_features[i].transform == XF_NONE || chaff_features[i].transform == XF_LOG);
}

static void feature_find_should_map_every_name_to_its_index(void **state)
{
    (void)state;
    for (int i = 0; i < CHAFF_NFEATURES; i++)
        assert_int_equal(chaff_feature_find(chaff_features[i].name), i);
    assert_int_equal(chaff_feature_find("bytes"), 0);
    assert_int_equal(chaff_feature_find("replacement_chars"), 73);
    assert_int_equal(chaff_feature_find("no_such_feature"), -1);
    assert_int_equal(chaff_feature_find(""), -1);
}

/* FNV-1a 64, written out here so the test does not trust the library's. */
static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void feature_set_hash_should_be_16_stable_hex_digits(void **state)
{
    (void)state;
    char a[17], b[17], want[17];
    memset(a, 'x', sizeof a);
    chaff_feature_set_hash(a);
    chaff_feature_set_hash(b);
    assert_int_equal(strlen(a), 16);
    for (int i = 0; i < 16; i++)
        assert_non_null(strchr("0123456789abcdef", a[i]));
    assert_string_equal(a, b);
    /* FNV-1a over "chaff-features", then "i:name:family:transform;" per line */
    uint64_t h = fnv1a(0xcbf29ce484222325ULL, "chaff-features", 14);
    for (int i = 0; i < CHAFF_NFEATURES; i++) {
        char line[128];
        int n = snprintf(line, sizeof line, "%d:%s:%d:%d;", i, chaff_features[i].name, chaff_features[i].family,
                         chaff_features[i].transform);
        h = fnv1a(h, line, (size_t)n);
    }
    /* then each compiled-in lexicon: its name with its NUL, then its text */
    for (const struct chaff_lexicon_src *src = chaff_lexicon_sources; src->name; src++) {
        h = fnv1a(h, src->name, strlen(src->name) + 1);
        h = fnv1a(h, src->text, src->len);
    }
    snprintf(want, sizeof want, "%016llx", (unsigned long long)h);
    assert_string_equal(a, want);
    /* Every table the project has shipped, by CHAFF_FEATURE_SET_VERSION.
     * Changing table.def or a lexicon changes the hash: bump the version in
     * chaff_features.h and add its hash here (and retrain the model). */
    static const struct {
        int version;
        const char *hash;
    } shipped[] = {{1, "82f23a46392ac55a"}, {2, "59b3d0587d0a5eaf"}, {3, "59b3d0587d0a5eaf"}, {4, "edf1259f78ec2b9c"},
                   {6, "3cf4038cbe717bbd"}, {7, "3cf4038cbe717bbd"}, {8, "a1af4c1dcbe0a026"}, {9, "ebdeb5da85ad18e1"}};
    const char *pinned = NULL;
    for (size_t i = 0; i < sizeof shipped / sizeof *shipped; i++) {
        if (shipped[i].version == CHAFF_FEATURE_SET_VERSION)
            pinned = shipped[i].hash;
    }
    if (!pinned)
        fail_msg("feature-set version %d has no pinned hash; add {%d, \"%s\"}", CHAFF_FEATURE_SET_VERSION,
                 CHAFF_FEATURE_SET_VERSION, a);
    assert_string_equal(a, pinned);
}

static void feature_transform_should_log1p_heavy_tailed_counts(void **state)
{
    (void)state;
    /* bytes is XF_LOG: log1p(e - 1) = 1; negatives clamp to log1p(0) = 0 */
    assert_double_equal(chaff_feature_transform(F_BYTES, exp(1.0) - 1.0), 1.0, EPS);
    assert_double_equal(chaff_feature_transform(F_BYTES, -5), 0, EPS);
    /* type_token_ratio is XF_NONE */
    assert_double_equal(chaff_feature_transform(F_TTR, 0.3), 0.3, EPS);
    assert_double_equal(chaff_feature_transform(F_FLESCH, -42), -42, EPS);
}

/* ------------------------------------------------------------------ */
/* robustness                                                          */

static const int share_features[] = {F_TTR,
                                     F_MATTR,
                                     F_HAPAX,
                                     F_FUNCTION_WORDS,
                                     F_FIRST_PERSON,
                                     F_SECOND_PERSON,
                                     F_CONTRACTIONS,
                                     F_UPPER_SHARE,
                                     F_ALLCAPS_WORDS,
                                     F_DIGIT_SHARE,
                                     F_LLM_VOCAB,
                                     F_SENT_CAPS,
                                     F_ENDS_TERMINAL,
                                     F_EMOJI_DENSITY,
                                     F_EMOJI_ONLY,
                                     F_BIGRAM_REPEATS,
                                     F_TRIGRAM_REPEATS,
                                     F_LATIN_SHARE,
                                     F_CYRILLIC_SHARE,
                                     F_CJK_SHARE,
                                     F_OTHER_SCRIPT_SHARE};

/* Every value finite; counts and rates non-negative; shares in [0, 1];
 * readability within its clamps; a few cross-feature invariants. */
static void assert_sane(const double *f)
{
    for (int i = 0; i < CHAFF_NFEATURES; i++)
        assert_true(isfinite(f[i]));
    for (int i = 0; i < N_BASE; i++) {
        if (i != F_FLESCH && i != F_ARI)
            assert_true(f[i] >= 0);
    }
    for (size_t k = 0; k < sizeof share_features / sizeof *share_features; k++) {
        assert_true(f[share_features[k]] >= 0);
        assert_true(f[share_features[k]] <= 1);
    }
    assert_true(f[F_FLESCH] >= -100 && f[F_FLESCH] <= 121);
    assert_true(f[F_ARI] >= -20 && f[F_ARI] <= 50);
    double scripts = f[F_LATIN_SHARE] + f[F_CYRILLIC_SHARE] + f[F_CJK_SHARE] + f[F_OTHER_SCRIPT_SHARE];
    assert_true(fabs(scripts) < EPS || fabs(scripts - 1) < EPS);
    assert_true(f[F_GRAPHEMES] <= f[F_CODEPOINTS]);
    assert_true(f[F_CODEPOINTS] <= f[F_BYTES]);
    assert_true(f[F_SENTENCES] <= f[F_WORDS]);
    assert_true(f[F_WORD_LEN_MAX] >= f[F_WORD_LEN_MEAN]);
    assert_true(f[F_EMOJI_DISTINCT] <= f[F_EMOJI]);
    assert_true(f[F_EMOJI_TRAILING] <= f[F_EMOJI]);
    assert_true(f[F_EMOJI_RUN_MAX] <= f[F_EMOJI]);
    assert_true(f[F_EMOJI_ZWJ] + f[F_EMOJI_FLAGS] + f[F_EMOJI_KEYCAPS] <= f[F_EMOJI]);
    assert_true(f[F_REPLACEMENT_CHARS] <= f[F_CODEPOINTS]);
}

static void cyrillic_comment_should_be_sane_and_counted(void **state)
{
    /* привет | как | дела | всё | хорошо: 5 words, 2 sentences; "как" is a
     * function word -> 1/5; capitals П В start both sentences -> 1 */
    const double *f = feat(state, "\u041f\u0440\u0438\u0432\u0435\u0442, \u043a\u0430\u043a \u0434\u0435\u043b\u0430? "
                                  "\u0412\u0441\u0451 \u0445\u043e\u0440\u043e\u0448\u043e!");
    assert_sane(f);
    assert_double_equal(f[F_WORDS], 5, EPS);
    assert_double_equal(f[F_SENTENCES], 2, EPS);
    assert_double_equal(f[F_CYRILLIC_SHARE], 1, EPS);
    assert_double_equal(f[F_FUNCTION_WORDS], 0.2, EPS);
    assert_double_equal(f[F_SENT_CAPS], 1, EPS);
}

static void greek_comment_should_be_sane_and_counted(void **state)
{
    /* Καλημέρα σας. Τι κάνετε; (with the Greek question mark U+037E): 4
     * words, 19 Greek letters -> other 1; U+037E is neither a '?' nor a
     * sentence end, so 2 sentences come from the '.' only */
    const double *f = feat(state, "\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1 \u03c3\u03b1\u03c2. "
                                  "\u03a4\u03b9 \u03ba\u03ac\u03bd\u03b5\u03c4\u03b5\u037e");
    assert_sane(f);
    assert_double_equal(f[F_WORDS], 4, EPS);
    assert_double_equal(f[F_SENTENCES], 2, EPS);
    assert_double_equal(f[F_OTHER_SCRIPT_SHARE], 1, EPS);
    assert_double_equal(f[F_QUESTIONS], 0, EPS);
}

static void arabic_comment_should_be_sane_and_counted(void **state)
{
    /* مرحبا بكم، كيف الحال؟ : 4 words, all letters "other"; the Arabic comma
     * and question mark are not counted as ',' and '?' */
    const double *f = feat(state, "\u0645\u0631\u062d\u0628\u0627 \u0628\u0643\u0645\u060c \u0643\u064a\u0641 "
                                  "\u0627\u0644\u062d\u0627\u0644\u061f");
    assert_sane(f);
    assert_double_equal(f[F_WORDS], 4, EPS);
    assert_double_equal(f[F_OTHER_SCRIPT_SHARE], 1, EPS);
    assert_double_equal(f[F_COMMAS], 0, EPS);
    assert_double_equal(f[F_QUESTIONS], 0, EPS);
    /* no cased letters -> 0.5 */
    assert_double_equal(f[F_SENT_CAPS], 0.5, EPS);
}

static void hebrew_comment_should_be_sane_and_counted(void **state)
{
    /* שלום לכולם, מה שלומכם? : 4 words, 1 comma and 1 '?' -> 0.25 each */
    const double *f = feat(state, "\u05e9\u05dc\u05d5\u05dd \u05dc\u05db\u05d5\u05dc\u05dd, \u05de\u05d4 "
                                  "\u05e9\u05dc\u05d5\u05de\u05db\u05dd?");
    assert_sane(f);
    assert_double_equal(f[F_WORDS], 4, EPS);
    assert_double_equal(f[F_COMMAS], 0.25, EPS);
    assert_double_equal(f[F_QUESTIONS], 0.25, EPS);
    assert_double_equal(f[F_OTHER_SCRIPT_SHARE], 1, EPS);
}

static void chinese_comment_should_split_characters_and_sentences(void **state)
{
    /* 我喜欢这个。你呢？: each Han character is a word -> 5 + 2 = 7; 。 and
     * the fullwidth ？ end 2 sentences; 1 question mark / 7 words */
    const double *f = feat(state, "\u6211\u559c\u6b22\u8fd9\u4e2a\u3002\u4f60\u5462\uff1f");
    assert_sane(f);
    assert_double_equal(f[F_WORDS], 7, EPS);
    assert_double_equal(f[F_SENTENCES], 2, EPS);
    assert_double_equal(f[F_SENT_LEN_MEAN], 3.5, EPS);
    assert_double_equal(f[F_CJK_SHARE], 1, EPS);
    assert_double_equal(f[F_QUESTIONS], 1.0 / 7.0, EPS);
    assert_double_equal(f[F_ENDS_TERMINAL], 1, EPS);
}

static void japanese_comment_should_split_characters(void **state)
{
    /* 今日はいい天気ですね。: 10 kanji and kana, one word each; the doubled
     * い is an immediate word repeat */
    const double *f = feat(state, "\u4eca\u65e5\u306f\u3044\u3044\u5929\u6c17\u3067\u3059\u306d\u3002");
    assert_sane(f);
    assert_double_equal(f[F_WORDS], 10, EPS);
    assert_double_equal(f[F_SENTENCES], 1, EPS);
    assert_double_equal(f[F_CJK_SHARE], 1, EPS);
    assert_double_equal(f[F_WORD_REPEATS], 1, EPS);
}

static void thai_comment_should_split_code_points(void **state)
{
    /* สวัสดีครับ: 10 code points (3 of them vowel marks), 7 clusters; Thai
     * is unspaced so every code point is a word; 7 letters, all "other" */
    const double *f = feat(state, "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a");
    assert_sane(f);
    assert_double_equal(f[F_CODEPOINTS], 10, EPS);
    assert_double_equal(f[F_GRAPHEMES], 7, EPS);
    assert_double_equal(f[F_WORDS], 10, EPS);
    assert_double_equal(f[F_OTHER_SCRIPT_SHARE], 1, EPS);
}

static void mixed_comments_should_be_sane(void **state)
{
    static const char *const texts[] = {
        /* Latin, Cyrillic, Han, Arabic, emoji, RTL marks */
        "Hello \u043c\u0438\u0440 \u4e16\u754c \U0001F44B \u0645\u0631\u062d\u0628\u0627 \u200F!",
        /* Devanagari with a ZWJ, Korean, Greek */
        "\u0915\u094d\u200d\u0937 \ud55c\uad6d\uc5b4 \u03b1\u03b2\u03b3?",
        /* emoji soup with tags, keycaps, lone modifiers and joiners */
        "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F \u200D\u200D \U0001F3FD "
        "#\uFE0F\u20E3\uFE0F\uFE0F \U0001F1E6",
        /* combining marks without bases, bidi overrides, math letters */
        "\u0301\u0302 \u202E\u202Dabc\u202C \U0001D400\U0001D7CE",
        /* only punctuation and spaces */
        " .,;:!?()\"' \u3000 \u2026 \u2014 ",
        /* Persian with ZWNJ and an Arabic question mark */
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u061f",
        /* lists, templates and links in several languages */
        "Nicht nur gut, sondern toll. Uno, dos y tres. Voir www.exemple.fr! \u0438, \u0438 \u0438\u043b\u0438 \u0430",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        assert_sane(feat(state, texts[i]));
}

static void empty_text_should_give_zeros_and_neutral_caps(void **state)
{
    struct fx *x = *state;
    for (int round = 0; round < 2; round++) {
        /* the second round passes NULL, which the API reads as "" */
        const double *f = round == 0 ? feat_n(state, "", 0) : feat_n(state, NULL, 0);
        for (int i = 0; i < N_BASE; i++) {
            /* with no cased sentence start the share is the neutral 0.5 */
            double want = i == F_SENT_CAPS ? 0.5 : 0;
            assert_double_equal(f[i], want, EPS);
        }
        for (int l = 0; l < CHAFF_NLEX; l++) {
            const char *first = "unset";
            assert_int_equal(chaff_fctx_matches(x->ctx, l, &first), 0);
            assert_null(first);
        }
        size_t len = 1;
        chaff_fctx_norm(x->ctx, &len);
        assert_int_equal(len, 0);
    }
}

static void invalid_utf8_should_be_repaired_byte_by_byte(void **state)
{
    /* C3 before '(' (1 bad byte), " ok ", a UTF-16 surrogate ED A0 80 (3),
     * " ", a 5-byte form F8 88 80 80 80 (5): 15 bytes, 9 bad.
     * bytes: 15 - 9 + 9*3 = 33; code points: 15 - 9 + 9 = 15 */
    const char text[] = "\xc3\x28 ok \xed\xa0\x80 \xf8\x88\x80\x80\x80";
    const double *f = feat_n(state, text, sizeof text - 1);
    assert_sane(f);
    assert_double_equal(f[F_REPLACEMENT_CHARS], 9, EPS);
    assert_double_equal(f[F_BYTES], 33, EPS);
    assert_double_equal(f[F_CODEPOINTS], 15, EPS);
    /* ok is the one word */
    assert_double_equal(f[F_WORDS], 1, EPS);
}

static void nul_bytes_should_not_end_the_text(void **state)
{
    struct fx *x = *state;
    /* a b NUL c d: 5 bytes and code points; the normaliser drops the
     * control character, so the words read "abcd" -> 1 word of 4 */
    const double *f = feat_n(state, "ab\0cd", 5);
    assert_sane(f);
    assert_double_equal(f[F_BYTES], 5, EPS);
    assert_double_equal(f[F_CODEPOINTS], 5, EPS);
    assert_double_equal(f[F_WORDS], 1, EPS);
    assert_double_equal(f[F_WORD_LEN_MAX], 4, EPS);
    size_t len = 0;
    const char *norm = chaff_fctx_norm(x->ctx, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(norm, "abcd", 4);
    /* text after a NUL is still read: hi | subscribe | now, 1 promo word */
    f = feat_n(state, "hi \0 subscribe now", 18);
    assert_double_equal(f[F_WORDS], 3, EPS);
    assert_double_equal(f[F_PROMO], 1, EPS);
}

static void one_megabyte_comment_should_extract_finite_values(void **state)
{
    const char unit[] = "hello world foo\n"; /* 16 bytes */
    const size_t reps = 65536;               /* 16 * 65536 = 1 MiB */
    size_t len = reps * 16;
    char *text = malloc(len);
    assert_non_null(text);
    for (size_t i = 0; i < reps; i++)
        memcpy(text + i * 16, unit, 16);
    const double *f = feat_n(state, text, len);
    assert_sane(f);
    assert_double_equal(f[F_BYTES], 1048576, EPS);
    /* 3 words per line, one sentence and one non-blank line each */
    assert_double_equal(f[F_WORDS], 196608, EPS);
    assert_double_equal(f[F_SENTENCES], 65536, EPS);
    assert_double_equal(f[F_PARAGRAPHS], 65536, EPS);
    assert_double_equal(f[F_SENT_LEN_MEAN], 3, EPS);
    assert_double_equal(f[F_SENT_LEN_SD], 0, EPS);
    /* every line after the first repeats it */
    assert_double_equal(f[F_DUP_LINES], 65535, EPS);
    /* 3 types: TTR 3 / 196608; every 25-word window holds all 3 -> 0.12 */
    assert_double_equal(f[F_TTR], 3.0 / 196608.0, EPS);
    assert_double_equal(f[F_MATTR], 0.12, EPS);
    /* every bigram and trigram position repeats */
    assert_double_equal(f[F_BIGRAM_REPEATS], 1, EPS);
    assert_double_equal(f[F_TRIGRAM_REPEATS], 1, EPS);
    assert_true(f[F_COMPRESSION] < 0.01);
    /* 16 distinct trigrams over 1048574 positions: 14 occur 65536 times, the
     * 2 that would start in the last 2 positions 65535 times:
     * H = -14 p1 log2 p1 - 2 p2 log2 p2 with p1 = 65536/1048574,
     * p2 = 65535/1048574, = 4 - 1.8e-11 */
    assert_double_equal(f[F_TRIGRAM_ENTROPY], 4, 1e-9);

    /* one 1 MiB word of 'a' */
    memset(text, 'a', len);
    f = feat_n(state, text, len);
    assert_sane(f);
    assert_double_equal(f[F_WORDS], 1, EPS);
    assert_double_equal(f[F_WORD_LEN_MAX], 1048576, EPS);
    assert_double_equal(f[F_CHAR_RUN_MAX], 1048576, EPS);
    assert_double_equal(f[F_CHAR_RUNS3], 1, EPS);
    assert_double_equal(f[F_TRIGRAM_ENTROPY], 0, EPS);

    /* 1 MiB of arbitrary bytes (a fixed linear congruential sequence) */
    uint32_t seed = 12345;
    for (size_t i = 0; i < len; i++) {
        seed = seed * 1103515245u + 12345u;
        text[i] = (char)(seed >> 16);
    }
    f = feat_n(state, text, len);
    assert_sane(f);
    assert_true(f[F_BYTES] >= 1048576);
    free(text);

    /* the context still gives the small answers afterwards */
    assert_double_equal(feat(state, "The cat saw THE dog")[F_TTR], 0.8, EPS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* length */
        cmocka_unit_test(bytes_should_count_utf8_bytes_after_repair),
        cmocka_unit_test(codepoints_should_count_decoded_code_points),
        cmocka_unit_test(graphemes_should_join_marks_skin_tones_and_flags),
        cmocka_unit_test(words_should_keep_contractions_and_decimals_and_skip_links),
        cmocka_unit_test(sentences_should_count_sentences_with_words),
        cmocka_unit_test(paragraphs_should_count_non_blank_lines),
        cmocka_unit_test(html_escapes_should_read_as_the_author_typed_them),
        cmocka_unit_test(sentence_len_mean_should_average_words_per_sentence),
        cmocka_unit_test(sentence_len_sd_should_be_the_population_sd),
        cmocka_unit_test(word_len_mean_should_use_normalised_code_points),
        cmocka_unit_test(word_len_max_should_take_the_longest_word),
        /* lexical */
        cmocka_unit_test(type_token_ratio_should_fold_case),
        cmocka_unit_test(hapax_share_should_divide_once_seen_words_by_types),
        cmocka_unit_test(mattr_should_equal_ttr_up_to_25_words),
        cmocka_unit_test(mattr_should_average_sliding_25_word_windows),
        cmocka_unit_test(function_word_rate_should_divide_by_words),
        cmocka_unit_test(first_person_rate_should_divide_by_words),
        cmocka_unit_test(second_person_rate_should_read_curly_apostrophes),
        cmocka_unit_test(contraction_rate_should_count_words_with_an_apostrophe),
        cmocka_unit_test(uppercase_share_should_divide_capitals_by_letters),
        cmocka_unit_test(allcaps_word_share_should_need_two_capitals),
        cmocka_unit_test(digit_share_should_divide_digits_by_code_points),
        cmocka_unit_test(exclamation_rate_should_count_marks_per_word),
        cmocka_unit_test(question_rate_should_count_marks_per_word),
        cmocka_unit_test(comma_rate_should_count_every_comma_per_word),
        cmocka_unit_test(semicolon_rate_should_count_per_word),
        cmocka_unit_test(colon_rate_should_skip_times_and_schemes),
        cmocka_unit_test(ellipsis_rate_should_count_dot_runs_once),
        cmocka_unit_test(em_dash_rate_should_count_u2014_per_word),
        cmocka_unit_test(en_dash_rate_should_count_u2013_per_word),
        cmocka_unit_test(curly_quote_rate_should_skip_curly_apostrophes_between_letters),
        cmocka_unit_test(straight_quote_rate_should_skip_apostrophes_between_letters),
        cmocka_unit_test(paren_rate_should_count_both_brackets),
        cmocka_unit_test(urls_should_count_schemes_www_and_known_tlds),
        cmocka_unit_test(emails_should_need_a_dot_after_the_at),
        cmocka_unit_test(mentions_should_need_a_word_character_after_the_at),
        cmocka_unit_test(hashtags_should_need_a_letter_after_the_hash),
        cmocka_unit_test(phone_numbers_should_need_9_to_15_digits),
        cmocka_unit_test(money_amounts_should_pair_symbols_or_units_with_digits),
        cmocka_unit_test(flesch_reading_ease_should_follow_the_formula),
        cmocka_unit_test(ari_should_follow_the_formula),
        cmocka_unit_test(llm_vocab_rate_should_match_prefix_entries),
        cmocka_unit_test(hedge_phrases_should_count_each_starting_position),
        cmocka_unit_test(rhetorical_templates_should_count_not_just_and_lists_of_three),
        cmocka_unit_test(promo_phrases_should_count_calls_to_action),
        cmocka_unit_test(lexicons_should_match_unspaced_scripts_and_more_languages),
        cmocka_unit_test(generic_praise_should_count_phrases),
        cmocka_unit_test(generic_praise_should_count_engagement_bait),
        cmocka_unit_test(word_fold_should_undo_stretching_and_leetspeak),
        cmocka_unit_test(promo_should_see_through_stretched_and_leet_words),
        cmocka_unit_test(hedges_should_count_assistant_leftovers),
        cmocka_unit_test(sentence_caps_share_should_be_half_without_cased_starts),
        cmocka_unit_test(ends_with_terminal_should_skip_emoji_quotes_and_brackets),
        /* emoji */
        cmocka_unit_test(emoji_should_count_units_not_code_points),
        cmocka_unit_test(emoji_distinct_should_ignore_skin_tones),
        cmocka_unit_test(emoji_density_should_divide_units_by_units_and_words),
        cmocka_unit_test(emoji_trailing_should_count_units_after_the_last_letter),
        cmocka_unit_test(emoji_only_should_need_units_and_no_letters_or_digits),
        cmocka_unit_test(emoji_run_max_should_allow_spaces_inside_a_run),
        cmocka_unit_test(emoji_zwj_sequences_should_count_joined_units),
        cmocka_unit_test(emoji_skin_tones_should_count_toned_units),
        cmocka_unit_test(emoji_flags_should_pair_regional_indicators),
        cmocka_unit_test(emoji_keycaps_should_accept_with_and_without_vs16),
        cmocka_unit_test(text_symbols_should_count_text_presentation_pictographs),
        cmocka_unit_test(ascii_emoticons_should_stand_apart),
        /* repetition */
        cmocka_unit_test(char_run_max_should_take_the_longest_run),
        cmocka_unit_test(char_runs3_should_count_runs_of_three_but_not_digits),
        cmocka_unit_test(immediate_word_repeats_should_fold_case),
        cmocka_unit_test(repeated_bigram_share_should_count_positions),
        cmocka_unit_test(repeated_trigram_share_should_count_positions),
        cmocka_unit_test(compression_ratio_should_divide_zlib_bytes_by_raw_bytes),
        cmocka_unit_test(char_trigram_entropy_should_use_normalised_text),
        cmocka_unit_test(duplicated_lines_should_trim_but_keep_case),
        cmocka_unit_test(duplicated_lines_should_count_lines_of_unicode_spaces),
        /* script */
        cmocka_unit_test(script_shares_should_divide_letters_by_script),
        cmocka_unit_test(other_script_share_should_hold_greek_and_arabic),
        cmocka_unit_test(cjk_share_should_include_kana_and_hangul),
        cmocka_unit_test(mixed_script_words_should_catch_homoglyphs),
        cmocka_unit_test(invisible_chars_should_spare_emoji_zwj_and_a_leading_bom),
        cmocka_unit_test(fancy_alnum_should_count_each_styled_character_once),
        cmocka_unit_test(replacement_chars_should_count_each_bad_byte),
        /* lexicon matcher */
        cmocka_unit_test(lexicon_prefix_entry_should_match_words_starting_with_it),
        cmocka_unit_test(lexicon_plain_entry_should_not_match_as_a_prefix),
        cmocka_unit_test(lexicon_phrase_should_match_word_by_word),
        cmocka_unit_test(lexicon_overlapping_entries_should_count_once_per_position),
        cmocka_unit_test(lexicon_should_match_normalised_words),
        /* the table */
        cmocka_unit_test(feature_table_should_keep_the_74_base_features_in_order),
        cmocka_unit_test(feature_find_should_map_every_name_to_its_index),
        cmocka_unit_test(feature_set_hash_should_be_16_stable_hex_digits),
        cmocka_unit_test(feature_transform_should_log1p_heavy_tailed_counts),
        /* robustness */
        cmocka_unit_test(cyrillic_comment_should_be_sane_and_counted),
        cmocka_unit_test(greek_comment_should_be_sane_and_counted),
        cmocka_unit_test(arabic_comment_should_be_sane_and_counted),
        cmocka_unit_test(hebrew_comment_should_be_sane_and_counted),
        cmocka_unit_test(chinese_comment_should_split_characters_and_sentences),
        cmocka_unit_test(japanese_comment_should_split_characters),
        cmocka_unit_test(thai_comment_should_split_code_points),
        cmocka_unit_test(mixed_comments_should_be_sane),
        cmocka_unit_test(empty_text_should_give_zeros_and_neutral_caps),
        cmocka_unit_test(invalid_utf8_should_be_repaired_byte_by_byte),
        cmocka_unit_test(nul_bytes_should_not_end_the_text),
        cmocka_unit_test(one_megabyte_comment_should_extract_finite_values),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
