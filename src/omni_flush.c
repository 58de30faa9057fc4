/*
 * Applying a batch of queued events to the activity store: one write
 * transaction, one read and one write per visitor.
 */

#include <stdlib.h>
#include <string.h>

#include <omni/flush.h>
#include <omni/merge.h>


static int omni_flush_run(omni_store_batch_t *sb, omni_batch_t *b,
    const omni_batch_run_t *run, omni_activity_t *a,
    const omni_flush_conf_t *conf, omni_flush_stats_t *st);
static int omni_flush_put(omni_store_batch_t *sb, const omni_id_t *visitor,
    omni_activity_t *a, omni_flush_stats_t *st);
static void omni_flush_late_touch(omni_activity_t *a,
    const omni_event_t *ev);
static void omni_flush_cart_value(omni_activity_t *a);
static int omni_flush_same(omni_str_t a, omni_str_t b);


int
omni_flush_event(omni_activity_t *a, const omni_event_t *ev,
    const omni_flush_conf_t *conf)
{
    int      rc;
    int64_t  last;

    if (ev->type == OMNI_EVENT_PURCHASE && ev->order.len != 0
        && omni_flush_same(ev->order, a->last_order))
    {
        return OMNI_FLUSH_DUPLICATE;
    }

    /*
     * Whether the cart was abandoned is decided with the record as it was
     * before this event: the event is the visitor coming back.
     */
    if (a->abandoned_at == 0
        && omni_activity_abandoned(a, ev->at, conf->abandon_after))
    {
        last = a->last_seen > a->cart_updated ? a->last_seen
                                              : a->cart_updated;
        a->abandoned_at = last + conf->abandon_after;
    }

    omni_flush_late_touch(a, ev);

    rc = omni_merge_event(a, ev, conf->visit_timeout);
    if (rc != OMNI_OK) {
        return rc;
    }

    if (ev->type == OMNI_EVENT_PURCHASE && ev->order.len != 0) {
        a->last_order = ev->order;
    }

    /* buying empties the cart: both end the abandonment */
    if (a->ncart == 0 && a->cart_value <= 0) {
        a->abandoned_at = 0;
    }

    return OMNI_OK;
}


/*
 * Each worker flushes its own queue, so a visitor's events reach the
 * store in the order their batches commit, not in the order they
 * happened: the landing page of an email campaign, served by one worker,
 * may be written after the next page, served by another, which opened
 * the visit as "direct" (it had no Referer, or a same-site one).  An event
 * that happened no later than the visit began, and brings a channel, is
 * what the visit arrived by: it takes the place of that placeholder.
 * Times are in seconds, so "no later" includes the same second.
 */

static void
omni_flush_late_touch(omni_activity_t *a, const omni_event_t *ev)
{
    int64_t        start;
    omni_touch_t   t;

    if (ev->touch.channel == OMNI_CHANNEL_NONE
        || ev->touch.channel == OMNI_CHANNEL_DIRECT
        || a->visits == 0
        || ev->at > a->visit_started
        || a->last_touch.channel != OMNI_CHANNEL_DIRECT
        || a->last_touch.at != a->visit_started)
    {
        return;
    }

    start = a->visit_started;

    t = ev->touch;
    t.at = start;

    a->last_touch = t;

    if (a->ntouches && a->touches[0].channel == OMNI_CHANNEL_DIRECT
        && a->touches[0].at == start)
    {
        a->touches[0] = t;
    }

    if (a->first_touch.channel == OMNI_CHANNEL_DIRECT
        && a->first_touch.at == start)
    {
        a->first_touch = t;
    }
}


int
omni_flush_trim(omni_activity_t *a)
{
    if (a->ntouches) {
        a->ntouches--;
        return 1;
    }

    if (a->nviewed) {
        a->nviewed--;
        return 1;
    }

    if (a->nimpressions) {
        a->nimpressions--;
        return 1;
    }

    if (a->npurchased) {
        a->npurchased--;
        return 1;
    }

    if (a->ncart) {
        a->ncart--;
        omni_flush_cart_value(a);
        return 1;
    }

    return 0;
}


/* as merge.h computes it: a decoded record is not trusted to be sane */

static void
omni_flush_cart_value(omni_activity_t *a)
{
    size_t   i;
    int64_t  v, line;

    v = 0;

    for (i = 0; i < a->ncart; i++) {
        if (a->cart[i].price < 0
            || __builtin_mul_overflow(a->cart[i].price,
                                      (int64_t) a->cart[i].qty, &line)
            || __builtin_add_overflow(v, line, &v))
        {
            v = INT64_MAX;
            break;
        }
    }

    a->cart_value = v;
}


int
omni_flush_batch(omni_store_t *s, omni_batch_t *b,
    const omni_flush_conf_t *conf, omni_flush_stats_t *stats)
{
    int                  rc;
    size_t               pos;
    omni_activity_t     *a;
    omni_batch_run_t     run;
    omni_flush_stats_t   st;
    omni_store_batch_t  *sb;

    memset(&st, 0, sizeof(omni_flush_stats_t));

    a = malloc(sizeof(omni_activity_t));
    if (a == NULL) {
        return OMNI_ERROR;
    }

    omni_batch_group(b);

    rc = omni_store_activity_begin(s, &sb);
    if (rc != OMNI_OK) {
        free(a);
        return rc;
    }

    pos = 0;

    while (omni_batch_next_run(b, &pos, &run) == OMNI_OK) {
        rc = omni_flush_run(sb, b, &run, a, conf, &st);
        if (rc != OMNI_OK) {
            omni_store_activity_abort(sb);
            free(a);
            return rc;
        }
    }

    free(a);

    rc = omni_store_activity_commit(sb);
    if (rc != OMNI_OK) {
        return rc;
    }

    stats->events += st.events;
    stats->skipped += st.skipped;
    stats->duplicates += st.duplicates;
    stats->visitors += st.visitors;
    stats->replaced += st.replaced;
    stats->trimmed += st.trimmed;
    stats->copies += st.copies;

    return OMNI_OK;
}


/*
 * One visitor's events.  Only a failure of the store itself is returned:
 * a record or an event that cannot be used costs that record or event,
 * never the rest of the batch.
 */

static int
omni_flush_run(omni_store_batch_t *sb, omni_batch_t *b,
    const omni_batch_run_t *run, omni_activity_t *a,
    const omni_flush_conf_t *conf, omni_flush_stats_t *st)
{
    int           rc, first;
    size_t        k;
    uint64_t      applied, duplicates, skipped, copies;
    omni_event_t  ev;

    rc = omni_store_activity_get(sb, &run->visitor, a);

    switch (rc) {

    case OMNI_OK:
        break;

    case OMNI_ENOTFOUND:
        omni_activity_init(a);
        break;

    case OMNI_EVERSION:
        /* written by a newer layout: not ours to overwrite */
        st->skipped += run->n;
        return OMNI_OK;

    case OMNI_ERROR:
        return OMNI_ERROR;

    case OMNI_EFULL:
        return OMNI_EFULL;

    default:
        /* damaged (checksum, bounds): the visitor starts afresh */
        omni_activity_init(a);
        st->replaced++;
        break;
    }

    applied = 0;
    duplicates = 0;
    skipped = 0;
    copies = 0;
    first = 0;

    for (k = run->first; k < run->first + run->n; k++) {

        if (omni_batch_event(b, k, NULL, &ev) != OMNI_OK) {
            skipped++;
            continue;
        }

        /*
         * A visitor has one first response, whose events (first.h) every
         * request that brought its cookie back queued: the record keeps
         * the set's time once one copy is applied, and the others are
         * left out, whatever reached the store first.
         */
        if (ev.flags & OMNI_EVENT_FIRST) {
            if (ev.flags & OMNI_EVENT_FIRST_START) {
                first = (a->first_set == 0) ? 1 : -1;

                if (first == 1) {
                    a->first_set = ev.at ? ev.at : 1;
                }
            }

            if (first != 1) {
                copies++;
                continue;
            }

        } else {
            first = 0;
        }

        rc = omni_flush_event(a, &ev, conf);

        if (rc == OMNI_OK) {
            applied++;

        } else if (rc == OMNI_FLUSH_DUPLICATE) {
            duplicates++;

        } else {
            skipped++;
        }
    }

    st->duplicates += duplicates;
    st->skipped += skipped;
    st->copies += copies;

    if (applied == 0) {
        return OMNI_OK;
    }

    rc = omni_flush_put(sb, &run->visitor, a, st);

    if (rc == OMNI_EINVAL || rc == OMNI_ETOOBIG) {
        /* cannot happen with events from the parsers; never fatal */
        st->skipped += applied;
        return OMNI_OK;
    }

    if (rc != OMNI_OK) {
        return rc;
    }

    st->events += applied;
    st->visitors++;

    return OMNI_OK;
}


static int
omni_flush_put(omni_store_batch_t *sb, const omni_id_t *visitor,
    omni_activity_t *a, omni_flush_stats_t *st)
{
    int  rc, trimmed;

    trimmed = 0;

    for ( ;; ) {
        rc = omni_store_activity_put(sb, visitor, a);

        if (rc != OMNI_ETOOBIG || !omni_flush_trim(a)) {
            break;
        }

        trimmed = 1;
    }

    if (rc == OMNI_OK && trimmed) {
        st->trimmed++;
    }

    return rc;
}


static int
omni_flush_same(omni_str_t a, omni_str_t b)
{
    return a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
}
