/*
 * An activity record as JSON, for "omnictl get --visitor".
 */

#include <omni/record_json.h>

#include "omni_json_int.h"




char *
omni_activity_to_json(const omni_id_t *visitor, const omni_activity_t *a,
    size_t *len)
{
    int                       bad;
    char                      id[OMNI_ID_TEXT_LEN];
    size_t                    i;
    json_t                   *obj, *arr, *item;
    omni_str_t                s;
    const omni_impression_t  *im;

    obj = json_object();
    if (obj == NULL) {
        return NULL;
    }

    bad = 0;

    if (visitor) {
        omni_id_format(visitor, id);
        s.data = id;
        s.len = OMNI_ID_TEXT_LEN;
        omni_json_set(obj, "visitor", omni_json_text(s), &bad);
    }

    omni_json_set(obj, "customer_id", omni_json_text(a->customer_id), &bad);
    omni_json_set(obj, "first_seen", json_integer(a->first_seen), &bad);
    omni_json_set(obj, "last_seen", json_integer(a->last_seen), &bad);
    omni_json_set(obj, "visit_started", json_integer(a->visit_started),
                  &bad);
    omni_json_set(obj, "visits", json_integer(a->visits), &bad);
    omni_json_set(obj, "pageviews", json_integer(a->pageviews), &bad);
    omni_json_set(obj, "purchases", json_integer(a->purchases), &bad);
    omni_json_set(obj, "purchase_value", json_integer(a->purchase_value),
                  &bad);
    omni_json_set(obj, "last_purchase", json_integer(a->last_purchase),
                  &bad);
    omni_json_set(obj, "cart_value", json_integer(a->cart_value), &bad);
    omni_json_set(obj, "cart_updated", json_integer(a->cart_updated), &bad);

    omni_json_set(obj, "cart", omni_cart_json(a), &bad);

    arr = json_array();

    for (i = 0; arr != NULL && i < a->nviewed; i++) {
        if (json_array_append_new(arr, omni_json_text(a->viewed[i])) != 0) {
            bad = 1;
        }
    }

    omni_json_set(obj, "viewed", arr, &bad);

    arr = json_array();

    for (i = 0; arr != NULL && i < a->npurchased; i++) {
        if (json_array_append_new(arr, omni_json_text(a->purchased[i])) != 0)
        {
            bad = 1;
        }
    }

    omni_json_set(obj, "purchased", arr, &bad);

    omni_json_set(obj, "first_touch", omni_touch_json(&a->first_touch), &bad);
    omni_json_set(obj, "last_touch", omni_touch_json(&a->last_touch), &bad);

    arr = json_array();

    for (i = 0; arr != NULL && i < a->ntouches; i++) {
        if (json_array_append_new(arr, omni_touch_json(&a->touches[i])) != 0) {
            bad = 1;
        }
    }

    omni_json_set(obj, "touches", arr, &bad);

    arr = json_array();

    for (i = 0; arr != NULL && i < a->nimpressions; i++) {
        im = &a->impressions[i];
        item = json_object();

        if (item == NULL) {
            bad = 1;
            break;
        }

        omni_json_set(item, "offer", omni_json_text(im->offer), &bad);
        omni_json_set(item, "day", json_integer(im->day), &bad);
        omni_json_set(item, "today", json_integer(im->today), &bad);
        omni_json_set(item, "visit", json_integer(im->visit), &bad);
        omni_json_set(item, "this_visit", json_integer(im->this_visit), &bad);

        if (json_array_append_new(arr, item) != 0) {
            bad = 1;
        }
    }

    omni_json_set(obj, "impressions", arr, &bad);

    omni_json_set(obj, "last_offer", omni_json_text(a->last_offer), &bad);
    omni_json_set(obj, "last_variant", omni_json_text(a->last_variant), &bad);
    omni_json_set(obj, "last_offer_at", json_integer(a->last_offer_at), &bad);
    omni_json_set(obj, "last_order", omni_json_text(a->last_order), &bad);
    omni_json_set(obj, "abandoned_at", json_integer(a->abandoned_at), &bad);

    if (bad) {
        json_decref(obj);
        return NULL;
    }

    return omni_json_finish(obj, len);
}


/* [{"item", "qty", "price"}, ...]; NULL when out of memory */

json_t *
omni_cart_json(const omni_activity_t *a)
{
    int                      bad;
    size_t                   i;
    json_t                  *arr, *item;
    const omni_cart_item_t  *c;

    arr = json_array();
    if (arr == NULL) {
        return NULL;
    }

    bad = 0;

    for (i = 0; i < a->ncart; i++) {
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

    if (bad) {
        json_decref(arr);
        return NULL;
    }

    return arr;
}


json_t *
omni_touch_json(const omni_touch_t *t)
{
    int      bad;
    json_t  *obj;

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
