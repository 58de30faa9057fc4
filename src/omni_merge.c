/*
 * Merging events into an activity view: visits, touches, views, cart,
 * purchases, impressions.  Every list is a small array kept most recent
 * first; inserting at the front shifts it and drops the last entry when
 * it is full, which is what bounds a record.
 */

#include <string.h>

#include <omni/merge.h>


static void omni_merge_visit(omni_activity_t *a, const omni_event_t *ev,
    int64_t visit_timeout);
static void omni_merge_touch(omni_activity_t *a, const omni_touch_t *t,
    int64_t at);
static int omni_same_touch(const omni_touch_t *a, const omni_touch_t *b);
static void omni_cart_add(omni_activity_t *a, const omni_event_t *ev);
static void omni_cart_remove(omni_activity_t *a, const omni_event_t *ev);
static void omni_cart_clear(omni_activity_t *a, int64_t at);
static void omni_cart_value(omni_activity_t *a);
static void omni_merge_purchase(omni_activity_t *a, const omni_event_t *ev);
static void omni_merge_impression(omni_activity_t *a,
    const omni_event_t *ev);
static void omni_push_id(omni_str_t *list, size_t *n, size_t max,
    omni_str_t id);
static int omni_str_eq(omni_str_t a, omni_str_t b);
static uint32_t omni_inc(uint32_t v);
static int64_t omni_add_money(int64_t a, int64_t b);


int
omni_merge_event(omni_activity_t *a, const omni_event_t *ev,
    int64_t visit_timeout)
{
    switch (ev->type) {

    case OMNI_EVENT_PAGEVIEW:
    case OMNI_EVENT_CLEAR:
    case OMNI_EVENT_PURCHASE:
        break;

    case OMNI_EVENT_VIEW:
    case OMNI_EVENT_CART:
    case OMNI_EVENT_REMOVE:
        if (ev->item.len == 0) {
            return OMNI_EINVAL;
        }

        break;

    case OMNI_EVENT_LINK:
        if (ev->customer.len == 0) {
            return OMNI_EINVAL;
        }

        break;

    case OMNI_EVENT_IMPRESSION:
    case OMNI_EVENT_CLICK:
        if (ev->offer.len == 0) {
            return OMNI_EINVAL;
        }

        break;

    default:
        return OMNI_EINVAL;
    }

    omni_merge_visit(a, ev, visit_timeout);

    switch (ev->type) {

    case OMNI_EVENT_PAGEVIEW:
        a->pageviews = omni_inc(a->pageviews);
        break;

    case OMNI_EVENT_VIEW:
        omni_push_id(a->viewed, &a->nviewed, OMNI_ACT_MAX_VIEWED, ev->item);
        break;

    case OMNI_EVENT_CART:
        if ((ev->flags & OMNI_EVENT_HAS_QTY) && ev->qty == 0) {
            omni_cart_remove(a, ev);

        } else {
            omni_cart_add(a, ev);
        }

        break;

    case OMNI_EVENT_REMOVE:
        omni_cart_remove(a, ev);
        break;

    case OMNI_EVENT_CLEAR:
        omni_cart_clear(a, ev->at);
        break;

    case OMNI_EVENT_PURCHASE:
        omni_merge_purchase(a, ev);
        break;

    case OMNI_EVENT_LINK:
        a->customer_id = ev->customer;
        break;

    case OMNI_EVENT_IMPRESSION:
        omni_merge_impression(a, ev);
        break;

    default: /* OMNI_EVENT_CLICK */
        a->last_offer = ev->offer;
        a->last_variant = ev->variant;
        a->last_offer_at = ev->at;
        break;
    }

    return OMNI_OK;
}


/* visits and touches */

static void
omni_merge_visit(omni_activity_t *a, const omni_event_t *ev,
    int64_t visit_timeout)
{
    int           new_visit;
    omni_touch_t  direct;

    if (a->visits == 0) {
        new_visit = 1;
        a->first_seen = ev->at;

    } else {
        /* an event older than last_seen belongs to the current visit */
        new_visit = (ev->at - a->last_seen >= visit_timeout);
    }

    if (ev->at < a->first_seen) {
        a->first_seen = ev->at;
    }

    if (ev->at > a->last_seen) {
        a->last_seen = ev->at;
    }

    if (new_visit) {
        a->visits = omni_inc(a->visits);
        a->visit_started = ev->at;

        if (ev->touch.channel != OMNI_CHANNEL_NONE) {
            omni_merge_touch(a, &ev->touch, ev->at);

        } else {
            memset(&direct, 0, sizeof(omni_touch_t));
            direct.channel = OMNI_CHANNEL_DIRECT;
            omni_merge_touch(a, &direct, ev->at);
        }

        return;
    }

    if (ev->touch.channel != OMNI_CHANNEL_NONE
        && ev->touch.channel != OMNI_CHANNEL_DIRECT
        && !omni_same_touch(&ev->touch, &a->last_touch))
    {
        omni_merge_touch(a, &ev->touch, ev->at);
    }
}


static void
omni_merge_touch(omni_activity_t *a, const omni_touch_t *t, int64_t at)
{
    size_t  n;

    if (a->first_touch.channel == OMNI_CHANNEL_NONE) {
        a->first_touch = *t;
        a->first_touch.at = at;
    }

    a->last_touch = *t;
    a->last_touch.at = at;

    n = a->ntouches < OMNI_ACT_MAX_TOUCHES ? a->ntouches
                                           : OMNI_ACT_MAX_TOUCHES - 1;

    memmove(&a->touches[1], &a->touches[0], n * sizeof(omni_touch_t));
    a->touches[0] = a->last_touch;
    a->ntouches = n + 1;
}


static int
omni_same_touch(const omni_touch_t *a, const omni_touch_t *b)
{
    return a->channel == b->channel
           && omni_str_eq(a->source, b->source)
           && omni_str_eq(a->campaign, b->campaign);
}


/* the cart */

static void
omni_cart_add(omni_activity_t *a, const omni_event_t *ev)
{
    size_t            i, n;
    uint64_t          sum;
    omni_cart_item_t  line;

    line.item = ev->item;
    line.qty = ev->qty;
    line.price = (ev->flags & OMNI_EVENT_HAS_PRICE) ? ev->price : 0;

    for (i = 0; i < a->ncart; i++) {
        if (omni_str_eq(a->cart[i].item, ev->item)) {
            break;
        }
    }

    if (i < a->ncart) {
        sum = (uint64_t) a->cart[i].qty + ev->qty;
        line.qty = sum > OMNI_EVENT_QTY_MAX ? OMNI_EVENT_QTY_MAX
                                            : (uint32_t) sum;

        if (!(ev->flags & OMNI_EVENT_HAS_PRICE)) {
            line.price = a->cart[i].price;
        }

        n = i;

    } else {
        /* a new line: the oldest one goes when the cart is full */
        n = a->ncart < OMNI_ACT_MAX_CART ? a->ncart : OMNI_ACT_MAX_CART - 1;
        a->ncart = n + 1;
    }

    memmove(&a->cart[1], &a->cart[0], n * sizeof(omni_cart_item_t));
    a->cart[0] = line;

    a->cart_updated = ev->at;
    omni_cart_value(a);
}


static void
omni_cart_remove(omni_activity_t *a, const omni_event_t *ev)
{
    size_t  i;

    for (i = 0; i < a->ncart; i++) {
        if (omni_str_eq(a->cart[i].item, ev->item)) {
            break;
        }
    }

    if (i == a->ncart) {
        return;
    }

    if (ev->type == OMNI_EVENT_REMOVE && (ev->flags & OMNI_EVENT_HAS_QTY)
        && ev->qty < a->cart[i].qty)
    {
        a->cart[i].qty -= ev->qty;

    } else {
        memmove(&a->cart[i], &a->cart[i + 1],
                (a->ncart - i - 1) * sizeof(omni_cart_item_t));
        a->ncart--;
    }

    a->cart_updated = ev->at;
    omni_cart_value(a);
}


static void
omni_cart_clear(omni_activity_t *a, int64_t at)
{
    a->ncart = 0;
    a->cart_value = 0;
    a->cart_updated = at;
}


static void
omni_cart_value(omni_activity_t *a)
{
    size_t   i;
    int64_t  v, line;

    v = 0;

    for (i = 0; i < a->ncart; i++) {
        /* a decoded record is not trusted to hold sane numbers */
        if (a->cart[i].price < 0
            || __builtin_mul_overflow(a->cart[i].price,
                                      (int64_t) a->cart[i].qty, &line))
        {
            line = INT64_MAX;
        }

        v = omni_add_money(v, line);
    }

    a->cart_value = v;
}


/* purchases */

static void
omni_merge_purchase(omni_activity_t *a, const omni_event_t *ev)
{
    size_t  i;

    a->purchases = omni_inc(a->purchases);
    a->purchase_value = omni_add_money(a->purchase_value,
                                       (ev->flags & OMNI_EVENT_HAS_VALUE)
                                       ? ev->value : a->cart_value);
    a->last_purchase = ev->at;

    /* pushed last to first, so that the list keeps the event's order */

    if (ev->nitems) {
        for (i = ev->nitems; i > 0; i--) {
            omni_push_id(a->purchased, &a->npurchased,
                         OMNI_ACT_MAX_PURCHASED, ev->items[i - 1]);
        }

    } else if (ev->item.len) {
        omni_push_id(a->purchased, &a->npurchased, OMNI_ACT_MAX_PURCHASED,
                     ev->item);

    } else {
        for (i = a->ncart; i > 0; i--) {
            omni_push_id(a->purchased, &a->npurchased,
                         OMNI_ACT_MAX_PURCHASED, a->cart[i - 1].item);
        }
    }

    omni_cart_clear(a, ev->at);
}


/* impressions, for frequency caps */

static void
omni_merge_impression(omni_activity_t *a, const omni_event_t *ev)
{
    size_t             i, n;
    uint32_t           day;
    omni_impression_t  imp;

    day = (uint32_t) (ev->at / OMNI_SECONDS_PER_DAY);

    for (i = 0; i < a->nimpressions; i++) {
        if (omni_str_eq(a->impressions[i].offer, ev->offer)) {
            break;
        }
    }

    if (i < a->nimpressions) {
        imp = a->impressions[i];
        n = i;

    } else {
        memset(&imp, 0, sizeof(omni_impression_t));
        imp.offer = ev->offer;

        n = a->nimpressions < OMNI_ACT_MAX_IMPRESSIONS
            ? a->nimpressions : OMNI_ACT_MAX_IMPRESSIONS - 1;
        a->nimpressions = n + 1;
    }

    if (imp.day != day) {
        imp.day = day;
        imp.today = 0;
    }

    if (imp.visit != a->visits) {
        imp.visit = a->visits;
        imp.this_visit = 0;
    }

    imp.today = omni_inc(imp.today);
    imp.this_visit = omni_inc(imp.this_visit);

    memmove(&a->impressions[1], &a->impressions[0],
            n * sizeof(omni_impression_t));
    a->impressions[0] = imp;

    a->last_offer = ev->offer;
    a->last_variant = ev->variant;
    a->last_offer_at = ev->at;
}


/* helpers */

/* id goes first in the list; an existing copy moves there */

static void
omni_push_id(omni_str_t *list, size_t *n, size_t max, omni_str_t id)
{
    size_t  i, k;

    if (id.len == 0) {
        return;
    }

    for (i = 0; i < *n; i++) {
        if (omni_str_eq(list[i], id)) {
            break;
        }
    }

    if (i < *n) {
        k = i;

    } else {
        k = *n < max ? *n : max - 1;
        *n = k + 1;
    }

    memmove(&list[1], &list[0], k * sizeof(omni_str_t));
    list[0] = id;
}


static int
omni_str_eq(omni_str_t a, omni_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}


static uint32_t
omni_inc(uint32_t v)
{
    return v == UINT32_MAX ? v : v + 1;
}


static int64_t
omni_add_money(int64_t a, int64_t b)
{
    int64_t  r;

    if (b < 0) {
        return a;
    }

    if (__builtin_add_overflow(a, b, &r)) {
        return INT64_MAX;
    }

    return r;
}
