/*
 * Experiment buckets: the hash is SipHash-2-4, stable forever, uniform
 * over the 10,000 buckets, independent between experiments, and splits
 * visitors into the holdout and the variants in the shares of the file.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <omni/decide.h>


#define NIDS  100000


static uint64_t
splitmix64(uint64_t *s)
{
    uint64_t  z;

    z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;

    return z ^ (z >> 31);
}


static void
random_id(uint64_t *s, omni_id_t *id)
{
    uint64_t  a, b;

    a = splitmix64(s);
    b = splitmix64(s);
    memcpy(id->bytes, &a, 8);
    memcpy(id->bytes + 8, &b, 8);
}


/* the reference vectors of SipHash-2-4: key 00..0f, message 00..len-1 */

static void
test_siphash_vectors(void **state)
{
    uint8_t  key[16], msg[64];
    size_t   i;

    (void) state;

    for (i = 0; i < 16; i++) {
        key[i] = (uint8_t) i;
    }

    for (i = 0; i < 64; i++) {
        msg[i] = (uint8_t) i;
    }

    assert_int_equal(omni_siphash24(key, msg, 0), 0x726fdb47dd0e0e31ULL);
    assert_int_equal(omni_siphash24(key, msg, 1), 0x74f839c593dc67fdULL);
    assert_int_equal(omni_siphash24(key, msg, 7), 0xab0200f58b01d137ULL);
    assert_int_equal(omni_siphash24(key, msg, 8), 0x93f5f5799a932462ULL);
    assert_int_equal(omni_siphash24(key, msg, 15), 0xa129ca6149be45e5ULL);
    assert_int_equal(omni_siphash24(key, msg, 63), 0x958a324ceb064572ULL);
}


/* pinned values: changing them reshuffles every running experiment */

static void
test_stability(void **state)
{
    size_t     i;
    uint32_t   b;
    omni_id_t  id;

    (void) state;

    for (i = 0; i < OMNI_ID_SIZE; i++) {
        id.bytes[i] = (uint8_t) i;
    }

    b = omni_bucket(&id, "welcome-copy", 12);
    assert_int_equal(b, omni_bucket(&id, "welcome-copy", 12));
    assert_int_equal(b, 2299);

    memset(id.bytes, 0, sizeof(id.bytes));
    assert_int_equal(omni_bucket(&id, "x", 1), 2459);

    /* ids longer than a name are cut at OMNI_NAME_MAX */
    {
        char  longid[OMNI_NAME_MAX + 10];

        memset(longid, 'e', sizeof(longid));
        assert_int_equal(omni_bucket(&id, longid, sizeof(longid)),
                         omni_bucket(&id, longid, OMNI_NAME_MAX));
    }
}


static void
test_uniformity(void **state)
{
    double     chi2, expected, d;
    size_t     i;
    uint32_t   b;
    uint64_t   seed;
    omni_id_t  id;

    static uint32_t  counts[OMNI_BUCKETS];

    (void) state;

    memset(counts, 0, sizeof(counts));
    seed = 42;

    for (i = 0; i < NIDS; i++) {
        random_id(&seed, &id);
        b = omni_bucket(&id, "welcome-copy", 12);
        assert_true(b < OMNI_BUCKETS);
        counts[b]++;
    }

    expected = (double) NIDS / OMNI_BUCKETS;
    chi2 = 0;

    for (i = 0; i < OMNI_BUCKETS; i++) {
        d = counts[i] - expected;
        chi2 += d * d / expected;
    }

    /*
     * 9,999 degrees of freedom: mean 9,999, standard deviation 141.4.
     * Five deviations either way; the ids are seeded, so this is exact.
     */
    print_message("chi-square over %d buckets: %.1f\n", OMNI_BUCKETS, chi2);
    assert_true(chi2 > 9999 - 5 * 141.4);
    assert_true(chi2 < 9999 + 5 * 141.4);
}


/* two experiments split the same visitors independently */

static void
test_independence(void **state)
{
    size_t     i, both, first;
    uint64_t   seed;
    omni_id_t  id;

    (void) state;

    seed = 7;
    both = 0;
    first = 0;

    for (i = 0; i < NIDS; i++) {
        random_id(&seed, &id);

        if (omni_bucket(&id, "exp-1", 5) < 5000) {
            first++;

            if (omni_bucket(&id, "exp-2", 5) < 5000) {
                both++;
            }
        }
    }

    /* a half of a half: 25,000, standard deviation about 137 */
    assert_true(first > 49000 && first < 51000);
    assert_true(both > 24300 && both < 25700);
}


static void
test_holdout_share(void **state)
{
    size_t                    i, held, a, b;
    uint64_t                  seed;
    omni_id_t                 id;
    omni_facts_t              facts;
    omni_decision_t           d, again;
    omni_campaigns_t         *cs;
    omni_campaigns_error_t    err;

    static const char  json[] =
        "{\"offers\": [{\"id\": \"o\", \"html\": \"x\"}],"
        " \"experiments\": [{\"id\": \"e\", \"offer\": \"o\", \"holdout\": 0.1,"
        "  \"variants\": [{\"id\": \"a\", \"weight\": 70},"
        "                {\"id\": \"b\", \"weight\": 30}]}]}";

    (void) state;

    assert_int_equal(omni_campaigns_load(json, sizeof(json) - 1, "t", NULL,
                                         NULL, &cs, &err), OMNI_OK);

    omni_facts_init(&facts);
    facts.now = 1795348800;
    facts.visitor = &id;

    seed = 1;
    held = 0;
    a = 0;
    b = 0;

    for (i = 0; i < NIDS; i++) {
        random_id(&seed, &id);
        assert_int_equal(omni_decide(cs, NULL, &facts, &d, NULL), OMNI_OK);

        if (d.offer == NULL) {
            assert_non_null(d.held);
            assert_null(d.variant);
            assert_string_equal(d.variant_id.data, "holdout");
            assert_true(d.bucket < 1000);
            held++;

        } else if (strcmp(d.variant_id.data, "a") == 0) {
            assert_true(d.bucket >= 1000 && d.bucket < 7300);
            a++;

        } else {
            assert_string_equal(d.variant_id.data, "b");
            assert_true(d.bucket >= 7300);
            b++;
        }

        /* sticky: the same visitor gets the same answer again */
        if (i % 1000 == 0) {
            omni_decide(cs, NULL, &facts, &again, NULL);
            assert_int_equal(again.bucket, d.bucket);
            assert_ptr_equal(again.variant, d.variant);
        }
    }

    print_message("holdout %zu, a %zu, b %zu of %d\n", held, a, b, NIDS);

    /* 10% +- 0.5 (5 deviations), 63% and 27% +- 0.8 */
    assert_true(held > 9500 && held < 10500);
    assert_true(a > 62200 && a < 63800);
    assert_true(b > 26200 && b < 27800);

    omni_campaigns_free(cs);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_siphash_vectors),
        cmocka_unit_test(test_stability),
        cmocka_unit_test(test_uniformity),
        cmocka_unit_test(test_independence),
        cmocka_unit_test(test_holdout_share),
    };

    return cmocka_run_group_tests_name("bucket", tests, NULL, NULL);
}
