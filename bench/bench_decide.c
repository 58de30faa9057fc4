/*
 * bench_decide: the decision engine alone, without nginx.
 *
 * A generated campaigns file with 50 segments (every kind of rule, with
 * references) and 200 offers (segments, stages, channels, caps, items,
 * time windows, 10 experiments) is decided for a mix of generated
 * visitors: new ones, returning ones without a profile, and customers
 * with a profile, tags and attributes.  Each call is timed on its own;
 * the report gives p50, p99 and the mean, and the number of heap
 * allocations made during the timed calls, counted by wrapping malloc,
 * calloc, realloc and free in this binary (it must be 0).  The same is
 * done for rendering a typical offer (greeting, money, promo code, click
 * URL) and the retargeting tags of a cart event.
 *
 *     make bench-decide            (or: build/bench/bench_decide [N])
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omni/decide.h>


#ifndef NVISITORS
#define NVISITORS   1024
#endif
#define NSEGMENTS   50
#define NOFFERS     200
#define NOW         1795348800


/* heap allocations, counted */

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void __libc_free(void *p);

static size_t  allocations;

void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);
void free(void *p);


void *
malloc(size_t size)
{
    allocations++;
    return __libc_malloc(size);
}


void *
calloc(size_t n, size_t size)
{
    allocations++;
    return __libc_calloc(n, size);
}


void *
realloc(void *p, size_t size)
{
    allocations++;
    return __libc_realloc(p, size);
}


void
free(void *p)
{
    __libc_free(p);
}


static uint64_t  rng = 0x2545f4914f6cdd1dULL;


static uint32_t
rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;

    return (uint32_t) (rng % n);
}


static int64_t
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


static int
cmp_i64(const void *a, const void *b)
{
    int64_t  x = *(const int64_t *) a, y = *(const int64_t *) b;

    return (x > y) - (x < y);
}


/* the generated file */

static size_t
gen_segment(char *p, int i)
{
    int  k;

    k = rnd(8);

    switch (i % 10) {
    case 0:
        return sprintf(p, "{\"field\": \"tier\", \"in\": [\"gold\", "
                       "\"platinum\"]}");
    case 1:
        return sprintf(p, "{\"tag\": \"tag%d\"}", k);
    case 2:
        return sprintf(p, "{\"field\": \"visits\", \"gte\": %d}", 2 + k);
    case 3:
        return sprintf(p, "{\"field\": \"cart_value\", \"gte\": %d.50}",
                       20 * k);
    case 4:
        return sprintf(p, "{\"field\": \"attr.a%d\", \"eq\": \"v%d\"}", k,
                       rnd(3));
    case 5:
        return sprintf(p, "{\"var\": \"country\", \"in\": [\"FR\", "
                       "\"DE\"]}");
    case 6:
        return sprintf(p, "{\"all\": [{\"segment\": \"s%d\"}, {\"field\": "
                       "\"purchases\", \"eq\": 0}]}", i - 1);
    case 7:
        return sprintf(p, "{\"any\": [{\"field\": \"viewed\", \"contains\": "
                       "\"SKU-%d\"}, {\"field\": \"utm_source\", \"prefix\": "
                       "\"news\"}]}", k);
    case 8:
        return sprintf(p, "{\"not\": {\"segment\": \"s%d\"}}", i - 3);
    default:
        return sprintf(p, "{\"field\": \"days_since_purchase\", \"lte\": %d}",
                       7 * (k + 1));
    }
}


static char *
gen_campaigns(void)
{
    int     i;
    char   *json, *p;

    static const char  *stages[] = {
        "awareness", "consideration", "conversion", "loyalty"
    };

    json = __libc_malloc(1 << 20);
    if (json == NULL) {
        return NULL;
    }

    p = json;
    p += sprintf(p, "{\"brands\": {\"shop\": {\"colors\": {\"primary\": "
                 "\"#0b5fff\"}, \"greeting\": \"Hi {{first_name|there}}\"}},"
                 "\n\"segments\": {\n");

    for (i = 0; i < NSEGMENTS; i++) {
        p += sprintf(p, "%s\"s%d\": ", i ? ",\n" : "", i);
        p += gen_segment(p, i);
    }

    p += sprintf(p, "},\n\"offers\": [\n");

    for (i = 0; i < NOFFERS; i++) {
        p += sprintf(p, "%s{\"id\": \"o%d\", \"priority\": %u, "
                     "\"segments\": [\"s%u\"]", i ? ",\n" : "", i,
                     rnd(1000), rnd(NSEGMENTS));

        if (rnd(5) < 2) {
            p += sprintf(p, ", \"stages\": [\"%s\"]", stages[rnd(4)]);
        }

        if (rnd(5) == 0) {
            p += sprintf(p, ", \"channels\": [\"email\", \"search\"]");
        }

        if (rnd(5) == 0) {
            p += sprintf(p, ", \"cap\": {\"per_day\": %u, \"per_visit\": 1}",
                         1 + rnd(3));
        }

        if (rnd(10) == 0) {
            p += sprintf(p, ", \"items\": [\"SKU-%u\", \"SKU-%u\"]", rnd(40),
                         rnd(40));
        }

        if (rnd(10) == 0) {
            p += sprintf(p, ", \"starts\": \"2026-%02u-01T00:00:00Z\", "
                         "\"ends\": \"2026-12-31T23:59:59Z\"", 1 + rnd(12));
        }

        p += sprintf(p, ", \"link\": \"/p/o%d\", \"promo_code\": \"SAVE%d\","
                     " \"html\": \"<div class=\\\"omni-offer\\\">{{greeting}}"
                     ", {{cart_value}} in your cart: <b>{{promo_code}}</b> "
                     "<a href=\\\"{{click_url}}\\\">Go</a></div>\"}", i, i);
    }

    p += sprintf(p, "],\n\"experiments\": [\n");

    for (i = 0; i < 10; i++) {
        p += sprintf(p, "%s{\"id\": \"e%d\", \"offer\": \"o%d\", "
                     "\"holdout\": 0.1, \"variants\": [{\"id\": \"a\", "
                     "\"weight\": 50}, {\"id\": \"b\", \"weight\": 50, "
                     "\"html\": \"<p>{{first_name|Hello}}</p>\"}]}",
                     i ? ",\n" : "", i * 20, i * 20);
    }

    p += sprintf(p, "],\n\"tags\": [{\"id\": \"px\", \"consent\": \"ads\", "
                 "\"head\": \"<script>px('init')</script>\", \"events\": "
                 "{\"cart\": \"<script>px('cart','{{item|js}}',"
                 "{{value|number}})</script>\"}}]}\n");

    return json;
}


/* the generated visitors */

static omni_profile_t   profiles[NVISITORS];
static omni_activity_t  activities[NVISITORS];
static omni_facts_t     facts[NVISITORS];
static omni_id_t        ids[NVISITORS];
static omni_str_t       vars[NVISITORS][1];
static char             names[NVISITORS][64];


static omni_str_t
name(int v, int k, const char *fmt, uint32_t x)
{
    omni_str_t  s;
    char       *p;

    p = names[v] + k * 8;
    s.len = (size_t) snprintf(p, 8, fmt, x);
    s.data = p;

    return s;
}


static void
gen_visitors(void)
{
    int               v, i, kind;
    omni_profile_t   *p;
    omni_activity_t  *a;
    omni_facts_t     *f;

    static const char  *tiers[] = { "bronze", "silver", "gold", "platinum" };
    static const char  *countries[] = { "FR", "DE", "US", "GB" };
    static const char  *tags[] = {
        "tag0", "tag1", "tag2", "tag3", "tag4", "tag5", "tag6", "tag7"
    };
    static const char  *attrs[] = {
        "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7"
    };
    static const char  *values[] = { "v0", "v1", "v2" };
    static const char  *skus[] = {
        "SKU-1", "SKU-2", "SKU-3", "SKU-4", "SKU-5", "SKU-6", "SKU-7"
    };

    for (v = 0; v < NVISITORS; v++) {
        kind = rnd(10);
        p = &profiles[v];
        a = &activities[v];
        f = &facts[v];

        omni_facts_init(f);
        f->now = NOW;
        f->visitor = &ids[v];
        f->channel = (omni_channel_e) (1 + rnd(OMNI_CHANNEL_MAX - 1));
        f->device = (omni_device_e) (1 + rnd(3));
        f->path.data = "/products/trail-shoe-x";
        f->path.len = strlen(f->path.data);
        f->utm_source.data = rnd(3) ? "newsletter" : "google";
        f->utm_source.len = strlen(f->utm_source.data);
        vars[v][0].data = countries[rnd(4)];
        vars[v][0].len = 2;
        f->vars = vars[v];
        f->event = OMNI_TAG_CART;
        f->event_item = name(v, 7, "SKU-%u", rnd(9));
        f->event_value = 1999;

        for (i = 0; i < OMNI_ID_SIZE; i++) {
            ids[v].bytes[i] = (uint8_t) rnd(256);
        }

        if (kind < 3) {
            f->new_visitor = 1;
            continue;
        }

        a->first_seen = NOW - rnd(90) * 86400;
        a->last_seen = NOW - rnd(72 * 3600);
        a->visits = 1 + rnd(20);
        a->pageviews = a->visits * (1 + rnd(10));
        a->purchases = rnd(3);
        a->last_purchase = a->purchases ? NOW - rnd(60) * 86400 : 0;

        if (rnd(2)) {
            a->ncart = 1 + rnd(3);

            for (i = 0; i < (int) a->ncart; i++) {
                a->cart[i].item.data = skus[rnd(7)];
                a->cart[i].item.len = 5;
                a->cart[i].qty = 1 + rnd(2);
                a->cart[i].price = 500 + rnd(10000);
                a->cart_value += a->cart[i].qty * a->cart[i].price;
            }

            a->cart_updated = NOW - rnd(6 * 3600);
        }

        a->nviewed = rnd(OMNI_ACT_MAX_VIEWED);

        for (i = 0; i < (int) a->nviewed; i++) {
            a->viewed[i] = name(v, i % 7, "SKU-%u", rnd(40));
        }

        a->npurchased = a->purchases ? 1 + rnd(5) : 0;

        for (i = 0; i < (int) a->npurchased; i++) {
            a->purchased[i].data = skus[rnd(7)];
            a->purchased[i].len = 5;
        }

        a->nimpressions = rnd(OMNI_ACT_MAX_IMPRESSIONS);

        for (i = 0; i < (int) a->nimpressions; i++) {
            a->impressions[i].offer = name(v, i % 7, "o%u", rnd(NOFFERS));
            a->impressions[i].day = NOW / 86400;
            a->impressions[i].today = rnd(4);
            a->impressions[i].visit = a->visits;
            a->impressions[i].this_visit = rnd(2);
        }

        f->activity = a;

        if (kind < 7) {
            continue;
        }

        p->customer_id.data = "C-1000";
        p->customer_id.len = 6;
        p->first_name.data = "Ada";
        p->first_name.len = 3;
        p->tier.data = tiers[rnd(4)];
        p->tier.len = strlen(p->tier.data);
        p->points = rnd(5000);
        p->ntags = 5;

        for (i = 0; i < 5; i++) {
            p->tags[i].data = tags[rnd(8)];
            p->tags[i].len = 4;
        }

        p->nattrs = 8;

        for (i = 0; i < 8; i++) {
            p->attrs[i].key.data = attrs[i];
            p->attrs[i].key.len = 2;
            p->attrs[i].value.data = values[rnd(3)];
            p->attrs[i].value.len = 2;
        }

        f->profile = p;
    }
}


static void
report(const char *what, int64_t *ns, size_t n, size_t allocs)
{
    size_t   i;
    double   sum;

    qsort(ns, n, sizeof(int64_t), cmp_i64);

    for (sum = 0, i = 0; i < n; i++) {
        sum += ns[i];
    }

    printf("%-34s p50 %6.0f ns  p99 %6.0f ns  mean %6.0f ns  "
           "allocations %zu\n", what, (double) ns[n / 2],
           (double) ns[n * 99 / 100], sum / n, allocs);
}


int
main(int argc, char **argv)
{
    int                      rc, failed;
    char                    *json, out[8192];
    size_t                   i, k, n, len, allocs, offers, held, rank;
    int64_t                  t0, t1, overhead, *ns;
    omni_decision_t          d;
    omni_campaigns_t        *cs;
    omni_decide_conf_t       conf;
    const omni_brand_t      *brand;
    omni_campaigns_error_t   err;

    static omni_trace_t      trace;

    n = (argc > 1) ? (size_t) atol(argv[1]) : 200000;
    if (n < 100) {
        n = 100;
    }

    json = gen_campaigns();
    ns = __libc_malloc(n * sizeof(int64_t));

    if (json == NULL || ns == NULL) {
        fprintf(stderr, "bench_decide: out of memory\n");
        return 1;
    }

    rc = omni_campaigns_load(json, strlen(json), "generated", NULL, NULL,
                             &cs, &err);
    if (rc != OMNI_OK) {
        fprintf(stderr, "generated:%u:%u: %s\n", err.line, err.column,
                err.text);
        return 1;
    }

    gen_visitors();
    omni_decide_conf_init(&conf);
    brand = omni_campaigns_default_brand(cs);

    printf("decision engine: %zu segments, %zu offers, %zu experiments, "
           "%d visitors, %zu timed calls each\n",
           omni_campaigns_nsegments(cs), omni_campaigns_noffers(cs),
           omni_campaigns_nexperiments(cs), NVISITORS, n);

    /* the cost of reading the clock, taken off every sample */

    for (i = 0; i < n; i++) {
        t0 = now_ns();
        t1 = now_ns();
        ns[i] = t1 - t0;
    }

    qsort(ns, n, sizeof(int64_t), cmp_i64);
    overhead = ns[n / 2];

    /* warm up */
    for (i = 0; i < 4 * NVISITORS; i++) {
        omni_decide(cs, &conf, &facts[i % NVISITORS], &d, NULL);
    }

    /* how far down the priority list the winner is, on average */

    rank = 0;

    for (i = 0; i < NVISITORS; i++) {
        omni_decide(cs, &conf, &facts[i], &d, &trace);

        for (k = 0; k < trace.n; k++) {
            if (trace.entries[k].why == OMNI_WHY_CHOSEN
                || trace.entries[k].why == OMNI_WHY_HOLDOUT)
            {
                break;
            }
        }

        rank += k + 1;
    }

    offers = 0;
    held = 0;
    allocs = allocations;

    for (i = 0; i < n; i++) {
        t0 = now_ns();
        omni_decide(cs, &conf, &facts[i % NVISITORS], &d, NULL);
        t1 = now_ns();
        ns[i] = t1 - t0 - overhead;
        offers += (d.offer != NULL);
        held += (d.held != NULL);
    }

    allocs = allocations - allocs;
    report("omni_decide", ns, n, allocs);
    failed = (allocs != 0);

    printf("%34s %.1f%% got an offer, %.1f%% held out, %.1f offers "
           "examined on average\n", "", 100.0 * offers / n, 100.0 * held / n,
           (double) rank / NVISITORS);

    /* the upper bound: with a trace, every offer is examined */

    allocs = allocations;

    for (i = 0; i < n; i++) {
        t0 = now_ns();
        omni_decide(cs, &conf, &facts[i % NVISITORS], &d, &trace);
        t1 = now_ns();
        ns[i] = t1 - t0 - overhead;
    }

    allocs = allocations - allocs;
    report("omni_decide, every offer (trace)", ns, n, allocs);
    failed |= (allocs != 0);

    /*
     * rendering the decided offer, for visitors who got one with the
     * typical template (not the short template of a variant)
     */

    allocs = allocations;
    k = 0;

    for (i = 0; k < n && i < 50 * n; i++) {
        omni_decide(cs, &conf, &facts[i % NVISITORS], &d, NULL);

        if (d.offer == NULL || d.variant != NULL) {
            continue;
        }

        t0 = now_ns();
        omni_offer_render(cs, &conf, &facts[i % NVISITORS], &d, brand, out,
                          sizeof(out), &len);
        t1 = now_ns();
        ns[k++] = t1 - t0 - overhead;
    }

    allocs = allocations - allocs;

    if (k) {
        report("omni_offer_render (typical offer)", ns, k, allocs);
    }

    failed |= (allocs != 0);

    allocs = allocations;

    for (i = 0; i < n; i++) {
        t0 = now_ns();
        omni_tags_render(cs, OMNI_CONSENT_ADS, &facts[i % NVISITORS], out,
                         sizeof(out), &len);
        t1 = now_ns();
        ns[i] = t1 - t0 - overhead;
    }

    allocs = allocations - allocs;
    report("omni_tags_render (cart event)", ns, n, allocs);
    failed |= (allocs != 0);

    printf("clock overhead subtracted: %lld ns per sample\n",
           (long long) overhead);

    omni_campaigns_free(cs);
    __libc_free(json);
    __libc_free(ns);

    if (failed) {
        printf("FAILED: the request path allocated\n");
        return 1;
    }

    return 0;
}
