/*
 * Tracking events and their parsers.
 *
 * An event is what one request teaches the edge about one visitor: a page
 * view, a product view, a cart change, a purchase, a login (link), an
 * offer shown or clicked.  Events come from three places:
 *
 *   - URL patterns (omni_track): the glue fills an omni_event_t itself;
 *   - the upstream application, through response headers:
 *         X-Omni-Event: cart; item=SKU-7; qty=1; price=119.90
 *         X-Omni-Customer: C1
 *     parsed by omni_event_parse_header() and omni_event_parse_customer();
 *   - the browser, through a JSON beacon: omni_beacon_parse().
 *
 * The parsers do not allocate: the strings of an event point into the
 * parsed input (the header value, or the beacon's JSON document), so an
 * event lives exactly as long as its input.  omni_queue_push() copies an
 * event into the queue, after which the input may go.
 *
 * Money is in cents (int64), never negative and at most OMNI_MONEY_MAX;
 * times are unix seconds.
 */

#ifndef OMNI_EVENT_H_INCLUDED
#define OMNI_EVENT_H_INCLUDED


#include <omni/omni.h>
#include <omni/activity.h>


#define OMNI_EVENT_MAX_ITEMS       20      /* ids kept from one items list */
#define OMNI_EVENT_HEADER_MAX      4096    /* one X-Omni-Event value */
#define OMNI_EVENT_QTY_MAX         9999
#define OMNI_MONEY_MAX             INT64_C(1000000000000)  /* cents */

#define OMNI_BEACON_MAX_BODY       16384
#define OMNI_BEACON_MAX_EVENTS     32
#define OMNI_BEACON_ERROR_LEN      128


typedef enum {
    OMNI_EVENT_NONE = 0,
    OMNI_EVENT_PAGEVIEW,       /* an HTML page was served; carries a touch */
    OMNI_EVENT_VIEW,           /* a product was viewed: item */
    OMNI_EVENT_CART,           /* qty of item added (qty 0 removes it) */
    OMNI_EVENT_REMOVE,         /* item removed, or qty units of it */
    OMNI_EVENT_CLEAR,          /* the cart was emptied */
    OMNI_EVENT_PURCHASE,       /* order, value, items; clears the cart */
    OMNI_EVENT_LINK,           /* the visitor is CRM customer "customer" */
    OMNI_EVENT_IMPRESSION,     /* offer (and variant) was shown */
    OMNI_EVENT_CLICK,          /* offer (and variant) was clicked */
    OMNI_EVENT_MAX
} omni_event_type_e;


/* which optional fields an event carries */
#define OMNI_EVENT_HAS_QTY         0x01
#define OMNI_EVENT_HAS_PRICE       0x02
#define OMNI_EVENT_HAS_VALUE       0x04
#define OMNI_EVENT_HAS_ITEMS       0x08
/* the items list was longer than OMNI_EVENT_MAX_ITEMS: the first are kept */
#define OMNI_EVENT_ITEMS_TRUNCATED 0x10
/*
 * Carried by a new visitor's first-response cookie (first.h) and queued
 * when the visitor came back; START marks the first event of such a set.
 * The flush applies one copy of a set only (flush.h).
 */
#define OMNI_EVENT_FIRST           0x20
#define OMNI_EVENT_FIRST_START     0x40


typedef struct {
    omni_event_type_e  type;
    uint32_t           flags;           /* OMNI_EVENT_HAS_* */
    int64_t            at;              /* unix seconds, set by the caller */

    omni_str_t         item;
    uint32_t           qty;             /* 1 unless HAS_QTY */
    int64_t            price;           /* cents per unit, if HAS_PRICE */
    int64_t            value;           /* cents, if HAS_VALUE */
    omni_str_t         order;
    omni_str_t         currency;        /* three letters, or empty */

    size_t             nitems;
    omni_str_t         items[OMNI_EVENT_MAX_ITEMS];

    omni_str_t         customer;        /* LINK */
    omni_str_t         offer;           /* IMPRESSION, CLICK */
    omni_str_t         variant;

    /*
     * How the visit arrived (omni_channel_classify()), on the pageview
     * that the glue records per page; channel NONE: not a new touch.
     */
    omni_touch_t       touch;
} omni_event_t;


/* Clears ev and sets its type, time and the default qty of 1. */
void omni_event_init(omni_event_t *ev, omni_event_type_e type, int64_t at);

const char *omni_event_type_name(omni_event_type_e type);
/* OMNI_EVENT_NONE when the name is not an event type's */
omni_event_type_e omni_event_type_by_name(const char *name, size_t len);

/*
 * Parses one X-Omni-Event header value:
 *
 *     TYPE *( ";" KEY "=" VALUE ) [ ";" ]
 *
 * with optional spaces or tabs around every token.  TYPE is view, cart,
 * remove, clear or purchase (case-insensitive).  Keys: item, qty, price,
 * value, order, currency, items (a comma-separated id list); unknown keys
 * are skipped (applications may send fields meant for other tools) but
 * must still be well formed; a known key given twice is an error.  One
 * header line carries one event: an application sends several events as
 * several header lines (a comma cannot separate events, because "items"
 * uses commas).
 *
 * Sets ev (type and fields; ev->at is left 0 for the caller) and returns
 * OMNI_OK, OMNI_EINVAL or OMNI_ETOOBIG (value over OMNI_EVENT_HEADER_MAX).
 * On failure *reason, when reason is not NULL, receives a short static
 * text for the log that never quotes the input.
 */
int omni_event_parse_header(const char *value, size_t len, omni_event_t *ev,
    const char **reason);

/*
 * Validates an X-Omni-Customer value (surrounding spaces are trimmed): an
 * id of 1 to OMNI_KEY_MAX characters from the id alphabet.  *id points
 * into value.
 */
int omni_event_parse_customer(const char *value, size_t len, omni_str_t *id);

/*
 * Ids (items, orders, customers) are 1 to OMNI_KEY_MAX bytes of letters,
 * digits and - _ . : / @ + # ~ ! $ % & * = ? ^ |
 */
int omni_event_valid_id(const char *p, size_t len);

/*
 * Money: digits with an optional "." and one or two decimals ("119.90",
 * "119", "0.5"), at most OMNI_MONEY_MAX cents.  No sign, no exponent, no
 * thousands separators.
 */
int omni_money_parse(const char *p, size_t len, int64_t *cents);


/*
 * The beacon: a POST body holding one JSON event object or an array of
 * them, e.g.
 *
 *   {"type":"cart","item":"SKU-7","qty":1,"price":119.90}
 *   [{"type":"view","item":"SKU-7"},{"type":"pageview"}]
 *
 * Types accepted from a browser: pageview, view, cart, remove, clear and
 * purchase.  Fields are those of the header ("items" is an array of
 * strings); money may be a number or a string like "119.90"; unknown
 * fields are ignored.  Every event gets the time "now": a browser's clock
 * is not trusted.
 *
 * The events point into b->json, which omni_beacon_free() releases.  The
 * struct is about 17 KB: allocate it (from the request's pool), do not put
 * it on a worker's stack.
 */
typedef struct {
    void          *json;                /* the parsed document (json_t) */
    size_t         nevents;
    omni_event_t   events[OMNI_BEACON_MAX_EVENTS];
    /*
     * Why a body was refused, for a 400/413 response: printable ASCII
     * without quotes, backslashes or < > &, so it can be put in a JSON
     * string as it is.  Never more than a short excerpt of the input.
     */
    char           error[OMNI_BEACON_ERROR_LEN];
} omni_beacon_t;


/*
 * Returns OMNI_OK, OMNI_EINVAL (answer 400) or OMNI_ETOOBIG (body over
 * OMNI_BEACON_MAX_BODY or more than OMNI_BEACON_MAX_EVENTS events: 413),
 * OMNI_ERROR when out of memory.  b->error is set on every failure.
 * Call omni_beacon_free() in every case.
 */
int omni_beacon_parse(omni_beacon_t *b, const void *body, size_t len,
    int64_t now);
void omni_beacon_free(omni_beacon_t *b);

/*
 * Content types a beacon may have: application/json, text/plain (what
 * navigator.sendBeacon() sends for a string) and none at all, parameters
 * such as "; charset=UTF-8" allowed.  Returns 1 or 0.
 */
int omni_beacon_content_type_ok(const char *p, size_t len);


#endif /* OMNI_EVENT_H_INCLUDED */
