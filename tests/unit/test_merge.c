/*
 * Merging events into activity: visits, touches, views, cart, purchases,
 * impressions, and the bounds.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <omni/merge.h>


#define T0       1700000000
#define TIMEOUT  OMNI_VISIT_TIMEOUT_DEFAULT


static omni_str_t
str(const char *s)
{
    omni_str_t  r;

    r.data = s;
    r.len = strlen(s);

    return r;
}


static void
assert_str(omni_str_t s, const char *lit)
{
    if (s.len != strlen(lit) || (s.len && memcmp(s.data, lit, s.len) != 0))
    {
        fail_msg("\"%.*s\", expected \"%s\"", (int) s.len,
                 s.data ? s.data : "", lit);
    }
}


static void
merge(omni_activity_t *a, omni_event_t *ev)
{
    assert_int_equal(omni_merge_event(a, ev, TIMEOUT), OMNI_OK);
}


static void
pageview(omni_activity_t *a, int64_t at)
{
    omni_event_t  ev;

    omni_event_init(&ev, OMNI_EVENT_PAGEVIEW, at);
    merge(a, &ev);
}


static void
item_event(omni_activity_t *a, omni_event_type_e type, const char *item,
    int64_t at)
{
    omni_event_t  ev;

    omni_event_init(&ev, type, at);
    ev.item = str(item);
    merge(a, &ev);
}


static void
cart(omni_activity_t *a, const char *item, int qty, int64_t price,
    int64_t at)
{
    omni_event_t  ev;

    omni_event_init(&ev, OMNI_EVENT_CART, at);
    ev.item = str(item);

    if (qty >= 0) {
        ev.qty = (uint32_t) qty;
        ev.flags |= OMNI_EVENT_HAS_QTY;
    }

    if (price >= 0) {
        ev.price = price;
        ev.flags |= OMNI_EVENT_HAS_PRICE;
    }

    merge(a, &ev);
}


/* visits */

static void
test_first_event(void **state)
{
    omni_activity_t  a;

    (void) state;

    memset(&a, 0, sizeof(a));
    pageview(&a, T0);

    assert_int_equal(a.visits, 1);
    assert_int_equal(a.pageviews, 1);
    assert_true(a.first_seen == T0);
    assert_true(a.last_seen == T0);
    assert_true(a.visit_started == T0);

    /* the first visit without a touch arrived directly */
    assert_int_equal(a.first_touch.channel, OMNI_CHANNEL_DIRECT);
    assert_true(a.first_touch.at == T0);
    assert_int_equal(a.last_touch.channel, OMNI_CHANNEL_DIRECT);
    assert_int_equal(a.ntouches, 1);
}


static void
test_visit_timeout_edges(void **state)
{
    omni_activity_t  a;

    (void) state;

    memset(&a, 0, sizeof(a));
    pageview(&a, T0);

    /* one second short of the timeout: the same visit */
    pageview(&a, T0 + TIMEOUT - 1);
    assert_int_equal(a.visits, 1);
    assert_true(a.visit_started == T0);

    /* inactivity counts from the last event, not the visit's start */
    pageview(&a, T0 + 2 * TIMEOUT - 2);
    assert_int_equal(a.visits, 1);

    /* exactly the timeout after the last event: a new visit */
    pageview(&a, T0 + 3 * TIMEOUT - 2);
    assert_int_equal(a.visits, 2);
    assert_true(a.visit_started == T0 + 3 * TIMEOUT - 2);
    assert_true(a.first_seen == T0);
    assert_true(a.last_seen == T0 + 3 * TIMEOUT - 2);
    assert_int_equal(a.pageviews, 4);
    assert_int_equal(a.ntouches, 2);

    /* an older event (out of order) never moves last_seen back */
    pageview(&a, T0 + 10);
    assert_int_equal(a.visits, 2);
    assert_true(a.last_seen == T0 + 3 * TIMEOUT - 2);

    /* a custom timeout */
    memset(&a, 0, sizeof(a));
    {
        omni_event_t  ev;

        omni_event_init(&ev, OMNI_EVENT_PAGEVIEW, T0);
        assert_int_equal(omni_merge_event(&a, &ev, 60), OMNI_OK);
        ev.at = T0 + 59;
        assert_int_equal(omni_merge_event(&a, &ev, 60), OMNI_OK);
        assert_int_equal(a.visits, 1);
        ev.at = T0 + 119;
        assert_int_equal(omni_merge_event(&a, &ev, 60), OMNI_OK);
        assert_int_equal(a.visits, 2);
    }
}


static void
test_touches(void **state)
{
    size_t           i;
    char             src[16][8];
    omni_event_t     ev;
    omni_activity_t  a;

    (void) state;

    memset(&a, 0, sizeof(a));

    /* visit 1 from email */
    omni_event_init(&ev, OMNI_EVENT_PAGEVIEW, T0);
    ev.touch.channel = OMNI_CHANNEL_EMAIL;
    ev.touch.source = str("newsletter");
    ev.touch.campaign = str("spring");
    merge(&a, &ev);

    assert_int_equal(a.first_touch.channel, OMNI_CHANNEL_EMAIL);
    assert_str(a.first_touch.source, "newsletter");
    assert_true(a.first_touch.at == T0);

    /* the same touch again in the visit (a reload): nothing new */
    ev.at = T0 + 5;
    merge(&a, &ev);
    assert_int_equal(a.ntouches, 1);

    /* direct or none within a visit: nothing new */
    ev.touch.channel = OMNI_CHANNEL_DIRECT;
    merge(&a, &ev);
    ev.touch.channel = OMNI_CHANNEL_NONE;
    merge(&a, &ev);
    assert_int_equal(a.ntouches, 1);

    /* another campaign within the visit: recorded */
    ev.touch.channel = OMNI_CHANNEL_EMAIL;
    ev.touch.campaign = str("summer");
    ev.at = T0 + 10;
    merge(&a, &ev);
    assert_int_equal(a.ntouches, 2);
    assert_int_equal(a.visits, 1);
    assert_str(a.last_touch.campaign, "summer");
    assert_str(a.touches[0].campaign, "summer");
    assert_str(a.touches[1].campaign, "spring");
    assert_str(a.first_touch.campaign, "spring");

    /* a new visit with a same-site touch (none): direct */
    omni_event_init(&ev, OMNI_EVENT_PAGEVIEW, T0 + 10 + TIMEOUT);
    merge(&a, &ev);
    assert_int_equal(a.visits, 2);
    assert_int_equal(a.last_touch.channel, OMNI_CHANNEL_DIRECT);
    assert_int_equal(a.ntouches, 3);

    /* a new visit from search, even the same as before: recorded */
    for (i = 0; i < 16; i++) {
        snprintf(src[i], sizeof(src[i]), "s%zu", i);
        omni_event_init(&ev, OMNI_EVENT_PAGEVIEW,
                        T0 + 10 + (int64_t) (i + 2) * TIMEOUT);
        ev.touch.channel = OMNI_CHANNEL_SEARCH;
        ev.touch.source = str(src[i]);
        merge(&a, &ev);
    }

    /* bounded: the most recent first; the first touch kept forever */
    assert_int_equal(a.visits, 18);
    assert_int_equal(a.ntouches, OMNI_ACT_MAX_TOUCHES);
    assert_str(a.touches[0].source, "s15");
    assert_str(a.touches[OMNI_ACT_MAX_TOUCHES - 1].source, "s8");
    assert_str(a.last_touch.source, "s15");
    assert_int_equal(a.first_touch.channel, OMNI_CHANNEL_EMAIL);
    assert_str(a.first_touch.campaign, "spring");
}


/* views */

static void
test_viewed(void **state)
{
    size_t           i;
    char             ids[100][8];
    omni_activity_t  a;

    (void) state;

    memset(&a, 0, sizeof(a));

    item_event(&a, OMNI_EVENT_VIEW, "A", T0);
    item_event(&a, OMNI_EVENT_VIEW, "B", T0 + 1);
    item_event(&a, OMNI_EVENT_VIEW, "A", T0 + 2);

    /* deduplicated, most recent first; a view is not a page view */
    assert_int_equal(a.nviewed, 2);
    assert_str(a.viewed[0], "A");
    assert_str(a.viewed[1], "B");
    assert_int_equal(a.pageviews, 0);
    assert_int_equal(a.visits, 1);

    for (i = 0; i < 100; i++) {
        snprintf(ids[i], sizeof(ids[i]), "I%zu", i);
        item_event(&a, OMNI_EVENT_VIEW, ids[i], T0 + 3);
    }

    assert_int_equal(a.nviewed, OMNI_ACT_MAX_VIEWED);
    assert_str(a.viewed[0], "I99");
    assert_str(a.viewed[OMNI_ACT_MAX_VIEWED - 1], "I80");

    /* re-viewing the oldest moves it first without growing the list */
    item_event(&a, OMNI_EVENT_VIEW, "I80", T0 + 4);
    assert_int_equal(a.nviewed, OMNI_ACT_MAX_VIEWED);
    assert_str(a.viewed[0], "I80");
    assert_str(a.viewed[1], "I99");
    assert_str(a.viewed[OMNI_ACT_MAX_VIEWED - 1], "I81");
}


/* the cart */

static void
test_cart_add_update_remove(void **state)
{
    omni_event_t     ev;
    omni_activity_t  a;

    (void) state;

    memset(&a, 0, sizeof(a));

    cart(&a, "A", -1, 1000, T0);              /* qty defaults to 1 */
    cart(&a, "B", 2, 250, T0 + 1);
    assert_int_equal(a.ncart, 2);
    assert_true(a.cart_value == 1500);
    assert_true(a.cart_updated == T0 + 1);
    assert_str(a.cart[0].item, "B");

    /* adding again: quantities add up, the line moves first */
    cart(&a, "A", 3, -1, T0 + 2);
    assert_int_equal(a.ncart, 2);
    assert_str(a.cart[0].item, "A");
    assert_int_equal(a.cart[0].qty, 4);
    assert_true(a.cart[0].price == 1000);     /* kept without a price */
    assert_true(a.cart_value == 4500);

    /* a new price updates the line */
    cart(&a, "A", 1, 900, T0 + 3);
    assert_int_equal(a.cart[0].qty, 5);
    assert_true(a.cart_value == 5000);

    /* remove some units, then all of them */
    omni_event_init(&ev, OMNI_EVENT_REMOVE, T0 + 4);
    ev.item = str("A");
    ev.qty = 2;
    ev.flags = OMNI_EVENT_HAS_QTY;
    merge(&a, &ev);
    assert_int_equal(a.cart[0].qty, 3);
    assert_true(a.cart_value == 3200);

    ev.qty = 3;
    merge(&a, &ev);
    assert_int_equal(a.ncart, 1);
    assert_str(a.cart[0].item, "B");
    assert_true(a.cart_value == 500);
    assert_true(a.cart_updated == T0 + 4);

    /* removing what is not there changes nothing */
    ev.at = T0 + 5;
    merge(&a, &ev);
    assert_int_equal(a.ncart, 1);
    assert_true(a.cart_updated == T0 + 4);

    /* remove without qty: the whole line */
    cart(&a, "C", 7, 100, T0 + 6);
    item_event(&a, OMNI_EVENT_REMOVE, "B", T0 + 7);
    assert_int_equal(a.ncart, 1);
    assert_str(a.cart[0].item, "C");
    assert_true(a.cart_value == 700);

    /* cart with qty 0: removes */
    cart(&a, "C", 0, -1, T0 + 8);
    assert_int_equal(a.ncart, 0);
    assert_true(a.cart_value == 0);
    assert_true(a.cart_updated == T0 + 8);

    /* clear */
    cart(&a, "D", 1, 100, T0 + 9);
    cart(&a, "E", 1, 100, T0 + 9);
    omni_event_init(&ev, OMNI_EVENT_CLEAR, T0 + 10);
    merge(&a, &ev);
    assert_int_equal(a.ncart, 0);
    assert_true(a.cart_value == 0);
    assert_true(a.cart_updated == T0 + 10);
}


static void
test_cart_bounds(void **state)
{
    size_t           i;
    static char      ids[10000][8];
    omni_activity_t  a;

    (void) state;

    memset(&a, 0, sizeof(a));

    /* a bot adding 10,000 different items */
    for (i = 0; i < 10000; i++) {
        snprintf(ids[i], sizeof(ids[i]), "S%zu", i);
        cart(&a, ids[i], 1, 100, T0 + (int64_t) i);
    }

    assert_int_equal(a.ncart, OMNI_ACT_MAX_CART);
    assert_str(a.cart[0].item, "S9999");
    assert_str(a.cart[OMNI_ACT_MAX_CART - 1].item, "S9980");
    assert_true(a.cart_value == 100 * OMNI_ACT_MAX_CART);
    assert_int_equal(a.nviewed, 0);

    /* and the same item 10,000 times: the quantity saturates */
    for (i = 0; i < 10000; i++) {
        cart(&a, "S9999", 9999, 100, T0 + 10000);
    }

    assert_int_equal(a.ncart, OMNI_ACT_MAX_CART);
    assert_int_equal(a.cart[0].qty, OMNI_EVENT_QTY_MAX);

    /* the largest prices do not overflow the cart's value */
    for (i = 0; i < OMNI_ACT_MAX_CART; i++) {
        cart(&a, ids[i], 9999, OMNI_MONEY_MAX, T0 + 10001);
    }

    assert_true(a.cart_value == (int64_t) OMNI_ACT_MAX_CART * 9999
                                * OMNI_MONEY_MAX);

    /* nor do insane ones from a damaged record */
    a.cart[0].price = INT64_MAX / 2;
    a.cart[0].qty = 7;
    cart(&a, ids[1], 1, 1, T0 + 10002);
    assert_true(a.cart_value == INT64_MAX);

    a.cart[0].qty = UINT32_MAX;
    cart(&a, a.cart[0].item.data, 1, 1, T0 + 10003);
    assert_int_equal(a.cart[0].qty, OMNI_EVENT_QTY_MAX);
}


/* purchases */

static void
test_purchase(void **state)
{
    omni_event_t     ev;
    omni_activity_t  a;
    omni_str_t       items[2];

    (void) state;

    memset(&a, 0, sizeof(a));

    cart(&a, "A", 1, 1000, T0);
    cart(&a, "B", 2, 500, T0 + 1);

    /* with a value and items */
    omni_event_init(&ev, OMNI_EVENT_PURCHASE, T0 + 2);
    ev.order = str("O-1");
    ev.value = 11990;
    ev.flags = OMNI_EVENT_HAS_VALUE | OMNI_EVENT_HAS_ITEMS;
    items[0] = str("SKU-7");
    items[1] = str("SKU-9");
    ev.items[0] = items[0];
    ev.items[1] = items[1];
    ev.nitems = 2;
    merge(&a, &ev);

    assert_int_equal(a.purchases, 1);
    assert_true(a.purchase_value == 11990);
    assert_true(a.last_purchase == T0 + 2);
    assert_int_equal(a.npurchased, 2);
    assert_str(a.purchased[0], "SKU-7");     /* the event's order kept */
    assert_str(a.purchased[1], "SKU-9");

    /* the cart is cleared */
    assert_int_equal(a.ncart, 0);
    assert_true(a.cart_value == 0);
    assert_true(a.cart_updated == T0 + 2);

    /* without value or items: the cart's value and items */
    cart(&a, "C", 2, 300, T0 + 3);
    cart(&a, "SKU-9", 1, 100, T0 + 4);
    omni_event_init(&ev, OMNI_EVENT_PURCHASE, T0 + 5);
    merge(&a, &ev);

    assert_int_equal(a.purchases, 2);
    assert_true(a.purchase_value == 11990 + 700);
    assert_int_equal(a.npurchased, 3);       /* SKU-9 deduplicated */
    assert_str(a.purchased[0], "SKU-9");
    assert_str(a.purchased[1], "C");
    assert_str(a.purchased[2], "SKU-7");
    assert_int_equal(a.ncart, 0);

    /* a single item */
    omni_event_init(&ev, OMNI_EVENT_PURCHASE, T0 + 6);
    ev.item = str("D");
    merge(&a, &ev);
    assert_str(a.purchased[0], "D");
    assert_int_equal(a.npurchased, 4);
    assert_true(a.purchase_value == 11990 + 700);

    /* an empty cart and no items: counted, nothing purchased listed */
    omni_event_init(&ev, OMNI_EVENT_PURCHASE, T0 + 7);
    merge(&a, &ev);
    assert_int_equal(a.purchases, 4);
    assert_int_equal(a.npurchased, 4);
}


static void
test_purchase_bounds(void **state)
{
    size_t           i, j;
    char             ids[60][8];
    omni_event_t     ev;
    omni_activity_t  a;

    (void) state;

    memset(&a, 0, sizeof(a));

    for (i = 0; i < 60; i++) {
        snprintf(ids[i], sizeof(ids[i]), "P%zu", i);
    }

    /* three orders of 20 items */
    for (j = 0; j < 3; j++) {
        omni_event_init(&ev, OMNI_EVENT_PURCHASE, T0 + (int64_t) j);
        ev.flags = OMNI_EVENT_HAS_ITEMS | OMNI_EVENT_HAS_VALUE;
        ev.value = OMNI_MONEY_MAX;

        for (i = 0; i < OMNI_EVENT_MAX_ITEMS; i++) {
            ev.items[i] = str(ids[j * 20 + i]);
        }

        ev.nitems = OMNI_EVENT_MAX_ITEMS;
        merge(&a, &ev);
    }

    assert_int_equal(a.npurchased, OMNI_ACT_MAX_PURCHASED);
    assert_str(a.purchased[0], "P40");
    assert_str(a.purchased[OMNI_ACT_MAX_PURCHASED - 1], "P59");

    /* lifetime value saturates instead of wrapping */
    a.purchase_value = INT64_MAX - 5;
    merge(&a, &ev);
    assert_true(a.purchase_value == INT64_MAX);

    a.purchases = UINT32_MAX;
    merge(&a, &ev);
    assert_true(a.purchases == UINT32_MAX);
}


/* link, impressions, clicks */

static void
test_link(void **state)
{
    omni_event_t     ev;
    omni_activity_t  a;

    (void) state;

    memset(&a, 0, sizeof(a));

    omni_event_init(&ev, OMNI_EVENT_LINK, T0);
    ev.customer = str("C1");
    merge(&a, &ev);
    assert_str(a.customer_id, "C1");
    assert_int_equal(a.visits, 1);

    ev.customer = str("C2");
    merge(&a, &ev);
    assert_str(a.customer_id, "C2");
}


static void
impression(omni_activity_t *a, const char *offer, const char *variant,
    int64_t at)
{
    omni_event_t  ev;

    omni_event_init(&ev, OMNI_EVENT_IMPRESSION, at);
    ev.offer = str(offer);
    ev.variant = str(variant);
    merge(a, &ev);
}


static void
test_impressions(void **state)
{
    size_t           i;
    char             ids[40][8];
    int64_t          day0;
    omni_event_t     ev;
    omni_activity_t  a;

    (void) state;

    memset(&a, 0, sizeof(a));

    /* a day boundary to start from */
    day0 = (T0 / OMNI_SECONDS_PER_DAY + 1) * OMNI_SECONDS_PER_DAY;

    impression(&a, "welcome", "a", day0 - 120);
    impression(&a, "welcome", "a", day0 - 60);
    assert_int_equal(a.nimpressions, 1);
    assert_str(a.impressions[0].offer, "welcome");
    assert_int_equal(a.impressions[0].today, 2);
    assert_int_equal(a.impressions[0].this_visit, 2);
    assert_int_equal(a.impressions[0].visit, 1);
    assert_int_equal(a.impressions[0].day, (day0 - 1) / OMNI_SECONDS_PER_DAY);
    assert_str(a.last_offer, "welcome");
    assert_str(a.last_variant, "a");
    assert_true(a.last_offer_at == day0 - 60);

    /* midnight UTC: a new day, the same visit */
    impression(&a, "welcome", "a", day0);
    assert_int_equal(a.impressions[0].today, 1);
    assert_int_equal(a.impressions[0].this_visit, 3);

    /* a new visit, the same day */
    impression(&a, "welcome", "a", day0 + TIMEOUT);
    assert_int_equal(a.visits, 2);
    assert_int_equal(a.impressions[0].today, 2);
    assert_int_equal(a.impressions[0].this_visit, 1);
    assert_int_equal(a.impressions[0].visit, 2);

    /* another offer goes first */
    impression(&a, "cart-reminder", "", day0 + TIMEOUT + 1);
    assert_int_equal(a.nimpressions, 2);
    assert_str(a.impressions[0].offer, "cart-reminder");
    assert_str(a.impressions[1].offer, "welcome");

    /* bounded: the least recently shown goes */
    for (i = 0; i < 40; i++) {
        snprintf(ids[i], sizeof(ids[i]), "o%zu", i);
        impression(&a, ids[i], "", day0 + TIMEOUT + 2);
    }

    assert_int_equal(a.nimpressions, OMNI_ACT_MAX_IMPRESSIONS);
    assert_str(a.impressions[0].offer, "o39");
    assert_str(a.impressions[OMNI_ACT_MAX_IMPRESSIONS - 1].offer, "o24");

    /* a click: the offer acted on */
    omni_event_init(&ev, OMNI_EVENT_CLICK, day0 + TIMEOUT + 3);
    ev.offer = str("welcome");
    ev.variant = str("b");
    merge(&a, &ev);
    assert_str(a.last_offer, "welcome");
    assert_str(a.last_variant, "b");
    assert_true(a.last_offer_at == day0 + TIMEOUT + 3);
    assert_int_equal(a.nimpressions, OMNI_ACT_MAX_IMPRESSIONS);
}


static void
test_invalid_events(void **state)
{
    omni_event_t     ev;
    omni_activity_t  a, before;

    (void) state;

    memset(&a, 0, sizeof(a));
    pageview(&a, T0);
    before = a;

    omni_event_init(&ev, OMNI_EVENT_NONE, T0 + 1);
    assert_int_equal(omni_merge_event(&a, &ev, TIMEOUT), OMNI_EINVAL);
    ev.type = OMNI_EVENT_MAX;
    assert_int_equal(omni_merge_event(&a, &ev, TIMEOUT), OMNI_EINVAL);

    ev.type = OMNI_EVENT_VIEW;
    assert_int_equal(omni_merge_event(&a, &ev, TIMEOUT), OMNI_EINVAL);
    ev.type = OMNI_EVENT_CART;
    assert_int_equal(omni_merge_event(&a, &ev, TIMEOUT), OMNI_EINVAL);
    ev.type = OMNI_EVENT_REMOVE;
    assert_int_equal(omni_merge_event(&a, &ev, TIMEOUT), OMNI_EINVAL);
    ev.type = OMNI_EVENT_LINK;
    assert_int_equal(omni_merge_event(&a, &ev, TIMEOUT), OMNI_EINVAL);
    ev.type = OMNI_EVENT_IMPRESSION;
    assert_int_equal(omni_merge_event(&a, &ev, TIMEOUT), OMNI_EINVAL);
    ev.type = OMNI_EVENT_CLICK;
    assert_int_equal(omni_merge_event(&a, &ev, TIMEOUT), OMNI_EINVAL);

    /* unchanged, last_seen included */
    assert_memory_equal(&a, &before, sizeof(a));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_first_event),
        cmocka_unit_test(test_visit_timeout_edges),
        cmocka_unit_test(test_touches),
        cmocka_unit_test(test_viewed),
        cmocka_unit_test(test_cart_add_update_remove),
        cmocka_unit_test(test_cart_bounds),
        cmocka_unit_test(test_purchase),
        cmocka_unit_test(test_purchase_bounds),
        cmocka_unit_test(test_link),
        cmocka_unit_test(test_impressions),
        cmocka_unit_test(test_invalid_events),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
