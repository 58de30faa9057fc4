/*
 * Abandoned carts: the filter and the JSON line of "omnictl abandoned".
 */

#include <omni/abandoned.h>

#include "omni_json_int.h"


static json_t *omni_abandoned_touch(const omni_touch_t *t);
static int64_t omni_abandoned_last(const omni_activity_t *a);


int
omni_abandoned_match(const omni_activity_t *a,
    const omni_abandoned_filter_t *f)
{
    if (!omni_activity_abandoned(a, f->now, f->abandon_after)) {
        return 0;
    }

    if (f->since > 0 && f->now - omni_abandoned_last(a) > f->since) {
        return 0;
    }

    return a->cart_value >= f->min_value;
}


char *
omni_abandoned_to_json(const omni_id_t *visitor, const omni_activity_t *a,
    int64_t abandon_after, size_t *len)
{
    int                      bad;
    char                     id[OMNI_ID_TEXT_LEN];
    json_t                  *obj;
    int64_t                  at;
    omni_str_t               s;

    obj = json_object();
    if (obj == NULL) {
        return NULL;
    }

    bad = 0;

    omni_id_format(visitor, id);
    s.data = id;
    s.len = OMNI_ID_TEXT_LEN;
    omni_json_set(obj, "visitor", omni_json_text(s), &bad);

    omni_json_set(obj, "customer_id", a->customer_id.len
                                      ? omni_json_text(a->customer_id)
                                      : json_null(), &bad);

    omni_json_set(obj, "cart", omni_cart_json(a), &bad);
    omni_json_set(obj, "cart_value", json_integer(a->cart_value), &bad);
    omni_json_set(obj, "currency_unit", json_string("cents"), &bad);
    omni_json_set(obj, "first_channel",
                  omni_abandoned_touch(&a->first_touch), &bad);
    omni_json_set(obj, "last_channel", omni_abandoned_touch(&a->last_touch),
                  &bad);
    omni_json_set(obj, "last_seen", json_integer(a->last_seen), &bad);

    at = a->abandoned_at ? a->abandoned_at
                         : omni_abandoned_last(a) + abandon_after;

    omni_json_set(obj, "abandoned_at", json_integer(at), &bad);

    if (bad) {
        json_decref(obj);
        return NULL;
    }

    return omni_json_finish(obj, len);
}


/* a touch, or null for a visitor whose channel was never known */

static json_t *
omni_abandoned_touch(const omni_touch_t *t)
{
    return (t->channel == OMNI_CHANNEL_NONE) ? json_null()
                                             : omni_touch_json(t);
}


static int64_t
omni_abandoned_last(const omni_activity_t *a)
{
    return a->last_seen > a->cart_updated ? a->last_seen : a->cart_updated;
}
