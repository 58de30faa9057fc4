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
    size_t                   i;
    json_t                  *obj, *arr, *item;
    int64_t                  at;
    omni_str_t               s;
    const omni_cart_item_t  *c;

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

    arr = json_array();

    for (i = 0; arr != NULL && i < a->ncart; i++) {
        c = &a->cart[i];
        item = json_object();

        if (item == NULL) {
            bad = 1;
            break;
        }

        omni_json_set(item, "item", omni_json_text(c->item), &bad);
        omni_json_set(item, "qty", json_integer(c->qty), &bad);
        omni_json_set(item, "price", json_integer(c->price), &bad);

        if (json_array_append_new(arr, item) != 0) {
            bad = 1;
        }
    }

    omni_json_set(obj, "cart", arr, &bad);
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


static json_t *
omni_abandoned_touch(const omni_touch_t *t)
{
    int      bad;
    json_t  *obj;

    if (t->channel == OMNI_CHANNEL_NONE) {
        return json_null();
    }

    obj = json_object();
    if (obj == NULL) {
        return NULL;
    }

    bad = 0;

    omni_json_set(obj, "channel", json_string(omni_channel_name(t->channel)),
                  &bad);
    omni_json_set(obj, "source", omni_json_text(t->source), &bad);
    omni_json_set(obj, "medium", omni_json_text(t->medium), &bad);
    omni_json_set(obj, "campaign", omni_json_text(t->campaign), &bad);
    omni_json_set(obj, "at", json_integer(t->at), &bad);

    if (bad) {
        json_decref(obj);
        return NULL;
    }

    return obj;
}


static int64_t
omni_abandoned_last(const omni_activity_t *a)
{
    return a->last_seen > a->cart_updated ? a->last_seen : a->cart_updated;
}
