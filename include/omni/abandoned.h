/*
 * Abandoned carts, for the tools that win them back.
 *
 * "omnictl abandoned" walks the activity store and prints, for each
 * visitor whose cart was abandoned (omni_activity_abandoned()), what an
 * email, SMS or push tool needs to act: the linked customer, the cart
 * with prices, its value, the first and last channel of arrival, and
 * when the visitor was last seen.
 */

#ifndef OMNI_ABANDONED_H_INCLUDED
#define OMNI_ABANDONED_H_INCLUDED


#include <omni/omni.h>
#include <omni/cookie.h>
#include <omni/activity.h>


typedef struct {
    int64_t     now;                /* unix seconds */
    int64_t     abandon_after;      /* seconds, as omni_abandon_after */
    int64_t     since;              /* last seen at most this long ago;
                                       0: any time */
    int64_t     min_value;          /* cents; 0: any cart */
} omni_abandoned_filter_t;


/* 1 when the visitor is abandoned and passes the filter, else 0 */
int omni_abandoned_match(const omni_activity_t *a,
    const omni_abandoned_filter_t *f);

/*
 * One line of compact JSON (no newline, NUL-terminated, from malloc();
 * NULL when out of memory):
 *
 *   {"visitor":"...","customer_id":"C1","cart":[{"item":"SKU-7","qty":1,
 *    "price":11990}],"cart_value":11990,"currency_unit":"cents",
 *    "first_channel":{"channel":"email","source":"newsletter",
 *    "medium":"email","campaign":"spring","at":1700000000},
 *    "last_channel":{...},"last_seen":1700000600,
 *    "abandoned_at":1700002400}
 *
 * customer_id is null for a visitor not linked to a customer; money is in
 * cents, as everywhere in the store; abandoned_at is when the cart was
 * found abandoned, or, for a visitor who has not come back, when it
 * became so (last activity + abandon_after).
 */
char *omni_abandoned_to_json(const omni_id_t *visitor,
    const omni_activity_t *a, int64_t abandon_after, size_t *len);


#endif /* OMNI_ABANDONED_H_INCLUDED */
