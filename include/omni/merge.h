/*
 * Applying tracking events to a visitor's activity.
 *
 * The flusher reads a visitor's record, decodes it into an
 * omni_activity_t (omni_activity_decode(), or omni_activity_init() for a
 * new visitor), calls omni_merge_event() once per queued event of that
 * visitor, oldest first, and encodes the result back.
 *
 * Lifetime: merging copies no string.  Afterwards the view's strings point
 * into the old record (the decoded input) or into the events (the queue
 * batch); encode the view before either of them goes away or changes:
 * with LMDB, before the next put in the same write transaction and before
 * the batch is released.
 *
 * Every list stays within its OMNI_ACT_MAX_* bound whatever is merged:
 * 10,000 cart adds of different items leave the OMNI_ACT_MAX_CART most
 * recent ones.  Times come from the events (ev->at); nothing here reads a
 * clock.
 */

#ifndef OMNI_MERGE_H_INCLUDED
#define OMNI_MERGE_H_INCLUDED


#include <omni/omni.h>
#include <omni/activity.h>
#include <omni/event.h>


#define OMNI_VISIT_TIMEOUT_DEFAULT   1800     /* omni_visit_timeout 30m */
#define OMNI_SECONDS_PER_DAY         86400


/*
 * Applies one event, in this order:
 *
 * Visit: the first event of a record starts visit 1 (first_seen); an event
 * visit_timeout seconds or more after last_seen starts the next visit
 * (visits + 1, visit_started).  last_seen only moves forward.  A new
 * visit records the event's touch, or a direct one when the event has
 * none; within a visit, a touch other than none or direct that differs
 * from the last one (channel, source or campaign) is recorded too.  The
 * first touch is kept forever; the last one and a history of
 * OMNI_ACT_MAX_TOUCHES, most recent first, follow.
 *
 * Then by type:
 *   pageview    pageviews + 1 (a product view is not a page view: the
 *               glue records both for a product page)
 *   view        item goes first in viewed (deduplicated, bounded)
 *   cart        qty (default 1) of item added to its cart line, which
 *               moves first; a price updates the line's unit price; qty 0
 *               removes the line; a new line beyond OMNI_ACT_MAX_CART
 *               evicts the oldest
 *   remove      qty units of item, or the whole line without qty
 *   clear       the cart emptied
 *   purchase    purchases + 1; value (or, without one, the cart's value)
 *               added to purchase_value; last_purchase; the items (or the
 *               item, or else the cart's items) go first in purchased,
 *               deduplicated and bounded; the cart is emptied
 *   link        customer_id
 *   impression  the offer's per-day and per-visit counts (a new day or
 *               visit restarts them; the least recently shown offer is
 *               evicted beyond OMNI_ACT_MAX_IMPRESSIONS); last offer shown
 *   click       last offer (and variant) acted on
 * Every cart change recomputes cart_value and sets cart_updated.
 *
 * Returns OMNI_OK, or OMNI_EINVAL for an event without a valid type or
 * without the field its type needs (a is then unchanged).
 */
int omni_merge_event(omni_activity_t *a, const omni_event_t *ev,
    int64_t visit_timeout);


#endif /* OMNI_MERGE_H_INCLUDED */
