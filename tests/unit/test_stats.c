/*
 * The A/B statistics against values computed independently (Python's
 * math.erfc and the textbook formulas, printed with repr()) and against
 * normal tail probabilities from published tables.
 */

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <omni/stats.h>


#define near(a, b, tol)                                                     \
    do {                                                                    \
        double  a_ = (a), b_ = (b);                                         \
        if (!(fabs(a_ - b_) <= (tol) * (fabs(b_) > 1.0 ? fabs(b_) : 1.0))) { \
            fail_msg("%s = %.17g, expected %.17g", #a, a_, b_);             \
        }                                                                   \
    } while (0)

#define rel(a, b, tol)                                                      \
    do {                                                                    \
        double  a_ = (a), b_ = (b);                                         \
        if (!(fabs(a_ - b_) <= (tol) * fabs(b_))) {                         \
            fail_msg("%s = %.17g, expected %.17g", #a, a_, b_);             \
        }                                                                   \
    } while (0)


static void
test_rate(void **state)
{
    (void) state;

    near(omni_stats_rate(0, 0), 0.0, 0);
    near(omni_stats_rate(5, 0), 0.0, 0);
    near(omni_stats_rate(1, 4), 0.25, 0);
    near(omni_stats_rate(7, 7), 1.0, 0);
}


typedef struct {
    double  z;
    double  tail;
} tail_case_t;


static void
test_normal_tail_table(void **state)
{
    size_t  i;

    static const tail_case_t  cases[] = {
        { 0.0, 0.5 },
        { 0.5, 0.3085375387259869 },
        { 1.0, 0.15865525393145707 },
        { 1.96, 0.024997895148220435 },
        { 2.5758293035489, 0.005000000000000014 },
        { 3.0, 0.0013498980316300957 },
        { 5.0, 2.866515718791946e-07 },
        { 8.0, 6.220960574271819e-16 },
        { 10.0, 7.619853024160593e-24 },
        { -1.0, 0.8413447460685429 },
        { -3.0, 0.9986501019683699 },
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* relative accuracy, also deep in the tail */
        rel(omni_stats_normal_tail(cases[i].z), cases[i].tail, 1e-8);
        near(omni_stats_normal_tail(cases[i].z), cases[i].tail, 1e-15);
    }

    near(omni_stats_normal_cdf(1.96), 0.9750021048517795, 1e-15);
    near(omni_stats_normal_cdf(-1.96), 0.024997895148220435, 1e-15);
    near(omni_stats_normal_cdf(OMNI_STATS_Z95), 0.975, 1e-15);
}


/* every z on a fine grid, both branches of the approximation and beyond */

static void
test_normal_tail_grid(void **state)
{
    int     i;
    double  z, want;

    (void) state;

    for (i = -800; i <= 800; i++) {
        z = i / 20.0;
        want = 0.5 * erfc(z / sqrt(2.0));

        if (want > 1e-300) {
            rel(omni_stats_normal_tail(z), want, 1e-8);
            near(omni_stats_normal_tail(z), want, 1e-15);

        } else {
            near(omni_stats_normal_tail(z), 0.0, 1e-300);
        }
    }

    assert_true(omni_stats_normal_tail(40.0) == 0.0);
    assert_true(omni_stats_normal_tail(-40.0) == 1.0);
    assert_true(omni_stats_normal_tail(INFINITY) == 0.0);
    assert_true(omni_stats_normal_tail(-INFINITY) == 1.0);
    assert_true(isnan(omni_stats_normal_tail(NAN)));
}


typedef struct {
    uint64_t  x1, n1, x2, n2;
    double    rate, control, z, p, diff_lo, diff_hi, lift, lift_lo, lift_hi;
    int       significant;
    int       small;
} ab_case_t;


static void
test_ab_known(void **state)
{
    size_t     i;
    omni_ab_t  ab;

    static const ab_case_t  cases[] = {
        { 120, 1000, 100, 1000, 0.12, 0.1,
          1.4293008498232314, 0.1529177818639462,
          -0.0074114819980199455, 0.04741148199801992,
          0.1999999999999999, -0.06589424893700624, 0.5415813448973079,
          0, 0 },
        { 200, 2000, 150, 2000, 0.1, 0.075,
          2.797818551962665, 0.005144900609716221,
          0.007503821852356929, 0.04249617814764309,
          0.3333333333333335, 0.08899784225742002, 0.6324897155834239,
          1, 0 },
        { 30, 1000, 45, 1000, 0.03, 0.045,
          -1.7654696590094991, 0.07748486513264467,
          -0.031639505536569565, 0.0016395055365695625,
          -0.3333333333333333, -0.5764320840946406, 0.049287322658663424,
          0, 0 },
        { 2000, 40000, 1800, 40000, 0.05, 0.045,
          3.324342066135163, 0.0008862741602697386,
          0.0020523060419952856, 0.007947693958004723,
          0.11111111111111122, 0.04415619004914295, 0.18235941423328939,
          1, 0 },
        { 55, 500, 50, 500, 0.11, 0.1,
          0.5157792153519688, 0.6060086207726982,
          -0.027995002629515015, 0.047995002629515005,
          0.09999999999999995, -0.23436853592649032, 0.5803948201948832,
          0, 0 },
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const ab_case_t  *c = &cases[i];

        assert_int_equal(omni_stats_ab(c->x1, c->n1, c->x2, c->n2, &ab),
                         OMNI_OK);

        assert_true(ab.has_test && ab.has_diff_ci && ab.has_lift
                    && ab.has_lift_ci);

        near(ab.rate, c->rate, 1e-15);
        near(ab.control_rate, c->control, 1e-15);
        near(ab.diff, c->rate - c->control, 1e-15);
        rel(ab.z, c->z, 1e-12);
        rel(ab.p_value, c->p, 1e-12);
        near(ab.diff_lo, c->diff_lo, 1e-12);
        near(ab.diff_hi, c->diff_hi, 1e-12);
        near(ab.lift, c->lift, 1e-12);
        near(ab.lift_lo, c->lift_lo, 1e-12);
        near(ab.lift_hi, c->lift_hi, 1e-12);
        assert_int_equal(ab.significant, c->significant);
        assert_int_equal(ab.small_sample, c->small);
    }
}


/* the test is symmetric: swapping the groups flips z and keeps p */

static void
test_ab_symmetry(void **state)
{
    omni_ab_t  a, b;

    (void) state;

    assert_int_equal(omni_stats_ab(37, 410, 52, 388, &a), OMNI_OK);
    assert_int_equal(omni_stats_ab(52, 388, 37, 410, &b), OMNI_OK);

    near(a.z, -b.z, 1e-14);
    near(a.p_value, b.p_value, 1e-14);
    near(a.diff_lo, -b.diff_hi, 1e-14);
    near(a.diff_hi, -b.diff_lo, 1e-14);

    /* the ratio interval is symmetric on the log scale */
    near(log(1.0 + a.lift_lo), -log(1.0 + b.lift_hi), 1e-12);
}


static void
test_ab_equal_rates(void **state)
{
    omni_ab_t  ab;

    (void) state;

    assert_int_equal(omni_stats_ab(50, 500, 100, 1000, &ab), OMNI_OK);
    assert_true(ab.has_test);
    near(ab.z, 0.0, 1e-15);
    near(ab.p_value, 1.0, 1e-15);
    assert_false(ab.significant);
    near(ab.lift, 0.0, 1e-15);
    assert_true(ab.diff_lo < 0.0 && ab.diff_hi > 0.0);
    assert_true(ab.lift_lo < 0.0 && ab.lift_hi > 0.0);
}


static void
test_ab_empty_groups(void **state)
{
    omni_ab_t  ab;

    (void) state;

    /* no exposures at all in either group */
    assert_int_equal(omni_stats_ab(0, 0, 3, 10, &ab), OMNI_OK);
    assert_false(ab.has_test || ab.has_diff_ci || ab.has_lift
                 || ab.has_lift_ci || ab.significant);
    assert_true(ab.small_sample);
    near(ab.p_value, 1.0, 0);
    near(ab.control_rate, 0.3, 1e-15);

    assert_int_equal(omni_stats_ab(3, 10, 0, 0, &ab), OMNI_OK);
    assert_false(ab.has_test || ab.has_diff_ci || ab.has_lift);
    near(ab.rate, 0.3, 1e-15);
}


static void
test_ab_degenerate(void **state)
{
    omni_ab_t  ab;

    (void) state;

    /* nobody converted: no variance, no test, no lift */
    assert_int_equal(omni_stats_ab(0, 100, 0, 100, &ab), OMNI_OK);
    assert_false(ab.has_test || ab.has_lift || ab.significant);
    assert_true(ab.has_diff_ci);
    near(ab.diff_lo, 0.0, 0);
    near(ab.diff_hi, 0.0, 0);
    near(ab.p_value, 1.0, 0);
    assert_true(ab.small_sample);

    /* everybody converted */
    assert_int_equal(omni_stats_ab(100, 100, 100, 100, &ab), OMNI_OK);
    assert_false(ab.has_test);
    assert_true(ab.has_lift && ab.has_lift_ci);
    near(ab.lift, 0.0, 0);
    near(ab.lift_lo, 0.0, 1e-15);
    near(ab.lift_hi, 0.0, 1e-15);

    /* control never converted: a lift is undefined, the test is not */
    assert_int_equal(omni_stats_ab(20, 100, 0, 100, &ab), OMNI_OK);
    assert_true(ab.has_test && ab.significant);
    assert_false(ab.has_lift || ab.has_lift_ci);
    near(ab.lift, 0.0, 0);

    /* variant never converted: a lift of -100 %, no interval */
    assert_int_equal(omni_stats_ab(0, 100, 20, 100, &ab), OMNI_OK);
    assert_true(ab.has_lift);
    assert_false(ab.has_lift_ci);
    near(ab.lift, -1.0, 1e-15);
}


static void
test_ab_small_sample(void **state)
{
    omni_ab_t  ab;

    (void) state;

    assert_int_equal(omni_stats_ab(4, 100, 10, 100, &ab), OMNI_OK);
    assert_true(ab.small_sample);

    assert_int_equal(omni_stats_ab(5, 100, 10, 100, &ab), OMNI_OK);
    assert_false(ab.small_sample);

    /* too few non-conversions count as well */
    assert_int_equal(omni_stats_ab(96, 100, 10, 100, &ab), OMNI_OK);
    assert_true(ab.small_sample);
}


static void
test_ab_invalid(void **state)
{
    omni_ab_t  ab;

    (void) state;

    assert_int_equal(omni_stats_ab(11, 10, 1, 10, &ab), OMNI_EINVAL);
    assert_false(ab.has_test);
    near(ab.p_value, 1.0, 0);

    assert_int_equal(omni_stats_ab(1, 10, 1, 0, &ab), OMNI_EINVAL);
}


/* huge counts: no overflow, no loss of precision in the pooled rate */

static void
test_ab_large(void **state)
{
    omni_ab_t  ab;

    (void) state;

    assert_int_equal(omni_stats_ab(5000000000ULL, 100000000000ULL,
                                   4990000000ULL, 100000000000ULL, &ab),
                     OMNI_OK);
    assert_true(ab.has_test && ab.significant);
    assert_true(ab.z > 10.0);
    assert_true(ab.p_value < 1e-20);
    near(ab.lift, 0.01 / 4.99, 1e-9);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_normal_tail_table),
        cmocka_unit_test(test_normal_tail_grid),
        cmocka_unit_test(test_ab_known),
        cmocka_unit_test(test_ab_symmetry),
        cmocka_unit_test(test_ab_equal_rates),
        cmocka_unit_test(test_ab_empty_groups),
        cmocka_unit_test(test_ab_degenerate),
        cmocka_unit_test(test_ab_small_sample),
        cmocka_unit_test(test_ab_invalid),
        cmocka_unit_test(test_ab_large),
    };

    return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
