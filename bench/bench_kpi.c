/*
 * bench_kpi: what counting costs a request.
 *
 * A request that shows an offer counts one impression under its offer
 * and variant, its channel and two segments (four rows plus the totals)
 * and increments one operational counter.  The table is the size of a 1 MB
 * zone and already holds the keys of a realistic campaign set (20 offers
 * with 3 variants, 30 segments, 12 channels); the keys rotate so that the
 * loop does not measure one hot cache line.  With -t N the same loop runs
 * in N threads at once over one table, as N nginx workers would.  The
 * machine may be shared: each thread runs ROUNDS rounds and reports the
 * best and the median round.
 *
 *     bench_kpi [-t THREADS] [-n ITERATIONS]
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <omni/kpi.h>


#define NOW       1767225600
#define NKEYS     256
#define ZONE      (1024 * 1024)
#define ROUNDS    9


typedef struct {
    omni_kpi_keys_t  keys;
    omni_str_t       segs[2];
    char             offer[16], variant[8], channel[16];
    char             seg[2][16];
} key_set_t;


typedef struct {
    omni_kpi_t  *t;
    key_set_t   *sets;
    long         n;
    double       ns[ROUNDS];
} job_t;


static double
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec * 1e9 + ts.tv_nsec;
}


static void
make_sets(key_set_t *sets)
{
    int                 i;
    key_set_t          *s;
    static const char  *channels[] = {
        "direct", "search", "paid_search", "social", "paid_social", "email",
        "sms", "push", "display", "affiliate", "referral", "other"
    };

    for (i = 0; i < NKEYS; i++) {
        s = &sets[i];
        memset(s, 0, sizeof(key_set_t));

        s->keys.offer.data = s->offer;
        s->keys.offer.len = snprintf(s->offer, sizeof(s->offer),
                                     "offer-%d", (i * 7) % 20);
        s->keys.variant.data = s->variant;
        s->keys.variant.len = snprintf(s->variant, sizeof(s->variant),
                                       "%c", 'a' + i % 3);
        s->keys.channel.data = s->channel;
        s->keys.channel.len = snprintf(s->channel, sizeof(s->channel),
                                       "%s", channels[i % 12]);
        s->segs[0].data = s->seg[0];
        s->segs[0].len = snprintf(s->seg[0], 16, "segment-%d", i % 30);
        s->segs[1].data = s->seg[1];
        s->segs[1].len = snprintf(s->seg[1], 16, "segment-%d",
                                  (i * 11 + 3) % 30);
        s->keys.segments = s->segs;
        s->keys.nsegments = 2;
    }
}


static int
cmp_double(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}


static void *
run(void *arg)
{
    int      r;
    long     i;
    double   t0;
    job_t   *job = arg;

    for (r = 0; r < ROUNDS; r++) {
        t0 = now_ns();

        for (i = 0; i < job->n; i++) {
            omni_kpi_count(job->t, OMNI_KPI_IMPRESSION,
                           &job->sets[i & (NKEYS - 1)].keys, 0,
                           NOW + (i >> 20));
            omni_kpi_op(job->t, OMNI_KPI_OP_PAGES_REWRITTEN, 1);
        }

        job->ns[r] = (now_ns() - t0) / job->n;
    }

    qsort(job->ns, ROUNDS, sizeof(double), cmp_double);

    return NULL;
}


int
main(int argc, char **argv)
{
    int          c, i, threads;
    long         n;
    void        *mem;
    double       t0, ns;
    job_t        jobs[16];
    pthread_t    th[16];
    key_set_t   *sets;
    omni_kpi_t  *t;

    threads = 1;
    n = 1000000;

    while ((c = getopt(argc, argv, "t:n:")) != -1) {
        switch (c) {
        case 't':
            threads = atoi(optarg);
            break;
        case 'n':
            n = atol(optarg);
            break;
        default:
            fprintf(stderr, "usage: bench_kpi [-t THREADS] [-n ITERATIONS]\n");
            return 2;
        }
    }

    if (threads < 1 || threads > 16 || n < 1) {
        fprintf(stderr, "bench_kpi: 1-16 threads, at least 1 iteration\n");
        return 2;
    }

    if (posix_memalign(&mem, 64, ZONE) != 0
        || omni_kpi_init(mem, ZONE, NOW, &t) != OMNI_OK)
    {
        fprintf(stderr, "bench_kpi: no memory\n");
        return 1;
    }

    sets = calloc(NKEYS, sizeof(key_set_t));
    if (sets == NULL) {
        return 1;
    }

    make_sets(sets);

    /* the keys exist before the clock starts, as after the first minute */
    for (i = 0; i < NKEYS; i++) {
        omni_kpi_count(t, OMNI_KPI_VISIT, &sets[i].keys, 0, NOW);
    }

    /* a single call, cold row lookups included */
    t0 = now_ns();
    omni_kpi_count(t, OMNI_KPI_PURCHASE, &sets[0].keys, 100, NOW);
    ns = now_ns() - t0;

    for (i = 0; i < threads; i++) {
        jobs[i].t = t;
        jobs[i].sets = sets;
        jobs[i].n = n;
        pthread_create(&th[i], NULL, run, &jobs[i]);
    }

    for (i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
    }

    printf("bench_kpi: %u rows in a %d KB table, %u used\n",
           omni_kpi_capacity(t), ZONE / 1024, omni_kpi_used(t));
    printf("  first call (cold):           %8.1f ns\n", ns);

    printf("  one request: an impression in 4 rows + totals, 1 op;"
           " %d rounds of %ld\n", ROUNDS, n);

    for (i = 0; i < threads; i++) {
        printf("  thread %d:  best %6.1f ns   median %6.1f ns\n", i,
               jobs[i].ns[0], jobs[i].ns[ROUNDS / 2]);
    }

    free(sets);
    free(mem);

    return 0;
}
