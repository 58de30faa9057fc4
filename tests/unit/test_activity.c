/*
 * Activity records: round trips, every truncation, bit flips, limits, and
 * the helpers the decision engine uses.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <omni/activity.h>
#include <omni/wire.h>

#include "store_support.h"


static char  ids[64][16];
static char  long_key[OMNI_KEY_MAX + 2];
static char  long_short[OMNI_SHORT_MAX + 2];


static omni_str_t
str(const char *s)
{
    omni_str_t  r;

    r.data = s;
    r.len = strlen(s);

    return r;
}


static omni_str_t
strn(const char *s, size_t n)
{
    omni_str_t  r;

    r.data = s;
    r.len = n;

    return r;
}


static int
setup(void **state)
{
    int  i;

    (void) state;

    for (i = 0; i < 64; i++) {
        snprintf(ids[i], sizeof(ids[i]), "sku-%d", i);
    }

    memset(long_key, 'k', sizeof(long_key));
    memset(long_short, 's', sizeof(long_short));

    return 0;
}


static void
touch(omni_touch_t *t, omni_channel_e ch, const char *src, int64_t at)
{
    t->channel = ch;
    t->source = str(src);
    t->medium = str("cpc");
    t->campaign = str("spring");
    t->at = at;
}


static void
sample(omni_activity_t *a, int full)
{
    size_t  i, n;

    omni_activity_init(a);

    a->customer_id = str("C1");
    a->first_seen = 1700000000;
    a->last_seen = 1700003600;
    a->visit_started = 1700003000;
    a->visits = 3;
    a->pageviews = 17;
    a->purchases = 1;
    a->purchase_value = 4999;
    a->last_purchase = 1700001000;
    a->cart_value = -5;
    a->cart_updated = 1700003500;

    n = full ? OMNI_ACT_MAX_CART : 2;

    for (i = 0; i < n; i++) {
        a->cart[i].item = str(ids[i]);
        a->cart[i].qty = (uint32_t) i + 1;
        a->cart[i].price = 100 * (int64_t) i;
    }

    a->ncart = n;
    a->cart[0].qty = UINT32_MAX;

    n = full ? OMNI_ACT_MAX_VIEWED : 3;

    for (i = 0; i < n; i++) {
        a->viewed[i] = str(ids[20 + i]);
    }

    a->nviewed = n;

    n = full ? OMNI_ACT_MAX_PURCHASED : 1;

    for (i = 0; i < n; i++) {
        a->purchased[i] = str(ids[40 + i]);
    }

    a->npurchased = n;

    touch(&a->first_touch, OMNI_CHANNEL_PAID_SEARCH, "google", 1700000000);
    touch(&a->last_touch, OMNI_CHANNEL_EMAIL, "newsletter", 1700003000);

    n = full ? OMNI_ACT_MAX_TOUCHES : 2;

    for (i = 0; i < n; i++) {
        touch(&a->touches[i], (omni_channel_e) (i % OMNI_CHANNEL_MAX),
              ids[i], 1700000000 + (int64_t) i);
    }

    a->ntouches = n;

    n = full ? OMNI_ACT_MAX_IMPRESSIONS : 1;

    for (i = 0; i < n; i++) {
        a->impressions[i].offer = str(ids[i]);
        a->impressions[i].day = 19700 + (uint32_t) i;
        a->impressions[i].today = 2;
        a->impressions[i].visit = 3;
        a->impressions[i].this_visit = 1;
    }

    a->nimpressions = n;

    a->last_offer = str("spring10");
    a->last_variant = str("b");
    a->last_offer_at = 1700003100;
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
assert_touch_eq(const omni_touch_t *a, const omni_touch_t *b)
{
    assert_int_equal(a->channel, b->channel);
    assert_str_eq(a->source, b->source);
    assert_str_eq(a->medium, b->medium);
    assert_str_eq(a->campaign, b->campaign);
    assert_true(a->at == b->at);
}


static void
assert_activity_eq(const omni_activity_t *a, const omni_activity_t *b)
{
    size_t  i;

    assert_str_eq(a->customer_id, b->customer_id);
    assert_true(a->first_seen == b->first_seen);
    assert_true(a->last_seen == b->last_seen);
    assert_true(a->visit_started == b->visit_started);
    assert_int_equal(a->visits, b->visits);
    assert_int_equal(a->pageviews, b->pageviews);
    assert_int_equal(a->purchases, b->purchases);
    assert_true(a->purchase_value == b->purchase_value);
    assert_true(a->last_purchase == b->last_purchase);
    assert_true(a->cart_value == b->cart_value);
    assert_true(a->cart_updated == b->cart_updated);

    assert_int_equal(a->ncart, b->ncart);

    for (i = 0; i < a->ncart; i++) {
        assert_str_eq(a->cart[i].item, b->cart[i].item);
        assert_int_equal(a->cart[i].qty, b->cart[i].qty);
        assert_true(a->cart[i].price == b->cart[i].price);
    }

    assert_int_equal(a->nviewed, b->nviewed);

    for (i = 0; i < a->nviewed; i++) {
        assert_str_eq(a->viewed[i], b->viewed[i]);
    }

    assert_int_equal(a->npurchased, b->npurchased);

    for (i = 0; i < a->npurchased; i++) {
        assert_str_eq(a->purchased[i], b->purchased[i]);
    }

    assert_touch_eq(&a->first_touch, &b->first_touch);
    assert_touch_eq(&a->last_touch, &b->last_touch);

    assert_int_equal(a->ntouches, b->ntouches);

    for (i = 0; i < a->ntouches; i++) {
        assert_touch_eq(&a->touches[i], &b->touches[i]);
    }

    assert_int_equal(a->nimpressions, b->nimpressions);

    for (i = 0; i < a->nimpressions; i++) {
        assert_str_eq(a->impressions[i].offer, b->impressions[i].offer);
        assert_int_equal(a->impressions[i].day, b->impressions[i].day);
        assert_int_equal(a->impressions[i].today, b->impressions[i].today);
        assert_int_equal(a->impressions[i].visit, b->impressions[i].visit);
        assert_int_equal(a->impressions[i].this_visit,
                         b->impressions[i].this_visit);
    }

    assert_str_eq(a->last_offer, b->last_offer);
    assert_str_eq(a->last_variant, b->last_variant);
    assert_true(a->last_offer_at == b->last_offer_at);
}


static void
test_round_trip(void **state)
{
    int              full;
    size_t           len, len2;
    uint8_t          buf[OMNI_ACTIVITY_RECORD_MAX];
    uint8_t          buf2[OMNI_ACTIVITY_RECORD_MAX];
    omni_activity_t  a, b;

    (void) state;

    for (full = 0; full < 2; full++) {
        sample(&a, full);
        assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len),
                         OMNI_OK);
        assert_int_equal(omni_activity_decode(buf, len, &b), OMNI_OK);
        assert_activity_eq(&a, &b);

        assert_int_equal(omni_activity_encode(&b, buf2, sizeof(buf2), &len2),
                         OMNI_OK);
        assert_int_equal(len, len2);
        assert_memory_equal(buf, buf2, len);
    }

    /* an empty record: a visitor seen once, nothing else */
    omni_activity_init(&a);
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len),
                     OMNI_OK);
    assert_int_equal(omni_activity_decode(buf, len, &b), OMNI_OK);
    assert_activity_eq(&a, &b);
}


static void
test_every_truncation(void **state)
{
    int              full;
    size_t           len, cut;
    uint8_t          buf[OMNI_ACTIVITY_RECORD_MAX];
    uint8_t          cutbuf[OMNI_ACTIVITY_RECORD_MAX];
    omni_activity_t  a, b;

    (void) state;

    for (full = 0; full < 2; full++) {
        sample(&a, full);
        assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len),
                         OMNI_OK);

        for (cut = 0; cut < len; cut++) {
            assert_int_not_equal(omni_activity_decode(buf, cut, &b), OMNI_OK);
        }

        for (cut = 1; cut < len - 4; cut++) {
            memcpy(cutbuf, buf, cut);
            memset(cutbuf + cut, 0, 4);
            test_reseal(cutbuf, cut + 4);
            assert_int_equal(omni_activity_decode(cutbuf, cut + 4, &b),
                             OMNI_EINVAL);
        }

        /* trailing bytes */
        memcpy(cutbuf, buf, len - 4);
        cutbuf[len - 4] = 0;
        test_reseal(cutbuf, len + 1);
        assert_int_equal(omni_activity_decode(cutbuf, len + 1, &b),
                         OMNI_EINVAL);
    }
}


static void
test_bit_flips(void **state)
{
    int              i, k, n;
    size_t           len, bit;
    uint8_t          buf[OMNI_ACTIVITY_RECORD_MAX];
    uint8_t          copy[OMNI_ACTIVITY_RECORD_MAX];
    omni_activity_t  a, b;

    (void) state;

    sample(&a, 0);
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len),
                     OMNI_OK);

    for (bit = 0; bit < len * 8; bit++) {
        memcpy(copy, buf, len);
        copy[bit / 8] ^= (uint8_t) (1 << (bit % 8));
        assert_int_not_equal(omni_activity_decode(copy, len, &b), OMNI_OK);
    }

    srandom(4242);

    for (i = 0; i < 20000; i++) {
        memcpy(copy, buf, len);
        n = 2 + (int) (random() % 7);

        for (k = 0; k < n; k++) {
            bit = (size_t) random() % (len * 8);
            copy[bit / 8] ^= (uint8_t) (1 << (bit % 8));
        }

        if (memcmp(copy, buf, len) == 0) {
            continue;
        }

        assert_int_not_equal(omni_activity_decode(copy, len, &b), OMNI_OK);
    }
}


static void
test_version_and_size(void **state)
{
    size_t           len, need, size;
    uint8_t         *buf;
    omni_activity_t  a, b;

    (void) state;

    buf = calloc(1, OMNI_ACTIVITY_RECORD_MAX + 16);
    assert_non_null(buf);

    sample(&a, 0);
    assert_int_equal(omni_activity_encode(&a, buf, OMNI_ACTIVITY_RECORD_MAX,
                                          &need), OMNI_OK);

    buf[0] = OMNI_ACTIVITY_VERSION + 1;
    test_reseal(buf, need);
    assert_int_equal(omni_activity_decode(buf, need, &b), OMNI_EVERSION);

    assert_int_equal(omni_activity_decode(buf, OMNI_ACTIVITY_RECORD_MAX + 1,
                                          &b), OMNI_ETOOBIG);

    for (size = 0; size < need; size++) {
        assert_int_equal(omni_activity_encode(&a, buf, size, &len),
                         OMNI_ETOOBIG);
    }

    assert_int_equal(omni_activity_encode(&a, buf, need, &len), OMNI_OK);

    /* every list full of the longest ids does not fit one record */
    sample(&a, 1);

    for (size = 0; size < OMNI_ACT_MAX_VIEWED; size++) {
        a.viewed[size] = strn(long_key, OMNI_KEY_MAX);
        a.purchased[size] = strn(long_key, OMNI_KEY_MAX);
        a.cart[size].item = strn(long_key, OMNI_KEY_MAX);
    }

    assert_int_equal(omni_activity_encode(&a, buf, OMNI_ACTIVITY_RECORD_MAX
                                                   + 16, &len),
                     OMNI_ETOOBIG);

    free(buf);
}


static void
test_encode_rules(void **state)
{
    size_t           len;
    uint8_t          buf[OMNI_ACTIVITY_RECORD_MAX];
    omni_activity_t  a;

    (void) state;

    sample(&a, 0);
    a.ncart = OMNI_ACT_MAX_CART + 1;
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len),
                     OMNI_ETOOBIG);

    sample(&a, 0);
    a.nimpressions = OMNI_ACT_MAX_IMPRESSIONS + 1;
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len),
                     OMNI_ETOOBIG);

    sample(&a, 0);
    a.viewed[0] = str("");
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len),
                     OMNI_EINVAL);

    sample(&a, 0);
    a.viewed[0] = strn(long_key, OMNI_KEY_MAX + 1);
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len),
                     OMNI_ETOOBIG);

    sample(&a, 0);
    a.last_touch.source = str("evil\r\nX: y");
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len),
                     OMNI_EINVAL);

    sample(&a, 0);
    a.touches[1].campaign = strn(long_short, OMNI_SHORT_MAX + 1);
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len),
                     OMNI_ETOOBIG);

    sample(&a, 0);
    a.first_touch.channel = OMNI_CHANNEL_MAX;
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len),
                     OMNI_EINVAL);

    sample(&a, 0);
    a.customer_id = strn(long_key, OMNI_KEY_MAX + 1);
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len),
                     OMNI_ETOOBIG);
}


/*
 * Bodies with a valid frame that break one rule.  Built field by field
 * like the encoder, with one value replaced.
 */

typedef struct {
    uint64_t    visits;
    uint64_t    ncart;
    size_t      cart_written;
    uint64_t    qty;
    omni_str_t  item;
    uint64_t    channel;
    uint64_t    nimpressions;
    uint64_t    day;
    omni_str_t  last_offer;
} craft_t;


static void
craft_defaults(craft_t *c)
{
    memset(c, 0, sizeof(craft_t));

    c->visits = 1;
    c->ncart = 1;
    c->cart_written = 1;
    c->qty = 2;
    c->item = str("sku-1");
    c->channel = OMNI_CHANNEL_EMAIL;
    c->nimpressions = 1;
    c->day = 19700;
    c->last_offer = str("o1");
}


static int
decode_crafted(const craft_t *c)
{
    size_t           i, len;
    uint8_t          buf[4096];
    omni_writer_t    w;
    omni_activity_t  a;

    omni_frame_begin(&w, buf, sizeof(buf), OMNI_ACTIVITY_VERSION);

    omni_write_str(&w, str("C1"));
    omni_write_int(&w, 1);
    omni_write_int(&w, 2);
    omni_write_int(&w, 3);
    omni_write_uint(&w, c->visits);
    omni_write_uint(&w, 4);
    omni_write_uint(&w, 0);
    omni_write_int(&w, 0);
    omni_write_int(&w, 0);
    omni_write_int(&w, 0);
    omni_write_int(&w, 0);

    omni_write_uint(&w, c->ncart);

    for (i = 0; i < c->cart_written; i++) {
        omni_write_str(&w, c->item);
        omni_write_uint(&w, c->qty);
        omni_write_int(&w, 250);
    }

    omni_write_uint(&w, 0);                     /* viewed */
    omni_write_uint(&w, 0);                     /* purchased */

    for (i = 0; i < 2; i++) {                   /* first, last touch */
        omni_write_uint(&w, c->channel);
        omni_write_str(&w, str("src"));
        omni_write_str(&w, str(""));
        omni_write_str(&w, str(""));
        omni_write_int(&w, 5);
    }

    omni_write_uint(&w, 0);                     /* touches */

    omni_write_uint(&w, c->nimpressions);

    for (i = 0; i < 1 && c->nimpressions; i++) {
        omni_write_str(&w, str("o1"));
        omni_write_uint(&w, c->day);
        omni_write_uint(&w, 1);
        omni_write_uint(&w, 1);
        omni_write_uint(&w, 1);
    }

    omni_write_str(&w, c->last_offer);
    omni_write_str(&w, str(""));
    omni_write_int(&w, 0);

    assert_int_equal(omni_frame_end(&w, buf, &len), OMNI_OK);

    return omni_activity_decode(buf, len, &a);
}


static void
test_crafted(void **state)
{
    craft_t  c;

    (void) state;

    craft_defaults(&c);
    assert_int_equal(decode_crafted(&c), OMNI_OK);

    craft_defaults(&c);
    c.visits = (uint64_t) UINT32_MAX + 1;
    assert_int_equal(decode_crafted(&c), OMNI_EINVAL);

    craft_defaults(&c);
    c.ncart = c.cart_written = OMNI_ACT_MAX_CART + 1;
    assert_int_equal(decode_crafted(&c), OMNI_EINVAL);

    craft_defaults(&c);
    c.ncart = c.cart_written = OMNI_ACT_MAX_CART;
    assert_int_equal(decode_crafted(&c), OMNI_OK);

    craft_defaults(&c);
    c.ncart = (uint64_t) 1 << 50;
    c.cart_written = 0;
    assert_int_equal(decode_crafted(&c), OMNI_EINVAL);

    craft_defaults(&c);
    c.qty = (uint64_t) UINT32_MAX + 1;
    assert_int_equal(decode_crafted(&c), OMNI_EINVAL);

    craft_defaults(&c);
    c.item = str("");
    assert_int_equal(decode_crafted(&c), OMNI_EINVAL);

    craft_defaults(&c);
    c.item = strn(long_key, OMNI_KEY_MAX + 1);
    assert_int_equal(decode_crafted(&c), OMNI_EINVAL);

    craft_defaults(&c);
    c.item = str("a\tb");
    assert_int_equal(decode_crafted(&c), OMNI_EINVAL);

    craft_defaults(&c);
    c.channel = OMNI_CHANNEL_MAX;
    assert_int_equal(decode_crafted(&c), OMNI_EINVAL);

    craft_defaults(&c);
    c.channel = OMNI_CHANNEL_MAX - 1;
    assert_int_equal(decode_crafted(&c), OMNI_OK);

    craft_defaults(&c);
    c.nimpressions = OMNI_ACT_MAX_IMPRESSIONS + 1;
    assert_int_equal(decode_crafted(&c), OMNI_EINVAL);

    craft_defaults(&c);
    c.day = (uint64_t) 1 << 33;
    assert_int_equal(decode_crafted(&c), OMNI_EINVAL);

    craft_defaults(&c);
    c.last_offer = strn(long_key, OMNI_KEY_MAX + 1);
    assert_int_equal(decode_crafted(&c), OMNI_EINVAL);

    craft_defaults(&c);
    c.last_offer = str("\x1b[31m");
    assert_int_equal(decode_crafted(&c), OMNI_EINVAL);
}


static void
test_helpers(void **state)
{
    omni_activity_t  a;

    (void) state;

    sample(&a, 0);

    assert_true(omni_activity_has_viewed(&a, "sku-21", 6));
    assert_false(omni_activity_has_viewed(&a, "sku-2", 5));
    assert_true(omni_activity_has_purchased(&a, "sku-40", 6));
    assert_false(omni_activity_has_purchased(&a, "sku-41", 6));
    assert_false(omni_activity_has_purchased(&a, "", 0));

    /* cart changed after the last purchase, idle since last_seen */
    assert_false(omni_activity_abandoned(&a, a.last_seen + 1799, 1800));
    assert_true(omni_activity_abandoned(&a, a.last_seen + 1800, 1800));

    /* a purchase after the cart changed closes it */
    a.last_purchase = a.cart_updated + 10;
    assert_false(omni_activity_abandoned(&a, a.last_seen + 86400, 1800));

    /* an empty cart is never abandoned */
    sample(&a, 0);
    a.ncart = 0;
    a.cart_value = 0;
    assert_false(omni_activity_abandoned(&a, a.last_seen + 86400, 1800));

    /* a cart known by its value only is */
    a.cart_value = 2500;
    assert_true(omni_activity_abandoned(&a, a.last_seen + 86400, 1800));

    /* a cart changed after the last page view counts from the change */
    sample(&a, 0);
    a.cart_updated = a.last_seen + 1000;
    assert_false(omni_activity_abandoned(&a, a.last_seen + 1800, 1800));
    assert_true(omni_activity_abandoned(&a, a.cart_updated + 1800, 1800));

    /* no purchase ever */
    sample(&a, 0);
    a.last_purchase = 0;
    a.cart_updated = 0;
    assert_true(omni_activity_abandoned(&a, a.last_seen + 1800, 1800));

    assert_string_equal(omni_channel_name(OMNI_CHANNEL_NONE), "none");
    assert_string_equal(omni_channel_name(OMNI_CHANNEL_PAID_SOCIAL),
                        "paid_social");
    assert_string_equal(omni_channel_name(OMNI_CHANNEL_REFERRAL), "referral");
    assert_string_equal(omni_channel_name(OMNI_CHANNEL_MAX), "none");
    assert_int_equal(omni_channel_by_name("email", 5), OMNI_CHANNEL_EMAIL);
    assert_int_equal(omni_channel_by_name("paid_search", 11),
                     OMNI_CHANNEL_PAID_SEARCH);
    assert_int_equal(omni_channel_by_name("none", 4), OMNI_CHANNEL_NONE);
    assert_int_equal(omni_channel_by_name("emai", 4), OMNI_CHANNEL_NONE);
    assert_int_equal(omni_channel_by_name("emails", 6), OMNI_CHANNEL_NONE);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_version_and_size),
        cmocka_unit_test(test_encode_rules),
        cmocka_unit_test(test_crafted),
        cmocka_unit_test(test_helpers),
    };

    return cmocka_run_group_tests_name("activity", tests, setup, NULL);
}
