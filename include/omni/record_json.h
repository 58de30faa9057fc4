/*
 * JSON for the records: the profile lines omnictl imports and exports,
 * and the activity record "omnictl get --visitor" shows.
 *
 * A profile line is one JSON object:
 *
 *   {"customer_id": "C1", "first_name": "Ann", "locale": "nb-NO",
 *    "tier": "gold", "points": 1200, "consent": ["email", "ads"],
 *    "updated": 1700000000, "tags": ["vip"], "attrs": {"city": "Oslo"}}
 *
 * customer_id is required; every other field may be left out or null.
 * Attribute values are strings, integers or booleans (kept as their
 * text).  Unknown fields, duplicate keys, wrong types and values over the
 * record limits (profile.h) are errors; a tag given twice is kept once.
 * omni_profile_to_json() writes the fields that are set, in the order
 * above, so that its output imports back to the same record.
 */

#ifndef OMNI_RECORD_JSON_H_INCLUDED
#define OMNI_RECORD_JSON_H_INCLUDED


#include <omni/omni.h>
#include <omni/cookie.h>
#include <omni/profile.h>
#include <omni/activity.h>


#define OMNI_JSON_LINE_MAX   65536


typedef struct {
    char  text[200];
} omni_json_error_t;


/*
 * Parses one line into p, copying its strings into buf (size bytes;
 * OMNI_PROFILE_RECORD_MAX is always enough).  OMNI_OK, or OMNI_EINVAL /
 * OMNI_ETOOBIG with the reason in err.
 */
int omni_profile_from_json(const char *text, size_t len, omni_profile_t *p,
    char *buf, size_t size, omni_json_error_t *err);

/*
 * One line of compact JSON, without a newline, NUL-terminated, from
 * malloc(); NULL when out of memory.  Bytes that are not UTF-8 become
 * U+FFFD.
 */
char *omni_profile_to_json(const omni_profile_t *p, size_t *len);
char *omni_activity_to_json(const omni_id_t *visitor,
    const omni_activity_t *a, size_t *len);


#endif /* OMNI_RECORD_JSON_H_INCLUDED */
