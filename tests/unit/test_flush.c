/*
 * Writing queued events into the activity store: the record's new tail
 * (last order, abandonment), abandonment and order deduplication rules,
 * trimming a record that does not fit, and whole batches on real LMDB
 * files: grouping, counts, links, damaged records, a full map.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lmdb.h>

#include <omni/flush.h>
#include <omni/merge.h>
#include <omni/queue.h>
#include <omni/store.h>
#include <omni/wire.h>

#include "store_support.h"


#define T0     1700000000
#define AFTER  1800


static const omni_flush_conf_t  conf = { 1800, AFTER };

static char  long_key[OMNI_KEY_MAX + 1];
static char  long_short[OMNI_SHORT_MAX + 1];
static char  ids[64][16];


static omni_str_t
str(const char *s)
{
    omni_str_t  r;

    r.data = s;
    r.len = strlen(s);

    return r;
}


static void
assert_text(omni_str_t s, const char *text)
{
    assert_int_equal(s.len, strlen(text));
    assert_memory_equal(s.data, text, s.len);
}


static int
setup(void **state)
{
    int  i;

    (void) state;

    memset(long_key, 'k', OMNI_KEY_MAX);
    memset(long_short, 's', OMNI_SHORT_MAX);

    for (i = 0; i < 64; i++) {
        snprintf(ids[i], sizeof(ids[i]), "sku-%d", i);
    }

    return 0;
}


static void
event(omni_event_t *ev, omni_event_type_e type, int64_t at,
    const char *item)
{
    omni_event_init(ev, type, at);

    if (item) {
        ev->item = str(item);
    }
}


static void
apply(omni_activity_t *a, omni_event_t *ev, int want)
{
    assert_int_equal(omni_flush_event(a, ev, &conf), want);
}


/* the record tail: absent unless used, and checked like the rest */

static void
test_tail(void **state)
{
    size_t           len1, len2;
    uint8_t          buf[OMNI_ACTIVITY_RECORD_MAX];
    omni_writer_t    w;
    omni_activity_t  a, b;

    (void) state;

    omni_activity_init(&a);
    a.visits = 3;
    a.first_seen = T0;
    a.last_seen = T0 + 10;

    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len1),
                     OMNI_OK);
    assert_int_equal(omni_activity_decode(buf, len1, &b), OMNI_OK);
    assert_int_equal(b.last_order.len, 0);
    assert_int_equal(b.abandoned_at, 0);

    a.last_order = str("O-1");
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len2),
                     OMNI_OK);
    assert_int_equal(len2, len1 + 1 + 3 + 1);
    assert_int_equal(omni_activity_decode(buf, len2, &b), OMNI_OK);
    assert_text(b.last_order, "O-1");
    assert_int_equal(b.abandoned_at, 0);

    a.last_order = str("");
    a.abandoned_at = T0 + 99;
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len2),
                     OMNI_OK);
    assert_int_equal(omni_activity_decode(buf, len2, &b), OMNI_OK);
    assert_int_equal(b.last_order.len, 0);
    assert_int_equal(b.abandoned_at, T0 + 99);

    a.last_order = str("O\n1");
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len2),
                     OMNI_EINVAL);

    a.last_order.data = long_key;
    a.last_order.len = OMNI_KEY_MAX + 1;
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len2),
                     OMNI_ETOOBIG);

    /*
     * Tails written by hand after a record without one: cut after the
     * order, with a control byte, and a good one.
     */
    omni_activity_init(&a);
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len1),
                     OMNI_OK);
    omni_writer_init(&w, buf + len1 - 4, 16);
    omni_write_str(&w, str("O1"));
    len2 = len1 + omni_writer_len(&w, buf + len1 - 4);
    test_reseal(buf, len2);
    assert_int_equal(omni_activity_decode(buf, len2, &b), OMNI_EINVAL);

    omni_writer_init(&w, buf + len1 - 4, 16);
    omni_write_str(&w, str("O\x01"));
    omni_write_int(&w, 5);
    len2 = len1 + omni_writer_len(&w, buf + len1 - 4);
    test_reseal(buf, len2);
    assert_int_equal(omni_activity_decode(buf, len2, &b), OMNI_EINVAL);

    omni_writer_init(&w, buf + len1 - 4, 16);
    omni_write_str(&w, str("O1"));
    omni_write_int(&w, 5);
    len2 = len1 + omni_writer_len(&w, buf + len1 - 4);
    test_reseal(buf, len2);
    assert_int_equal(omni_activity_decode(buf, len2, &b), OMNI_OK);
    assert_text(b.last_order, "O1");
    assert_int_equal(b.abandoned_at, 5);
}


static void
test_abandonment(void **state)
{
    omni_event_t     ev;
    omni_activity_t  a;

    (void) state;

    omni_activity_init(&a);

    event(&ev, OMNI_EVENT_CART, T0, "SKU-7");
    ev.price = 11990;
    ev.flags |= OMNI_EVENT_HAS_PRICE;
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.abandoned_at, 0);

    /* back just before the limit: not abandoned */
    event(&ev, OMNI_EVENT_PAGEVIEW, T0 + AFTER - 1, NULL);
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.abandoned_at, 0);
    assert_false(omni_activity_abandoned(&a, T0 + AFTER, AFTER));

    /* back after the limit: abandoned when the limit passed */
    event(&ev, OMNI_EVENT_PAGEVIEW, T0 + 2 * AFTER - 1 + AFTER, NULL);
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.abandoned_at, T0 + AFTER - 1 + AFTER);
    assert_int_equal(a.last_seen, T0 + 3 * AFTER - 1);

    /* and it stays so while the visitor is active again */
    assert_true(omni_activity_abandoned(&a, a.last_seen, AFTER));

    event(&ev, OMNI_EVENT_CART, a.last_seen + 5, "SKU-9");
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.abandoned_at, T0 + 2 * AFTER - 1);
    assert_true(omni_activity_abandoned(&a, a.last_seen + 1, AFTER));

    /* removing one line of two keeps it */
    event(&ev, OMNI_EVENT_REMOVE, a.last_seen + 5, "SKU-9");
    apply(&a, &ev, OMNI_OK);
    assert_true(omni_activity_abandoned(&a, a.last_seen + 1, AFTER));

    /* removing the last line ends it */
    event(&ev, OMNI_EVENT_REMOVE, a.last_seen + 5, "SKU-7");
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.ncart, 0);
    assert_int_equal(a.abandoned_at, 0);
    assert_false(omni_activity_abandoned(&a, a.last_seen + 10 * AFTER,
                                         AFTER));

    /* a purchase ends it */
    event(&ev, OMNI_EVENT_CART, a.last_seen + 5, "SKU-7");
    apply(&a, &ev, OMNI_OK);
    event(&ev, OMNI_EVENT_PAGEVIEW, a.last_seen + AFTER, NULL);
    apply(&a, &ev, OMNI_OK);
    assert_int_not_equal(a.abandoned_at, 0);

    event(&ev, OMNI_EVENT_PURCHASE, a.last_seen + 5, NULL);
    ev.order = str("O-1");
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.abandoned_at, 0);
    assert_int_equal(a.ncart, 0);
    assert_false(omni_activity_abandoned(&a, a.last_seen + 10 * AFTER,
                                         AFTER));

    /* "clear" ends it */
    event(&ev, OMNI_EVENT_CART, a.last_seen + 5, "SKU-3");
    apply(&a, &ev, OMNI_OK);
    event(&ev, OMNI_EVENT_VIEW, a.last_seen + 2 * AFTER, "SKU-3");
    apply(&a, &ev, OMNI_OK);
    assert_int_not_equal(a.abandoned_at, 0);
    event(&ev, OMNI_EVENT_CLEAR, a.last_seen + 1, NULL);
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.abandoned_at, 0);

    /* a refused event changes nothing, abandonment included */
    event(&ev, OMNI_EVENT_CART, a.last_seen + 5, "SKU-3");
    apply(&a, &ev, OMNI_OK);
    event(&ev, OMNI_EVENT_VIEW, a.last_seen + 2 * AFTER, NULL);
    apply(&a, &ev, OMNI_EINVAL);
    assert_int_not_equal(a.abandoned_at, 0);
}


static void
test_orders(void **state)
{
    omni_event_t     ev;
    omni_activity_t  a;

    (void) state;

    omni_activity_init(&a);

    event(&ev, OMNI_EVENT_PURCHASE, T0, "SKU-7");
    ev.order = str("O-1");
    ev.value = 11990;
    ev.flags |= OMNI_EVENT_HAS_VALUE;
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.purchases, 1);
    assert_int_equal(a.purchase_value, 11990);
    assert_text(a.last_order, "O-1");

    /* the confirmation page reloaded */
    ev.at = T0 + 5;
    apply(&a, &ev, OMNI_FLUSH_DUPLICATE);
    assert_int_equal(a.purchases, 1);
    assert_int_equal(a.purchase_value, 11990);
    assert_int_equal(a.last_seen, T0);

    ev.order = str("O-2");
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.purchases, 2);
    assert_text(a.last_order, "O-2");

    /* O-1 again after O-2 is not the last order: counted */
    ev.order = str("O-1");
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.purchases, 3);

    /* purchases without an order id are always counted */
    ev.order = str("");
    apply(&a, &ev, OMNI_OK);
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.purchases, 5);
    assert_text(a.last_order, "O-1");

    /* a prefix is another order */
    ev.order = str("O-");
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.purchases, 6);
}


static void
email_touch(omni_event_t *ev)
{
    ev->touch.channel = OMNI_CHANNEL_EMAIL;
    ev->touch.source = str("newsletter");
    ev->touch.medium = str("email");
    ev->touch.campaign = str("spring");
}


static void
test_late_touch(void **state)
{
    omni_event_t     ev;
    omni_activity_t  a;

    (void) state;

    /* the second page, from another worker, reached the store first */
    omni_activity_init(&a);
    event(&ev, OMNI_EVENT_CART, T0 + 1, "SKU-7");
    ev.touch.channel = OMNI_CHANNEL_DIRECT;
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.first_touch.channel, OMNI_CHANNEL_DIRECT);

    /* the landing page, a second earlier: the visit came by email */
    event(&ev, OMNI_EVENT_PAGEVIEW, T0, NULL);
    email_touch(&ev);
    apply(&a, &ev, OMNI_OK);

    assert_int_equal(a.visits, 1);
    assert_int_equal(a.first_touch.channel, OMNI_CHANNEL_EMAIL);
    assert_text(a.first_touch.campaign, "spring");
    assert_int_equal(a.last_touch.channel, OMNI_CHANNEL_EMAIL);
    assert_int_equal(a.ntouches, 1);
    assert_int_equal(a.touches[0].channel, OMNI_CHANNEL_EMAIL);
    assert_int_equal(a.first_seen, T0);

    /* the same second counts as "no later" */
    omni_activity_init(&a);
    event(&ev, OMNI_EVENT_VIEW, T0, "SKU-7");
    apply(&a, &ev, OMNI_OK);
    event(&ev, OMNI_EVENT_PAGEVIEW, T0, NULL);
    email_touch(&ev);
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.first_touch.channel, OMNI_CHANNEL_EMAIL);
    assert_int_equal(a.ntouches, 1);

    /* a campaign clicked later in a direct visit is a touch of its own */
    omni_activity_init(&a);
    event(&ev, OMNI_EVENT_PAGEVIEW, T0, NULL);
    apply(&a, &ev, OMNI_OK);
    event(&ev, OMNI_EVENT_PAGEVIEW, T0 + 60, NULL);
    email_touch(&ev);
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.first_touch.channel, OMNI_CHANNEL_DIRECT);
    assert_int_equal(a.last_touch.channel, OMNI_CHANNEL_EMAIL);
    assert_int_equal(a.ntouches, 2);

    /* a second visit's placeholder is replaced, the first touch kept */
    event(&ev, OMNI_EVENT_PAGEVIEW, T0 + 60 + 3600, NULL);
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.visits, 2);
    assert_int_equal(a.last_touch.channel, OMNI_CHANNEL_DIRECT);
    event(&ev, OMNI_EVENT_PAGEVIEW, T0 + 60 + 3600, NULL);
    ev.touch.channel = OMNI_CHANNEL_SEARCH;
    ev.touch.source = str("google");
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.first_touch.channel, OMNI_CHANNEL_DIRECT);
    assert_int_equal(a.last_touch.channel, OMNI_CHANNEL_SEARCH);
    assert_int_equal(a.touches[0].channel, OMNI_CHANNEL_SEARCH);
    assert_int_equal(a.touches[1].channel, OMNI_CHANNEL_EMAIL);
    assert_int_equal(a.ntouches, 3);

    /* a visit opened by a real channel is never overwritten */
    omni_activity_init(&a);
    event(&ev, OMNI_EVENT_PAGEVIEW, T0 + 1, NULL);
    ev.touch.channel = OMNI_CHANNEL_SOCIAL;
    ev.touch.source = str("facebook");
    apply(&a, &ev, OMNI_OK);
    event(&ev, OMNI_EVENT_PAGEVIEW, T0, NULL);
    email_touch(&ev);
    apply(&a, &ev, OMNI_OK);
    assert_int_equal(a.first_touch.channel, OMNI_CHANNEL_SOCIAL);
}


static void
fill_record(omni_activity_t *a)
{
    size_t  i;

    omni_activity_init(a);

    a->visits = 1;
    a->first_seen = T0;
    a->last_seen = T0;

    for (i = 0; i < OMNI_ACT_MAX_CART; i++) {
        a->cart[i].item.data = long_key;
        a->cart[i].item.len = OMNI_KEY_MAX;
        a->cart[i].qty = 2;
        a->cart[i].price = 100;
    }

    a->ncart = OMNI_ACT_MAX_CART;
    a->cart_value = 2 * 100 * OMNI_ACT_MAX_CART;

    for (i = 0; i < OMNI_ACT_MAX_VIEWED; i++) {
        a->viewed[i].data = long_key;
        a->viewed[i].len = OMNI_KEY_MAX;
    }

    a->nviewed = OMNI_ACT_MAX_VIEWED;

    for (i = 0; i < OMNI_ACT_MAX_PURCHASED; i++) {
        a->purchased[i].data = long_key;
        a->purchased[i].len = OMNI_KEY_MAX;
    }

    a->npurchased = OMNI_ACT_MAX_PURCHASED;

    for (i = 0; i < OMNI_ACT_MAX_TOUCHES; i++) {
        a->touches[i].channel = OMNI_CHANNEL_EMAIL;
        a->touches[i].source.data = long_short;
        a->touches[i].source.len = OMNI_SHORT_MAX;
        a->touches[i].medium = a->touches[i].source;
        a->touches[i].campaign = a->touches[i].source;
    }

    a->ntouches = OMNI_ACT_MAX_TOUCHES;
    a->first_touch = a->touches[0];
    a->last_touch = a->touches[0];

    for (i = 0; i < OMNI_ACT_MAX_IMPRESSIONS; i++) {
        a->impressions[i].offer.data = long_key;
        a->impressions[i].offer.len = OMNI_KEY_MAX;
    }

    a->nimpressions = OMNI_ACT_MAX_IMPRESSIONS;
}


static void
test_trim(void **state)
{
    int              n;
    size_t           len;
    uint8_t          buf[OMNI_ACTIVITY_RECORD_MAX];
    omni_activity_t  a;

    (void) state;

    fill_record(&a);
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len),
                     OMNI_ETOOBIG);

    n = 0;

    while (omni_activity_encode(&a, buf, sizeof(buf), &len) == OMNI_ETOOBIG)
    {
        assert_true(omni_flush_trim(&a));
        n++;
    }

    /* the touch history goes first; the cart and purchases stay whole */
    assert_true(n > OMNI_ACT_MAX_TOUCHES
                && n < OMNI_ACT_MAX_TOUCHES + OMNI_ACT_MAX_VIEWED
                       + OMNI_ACT_MAX_IMPRESSIONS);
    assert_int_equal(a.ncart, OMNI_ACT_MAX_CART);
    assert_int_equal(a.npurchased, OMNI_ACT_MAX_PURCHASED);
    assert_int_equal(a.first_touch.source.len, OMNI_SHORT_MAX);

    /* down to nothing, in order, the cart's value following its lines */
    fill_record(&a);

    for (n = 0; n < OMNI_ACT_MAX_TOUCHES; n++) {
        assert_true(omni_flush_trim(&a));
    }

    assert_int_equal(a.ntouches, 0);
    assert_int_equal(a.nviewed, OMNI_ACT_MAX_VIEWED);

    for (n = 0; n < OMNI_ACT_MAX_VIEWED + OMNI_ACT_MAX_IMPRESSIONS
                    + OMNI_ACT_MAX_PURCHASED; n++)
    {
        assert_true(omni_flush_trim(&a));
    }

    assert_int_equal(a.nviewed + a.nimpressions + a.npurchased, 0);
    assert_int_equal(a.ncart, OMNI_ACT_MAX_CART);

    assert_true(omni_flush_trim(&a));
    assert_int_equal(a.ncart, OMNI_ACT_MAX_CART - 1);
    assert_int_equal(a.cart_value, 2 * 100 * (OMNI_ACT_MAX_CART - 1));

    a.cart[0].price = INT64_MAX;
    assert_true(omni_flush_trim(&a));
    assert_int_equal(a.cart_value, INT64_MAX);

    while (a.ncart) {
        assert_true(omni_flush_trim(&a));
    }

    assert_int_equal(a.cart_value, 0);
    assert_false(omni_flush_trim(&a));
}


/* batches on a real store */

typedef struct {
    void     *last;
} alloc_t;


static void *
test_alloc(void *data, size_t size)
{
    alloc_t  *a = data;

    free(a->last);
    a->last = malloc(size);

    return a->last;
}


static omni_store_t *
open_store(const char *dir, size_t map_size)
{
    omni_store_t       *s;
    omni_store_conf_t   conf;

    memset(&conf, 0, sizeof(conf));
    conf.flags = OMNI_STORE_ACTIVITY;
    conf.map_size = map_size;

    assert_int_equal(omni_store_open(&s, dir, &conf), OMNI_OK);

    return s;
}


static void
visitor(omni_id_t *id, int n)
{
    memset(id, 0, sizeof(omni_id_t));
    id->bytes[0] = (uint8_t) (n >> 8);
    id->bytes[1] = (uint8_t) n;
    id->bytes[15] = 0x5a;
}


static void
push(omni_queue_t *q, int who, omni_event_t *ev)
{
    omni_id_t  id;

    visitor(&id, who);
    assert_int_equal(omni_queue_push(q, &id, ev), OMNI_OK);
}


static void
get(omni_store_t *s, int who, omni_activity_t *a, alloc_t *al)
{
    omni_id_t  id;

    visitor(&id, who);
    assert_int_equal(omni_store_get_activity(s, &id, test_alloc, al, a),
                     OMNI_OK);
}


static void
test_batch(void **state)
{
    int                  i;
    char                *dir;
    alloc_t              al;
    omni_id_t            id;
    omni_event_t         ev;
    omni_queue_t        *q;
    omni_batch_t        *b;
    omni_store_t        *s;
    omni_activity_t      a;
    omni_flush_stats_t   st;

    (void) state;

    dir = test_tmpdir();
    s = open_store(dir, 0);
    assert_int_equal(omni_store_activity_nosync(s, 1), OMNI_OK);

    q = omni_queue_new(OMNI_QUEUE_MIN_SIZE);
    assert_non_null(q);

    /* three visitors, interleaved */
    for (i = 0; i < 30; i++) {
        event(&ev, OMNI_EVENT_PAGEVIEW, T0 + i, NULL);

        if (i == 0) {
            ev.touch.channel = OMNI_CHANNEL_EMAIL;
            ev.touch.source = str("newsletter");
            ev.touch.medium = str("email");
            ev.touch.campaign = str("spring");
        }

        push(q, i % 3, &ev);
    }

    event(&ev, OMNI_EVENT_CART, T0 + 40, "SKU-7");
    ev.price = 11990;
    ev.flags |= OMNI_EVENT_HAS_PRICE;
    push(q, 0, &ev);

    omni_event_init(&ev, OMNI_EVENT_LINK, T0 + 41);
    ev.customer = str("C1");
    push(q, 1, &ev);

    /* a view without its item is refused by the merge: skipped */
    event(&ev, OMNI_EVENT_VIEW, T0 + 42, NULL);
    push(q, 2, &ev);

    b = omni_queue_take(q);
    assert_non_null(b);

    memset(&st, 0, sizeof(st));
    assert_int_equal(omni_flush_batch(s, b, &conf, &st), OMNI_OK);
    omni_queue_release(q, b);

    assert_int_equal(st.events, 32);
    assert_int_equal(st.skipped, 1);
    assert_int_equal(st.visitors, 3);
    assert_int_equal(st.duplicates, 0);

    al.last = NULL;

    get(s, 0, &a, &al);
    assert_int_equal(a.pageviews, 10);
    assert_int_equal(a.visits, 1);
    assert_int_equal(a.first_touch.channel, OMNI_CHANNEL_EMAIL);
    assert_text(a.first_touch.campaign, "spring");
    assert_int_equal(a.ncart, 1);
    assert_int_equal(a.cart_value, 11990);
    assert_int_equal(a.last_seen, T0 + 40);

    get(s, 1, &a, &al);
    assert_int_equal(a.pageviews, 10);
    assert_text(a.customer_id, "C1");

    /* a second batch adds to the records; an order counts once */
    event(&ev, OMNI_EVENT_PAGEVIEW, T0 + 40 + AFTER, NULL);
    push(q, 0, &ev);

    event(&ev, OMNI_EVENT_PURCHASE, T0 + 41 + AFTER, NULL);
    ev.order = str("O-1");
    push(q, 0, &ev);
    push(q, 0, &ev);

    b = omni_queue_take(q);
    assert_non_null(b);
    assert_int_equal(omni_flush_batch(s, b, &conf, &st), OMNI_OK);
    omni_queue_release(q, b);

    assert_int_equal(st.events, 34);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(st.visitors, 4);

    get(s, 0, &a, &al);
    assert_int_equal(a.pageviews, 11);
    assert_int_equal(a.visits, 2);
    assert_int_equal(a.purchases, 1);
    assert_int_equal(a.purchase_value, 11990);
    assert_int_equal(a.ncart, 0);
    assert_int_equal(a.abandoned_at, 0);
    assert_text(a.last_order, "O-1");
    assert_int_equal(a.npurchased, 1);
    assert_text(a.purchased[0], "SKU-7");

    assert_int_equal(omni_store_sync(s), OMNI_OK);

    /* a batch of nothing but refused events writes nothing */
    event(&ev, OMNI_EVENT_CART, T0, NULL);
    push(q, 9, &ev);
    b = omni_queue_take(q);
    assert_int_equal(omni_flush_batch(s, b, &conf, &st), OMNI_OK);
    omni_queue_release(q, b);
    assert_int_equal(st.visitors, 4);
    visitor(&id, 9);
    assert_int_equal(omni_store_get_activity(s, &id, test_alloc, &al, &a),
                     OMNI_ENOTFOUND);

    free(al.last);
    omni_queue_free(q);
    omni_store_close(s);
    test_rmtree(dir);
    free(dir);
}


static int
count_visitor(void *data, const omni_id_t *v)
{
    int  *n = data;

    (void) v;
    (*n)++;

    return 0;
}


static void
test_links(void **state)
{
    int                  n;
    char                *dir;
    omni_event_t         ev;
    omni_queue_t        *q;
    omni_batch_t        *b;
    omni_store_t        *s;
    omni_flush_stats_t   st;

    (void) state;

    dir = test_tmpdir();
    s = open_store(dir, 0);
    q = omni_queue_new(OMNI_QUEUE_MIN_SIZE);
    assert_non_null(q);

    omni_event_init(&ev, OMNI_EVENT_LINK, T0);
    ev.customer = str("C1");
    push(q, 1, &ev);
    push(q, 2, &ev);

    b = omni_queue_take(q);
    memset(&st, 0, sizeof(st));
    assert_int_equal(omni_flush_batch(s, b, &conf, &st), OMNI_OK);
    omni_queue_release(q, b);

    n = 0;
    assert_int_equal(omni_store_customer_visitors(s, "C1", 2, count_visitor,
                                                  &n), OMNI_OK);
    assert_int_equal(n, 2);

    /* visitor 2 signs in as another customer: the index follows */
    ev.customer = str("C2");
    push(q, 2, &ev);
    b = omni_queue_take(q);
    assert_int_equal(omni_flush_batch(s, b, &conf, &st), OMNI_OK);
    omni_queue_release(q, b);

    n = 0;
    assert_int_equal(omni_store_customer_visitors(s, "C1", 2, count_visitor,
                                                  &n), OMNI_OK);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(omni_store_customer_visitors(s, "C2", 2, count_visitor,
                                                  &n), OMNI_OK);
    assert_int_equal(n, 1);

    omni_queue_free(q);
    omni_store_close(s);
    test_rmtree(dir);
    free(dir);
}


/* records written behind the store's back, with LMDB itself */

static void
raw_put(const char *dir, int who, const void *data, size_t len)
{
    char       path[512];
    MDB_env   *env;
    MDB_txn   *txn;
    MDB_dbi    dbi;
    MDB_val    key, val;
    omni_id_t  id;

    snprintf(path, sizeof(path), "%s/activity", dir);
    visitor(&id, who);

    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 4), 0);
    assert_int_equal(mdb_env_open(env, path, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "visitors", 0, &dbi), 0);

    key.mv_data = id.bytes;
    key.mv_size = OMNI_ID_SIZE;
    val.mv_data = (void *) data;
    val.mv_size = len;

    assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}


static void
test_damaged_records(void **state)
{
    char                *dir;
    size_t               len;
    uint8_t              rec[256];
    alloc_t              al;
    omni_event_t         ev;
    omni_queue_t        *q;
    omni_batch_t        *b;
    omni_store_t        *s;
    omni_activity_t      a;
    omni_flush_stats_t   st;

    (void) state;

    dir = test_tmpdir();

    /* the store creates its files; then two bad records go in */
    s = open_store(dir, 0);
    omni_store_close(s);

    /* the right version byte, then garbage: the checksum fails */
    raw_put(dir, 1, "\001garbage, not a record", 23);

    omni_activity_init(&a);
    a.visits = 7;
    assert_int_equal(omni_activity_encode(&a, rec, sizeof(rec), &len),
                     OMNI_OK);
    rec[0] = OMNI_ACTIVITY_VERSION + 1;
    test_reseal(rec, len);
    raw_put(dir, 2, rec, len);

    s = open_store(dir, 0);
    q = omni_queue_new(OMNI_QUEUE_MIN_SIZE);
    assert_non_null(q);

    event(&ev, OMNI_EVENT_PAGEVIEW, T0, NULL);
    push(q, 1, &ev);
    push(q, 2, &ev);
    push(q, 2, &ev);
    push(q, 3, &ev);

    b = omni_queue_take(q);
    memset(&st, 0, sizeof(st));
    assert_int_equal(omni_flush_batch(s, b, &conf, &st), OMNI_OK);
    omni_queue_release(q, b);

    /* damaged: started afresh; newer layout: left alone */
    assert_int_equal(st.replaced, 1);
    assert_int_equal(st.skipped, 2);
    assert_int_equal(st.events, 2);
    assert_int_equal(st.visitors, 2);

    al.last = NULL;
    get(s, 1, &a, &al);
    assert_int_equal(a.pageviews, 1);

    {
        omni_id_t  id;

        visitor(&id, 2);
        assert_int_equal(omni_store_get_activity(s, &id, test_alloc, &al, &a),
                         OMNI_EVERSION);
    }

    free(al.last);
    omni_queue_free(q);
    omni_store_close(s);
    test_rmtree(dir);
    free(dir);
}


static void
test_map_full(void **state)
{
    int                  i, rc;
    char                *dir;
    alloc_t              al;
    omni_event_t         ev;
    omni_queue_t        *q;
    omni_batch_t        *b;
    omni_store_t        *s;
    omni_activity_t      a;
    omni_flush_stats_t   st;

    (void) state;

    dir = test_tmpdir();
    s = open_store(dir, 256 * 1024);
    q = omni_queue_new(OMNI_QUEUE_MIN_SIZE);
    assert_non_null(q);

    /* one small batch fits */
    event(&ev, OMNI_EVENT_VIEW, T0, "SKU-1");
    push(q, 1, &ev);
    b = omni_queue_take(q);
    memset(&st, 0, sizeof(st));
    assert_int_equal(omni_flush_batch(s, b, &conf, &st), OMNI_OK);
    omni_queue_release(q, b);

    /* thousands of visitors with full records do not */
    rc = OMNI_OK;

    for (i = 0; i < 40 && rc == OMNI_OK; i++) {
        int  k;

        for (k = 0; k < 40; k++) {
            event(&ev, OMNI_EVENT_VIEW, T0, ids[k % 64]);
            ev.item.data = long_key;
            ev.item.len = OMNI_KEY_MAX - (k % 20);
            push(q, 100 + i * 40 + k, &ev);
        }

        b = omni_queue_take(q);
        rc = omni_flush_batch(s, b, &conf, &st);
        omni_queue_release(q, b);
    }

    assert_int_equal(rc, OMNI_EFULL);
    assert_non_null(strstr(omni_store_activity_error(s), "MDB_MAP_FULL"));

    /* what was there before is intact, and a small batch still fits */
    al.last = NULL;
    get(s, 1, &a, &al);
    assert_int_equal(a.nviewed, 1);

    event(&ev, OMNI_EVENT_VIEW, T0 + 1, "SKU-2");
    push(q, 1, &ev);
    b = omni_queue_take(q);
    assert_int_equal(omni_flush_batch(s, b, &conf, &st), OMNI_OK);
    omni_queue_release(q, b);

    get(s, 1, &a, &al);
    assert_int_equal(a.nviewed, 2);

    free(al.last);
    omni_queue_free(q);
    omni_store_close(s);
    test_rmtree(dir);
    free(dir);
}


static void
test_no_store(void **state)
{
    char                *dir;
    omni_event_t         ev;
    omni_queue_t        *q;
    omni_batch_t        *b;
    omni_store_t        *s;
    omni_store_conf_t    sc;
    omni_flush_stats_t   st;

    (void) state;

    dir = test_tmpdir();

    memset(&sc, 0, sizeof(sc));
    sc.flags = OMNI_STORE_ACTIVITY|OMNI_STORE_ACTIVITY_NOCREATE;
    assert_int_equal(omni_store_open(&s, dir, &sc), OMNI_OK);

    assert_int_equal(omni_store_activity_nosync(s, 1), OMNI_ENOTFOUND);
    assert_int_equal(omni_store_sync(s), OMNI_ENOTFOUND);

    q = omni_queue_new(OMNI_QUEUE_MIN_SIZE);
    assert_non_null(q);

    event(&ev, OMNI_EVENT_PAGEVIEW, T0, NULL);
    push(q, 1, &ev);
    b = omni_queue_take(q);

    memset(&st, 0xff, sizeof(st));
    assert_int_equal(omni_flush_batch(s, b, &conf, &st), OMNI_ENOTFOUND);
    assert_int_equal(st.events, UINT64_MAX);

    omni_queue_release(q, b);
    omni_queue_free(q);
    omni_store_close(s);
    test_rmtree(dir);
    free(dir);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_tail),
        cmocka_unit_test(test_abandonment),
        cmocka_unit_test(test_orders),
        cmocka_unit_test(test_late_touch),
        cmocka_unit_test(test_trim),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_links),
        cmocka_unit_test(test_damaged_records),
        cmocka_unit_test(test_map_full),
        cmocka_unit_test(test_no_store),
    };

    return cmocka_run_group_tests_name("flush", tests, setup, NULL);
}
