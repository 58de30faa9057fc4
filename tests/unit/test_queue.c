/*
 * The event queue: round trip of every field, full batches, the
 * double-buffer hand-over, grouping by visitor.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <omni/queue.h>
#include <omni/merge.h>


static omni_str_t
str(const char *s)
{
    omni_str_t  r;

    r.data = s;
    r.len = strlen(s);

    return r;
}


static void
assert_str_eq(omni_str_t a, omni_str_t b)
{
    assert_int_equal(a.len, b.len);

    if (a.len) {
        assert_memory_equal(a.data, b.data, a.len);
    }
}


static void
visitor(omni_id_t *id, unsigned n)
{
    memset(id, 0, sizeof(omni_id_t));
    id->bytes[0] = (uint8_t) (n >> 8);
    id->bytes[15] = (uint8_t) n;
}


static void
test_new(void **state)
{
    omni_queue_t  *q;

    (void) state;

    assert_null(omni_queue_new(OMNI_QUEUE_MIN_SIZE - 1));
    q = omni_queue_new(OMNI_QUEUE_MIN_SIZE);
    assert_non_null(q);
    assert_int_equal(omni_queue_pending(q), 0);
    assert_false(omni_queue_ready(q));
    assert_null(omni_queue_take(q));
    omni_queue_free(q);
    omni_queue_free(NULL);
}


static void
test_round_trip(void **state)
{
    size_t         i;
    omni_id_t      id, out_id;
    omni_event_t   ev, out;
    omni_batch_t  *b;
    omni_queue_t  *q;

    (void) state;

    q = omni_queue_new(OMNI_QUEUE_MIN_SIZE);
    assert_non_null(q);

    /* every field set */
    omni_event_init(&ev, OMNI_EVENT_PURCHASE, 1700000000);
    ev.flags = OMNI_EVENT_HAS_QTY | OMNI_EVENT_HAS_PRICE
               | OMNI_EVENT_HAS_VALUE | OMNI_EVENT_HAS_ITEMS
               | OMNI_EVENT_ITEMS_TRUNCATED;
    ev.item = str("SKU-7");
    ev.qty = 9999;
    ev.price = OMNI_MONEY_MAX;
    ev.value = 11990;
    ev.order = str("O-1");
    ev.currency = str("EUR");
    ev.nitems = OMNI_EVENT_MAX_ITEMS;

    for (i = 0; i < OMNI_EVENT_MAX_ITEMS; i++) {
        ev.items[i] = str(i % 2 ? "SKU-9" : "SKU-7");
    }

    ev.customer = str("C1");
    ev.offer = str("welcome");
    ev.variant = str("b");
    ev.touch.channel = OMNI_CHANNEL_PAID_SOCIAL;
    ev.touch.source = str("facebook");
    ev.touch.medium = str("cpc");
    ev.touch.campaign = str("spring sale");
    ev.touch.at = -5;

    visitor(&id, 7);
    assert_int_equal(omni_queue_push(q, &id, &ev), OMNI_OK);
    assert_int_equal(omni_queue_pending(q), 1);

    b = omni_queue_take(q);
    assert_non_null(b);
    assert_int_equal(omni_batch_count(b), 1);

    memset(&out, 0xee, sizeof(out));
    assert_int_equal(omni_batch_event(b, 0, &out_id, &out), OMNI_OK);
    assert_memory_equal(out_id.bytes, id.bytes, OMNI_ID_SIZE);
    assert_int_equal(out.type, ev.type);
    assert_true(out.at == ev.at);
    assert_int_equal(out.flags, ev.flags);
    assert_str_eq(out.item, ev.item);
    assert_int_equal(out.qty, ev.qty);
    assert_true(out.price == ev.price);
    assert_true(out.value == ev.value);
    assert_str_eq(out.order, ev.order);
    assert_str_eq(out.currency, ev.currency);
    assert_int_equal(out.nitems, ev.nitems);

    for (i = 0; i < ev.nitems; i++) {
        assert_str_eq(out.items[i], ev.items[i]);
    }

    assert_str_eq(out.customer, ev.customer);
    assert_str_eq(out.offer, ev.offer);
    assert_str_eq(out.variant, ev.variant);
    assert_int_equal(out.touch.channel, ev.touch.channel);
    assert_str_eq(out.touch.source, ev.touch.source);
    assert_str_eq(out.touch.medium, ev.touch.medium);
    assert_str_eq(out.touch.campaign, ev.touch.campaign);
    assert_true(out.touch.at == ev.touch.at);

    /* the strings point into the batch, not into the pushed event */
    assert_true(out.item.data != ev.item.data);

    /* out of range */
    assert_int_equal(omni_batch_event(b, 1, NULL, &out), OMNI_EINVAL);

    omni_queue_release(q, b);
    assert_int_equal(omni_queue_pending(q), 0);
    omni_queue_free(q);
}


static void
test_push_invalid(void **state)
{
    char            big[OMNI_SHORT_MAX + 2];
    omni_id_t       id;
    omni_event_t    ev;
    omni_queue_t   *q;

    (void) state;

    q = omni_queue_new(OMNI_QUEUE_MIN_SIZE);
    assert_non_null(q);
    visitor(&id, 1);
    memset(big, 'x', sizeof(big));

    omni_event_init(&ev, OMNI_EVENT_NONE, 1);
    assert_int_equal(omni_queue_push(q, &id, &ev), OMNI_EINVAL);
    ev.type = OMNI_EVENT_MAX;
    assert_int_equal(omni_queue_push(q, &id, &ev), OMNI_EINVAL);

    omni_event_init(&ev, OMNI_EVENT_VIEW, 1);
    ev.item.data = big;
    ev.item.len = OMNI_KEY_MAX;
    assert_int_equal(omni_queue_push(q, &id, &ev), OMNI_OK);
    ev.item.len = OMNI_KEY_MAX + 1;
    assert_int_equal(omni_queue_push(q, &id, &ev), OMNI_EINVAL);

    omni_event_init(&ev, OMNI_EVENT_PAGEVIEW, 1);
    ev.touch.channel = OMNI_CHANNEL_REFERRAL;
    ev.touch.source.data = big;
    ev.touch.source.len = OMNI_SHORT_MAX;
    assert_int_equal(omni_queue_push(q, &id, &ev), OMNI_OK);
    ev.touch.source.len = OMNI_SHORT_MAX + 1;
    assert_int_equal(omni_queue_push(q, &id, &ev), OMNI_EINVAL);
    ev.touch.source.len = 0;
    ev.touch.channel = OMNI_CHANNEL_MAX;
    assert_int_equal(omni_queue_push(q, &id, &ev), OMNI_EINVAL);

    omni_event_init(&ev, OMNI_EVENT_PURCHASE, 1);
    ev.nitems = OMNI_EVENT_MAX_ITEMS + 1;
    assert_int_equal(omni_queue_push(q, &id, &ev), OMNI_EINVAL);
    ev.nitems = 1;
    ev.items[0].data = big;
    ev.items[0].len = OMNI_KEY_MAX + 1;
    assert_int_equal(omni_queue_push(q, &id, &ev), OMNI_EINVAL);

    /* refused events are not counted as drops */
    {
        omni_queue_stats_t  st;

        omni_queue_stats(q, &st);
        assert_true(st.pushed == 2);
        assert_true(st.dropped == 0);
    }

    omni_queue_free(q);
}


static void
test_full_and_double_buffer(void **state)
{
    size_t              n, i, ready;
    omni_id_t           id;
    omni_event_t        ev, out;
    omni_batch_t       *b, *b2;
    omni_queue_t       *q;
    omni_queue_stats_t  st;

    (void) state;

    q = omni_queue_new(OMNI_QUEUE_MIN_SIZE);
    assert_non_null(q);
    visitor(&id, 3);

    omni_event_init(&ev, OMNI_EVENT_VIEW, 1700000000);
    ev.item = str("SKU-0000000000000000000000000000000000000000000000000007");

    /* fill the batch: the ready mark comes at three quarters */
    ready = 0;

    for (n = 0; omni_queue_push(q, &id, &ev) == OMNI_OK; n++) {
        if (n > OMNI_QUEUE_MIN_SIZE) {
            fail_msg("never full");
        }

        if (ready == 0 && omni_queue_ready(q)) {
            ready = n + 1;
        }
    }

    assert_true(omni_queue_ready(q));
    assert_int_equal(omni_queue_pending(q), n);
    assert_true(n > 500);
    assert_true(ready * 100 >= n * 74 && ready * 100 <= n * 76);

    /* a full batch keeps refusing, and counts every drop */
    assert_int_equal(omni_queue_push(q, &id, &ev), OMNI_EFULL);
    omni_queue_stats(q, &st);
    assert_true(st.pushed == n);
    assert_true(st.dropped == 2);

    /* hand it over; pushes go on into the other batch */
    b = omni_queue_take(q);
    assert_non_null(b);
    assert_int_equal(omni_batch_count(b), n);
    assert_int_equal(omni_queue_pending(q), 0);

    assert_int_equal(omni_queue_push(q, &id, &ev), OMNI_OK);
    assert_int_equal(omni_queue_pending(q), 1);

    /* the first batch is still out: no second take */
    assert_null(omni_queue_take(q));

    /* the batch taken is intact while the worker writes to the other */
    for (i = 0; i < n; i++) {
        assert_int_equal(omni_batch_event(b, i, NULL, &out), OMNI_OK);
        assert_str_eq(out.item, ev.item);
    }

    omni_queue_release(q, b);

    /* a second release, or of the filling batch, changes nothing */
    omni_queue_release(q, b);
    omni_queue_release(q, NULL);
    assert_int_equal(omni_queue_pending(q), 1);

    b2 = omni_queue_take(q);
    assert_non_null(b2);
    assert_true(b2 != b);
    assert_int_equal(omni_batch_count(b2), 1);

    /* the released batch came back empty and is the filling one now */
    assert_int_equal(omni_queue_pending(q), 0);
    omni_queue_release(q, b);
    assert_null(omni_queue_take(q));
    assert_int_equal(omni_queue_push(q, &id, &ev), OMNI_OK);
    omni_queue_release(q, b2);
    b = omni_queue_take(q);
    assert_non_null(b);
    assert_int_equal(omni_batch_count(b), 1);
    omni_queue_release(q, b);

    omni_queue_stats(q, &st);
    assert_true(st.batches == 3);

    /* nothing to take from an empty batch */
    assert_null(omni_queue_take(q));

    omni_queue_free(q);
}


static void
test_full_by_count(void **state)
{
    size_t         n;
    omni_id_t      id;
    omni_event_t   ev;
    omni_queue_t  *q;

    (void) state;

    /* the smallest records: the index fills before the bytes */
    q = omni_queue_new(OMNI_QUEUE_MIN_SIZE);
    assert_non_null(q);
    visitor(&id, 3);
    omni_event_init(&ev, OMNI_EVENT_CLEAR, 0);

    for (n = 0; omni_queue_push(q, &id, &ev) == OMNI_OK; n++) {
        /* void */
    }

    assert_true(n > 1000);
    assert_true(n <= OMNI_QUEUE_MIN_SIZE / 32);
    omni_queue_free(q);
}


static void
test_group(void **state)
{
    size_t            pos, k, runs, total;
    unsigned          v;
    int64_t           last;
    omni_id_t         id, eid;
    omni_event_t      ev, out;
    omni_batch_t     *b;
    omni_queue_t     *q;
    omni_batch_run_t  run;
    char              items[3000][8];

    (void) state;

    q = omni_queue_new(1024 * 1024);
    assert_non_null(q);

    /* 3000 events of 97 visitors, interleaved */
    for (k = 0; k < 3000; k++) {
        v = (unsigned) ((k * 31) % 97);
        visitor(&id, v * 300);
        snprintf(items[k], sizeof(items[k]), "I%zu", k);
        omni_event_init(&ev, OMNI_EVENT_VIEW, (int64_t) k);
        ev.item = str(items[k]);
        assert_int_equal(omni_queue_push(q, &id, &ev), OMNI_OK);
    }

    b = omni_queue_take(q);
    assert_non_null(b);

    /* before grouping, runs follow arrival order */
    pos = 0;
    assert_int_equal(omni_batch_next_run(b, &pos, &run), OMNI_OK);
    assert_int_equal(run.first, 0);
    assert_int_equal(run.n, 1);
    assert_int_equal(pos, 1);

    omni_batch_group(b);

    runs = 0;
    total = 0;

    for (pos = 0; omni_batch_next_run(b, &pos, &run) == OMNI_OK; runs++) {
        assert_int_equal(run.first, total);
        total += run.n;
        last = -1;

        for (k = run.first; k < run.first + run.n; k++) {
            assert_int_equal(omni_batch_event(b, k, &eid, &out), OMNI_OK);
            assert_memory_equal(eid.bytes, run.visitor.bytes, OMNI_ID_SIZE);

            /* arrival order within a visitor */
            assert_true(out.at > last);
            last = out.at;
            assert_int_equal(out.item.len, strlen(items[out.at]));
            assert_memory_equal(out.item.data, items[out.at], out.item.len);
        }
    }

    assert_int_equal(runs, 97);
    assert_int_equal(total, 3000);
    assert_int_equal(omni_batch_next_run(b, &pos, &run), OMNI_ENOTFOUND);

    omni_queue_release(q, b);
    omni_queue_free(q);
}


static void
test_flush_merge(void **state)
{
    size_t            pos, k, skipped;
    omni_id_t         id;
    omni_event_t      ev, out;
    omni_batch_t     *b;
    omni_queue_t     *q;
    omni_activity_t   a;
    omni_batch_run_t  run;

    (void) state;

    /* what the flusher does: one merge pass per visitor */
    q = omni_queue_new(OMNI_QUEUE_MIN_SIZE);
    assert_non_null(q);

    for (k = 0; k < 10; k++) {
        visitor(&id, (unsigned) (k % 2));
        omni_event_init(&ev, OMNI_EVENT_CART, 1700000000 + (int64_t) k);
        ev.item = str(k % 2 ? "ODD" : "EVEN");
        ev.price = 100;
        ev.flags = OMNI_EVENT_HAS_PRICE;
        assert_int_equal(omni_queue_push(q, &id, &ev), OMNI_OK);
    }

    b = omni_queue_take(q);
    omni_batch_group(b);

    for (pos = 0; omni_batch_next_run(b, &pos, &run) == OMNI_OK; ) {
        memset(&a, 0, sizeof(a));

        for (k = run.first; k < run.first + run.n; k++) {
            assert_int_equal(omni_batch_event(b, k, NULL, &out), OMNI_OK);
            assert_int_equal(omni_merge_event(&a, &out,
                                              OMNI_VISIT_TIMEOUT_DEFAULT),
                             OMNI_OK);
        }

        assert_int_equal(a.ncart, 1);
        assert_int_equal(a.cart[0].qty, 5);
        assert_true(a.cart_value == 500);
        assert_int_equal(a.visits, 1);
    }

    omni_queue_release(q, b);

    /* the same with omni_batch_merge_run(); a bad event is skipped */
    for (k = 0; k < 4; k++) {
        visitor(&id, 9);
        omni_event_init(&ev, k == 2 ? OMNI_EVENT_LINK : OMNI_EVENT_VIEW,
                        1700000000 + (int64_t) k);
        ev.item = str(k % 2 ? "A" : "B");
        assert_int_equal(omni_queue_push(q, &id, &ev), OMNI_OK);
    }

    b = omni_queue_take(q);
    omni_batch_group(b);
    pos = 0;
    assert_int_equal(omni_batch_next_run(b, &pos, &run), OMNI_OK);
    assert_int_equal(run.n, 4);

    memset(&a, 0, sizeof(a));
    skipped = 0;
    omni_batch_merge_run(b, &run, &a, OMNI_VISIT_TIMEOUT_DEFAULT, &skipped);
    assert_int_equal(skipped, 1);               /* a link without customer */
    assert_int_equal(a.nviewed, 2);
    assert_int_equal(a.viewed[0].data[0], 'A');
    assert_true(a.last_seen == 1700000003);
    omni_batch_merge_run(b, &run, &a, OMNI_VISIT_TIMEOUT_DEFAULT, NULL);

    omni_queue_release(q, b);
    omni_queue_free(q);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_new),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_push_invalid),
        cmocka_unit_test(test_full_and_double_buffer),
        cmocka_unit_test(test_full_by_count),
        cmocka_unit_test(test_group),
        cmocka_unit_test(test_flush_merge),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
