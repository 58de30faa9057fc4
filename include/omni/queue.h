/*
 * The per-worker event queue.
 *
 * Two batches of fixed size, allocated once: the worker appends events to
 * the filling batch (omni_queue_push(): no allocation, a few hundred
 * bytes copied), and a flush hands that batch over whole to another
 * thread (omni_queue_take()) while new events go to the other one.  When
 * the flush is done the worker gets the batch back (omni_queue_release()).
 *
 *     worker (event loop)                 flush thread
 *     -------------------                 ------------
 *     omni_queue_push() ...
 *     b = omni_queue_take()   ------->    omni_batch_group(b)
 *     omni_queue_push() ...               for each omni_batch_next_run():
 *                                             read and decode the record,
 *                                             omni_batch_merge_run(),
 *                                             encode and write it
 *     omni_queue_release(b)   <-------    done
 *
 * Threads: every omni_queue_* call is made by the worker thread only; a
 * taken batch belongs to the flush thread alone (omni_batch_* calls) until
 * it is released, so nothing here needs a lock.  A batch is serialized
 * records, one per event: the visitor id and the event (wire.h coding),
 * so the event's input may go away as soon as the push returns.
 */

#ifndef OMNI_QUEUE_H_INCLUDED
#define OMNI_QUEUE_H_INCLUDED


#include <omni/omni.h>
#include <omni/cookie.h>
#include <omni/event.h>
#include <omni/activity.h>
#include <omni/wire.h>


#define OMNI_QUEUE_MIN_SIZE       65536         /* bytes per batch */
#define OMNI_QUEUE_DEFAULT_SIZE   (1024 * 1024)


typedef struct omni_queue_s  omni_queue_t;
typedef struct omni_batch_s  omni_batch_t;


typedef struct {
    uint64_t    pushed;         /* events accepted */
    uint64_t    dropped;        /* events refused with OMNI_EFULL */
    uint64_t    batches;        /* batches taken */
} omni_queue_stats_t;


/* one visitor's events in a grouped batch: positions first .. first+n-1 */
typedef struct {
    omni_id_t   visitor;
    size_t      first;
    size_t      n;
} omni_batch_run_t;


/*
 * Two batches of size bytes each (at least OMNI_QUEUE_MIN_SIZE); NULL when
 * out of memory or size is too small.
 */
omni_queue_t *omni_queue_new(size_t size);
void omni_queue_free(omni_queue_t *q);

/*
 * Appends an event of a visitor to the filling batch.  OMNI_OK;
 * OMNI_EFULL when it does not fit (the caller flushes early or counts a
 * drop: the queue counts it too); OMNI_EINVAL for an event with no valid
 * type, or a field over its bound (ids over OMNI_KEY_MAX, touch strings
 * over OMNI_SHORT_MAX, more than OMNI_EVENT_MAX_ITEMS items).
 */
int omni_queue_push(omni_queue_t *q, const omni_id_t *visitor,
    const omni_event_t *ev);

/* events waiting in the filling batch */
size_t omni_queue_pending(const omni_queue_t *q);
/* the filling batch is three quarters full: flush now, not at the timer */
int omni_queue_ready(const omni_queue_t *q);
void omni_queue_stats(const omni_queue_t *q, omni_queue_stats_t *stats);

/*
 * Hands the filling batch over for flushing, or returns NULL when it is
 * empty or the previous batch has not been released yet.
 */
omni_batch_t *omni_queue_take(omni_queue_t *q);
/*
 * Gives a flushed batch back (emptied) to the worker.  Anything but the
 * batch that is out (NULL, a second release) is ignored.
 */
void omni_queue_release(omni_queue_t *q, omni_batch_t *b);


/* The flush thread's side. */

size_t omni_batch_count(const omni_batch_t *b);

/*
 * Orders the batch by visitor, each visitor's events kept in arrival
 * order, so that each visitor's record is read, merged and written once.
 * No allocation (the index is part of the batch).
 */
void omni_batch_group(omni_batch_t *b);

/*
 * The next visitor run from position *pos (start at 0): OMNI_OK and *run,
 * *pos moved past it; OMNI_ENOTFOUND at the end.  Before
 * omni_batch_group(), runs follow arrival order (and a visitor may have
 * several).
 */
int omni_batch_next_run(const omni_batch_t *b, size_t *pos,
    omni_batch_run_t *run);

/*
 * Decodes the event at position pos into *ev, whose strings point into
 * the batch: valid until the batch is released.  OMNI_EINVAL for a
 * position out of range (or, were memory corrupted, a bad record).
 */
int omni_batch_event(const omni_batch_t *b, size_t pos, omni_id_t *visitor,
    omni_event_t *ev);

/*
 * Merges the events of a run into *a, oldest first, with
 * omni_merge_event(); an event that does not decode or merge is skipped
 * and counted in *skipped (which may be NULL).  The merged view's strings
 * point into the batch and into whatever *a pointed to before (see
 * merge.h): encode it before either goes.
 */
void omni_batch_merge_run(const omni_batch_t *b, const omni_batch_run_t *run,
    omni_activity_t *a, int64_t visit_timeout, size_t *skipped);


/*
 * The wire coding (wire.h) of one event, as in a batch record after the
 * visitor id; the first-response cookie (first.h) carries the same.
 * omni_event_encode() returns OMNI_EINVAL for an event omni_queue_push()
 * would refuse (nothing written) and leaves running out of room to the
 * writer's error flag.  omni_event_decode() reads one event, checking
 * every bound omni_queue_push() checks; the strings point into the
 * reader's data.  OMNI_OK or OMNI_EINVAL.
 */
int omni_event_encode(omni_writer_t *w, const omni_event_t *ev);
int omni_event_decode(omni_reader_t *r, omni_event_t *ev);


#endif /* OMNI_QUEUE_H_INCLUDED */
