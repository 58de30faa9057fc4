/*
 * Activity records, layout 1 (inside a record frame, see wire.h):
 *
 *     str   customer_id            0..OMNI_KEY_MAX
 *     int   first_seen, last_seen, visit_started
 *     uint  visits, pageviews      32 bits each
 *     uint  purchases              32 bits
 *     int   purchase_value, last_purchase
 *     int   cart_value, cart_updated
 *     uint  ncart                  0..OMNI_ACT_MAX_CART
 *       str item, uint qty (32 bits), int price
 *     uint  nviewed                0..OMNI_ACT_MAX_VIEWED
 *       str item
 *     uint  npurchased             0..OMNI_ACT_MAX_PURCHASED
 *       str item
 *     touch first_touch, last_touch
 *     uint  ntouches               0..OMNI_ACT_MAX_TOUCHES
 *       touch
 *     uint  nimpressions           0..OMNI_ACT_MAX_IMPRESSIONS
 *       str offer, uint day, today, visit, this_visit (32 bits each)
 *     str   last_offer, last_variant   0..OMNI_KEY_MAX
 *     int   last_offer_at
 *   and, only when one of them is set (so that a record without them is
 *   byte for byte what it was before they existed):
 *     str   last_order             0..OMNI_KEY_MAX
 *     int   abandoned_at
 *   and after them, only when it is set (not 0), by the same rule:
 *     int   first_set
 *
 * where a touch is: uint channel (below OMNI_CHANNEL_MAX), str source,
 * medium, campaign (0..OMNI_SHORT_MAX), int at.  Item and offer ids are
 * 1..OMNI_KEY_MAX bytes.
 */

#include <string.h>

#include <omni/activity.h>
#include <omni/wire.h>


static void omni_read_touch(omni_reader_t *r, omni_touch_t *t, int *bad);
static int omni_touch_check(const omni_touch_t *t);
static void omni_write_touch(omni_writer_t *w, const omni_touch_t *t);
static uint32_t omni_read_u32(omni_reader_t *r);
static int omni_id_ok(omni_str_t s);





void
omni_activity_init(omni_activity_t *a)
{
    memset(a, 0, sizeof(omni_activity_t));
}


int
omni_activity_decode(const void *data, size_t len, omni_activity_t *a)
{
    int                rc, bad;
    size_t             i, n;
    omni_str_t        *s;
    omni_reader_t      r;
    omni_cart_item_t  *c;
    omni_impression_t *im;

    rc = omni_frame_open(&r, data, len, OMNI_ACTIVITY_VERSION,
                         OMNI_ACTIVITY_RECORD_MAX);
    if (rc != OMNI_OK) {
        return rc;
    }

    bad = 0;

    a->customer_id = omni_read_str(&r, OMNI_KEY_MAX);
    bad |= !omni_text_ok(a->customer_id);

    a->first_seen = omni_read_int(&r);
    a->last_seen = omni_read_int(&r);
    a->visit_started = omni_read_int(&r);
    a->visits = omni_read_u32(&r);
    a->pageviews = omni_read_u32(&r);

    a->purchases = omni_read_u32(&r);
    a->purchase_value = omni_read_int(&r);
    a->last_purchase = omni_read_int(&r);

    a->cart_value = omni_read_int(&r);
    a->cart_updated = omni_read_int(&r);

    n = (size_t) omni_read_uint(&r);
    if (r.error || bad || n > OMNI_ACT_MAX_CART) {
        return OMNI_EINVAL;
    }

    a->ncart = n;

    for (i = 0; i < n; i++) {
        c = &a->cart[i];
        c->item = omni_read_str(&r, OMNI_KEY_MAX);
        c->qty = omni_read_u32(&r);
        c->price = omni_read_int(&r);
        bad |= !omni_id_ok(c->item);
    }

    n = (size_t) omni_read_uint(&r);
    if (r.error || bad || n > OMNI_ACT_MAX_VIEWED) {
        return OMNI_EINVAL;
    }

    a->nviewed = n;

    for (i = 0; i < n; i++) {
        s = &a->viewed[i];
        *s = omni_read_str(&r, OMNI_KEY_MAX);
        bad |= !omni_id_ok(*s);
    }

    n = (size_t) omni_read_uint(&r);
    if (r.error || bad || n > OMNI_ACT_MAX_PURCHASED) {
        return OMNI_EINVAL;
    }

    a->npurchased = n;

    for (i = 0; i < n; i++) {
        s = &a->purchased[i];
        *s = omni_read_str(&r, OMNI_KEY_MAX);
        bad |= !omni_id_ok(*s);
    }

    omni_read_touch(&r, &a->first_touch, &bad);
    omni_read_touch(&r, &a->last_touch, &bad);

    n = (size_t) omni_read_uint(&r);
    if (r.error || bad || n > OMNI_ACT_MAX_TOUCHES) {
        return OMNI_EINVAL;
    }

    a->ntouches = n;

    for (i = 0; i < n; i++) {
        omni_read_touch(&r, &a->touches[i], &bad);
    }

    n = (size_t) omni_read_uint(&r);
    if (r.error || bad || n > OMNI_ACT_MAX_IMPRESSIONS) {
        return OMNI_EINVAL;
    }

    a->nimpressions = n;

    for (i = 0; i < n; i++) {
        im = &a->impressions[i];
        im->offer = omni_read_str(&r, OMNI_KEY_MAX);
        im->day = omni_read_u32(&r);
        im->today = omni_read_u32(&r);
        im->visit = omni_read_u32(&r);
        im->this_visit = omni_read_u32(&r);
        bad |= !omni_id_ok(im->offer);
    }

    a->last_offer = omni_read_str(&r, OMNI_KEY_MAX);
    a->last_variant = omni_read_str(&r, OMNI_KEY_MAX);
    a->last_offer_at = omni_read_int(&r);

    bad |= !omni_text_ok(a->last_offer) || !omni_text_ok(a->last_variant);

    a->last_order.data = NULL;
    a->last_order.len = 0;
    a->abandoned_at = 0;
    a->first_set = 0;

    if (!r.error && omni_reader_left(&r) != 0) {
        a->last_order = omni_read_str(&r, OMNI_KEY_MAX);
        a->abandoned_at = omni_read_int(&r);

        bad |= !omni_text_ok(a->last_order);
    }

    if (!r.error && omni_reader_left(&r) != 0) {
        a->first_set = omni_read_int(&r);

        /* written only when set: a 0 here is not a record we wrote */
        bad |= (a->first_set == 0);
    }

    if (r.error || bad || omni_reader_left(&r) != 0) {
        return OMNI_EINVAL;
    }

    return OMNI_OK;
}


int
omni_activity_encode(const omni_activity_t *a, void *buf, size_t size,
    size_t *len)
{
    int                      rc;
    size_t                   i;
    omni_writer_t            w;
    const omni_touch_t      *t;
    const omni_cart_item_t  *c;
    const omni_impression_t *im;

    if (a->ncart > OMNI_ACT_MAX_CART
        || a->nviewed > OMNI_ACT_MAX_VIEWED
        || a->npurchased > OMNI_ACT_MAX_PURCHASED
        || a->ntouches > OMNI_ACT_MAX_TOUCHES
        || a->nimpressions > OMNI_ACT_MAX_IMPRESSIONS
        || a->customer_id.len > OMNI_KEY_MAX
        || a->last_offer.len > OMNI_KEY_MAX
        || a->last_variant.len > OMNI_KEY_MAX
        || a->last_order.len > OMNI_KEY_MAX)
    {
        return OMNI_ETOOBIG;
    }

    if (!omni_text_ok(a->customer_id) || !omni_text_ok(a->last_offer)
        || !omni_text_ok(a->last_variant) || !omni_text_ok(a->last_order))
    {
        return OMNI_EINVAL;
    }

    for (i = 0; i < a->ncart; i++) {
        if (!omni_id_ok(a->cart[i].item)) {
            return a->cart[i].item.len > OMNI_KEY_MAX ? OMNI_ETOOBIG
                                                      : OMNI_EINVAL;
        }
    }

    for (i = 0; i < a->nviewed; i++) {
        if (!omni_id_ok(a->viewed[i])) {
            return a->viewed[i].len > OMNI_KEY_MAX ? OMNI_ETOOBIG
                                                   : OMNI_EINVAL;
        }
    }

    for (i = 0; i < a->npurchased; i++) {
        if (!omni_id_ok(a->purchased[i])) {
            return a->purchased[i].len > OMNI_KEY_MAX ? OMNI_ETOOBIG
                                                      : OMNI_EINVAL;
        }
    }

    for (i = 0; i < a->nimpressions; i++) {
        if (!omni_id_ok(a->impressions[i].offer)) {
            return a->impressions[i].offer.len > OMNI_KEY_MAX
                   ? OMNI_ETOOBIG : OMNI_EINVAL;
        }
    }

    for (i = 0; i < a->ntouches + 2; i++) {
        t = (i == 0) ? &a->first_touch
                     : (i == 1) ? &a->last_touch : &a->touches[i - 2];

        rc = omni_touch_check(t);
        if (rc != OMNI_OK) {
            return rc;
        }
    }

    if (size > OMNI_ACTIVITY_RECORD_MAX) {
        size = OMNI_ACTIVITY_RECORD_MAX;
    }

    omni_frame_begin(&w, buf, size, OMNI_ACTIVITY_VERSION);

    omni_write_str(&w, a->customer_id);
    omni_write_int(&w, a->first_seen);
    omni_write_int(&w, a->last_seen);
    omni_write_int(&w, a->visit_started);
    omni_write_uint(&w, a->visits);
    omni_write_uint(&w, a->pageviews);
    omni_write_uint(&w, a->purchases);
    omni_write_int(&w, a->purchase_value);
    omni_write_int(&w, a->last_purchase);
    omni_write_int(&w, a->cart_value);
    omni_write_int(&w, a->cart_updated);

    omni_write_uint(&w, a->ncart);

    for (i = 0; i < a->ncart; i++) {
        c = &a->cart[i];
        omni_write_str(&w, c->item);
        omni_write_uint(&w, c->qty);
        omni_write_int(&w, c->price);
    }

    omni_write_uint(&w, a->nviewed);

    for (i = 0; i < a->nviewed; i++) {
        omni_write_str(&w, a->viewed[i]);
    }

    omni_write_uint(&w, a->npurchased);

    for (i = 0; i < a->npurchased; i++) {
        omni_write_str(&w, a->purchased[i]);
    }

    omni_write_touch(&w, &a->first_touch);
    omni_write_touch(&w, &a->last_touch);

    omni_write_uint(&w, a->ntouches);

    for (i = 0; i < a->ntouches; i++) {
        omni_write_touch(&w, &a->touches[i]);
    }

    omni_write_uint(&w, a->nimpressions);

    for (i = 0; i < a->nimpressions; i++) {
        im = &a->impressions[i];
        omni_write_str(&w, im->offer);
        omni_write_uint(&w, im->day);
        omni_write_uint(&w, im->today);
        omni_write_uint(&w, im->visit);
        omni_write_uint(&w, im->this_visit);
    }

    omni_write_str(&w, a->last_offer);
    omni_write_str(&w, a->last_variant);
    omni_write_int(&w, a->last_offer_at);

    if (a->last_order.len || a->abandoned_at || a->first_set) {
        omni_write_str(&w, a->last_order);
        omni_write_int(&w, a->abandoned_at);
    }

    if (a->first_set) {
        omni_write_int(&w, a->first_set);
    }

    return omni_frame_end(&w, buf, len);
}


static void
omni_read_touch(omni_reader_t *r, omni_touch_t *t, int *bad)
{
    uint64_t  channel;

    channel = omni_read_uint(r);
    t->channel = (channel < OMNI_CHANNEL_MAX) ? (omni_channel_e) channel
                                              : OMNI_CHANNEL_NONE;
    t->source = omni_read_str(r, OMNI_SHORT_MAX);
    t->medium = omni_read_str(r, OMNI_SHORT_MAX);
    t->campaign = omni_read_str(r, OMNI_SHORT_MAX);
    t->at = omni_read_int(r);

    *bad |= channel >= OMNI_CHANNEL_MAX || !omni_text_ok(t->source)
            || !omni_text_ok(t->medium) || !omni_text_ok(t->campaign);
}


static int
omni_touch_check(const omni_touch_t *t)
{
    if ((unsigned) t->channel >= OMNI_CHANNEL_MAX) {
        return OMNI_EINVAL;
    }

    if (t->source.len > OMNI_SHORT_MAX || t->medium.len > OMNI_SHORT_MAX
        || t->campaign.len > OMNI_SHORT_MAX)
    {
        return OMNI_ETOOBIG;
    }

    if (!omni_text_ok(t->source) || !omni_text_ok(t->medium)
        || !omni_text_ok(t->campaign))
    {
        return OMNI_EINVAL;
    }

    return OMNI_OK;
}


static void
omni_write_touch(omni_writer_t *w, const omni_touch_t *t)
{
    omni_write_uint(w, (uint64_t) t->channel);
    omni_write_str(w, t->source);
    omni_write_str(w, t->medium);
    omni_write_str(w, t->campaign);
    omni_write_int(w, t->at);
}


static uint32_t
omni_read_u32(omni_reader_t *r)
{
    uint64_t  v;

    v = omni_read_uint(r);

    if (v > UINT32_MAX) {
        r->error = 1;
        return 0;
    }

    return (uint32_t) v;
}


static int
omni_id_ok(omni_str_t s)
{
    return s.len != 0 && s.len <= OMNI_KEY_MAX && omni_text_ok(s);
}


int
omni_activity_abandoned(const omni_activity_t *a, int64_t now,
    int64_t abandon_after)
{
    int64_t  last;

    /* a cart tracked by its value alone (no item ids) counts too */
    if (a->ncart == 0 && a->cart_value <= 0) {
        return 0;
    }

    /* a purchase after the last cart change closes the cart */
    if (a->last_purchase != 0 && a->last_purchase >= a->cart_updated) {
        return 0;
    }

    if (a->abandoned_at != 0) {
        return 1;
    }

    last = a->last_seen > a->cart_updated ? a->last_seen : a->cart_updated;

    return now - last >= abandon_after;
}


int
omni_activity_has_purchased(const omni_activity_t *a, const char *item,
    size_t len)
{
    size_t  i;

    for (i = 0; i < a->npurchased; i++) {
        if (a->purchased[i].len == len
            && memcmp(a->purchased[i].data, item, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


int
omni_activity_has_viewed(const omni_activity_t *a, const char *item,
    size_t len)
{
    size_t  i;

    for (i = 0; i < a->nviewed; i++) {
        if (a->viewed[i].len == len
            && memcmp(a->viewed[i].data, item, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}
