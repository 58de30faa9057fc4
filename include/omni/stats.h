/*
 * Statistics for A/B experiments: conversion rates, the two-proportion
 * z-test and 95 % confidence intervals of the difference and of the
 * relative lift of a variant over its control (the holdout).
 *
 * The dashboard computes the same numbers in JavaScript with the same
 * formulas and the same normal tail approximation; the formulas are
 * written out in README.md ("Statistics").
 */

#ifndef OMNI_STATS_H_INCLUDED
#define OMNI_STATS_H_INCLUDED


#include <omni/omni.h>


/* the 0.975 quantile of the standard normal distribution */
#define OMNI_STATS_Z95       1.959963984540054

/* a test is significant when its two-sided p-value is below this */
#define OMNI_STATS_ALPHA     0.05

/*
 * Below this many conversions (or non-conversions) in either group the
 * normal approximation behind the test is poor: the result is flagged.
 */
#define OMNI_STATS_MIN_EVENTS  5


typedef struct {
    double    rate;             /* variant: x1 / n1 */
    double    control_rate;     /* control: x2 / n2 */

    double    diff;             /* rate - control_rate */
    double    diff_lo;          /* 95 % CI of diff (unpooled Wald) */
    double    diff_hi;

    double    lift;             /* diff / control_rate */
    double    lift_lo;          /* 95 % CI of lift (log rate ratio) */
    double    lift_hi;

    double    z;                /* pooled two-proportion z statistic */
    double    p_value;          /* two-sided */

    unsigned  has_test:1;       /* z and p_value are defined */
    unsigned  has_diff_ci:1;
    unsigned  has_lift:1;       /* control_rate > 0 */
    unsigned  has_lift_ci:1;    /* and both groups converted */
    unsigned  significant:1;    /* has_test and p_value < alpha */
    unsigned  small_sample:1;   /* see OMNI_STATS_MIN_EVENTS */
} omni_ab_t;


/* x / n, and 0 when n is 0 */
double omni_stats_rate(uint64_t x, uint64_t n);

/*
 * P(Z > z) for a standard normal Z, within 1e-15 absolute and 1e-8
 * relative, without cancellation in the tail (Hart's algorithm 5666 as
 * given by G. West, "Better approximations to cumulative normal
 * functions").
 */
double omni_stats_normal_tail(double z);

/* P(Z <= z) */
double omni_stats_normal_cdf(double z);

/*
 * Compares a variant (x1 conversions out of n1 exposures) with its
 * control (x2 out of n2).  Every field that cannot be computed is 0 and
 * its has_* flag is clear; p_value is then 1.  Returns OMNI_EINVAL when
 * a group has more conversions than exposures.
 */
int omni_stats_ab(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2,
    omni_ab_t *ab);


#endif /* OMNI_STATS_H_INCLUDED */
