/*
 * Helpers shared by the JSON mappings of the records.
 */

#ifndef OMNI_JSON_INT_H_INCLUDED
#define OMNI_JSON_INT_H_INCLUDED


#include <jansson.h>

#include <omni/omni.h>
#include <omni/activity.h>


/* a JSON string of s; bytes that are not UTF-8 become U+FFFD */
json_t *omni_json_text(omni_str_t s);

/* sets obj[key] = v (taking v); *bad = 1 when v is NULL or it fails */
void omni_json_set(json_t *obj, const char *key, json_t *v, int *bad);

/* json_dumps() of a compact object, as omni_*_to_json() return it */
char *omni_json_finish(json_t *obj, size_t *len);

/* parts of an activity record, shared by its exports (omni_activity_json.c) */
json_t *omni_cart_json(const omni_activity_t *a);
json_t *omni_touch_json(const omni_touch_t *t);


#endif /* OMNI_JSON_INT_H_INCLUDED */
