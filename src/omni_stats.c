/*
 * A/B statistics: two-proportion z-test and confidence intervals.
 */

#include <math.h>
#include <string.h>

#include <omni/stats.h>


double
omni_stats_rate(uint64_t x, uint64_t n)
{
    if (n == 0) {
        return 0.0;
    }

    return (double) x / (double) n;
}


/*
 * Hart's rational approximation for |z| < 7.07 (10 / sqrt(2)) and a
 * continued fraction beyond; past 37 the tail is below the smallest
 * double.  The same constants are in util/dashboard.html.
 */

double
omni_stats_normal_tail(double z)
{
    double  a, e, num, den, q;

    if (isnan(z)) {
        return NAN;
    }

    a = fabs(z);

    if (a > 37.0) {
        q = 0.0;

    } else {
        e = exp(-a * a / 2.0);

        if (a < 7.07106781186547) {
            num = 3.52624965998911e-02 * a + 0.700383064443688;
            num = num * a + 6.37396220353165;
            num = num * a + 33.912866078383;
            num = num * a + 112.079291497871;
            num = num * a + 221.213596169931;
            num = num * a + 220.206867912376;

            den = 8.83883476483184e-02 * a + 1.75566716318264;
            den = den * a + 16.064177579207;
            den = den * a + 86.7807322029461;
            den = den * a + 296.564248779674;
            den = den * a + 637.333633378831;
            den = den * a + 793.826512519948;
            den = den * a + 440.413735824752;

            q = e * num / den;

        } else {
            den = a + 0.65;
            den = a + 4.0 / den;
            den = a + 3.0 / den;
            den = a + 2.0 / den;
            den = a + 1.0 / den;

            q = e / den / 2.506628274631;
        }
    }

    return (z >= 0.0) ? q : 1.0 - q;
}


double
omni_stats_normal_cdf(double z)
{
    return 1.0 - omni_stats_normal_tail(z);
}


int
omni_stats_ab(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2,
    omni_ab_t *ab)
{
    double  p1, p2, n1d, n2d, pool, se, var;

    memset(ab, 0, sizeof(omni_ab_t));
    ab->p_value = 1.0;

    if (x1 > n1 || x2 > n2) {
        return OMNI_EINVAL;
    }

    p1 = omni_stats_rate(x1, n1);
    p2 = omni_stats_rate(x2, n2);

    ab->rate = p1;
    ab->control_rate = p2;

    if (n1 == 0 || n2 == 0) {
        ab->small_sample = 1;
        return OMNI_OK;
    }

    n1d = (double) n1;
    n2d = (double) n2;

    ab->diff = p1 - p2;

    ab->small_sample = (x1 < OMNI_STATS_MIN_EVENTS
                        || n1 - x1 < OMNI_STATS_MIN_EVENTS
                        || x2 < OMNI_STATS_MIN_EVENTS
                        || n2 - x2 < OMNI_STATS_MIN_EVENTS);

    /* the test assumes no difference, so it pools both groups */

    pool = (double) (x1 + x2) / (n1d + n2d);
    se = sqrt(pool * (1.0 - pool) * (1.0 / n1d + 1.0 / n2d));

    if (se > 0.0) {
        ab->z = ab->diff / se;
        ab->p_value = 2.0 * omni_stats_normal_tail(fabs(ab->z));

        if (ab->p_value > 1.0) {
            ab->p_value = 1.0;
        }

        ab->has_test = 1;
        ab->significant = (ab->p_value < OMNI_STATS_ALPHA);
    }

    /* the interval does not, so each group keeps its own variance */

    se = sqrt(p1 * (1.0 - p1) / n1d + p2 * (1.0 - p2) / n2d);

    ab->diff_lo = ab->diff - OMNI_STATS_Z95 * se;
    ab->diff_hi = ab->diff + OMNI_STATS_Z95 * se;
    ab->has_diff_ci = 1;

    if (x2 == 0) {
        return OMNI_OK;
    }

    ab->lift = ab->diff / p2;
    ab->has_lift = 1;

    if (x1 == 0) {
        return OMNI_OK;
    }

    /*
     * The rate ratio is log-normal to a good approximation (Katz et al.,
     * 1978): var(ln(p1 / p2)) = 1/x1 - 1/n1 + 1/x2 - 1/n2.
     */

    var = 1.0 / (double) x1 - 1.0 / n1d + 1.0 / (double) x2 - 1.0 / n2d;
    se = sqrt(var > 0.0 ? var : 0.0);

    ab->lift_lo = exp(log(p1 / p2) - OMNI_STATS_Z95 * se) - 1.0;
    ab->lift_hi = exp(log(p1 / p2) + OMNI_STATS_Z95 * se) - 1.0;
    ab->has_lift_ci = 1;

    return OMNI_OK;
}
