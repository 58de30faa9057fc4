/*
 * bench_first: what the first-response cookie costs (include/omni/first.h).
 *
 *     bench_first [N]
 *
 * A landing page's events (a page view with an email campaign's touch, a
 * product view) put in the cookie and sealed, as for every response to a
 * client without a cookie; then the same value verified and read back, as
 * for the request that returns it.  Prints ns per operation (median of 5
 * rounds of N) and the cookie's size.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omni/first.h>


#define ROUNDS  5


static double
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec * 1e9 + ts.tv_nsec;
}


static int
cmp(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}


static omni_str_t
str(const char *s)
{
    omni_str_t  r = { s, strlen(s) };

    return r;
}


int
main(int argc, char **argv)
{
    int             r;
    char            value[OMNI_FIRST_COOKIE_MAX];
    long            i, n;
    size_t          len, pos;
    double          t0, seal[ROUNDS], open[ROUNDS];
    omni_id_t       id;
    omni_event_t    pv, view, ev;
    omni_first_t    f, g;
    omni_signer_t  *signer;
    volatile size_t sink;

    n = (argc > 1) ? atol(argv[1]) : 1000000;

    signer = omni_signer_new("bench-first-response-key-32bytes", 32);
    if (signer == NULL) {
        return 1;
    }

    memset(&id, 0x5a, sizeof(id));

    omni_event_init(&pv, OMNI_EVENT_PAGEVIEW, 1700000000);
    pv.touch.channel = OMNI_CHANNEL_EMAIL;
    pv.touch.source = str("newsletter");
    pv.touch.medium = str("email");
    pv.touch.campaign = str("spring-sale");

    omni_event_init(&view, OMNI_EVENT_VIEW, 1700000000);
    view.item = str("SKU-7");

    len = 0;
    sink = 0;

    for (r = 0; r < ROUNDS; r++) {
        t0 = now_ns();

        for (i = 0; i < n; i++) {
            omni_first_init(&f, 1700000000);
            (void) omni_first_add(&f, &pv);
            (void) omni_first_add(&f, &view);
            len = omni_first_seal(signer, &id, &f, value);
            sink += len;
        }

        seal[r] = (now_ns() - t0) / n;

        t0 = now_ns();

        for (i = 0; i < n; i++) {
            if (omni_first_open(signer, &id, value, len, 1700000001, &g)
                != OMNI_OK)
            {
                return 1;
            }

            pos = 0;

            while (omni_first_next(&g, &pos, &ev) == OMNI_OK) {
                sink += ev.type;
            }
        }

        open[r] = (now_ns() - t0) / n;
    }

    qsort(seal, ROUNDS, sizeof(double), cmp);
    qsort(open, ROUNDS, sizeof(double), cmp);

    printf("first-response cookie of a landing page (page view with an "
           "email touch, a product view): %zu bytes\n", len);
    printf("  make and seal:        %6.0f ns (median of %d x %ld)\n",
           seal[ROUNDS / 2], ROUNDS, n);
    printf("  verify and read back: %6.0f ns\n", open[ROUNDS / 2]);

    omni_signer_free(signer);

    return sink == 0;
}
