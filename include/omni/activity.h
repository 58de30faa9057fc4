/*
 * Visitor activity, as the edge learns it: the records of the "activity"
 * store, keyed by the 16 bytes of the visitor id.
 *
 * Like profiles, an activity record is a versioned binary layout decoded
 * in place, and every list in it is bounded: a record never grows past
 * OMNI_ACTIVITY_RECORD_MAX however many events a visitor (or a bot)
 * sends.  Lists keep the most recent entries first.
 *
 * Money is kept in cents (int64); times are unix seconds.
 */

#ifndef OMNI_ACTIVITY_H_INCLUDED
#define OMNI_ACTIVITY_H_INCLUDED


#include <omni/omni.h>
#include <omni/profile.h>


#define OMNI_ACTIVITY_VERSION        1

#define OMNI_ACT_MAX_CART            20
#define OMNI_ACT_MAX_VIEWED          20
#define OMNI_ACT_MAX_PURCHASED       20
#define OMNI_ACT_MAX_TOUCHES         8
#define OMNI_ACT_MAX_IMPRESSIONS     16
#define OMNI_ACTIVITY_RECORD_MAX     8192


/* how a visit arrived */
typedef enum {
    OMNI_CHANNEL_NONE = 0,
    OMNI_CHANNEL_DIRECT,
    OMNI_CHANNEL_SEARCH,
    OMNI_CHANNEL_PAID_SEARCH,
    OMNI_CHANNEL_SOCIAL,
    OMNI_CHANNEL_PAID_SOCIAL,
    OMNI_CHANNEL_EMAIL,
    OMNI_CHANNEL_SMS,
    OMNI_CHANNEL_PUSH,
    OMNI_CHANNEL_DISPLAY,
    OMNI_CHANNEL_AFFILIATE,
    OMNI_CHANNEL_REFERRAL,
    OMNI_CHANNEL_MAX
} omni_channel_e;


typedef struct {
    omni_str_t      item;
    uint32_t        qty;
    int64_t         price;              /* cents, per unit */
} omni_cart_item_t;


typedef struct {
    omni_channel_e  channel;
    omni_str_t      source;             /* utm_source or referrer host */
    omni_str_t      medium;
    omni_str_t      campaign;
    int64_t         at;
} omni_touch_t;


/* offer impressions, for frequency caps */
typedef struct {
    omni_str_t      offer;
    uint32_t        day;                /* days since the epoch, UTC */
    uint32_t        today;              /* impressions on that day */
    uint32_t        visit;              /* visit number they belong to */
    uint32_t        this_visit;         /* impressions in that visit */
} omni_impression_t;


typedef struct {
    omni_str_t         customer_id;     /* linked CRM customer, if any */

    int64_t            first_seen;
    int64_t            last_seen;
    int64_t            visit_started;
    uint32_t           visits;
    uint32_t           pageviews;

    uint32_t           purchases;
    int64_t            purchase_value;  /* cents, lifetime */
    int64_t            last_purchase;

    int64_t            cart_value;      /* cents */
    int64_t            cart_updated;
    size_t             ncart;
    omni_cart_item_t   cart[OMNI_ACT_MAX_CART];

    size_t             nviewed;
    omni_str_t         viewed[OMNI_ACT_MAX_VIEWED];

    size_t             npurchased;
    omni_str_t         purchased[OMNI_ACT_MAX_PURCHASED];

    omni_touch_t       first_touch;
    omni_touch_t       last_touch;
    size_t             ntouches;
    omni_touch_t       touches[OMNI_ACT_MAX_TOUCHES];

    size_t             nimpressions;
    omni_impression_t  impressions[OMNI_ACT_MAX_IMPRESSIONS];

    /* the offer last shown, for attributing clicks and conversions */
    omni_str_t         last_offer;
    omni_str_t         last_variant;
    int64_t            last_offer_at;

    /*
     * The order of the last purchase counted, so that a reloaded order
     * confirmation page does not count it twice; and when the current
     * cart was found abandoned (0: it was not), which keeps the visitor
     * abandoned after they come back, until they buy or empty the cart.
     */
    omni_str_t         last_order;
    int64_t            abandoned_at;

    /*
     * The time of the first-response set (first.h) applied to the record,
     * 0 before: a visitor has one first response, applied once.
     */
    int64_t            first_set;
} omni_activity_t;


void omni_activity_init(omni_activity_t *a);

/*
 * Like the profile codec: decode allocates nothing and rejects truncated,
 * trailing, corrupted (checksum), over-limit and unknown-version records;
 * encode rejects what decode would reject.  Strings must be printable (no
 * control bytes: sanitize what comes from URLs first); item, offer and
 * variant ids are 1..OMNI_KEY_MAX bytes, touch source, medium and
 * campaign 0..OMNI_SHORT_MAX.  A view whose lists are all full of long
 * ids may not fit OMNI_ACTIVITY_RECORD_MAX: encode then returns
 * OMNI_ETOOBIG and the caller drops the oldest entries.
 */
int omni_activity_decode(const void *data, size_t len, omni_activity_t *a);
int omni_activity_encode(const omni_activity_t *a, void *buf, size_t size,
    size_t *len);

/*
 * A visitor with items in the cart (or, for a cart tracked by value only,
 * a cart value) and no purchase since, inactive for at least
 * abandon_after seconds at time now, or found so before (abandoned_at
 * set) and back since without buying or emptying the cart.
 */
int omni_activity_abandoned(const omni_activity_t *a, int64_t now,
    int64_t abandon_after);
int omni_activity_has_purchased(const omni_activity_t *a, const char *item,
    size_t len);
int omni_activity_has_viewed(const omni_activity_t *a, const char *item,
    size_t len);

const char *omni_channel_name(omni_channel_e channel);
/* OMNI_CHANNEL_NONE when the name is not a channel's */
omni_channel_e omni_channel_by_name(const char *name, size_t len);


#endif /* OMNI_ACTIVITY_H_INCLUDED */
