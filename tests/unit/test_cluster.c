/* test_cluster.c: near-duplicate clusters across a dump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cluster.h"

struct got {
    struct chaff_cluster_member m[16];
    int n;
};

static int collect(const struct chaff_cluster_member *m, void *ud)
{
    struct got *g = ud;
    if (g->n < 16)
        g->m[g->n++] = *m;
    return 0;
}

/* texts are given already normalised (casefolded), as the scorer does */
static void add(chaff_clusterer *cl, int64_t id, const char *text, const char *author)
{
    assert_int_equal(chaff_clusterer_add(cl, id, text, strlen(text), author), CHAFF_OK);
}

static void campaign_variants_should_form_one_cluster_with_their_authors(void **state)
{
    (void)state;
    chaff_clusterer *cl = NULL;
    assert_int_equal(chaff_clusterer_new(&cl), CHAFF_OK);
    /* Jaccard of the word sets with the first comment: 15/21 = 0.71 and
     * 15/18 = 0.83, above the 0.6 that CHAFF_CLUSTER_MIN_PERCENT asks */
    add(cl, 10, "tired of paywalls? get the newsplus app free and read every story before anyone else link in bio",
        "app_one");
    add(cl, 11, "the council voted seven to four and nobody asked the swimmers what they thought of it", "dale");
    add(cl, 12, "tired of paywalls?? get the newsplus app for free and read every story first link in my bio",
        "app_two");
    add(cl, 13, "tired of paywalls? get newsplus app free - every story before anyone else!! link in bio", "app_one");
    struct got g = {0};
    assert_int_equal(chaff_clusterer_each(cl, collect, &g), 0);
    assert_int_equal(g.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(g.m[i].cluster, 10); /* named after its first comment */
        assert_int_equal(g.m[i].size, 3);
        assert_int_equal(g.m[i].authors, 2); /* app_one twice, app_two */
    }
    assert_int_equal(g.m[0].id, 10);
    assert_int_equal(g.m[1].id, 12);
    assert_int_equal(g.m[2].id, 13);
    chaff_clusterer_free(cl);
}

static void different_comments_on_one_topic_should_not_cluster(void **state)
{
    (void)state;
    chaff_clusterer *cl = NULL;
    assert_int_equal(chaff_clusterer_new(&cl), CHAFF_OK);
    add(cl, 1, "the pool was the only cheap thing to do in summer for the kids around here", "a");
    add(cl, 2, "the garage will be empty half the year, the pool was full every summer", "b");
    add(cl, 3, "who voted for this? the pool was full every single weekend in july", "c");
    struct got g = {0};
    assert_int_equal(chaff_clusterer_each(cl, collect, &g), 0);
    assert_int_equal(g.n, 0);
    chaff_clusterer_free(cl);
}

static void short_comments_should_be_left_out(void **state)
{
    (void)state;
    chaff_clusterer *cl = NULL;
    assert_int_equal(chaff_clusterer_new(&cl), CHAFF_OK);
    /* five words: under CHAFF_CLUSTER_MIN_WORDS, however many copies */
    for (int i = 0; i < 5; i++)
        add(cl, i, "this aged badly lol ok", NULL);
    uint32_t sig[CHAFF_CLUSTER_HASHES];
    assert_int_equal(chaff_minhash("this aged badly lol ok", 22, sig), 0);
    struct got g = {0};
    assert_int_equal(chaff_clusterer_each(cl, collect, &g), 0);
    assert_int_equal(g.n, 0);
    chaff_clusterer_free(cl);
}

static void exact_copies_without_authors_should_count_none(void **state)
{
    (void)state;
    chaff_clusterer *cl = NULL;
    assert_int_equal(chaff_clusterer_new(&cl), CHAFF_OK);
    /* 200 copies: the bucket keeps few representatives, all still join */
    for (int i = 0; i < 200; i++)
        add(cl, 100 + i, "earn 500 a day from home message me on whatsapp now", i % 2 ? "" : NULL);
    int n = 0;
    struct got g = {0};
    assert_int_equal(chaff_clusterer_each(cl, collect, &g), 0);
    n = g.n;
    assert_int_equal(n, 16); /* collect keeps the first 16 */
    assert_int_equal(g.m[0].size, 200);
    assert_int_equal(g.m[0].authors, 0); /* NULL and "" are unknown */
    assert_int_equal(g.m[15].cluster, 100);
    chaff_clusterer_free(cl);
}

/* A dump of distinct comments: every one adds its signature and its band
 * entries, and nothing else may grow. 100,000 comments must stay under 500
 * bytes each (the index of one bucket per band key took about 3,500), and
 * none of them may cluster. */
static void distinct_comments_should_cost_a_few_hundred_bytes_each(void **state)
{
    (void)state;
    chaff_clusterer *cl = NULL;
    assert_int_equal(chaff_clusterer_new(&cl), CHAFF_OK);
    uint64_t x = 88172645463325252ULL;
    enum { N = 100000 };
    for (int i = 0; i < N; i++) {
        char text[256];
        size_t len = 0;
        for (int w = 0; w < 12; w++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            len += (size_t)snprintf(text + len, sizeof text - len, "w%llu ", (unsigned long long)(x % 1000000));
        }
        assert_int_equal(chaff_clusterer_add(cl, i + 1, text, len, NULL), CHAFF_OK);
    }
    size_t bytes = chaff_clusterer_bytes(cl);
    if (bytes / N >= 500)
        fail_msg("%zu bytes for %d comments: %zu each", bytes, (int)N, bytes / N);
    struct got g = {.n = 0};
    assert_int_equal(chaff_clusterer_each(cl, collect, &g), 0);
    assert_int_equal(g.n, 0);
    /* the clusters are final: the index is gone, and so are its bytes */
    assert_int_equal(chaff_clusterer_add(cl, N + 1, "one two three four five six seven", 33, NULL), CHAFF_EINVAL);
    assert_int_equal(chaff_clusterer_add(cl, N + 2, "too short", 9, NULL), CHAFF_EINVAL);
    if (chaff_clusterer_bytes(cl) * 2 > bytes)
        fail_msg("%zu bytes once finished, %zu before", chaff_clusterer_bytes(cl), bytes);
    chaff_clusterer_free(cl);
}

/* Listing an empty clusterer finishes it too. */
static void an_empty_clusterer_should_refuse_comments_once_listed(void **state)
{
    (void)state;
    chaff_clusterer *cl = NULL;
    assert_int_equal(chaff_clusterer_new(&cl), CHAFF_OK);
    struct got g = {.n = 0};
    assert_int_equal(chaff_clusterer_each(cl, collect, &g), 0);
    assert_int_equal(g.n, 0);
    assert_int_equal(chaff_clusterer_add(cl, 1, "one two three four five six seven", 33, NULL), CHAFF_EINVAL);
    chaff_clusterer_free(cl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(campaign_variants_should_form_one_cluster_with_their_authors),
        cmocka_unit_test(different_comments_on_one_topic_should_not_cluster),
        cmocka_unit_test(short_comments_should_be_left_out),
        cmocka_unit_test(exact_copies_without_authors_should_count_none),
        cmocka_unit_test(distinct_comments_should_cost_a_few_hundred_bytes_each),
        cmocka_unit_test(an_empty_clusterer_should_refuse_comments_once_listed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
