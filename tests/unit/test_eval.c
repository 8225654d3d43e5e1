/* test_eval.c: chaff_metrics_compute on hand-made confusion matrices.
 * Matrices are m[truth][predicted], rows and columns in the order human,
 * low-effort, machine. Every expected value is worked out beside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "testing.h"

#include "train.h"

#define EPS 1e-12

enum { H = CHAFF_HUMAN, L = CHAFF_LOW_EFFORT, M = CHAFF_MACHINE };

static void metrics_should_match_hand_arithmetic_on_a_balanced_matrix(void **state)
{
    (void)state;
    /*          pred h  l  m
     * truth h     8  1  1
     * truth l     2  5  3
     * truth m     0  2  8       */
    struct chaff_confusion c = {{{8, 1, 1}, {2, 5, 3}, {0, 2, 8}}};
    struct chaff_metrics o;
    chaff_metrics_compute(&c, &o);

    assert_int_equal(o.n, 30);          /* 10 + 10 + 10 */
    assert_int_equal(o.support[H], 10); /* 8 + 1 + 1 */
    assert_int_equal(o.support[L], 10); /* 2 + 5 + 3 */
    assert_int_equal(o.support[M], 10); /* 0 + 2 + 8 */

    /* predicted columns: h 8+2+0 = 10, l 1+5+2 = 8, m 1+3+8 = 12 */
    assert_near(o.precision[H], 0.8, EPS);       /* 8/10 */
    assert_near(o.precision[L], 0.625, EPS);     /* 5/8 */
    assert_near(o.precision[M], 2.0 / 3.0, EPS); /* 8/12 */

    assert_near(o.recall[H], 0.8, EPS); /* 8/10 */
    assert_near(o.recall[L], 0.5, EPS); /* 5/10 */
    assert_near(o.recall[M], 0.8, EPS); /* 8/10 */

    /* F1 = 2PR/(P+R): h 2*.8*.8/1.6 = .8; l 2*.625*.5/1.125 = .625/1.125
     * = 5/9; m 2*(2/3)*.8/(2/3+.8) = (16/15)/(22/15) = 8/11 */
    assert_near(o.f1[H], 0.8, EPS);
    assert_near(o.f1[L], 5.0 / 9.0, EPS);
    assert_near(o.f1[M], 8.0 / 11.0, EPS);

    /* all three classes present: (0.8 + 5/9 + 8/11) / 3 */
    assert_near(o.macro_f1, (0.8 + 5.0 / 9.0 + 8.0 / 11.0) / 3.0, EPS);
    assert_near(o.accuracy, 0.7, EPS); /* (8+5+8)/30 = 21/30 */
    /* humans predicted l or m: (1+1)/10 */
    assert_near(o.humans_flagged, 0.2, EPS);
    /* non-humans predicted l or m: (5+3+2+8)/20 = 18/20 */
    assert_near(o.nonhuman_caught, 0.9, EPS);
}

static void metrics_should_average_f1_over_classes_present_in_the_truth(void **state)
{
    (void)state;
    /* no low-effort comment in the truth, but one predicted low-effort:
     *          pred h  l  m
     * truth h     4  1  0
     * truth l     0  0  0
     * truth m     1  0  3       */
    struct chaff_confusion c = {{{4, 1, 0}, {0, 0, 0}, {1, 0, 3}}};
    struct chaff_metrics o;
    chaff_metrics_compute(&c, &o);

    assert_int_equal(o.n, 9);
    assert_int_equal(o.support[H], 5);
    assert_int_equal(o.support[L], 0);
    assert_int_equal(o.support[M], 4);

    /* predicted columns: h 4+1 = 5, l 1, m 3 */
    assert_near(o.precision[H], 0.8, EPS); /* 4/5 */
    assert_near(o.precision[L], 0.0, EPS); /* 0/1 */
    assert_near(o.precision[M], 1.0, EPS); /* 3/3 */
    assert_near(o.recall[H], 0.8, EPS);    /* 4/5 */
    assert_near(o.recall[L], 0.0, EPS);    /* no support: 0 */
    assert_near(o.recall[M], 0.75, EPS);   /* 3/4 */
    assert_near(o.f1[H], 0.8, EPS);
    assert_near(o.f1[L], 0.0, EPS);       /* P + R = 0 */
    assert_near(o.f1[M], 6.0 / 7.0, EPS); /* 2*1*.75/1.75 = 1.5/1.75 */

    /* only h and m are present: (0.8 + 6/7) / 2, not / 3 */
    assert_near(o.macro_f1, (0.8 + 6.0 / 7.0) / 2.0, EPS);
    assert_near(o.accuracy, 7.0 / 9.0, EPS);   /* (4+0+3)/9 */
    assert_near(o.humans_flagged, 0.2, EPS);   /* (1+0)/5 */
    assert_near(o.nonhuman_caught, 0.75, EPS); /* (0+0+0+3)/4 */
}

static void metrics_should_count_low_effort_called_machine_as_caught(void **state)
{
    (void)state;
    /* low-effort is never predicted:
     *          pred h  l  m
     * truth h     3  0  2
     * truth l     1  0  1
     * truth m     0  0  4       */
    struct chaff_confusion c = {{{3, 0, 2}, {1, 0, 1}, {0, 0, 4}}};
    struct chaff_metrics o;
    chaff_metrics_compute(&c, &o);

    assert_int_equal(o.n, 11);
    /* predicted columns: h 3+1 = 4, l 0, m 2+1+4 = 7 */
    assert_near(o.precision[H], 0.75, EPS);      /* 3/4 */
    assert_near(o.precision[L], 0.0, EPS);       /* nothing predicted: 0 */
    assert_near(o.precision[M], 4.0 / 7.0, EPS); /* 4/7 */
    assert_near(o.recall[H], 0.6, EPS);          /* 3/5 */
    assert_near(o.recall[L], 0.0, EPS);          /* 0/2 */
    assert_near(o.recall[M], 1.0, EPS);          /* 4/4 */
    /* h: 2*.75*.6/1.35 = .9/1.35 = 2/3; m: 2*(4/7)*1/(11/7) = 8/11 */
    assert_near(o.f1[H], 2.0 / 3.0, EPS);
    assert_near(o.f1[L], 0.0, EPS);
    assert_near(o.f1[M], 8.0 / 11.0, EPS);
    /* low-effort is present in the truth, so its F1 of 0 counts */
    assert_near(o.macro_f1, (2.0 / 3.0 + 0.0 + 8.0 / 11.0) / 3.0, EPS);
    assert_near(o.accuracy, 7.0 / 11.0, EPS); /* (3+0+4)/11 */
    assert_near(o.humans_flagged, 0.4, EPS);  /* (0+2)/5 */
    /* low-effort predicted machine is still caught: (0+1+0+4)/6 */
    assert_near(o.nonhuman_caught, 5.0 / 6.0, EPS);
}

static void metrics_should_be_zero_for_an_empty_matrix(void **state)
{
    (void)state;
    struct chaff_confusion c = {{{0}}};
    struct chaff_metrics o;
    memset(&o, 0x5a, sizeof o); /* garbage the function must overwrite */
    chaff_metrics_compute(&c, &o);
    assert_int_equal(o.n, 0);
    for (int k = 0; k < CHAFF_NLABELS; k++) {
        assert_int_equal(o.support[k], 0);
        assert_near(o.precision[k], 0.0, 0.0);
        assert_near(o.recall[k], 0.0, 0.0);
        assert_near(o.f1[k], 0.0, 0.0);
    }
    assert_near(o.macro_f1, 0.0, 0.0); /* no class present */
    assert_near(o.accuracy, 0.0, 0.0); /* n = 0 */
    assert_near(o.humans_flagged, 0.0, 0.0);
    assert_near(o.nonhuman_caught, 0.0, 0.0);
}

static void metrics_should_handle_a_truth_of_humans_only(void **state)
{
    (void)state;
    /* 5 humans, all right: nothing non-human to catch */
    struct chaff_confusion c = {{{5, 0, 0}, {0, 0, 0}, {0, 0, 0}}};
    struct chaff_metrics o;
    chaff_metrics_compute(&c, &o);
    assert_int_equal(o.n, 5);
    assert_near(o.precision[H], 1.0, EPS); /* 5/5 */
    assert_near(o.recall[H], 1.0, EPS);    /* 5/5 */
    assert_near(o.f1[H], 1.0, EPS);
    assert_near(o.precision[L], 0.0, 0.0); /* 0 predicted */
    assert_near(o.precision[M], 0.0, 0.0);
    assert_near(o.macro_f1, 1.0, EPS); /* one class present: 1/1 */
    assert_near(o.accuracy, 1.0, EPS);
    assert_near(o.humans_flagged, 0.0, 0.0);
    assert_near(o.nonhuman_caught, 0.0, 0.0); /* 0 non-humans: 0 */
}

static void metrics_should_handle_a_truth_without_humans(void **state)
{
    (void)state;
    /* 3 machine comments, 2 called human, 1 low-effort; no humans */
    struct chaff_confusion c = {{{0, 0, 0}, {0, 0, 0}, {2, 1, 0}}};
    struct chaff_metrics o;
    chaff_metrics_compute(&c, &o);
    assert_int_equal(o.n, 3);
    assert_near(o.precision[H], 0.0, 0.0); /* 0/2 */
    assert_near(o.recall[M], 0.0, 0.0);    /* 0/3 */
    assert_near(o.macro_f1, 0.0, 0.0);     /* machine F1 0, the only class present */
    assert_near(o.accuracy, 0.0, 0.0);
    assert_near(o.humans_flagged, 0.0, 0.0);        /* 0 humans: 0 */
    assert_near(o.nonhuman_caught, 1.0 / 3.0, EPS); /* (0+1)/3 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics_should_match_hand_arithmetic_on_a_balanced_matrix),
        cmocka_unit_test(metrics_should_average_f1_over_classes_present_in_the_truth),
        cmocka_unit_test(metrics_should_count_low_effort_called_machine_as_caught),
        cmocka_unit_test(metrics_should_be_zero_for_an_empty_matrix),
        cmocka_unit_test(metrics_should_handle_a_truth_of_humans_only),
        cmocka_unit_test(metrics_should_handle_a_truth_without_humans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
