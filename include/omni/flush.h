/*
 * Writing queued tracking events into the activity store.
 *
 * This is the flush thread's whole job, with no nginx in it: a batch
 * taken from a worker's queue (queue.h) is grouped by visitor and applied
 * in one write transaction of the activity environment (store.h): each
 * visitor's record is read once, every event of that visitor is applied
 * in arrival order, and the record is written back once.
 *
 * Besides omni_merge_event() (merge.h), applying an event here does what
 * needs the configuration or the record's history:
 *
 *   - abandonment: when an event arrives after the cart has been left for
 *     abandon_after seconds (no purchase since), the record remembers
 *     when it was abandoned (abandoned_at), so that the visitor stays
 *     abandoned on their later requests, until a purchase or an empty
 *     cart clears it;
 *   - order deduplication: a purchase of the order counted last
 *     (last_order) is ignored, so a reloaded confirmation page, or the
 *     same order reported by the page and by the beacon, counts once;
 *   - first-response sets (first.h, OMNI_EVENT_FIRST): the events a new
 *     visitor's first response carried in a cookie, queued by every
 *     request that brought the cookie back.  A visitor has one first
 *     response: the first copy to reach the store is applied and the
 *     record remembers it (first_set); the others are left out, counted
 *     as copies, whatever reached the store before them;
 *   - events out of order: every worker flushes its own queue, so a
 *     visitor's events may reach the store out of order.  An event with
 *     a channel (campaign, click id, other site) that happened no later
 *     than the visit began replaces the "direct" touch the visit was
 *     opened with by a later event that reached the store first.
 *
 * A record that would not fit OMNI_ACTIVITY_RECORD_MAX (every list full of
 * the longest ids) loses its oldest entries until it fits.
 */

#ifndef OMNI_FLUSH_H_INCLUDED
#define OMNI_FLUSH_H_INCLUDED


#include <omni/omni.h>
#include <omni/activity.h>
#include <omni/event.h>
#include <omni/queue.h>
#include <omni/store.h>


/* omni_flush_event(): the purchase of an order already counted */
#define OMNI_FLUSH_DUPLICATE  1


typedef struct {
    int64_t     visit_timeout;      /* seconds: omni_visit_timeout */
    int64_t     abandon_after;      /* seconds: omni_abandon_after */
} omni_flush_conf_t;


typedef struct {
    uint64_t    events;             /* events applied and committed */
    uint64_t    skipped;            /* events that did not decode or apply */
    uint64_t    duplicates;         /* purchases of an order counted before */
    uint64_t    visitors;           /* records written */
    uint64_t    replaced;           /* unreadable records started afresh */
    uint64_t    trimmed;            /* records cut to fit */
    uint64_t    copies;             /* first-response events applied before */
} omni_flush_stats_t;


/*
 * Applies one event to a decoded record, as described above.  Returns
 * OMNI_OK, OMNI_FLUSH_DUPLICATE (nothing changed), or OMNI_EINVAL for an
 * event merge.h refuses (nothing changed either).  The view's strings
 * point into the event afterwards, as with omni_merge_event().
 */
int omni_flush_event(omni_activity_t *a, const omni_event_t *ev,
    const omni_flush_conf_t *conf);

/*
 * Drops the oldest entry of the list that matters least (touch history,
 * then viewed items, impressions, purchased items, cart lines; first and
 * last touch are kept).  Returns 0 when every list is empty already.
 */
int omni_flush_trim(omni_activity_t *a);

/*
 * Writes a whole batch in one write transaction (the batch is grouped by
 * visitor first).  OMNI_OK, and *stats (added to, not cleared) counts what
 * was written; OMNI_ENOTFOUND when the activity environment is not open,
 * OMNI_EFULL when the map is full, OMNI_ERROR for any other store failure
 * (omni_store_activity_error() says why): then nothing of the batch is
 * written and *stats is left alone.  Call from one thread at a time per
 * store; the batch may be released once this returns.
 */
int omni_flush_batch(omni_store_t *s, omni_batch_t *b,
    const omni_flush_conf_t *conf, omni_flush_stats_t *stats);


#endif /* OMNI_FLUSH_H_INCLUDED */
