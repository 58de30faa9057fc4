/*
 * Microbenchmark of the tracking core: what a request pays (header
 * parse, channel and device classification, queue append) and what a
 * flush pays (grouping and merging a batch).
 *
 *     make bench-track
 *
 * Single-threaded, bounded to a few seconds in all.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omni/channel.h>
#include <omni/event.h>
#include <omni/merge.h>
#include <omni/queue.h>


#define MERGE_EVENTS     200000
#define MERGE_VISITORS   20000


static volatile uint64_t  sink;


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}


static void
report(const char *what, double seconds, size_t n)
{
    printf("%-44s %8.1f ns/op   (%zu ops)\n", what, seconds * 1e9 / n, n);
}


static void
bench_parse(void)
{
    size_t        i, n, len1, len2;
    double        t;
    omni_event_t  ev;
    const char   *h1, *h2;

    h1 = "cart; item=SKU-7; qty=1; price=119.90";
    h2 = "purchase; order=O-1; value=119.90; items=SKU-7,SKU-9";
    len1 = strlen(h1);
    len2 = strlen(h2);
    n = 2000000;

    t = now();

    for (i = 0; i < n; i++) {
        if (omni_event_parse_header(h1, len1, &ev, NULL) != OMNI_OK) {
            abort();
        }

        sink += ev.price;
    }

    report("X-Omni-Event parse (cart, 4 fields)", now() - t, n);

    t = now();

    for (i = 0; i < n; i++) {
        if (omni_event_parse_header(h2, len2, &ev, NULL) != OMNI_OK) {
            abort();
        }

        sink += ev.nitems;
    }

    report("X-Omni-Event parse (purchase, 2 items)", now() - t, n);
}


static void
bench_classify(const char *what, omni_channel_rules_t *rules,
    const char *args, const char *referer)
{
    char                    buf[OMNI_CHANNEL_BUF_SIZE];
    size_t                  i, n;
    double                  t;
    omni_touch_t            touch;
    omni_channel_request_t  req;

    req.args.data = args;
    req.args.len = strlen(args);
    req.referer.data = referer;
    req.referer.len = strlen(referer);
    req.host.data = "shop.example";
    req.host.len = 12;
    n = 2000000;

    t = now();

    for (i = 0; i < n; i++) {
        omni_channel_classify(rules, &req, &touch, buf);
        sink += touch.channel;
    }

    report(what, now() - t, n);
}


static void
bench_device(void)
{
    size_t       i, n, len;
    double       t;
    const char  *ua;

    ua = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
         "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";
    len = strlen(ua);
    n = 2000000;

    t = now();

    for (i = 0; i < n; i++) {
        sink += omni_device_classify(ua, len);
    }

    report("device class (Android Chrome UA, 118 B)", now() - t, n);
}


static void
bench_push(void)
{
    size_t         i, n;
    double         t;
    omni_id_t      id;
    omni_event_t   ev;
    omni_batch_t  *b;
    omni_queue_t  *q;

    q = omni_queue_new(OMNI_QUEUE_DEFAULT_SIZE);
    if (q == NULL) {
        abort();
    }

    memset(&id, 0x42, sizeof(id));
    omni_event_init(&ev, OMNI_EVENT_PAGEVIEW, 1700000000);
    ev.touch.channel = OMNI_CHANNEL_SEARCH;
    ev.touch.source.data = "google.com";
    ev.touch.source.len = 10;
    ev.touch.medium.data = "organic";
    ev.touch.medium.len = 7;
    n = 4000000;

    t = now();

    for (i = 0; i < n; i++) {
        id.bytes[0] = (uint8_t) i;

        if (omni_queue_push(q, &id, &ev) != OMNI_OK) {
            /* what the flush does to the worker: a swap */
            b = omni_queue_take(q);
            omni_queue_release(q, b);

            if (omni_queue_push(q, &id, &ev) != OMNI_OK) {
                abort();
            }
        }
    }

    report("queue push (pageview with touch)", now() - t, n);

    omni_event_init(&ev, OMNI_EVENT_CART, 1700000000);
    ev.item.data = "SKU-7";
    ev.item.len = 5;
    ev.price = 11990;
    ev.flags = OMNI_EVENT_HAS_PRICE;

    t = now();

    for (i = 0; i < n; i++) {
        id.bytes[0] = (uint8_t) i;

        if (omni_queue_push(q, &id, &ev) != OMNI_OK) {
            b = omni_queue_take(q);
            omni_queue_release(q, b);

            if (omni_queue_push(q, &id, &ev) != OMNI_OK) {
                abort();
            }
        }
    }

    report("queue push (cart)", now() - t, n);

    omni_queue_free(q);
}


static void
bench_merge(void)
{
    char               (*items)[8];
    size_t             i, pos, skipped;
    double             t0, t1, t2;
    uint32_t           v;
    omni_id_t          id;
    omni_event_t       ev;
    omni_batch_t      *b;
    omni_queue_t      *q;
    omni_activity_t   *a;
    omni_batch_run_t   run;

    q = omni_queue_new(32 * 1024 * 1024);
    a = malloc(sizeof(omni_activity_t));
    items = malloc(500 * sizeof(*items));

    if (q == NULL || a == NULL || items == NULL) {
        abort();
    }

    for (i = 0; i < 500; i++) {
        snprintf(items[i], sizeof(items[i]), "SKU-%zu", i);
    }

    /* a mix: half page views, views, cart adds, a few purchases */
    srand(1);
    memset(&id, 0, sizeof(id));

    for (i = 0; i < MERGE_EVENTS; i++) {
        v = (uint32_t) rand() % MERGE_VISITORS;
        memcpy(id.bytes, &v, sizeof(v));

        switch (i % 10) {

        case 0: case 1: case 2: case 3: case 4:
            omni_event_init(&ev, OMNI_EVENT_PAGEVIEW, 1700000000 + i / 10);
            ev.touch.channel = (i % 50 == 0) ? OMNI_CHANNEL_SEARCH
                                             : OMNI_CHANNEL_NONE;
            break;

        case 5: case 6: case 7:
            omni_event_init(&ev, OMNI_EVENT_VIEW, 1700000000 + i / 10);
            ev.item.data = items[rand() % 500];
            ev.item.len = strlen(ev.item.data);
            break;

        case 8:
            omni_event_init(&ev, OMNI_EVENT_CART, 1700000000 + i / 10);
            ev.item.data = items[rand() % 500];
            ev.item.len = strlen(ev.item.data);
            ev.price = 1999;
            ev.flags = OMNI_EVENT_HAS_PRICE;
            break;

        default:
            omni_event_init(&ev, (i % 40 == 9) ? OMNI_EVENT_PURCHASE
                                               : OMNI_EVENT_REMOVE,
                            1700000000 + i / 10);
            ev.item.data = items[rand() % 500];
            ev.item.len = strlen(ev.item.data);
            break;
        }

        if (omni_queue_push(q, &id, &ev) != OMNI_OK) {
            abort();
        }
    }

    b = omni_queue_take(q);

    t0 = now();
    omni_batch_group(b);
    t1 = now();

    skipped = 0;

    for (pos = 0; omni_batch_next_run(b, &pos, &run) == OMNI_OK; ) {
        memset(a, 0, sizeof(omni_activity_t));
        omni_batch_merge_run(b, &run, a, OMNI_VISIT_TIMEOUT_DEFAULT,
                             &skipped);
        sink += a->ncart;
    }

    if (skipped != 0) {
        abort();
    }

    t2 = now();

    printf("%-44s %8.1f ms\n", "group 200k events by visitor", (t1 - t0) * 1e3);
    printf("%-44s %8.1f ms\n", "decode + merge 200k events, 20k visitors",
           (t2 - t1) * 1e3);
    printf("%-44s %8.0f events/s\n", "merge throughput (group+decode+merge)",
           MERGE_EVENTS / (t2 - t0));

    omni_queue_release(q, b);
    omni_queue_free(q);
    free(a);
    free(items);
}


int
main(void)
{
    omni_channel_rules_t  *rules;

    rules = omni_channel_rules_new();
    if (rules == NULL) {
        return 1;
    }

    bench_parse();
    bench_classify("classify: same-site referrer, no query", rules, "",
                   "https://shop.example/category/shoes");
    bench_classify("classify: query without utm, same site", rules,
                   "page=2&sort=price&color=red",
                   "https://www.shop.example/category/shoes");
    bench_classify("classify: google referrer", rules, "",
                   "https://www.google.co.uk/search?q=trail+shoes");
    bench_classify("classify: unknown referrer", rules, "",
                   "https://blog.partner.example/best-shoes-2024");
    bench_classify("classify: utm email link", rules,
                   "utm_source=newsletter&utm_medium=email"
                   "&utm_campaign=spring%20sale", "");
    bench_classify("classify: gclid", rules, "gclid=EAIaIQobChMI", "");
    bench_device();
    bench_push();
    bench_merge();

    omni_channel_rules_free(rules);

    return sink == 42;
}
