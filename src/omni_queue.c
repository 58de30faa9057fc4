/*
 * The per-worker event queue: two fixed batches, double buffered.
 *
 * A record in a batch is the visitor id (16 bytes) and the event in the
 * wire.h coding.  The batch's index has one entry per record (the id
 * again, for grouping without touching the records, and the record's
 * place); it is filled as records are appended, and sorted by
 * omni_batch_group().
 */

#include <stdlib.h>
#include <string.h>

#include <omni/merge.h>
#include <omni/queue.h>
#include <omni/wire.h>


/* no record is shorter than the id and a dozen one-byte fields */
#define OMNI_RECORD_MIN    32


typedef struct {
    uint8_t            visitor[OMNI_ID_SIZE];
    uint32_t           off;
    uint32_t           len;
} omni_batch_entry_t;


struct omni_batch_s {
    uint8_t             *data;
    size_t               size;
    size_t               len;
    size_t               n;
    size_t               max;           /* index entries */
    omni_batch_entry_t  *index;
};


struct omni_queue_s {
    omni_batch_t        *fill;
    omni_batch_t        *spare;         /* NULL while a batch is out */
    omni_queue_stats_t   stats;
    omni_batch_t         batches[2];
};


static int omni_event_check(const omni_event_t *ev);
static void omni_event_write(omni_writer_t *w, const omni_event_t *ev);
static int omni_entry_cmp(const void *one, const void *two);


omni_queue_t *
omni_queue_new(size_t size)
{
    size_t         i;
    omni_queue_t  *q;

    if (size < OMNI_QUEUE_MIN_SIZE || size > UINT32_MAX) {
        return NULL;
    }

    q = calloc(1, sizeof(omni_queue_t));
    if (q == NULL) {
        return NULL;
    }

    for (i = 0; i < 2; i++) {
        q->batches[i].size = size;
        q->batches[i].max = size / OMNI_RECORD_MIN;
        q->batches[i].data = malloc(size);
        q->batches[i].index = malloc(q->batches[i].max
                                     * sizeof(omni_batch_entry_t));

        if (q->batches[i].data == NULL || q->batches[i].index == NULL) {
            omni_queue_free(q);
            return NULL;
        }
    }

    q->fill = &q->batches[0];
    q->spare = &q->batches[1];

    return q;
}


void
omni_queue_free(omni_queue_t *q)
{
    size_t  i;

    if (q == NULL) {
        return;
    }

    for (i = 0; i < 2; i++) {
        free(q->batches[i].data);
        free(q->batches[i].index);
    }

    free(q);
}


int
omni_queue_push(omni_queue_t *q, const omni_id_t *visitor,
    const omni_event_t *ev)
{
    size_t               len;
    omni_batch_t        *b;
    omni_writer_t        w;
    omni_batch_entry_t  *e;

    if (omni_event_check(ev) != OMNI_OK) {
        return OMNI_EINVAL;
    }

    b = q->fill;

    if (b->n == b->max || b->size - b->len < OMNI_RECORD_MIN) {
        goto full;
    }

    omni_writer_init(&w, b->data + b->len, b->size - b->len);

    omni_write_str(&w, (omni_str_t) { (const char *) visitor->bytes,
                                      OMNI_ID_SIZE });
    omni_event_write(&w, ev);

    if (w.error) {
        goto full;
    }

    len = omni_writer_len(&w, b->data + b->len);

    e = &b->index[b->n++];
    memcpy(e->visitor, visitor->bytes, OMNI_ID_SIZE);
    e->off = (uint32_t) b->len;
    e->len = (uint32_t) len;

    b->len += len;
    q->stats.pushed++;

    return OMNI_OK;

full:

    q->stats.dropped++;

    return OMNI_EFULL;
}


size_t
omni_queue_pending(const omni_queue_t *q)
{
    return q->fill->n;
}


int
omni_queue_ready(const omni_queue_t *q)
{
    return q->fill->len >= q->fill->size / 4 * 3
           || q->fill->n >= q->fill->max / 4 * 3;
}


void
omni_queue_stats(const omni_queue_t *q, omni_queue_stats_t *stats)
{
    *stats = q->stats;
}


omni_batch_t *
omni_queue_take(omni_queue_t *q)
{
    omni_batch_t  *b;

    if (q->spare == NULL || q->fill->n == 0) {
        return NULL;
    }

    b = q->fill;
    q->fill = q->spare;
    q->spare = NULL;
    q->stats.batches++;

    return b;
}


void
omni_queue_release(omni_queue_t *q, omni_batch_t *b)
{
    /* only the batch that is out can come back, and only once */
    if (b == NULL || q->spare != NULL || b == q->fill) {
        return;
    }

    b->len = 0;
    b->n = 0;
    q->spare = b;
}


/* the flush thread's side */

size_t
omni_batch_count(const omni_batch_t *b)
{
    return b->n;
}


void
omni_batch_group(omni_batch_t *b)
{
    qsort(b->index, b->n, sizeof(omni_batch_entry_t), omni_entry_cmp);
}


int
omni_batch_next_run(const omni_batch_t *b, size_t *pos,
    omni_batch_run_t *run)
{
    size_t                     i;
    const omni_batch_entry_t  *e;

    if (*pos >= b->n) {
        return OMNI_ENOTFOUND;
    }

    e = &b->index[*pos];

    for (i = *pos + 1; i < b->n; i++) {
        if (memcmp(b->index[i].visitor, e->visitor, OMNI_ID_SIZE) != 0) {
            break;
        }
    }

    memcpy(run->visitor.bytes, e->visitor, OMNI_ID_SIZE);
    run->first = *pos;
    run->n = i - *pos;
    *pos = i;

    return OMNI_OK;
}


int
omni_batch_event(const omni_batch_t *b, size_t pos, omni_id_t *visitor,
    omni_event_t *ev)
{
    omni_str_t                 id;
    omni_reader_t              r;
    const omni_batch_entry_t  *e;

    if (pos >= b->n) {
        return OMNI_EINVAL;
    }

    e = &b->index[pos];
    omni_reader_init(&r, b->data + e->off, e->len);

    id = omni_read_str(&r, OMNI_ID_SIZE);

    if (r.error || id.len != OMNI_ID_SIZE) {
        return OMNI_EINVAL;
    }

    if (visitor != NULL) {
        memcpy(visitor->bytes, id.data, OMNI_ID_SIZE);
    }

    if (omni_event_decode(&r, ev) != OMNI_OK || omni_reader_left(&r) != 0) {
        return OMNI_EINVAL;
    }

    return OMNI_OK;
}


void
omni_batch_merge_run(const omni_batch_t *b, const omni_batch_run_t *run,
    omni_activity_t *a, int64_t visit_timeout, size_t *skipped)
{
    size_t        k, n;
    omni_event_t  ev;

    n = 0;

    for (k = run->first; k < run->first + run->n; k++) {
        if (omni_batch_event(b, k, NULL, &ev) != OMNI_OK
            || omni_merge_event(a, &ev, visit_timeout) != OMNI_OK)
        {
            n++;
        }
    }

    if (skipped != NULL) {
        *skipped += n;
    }
}


/* the bounds omni_batch_event() enforces, checked before writing */

static int
omni_event_check(const omni_event_t *ev)
{
    size_t  i;

    if (ev->type <= OMNI_EVENT_NONE || ev->type >= OMNI_EVENT_MAX
        || (unsigned) ev->touch.channel >= OMNI_CHANNEL_MAX
        || ev->item.len > OMNI_KEY_MAX || ev->order.len > OMNI_KEY_MAX
        || ev->currency.len > OMNI_KEY_MAX
        || ev->customer.len > OMNI_KEY_MAX || ev->offer.len > OMNI_KEY_MAX
        || ev->variant.len > OMNI_KEY_MAX
        || ev->nitems > OMNI_EVENT_MAX_ITEMS
        || ev->touch.source.len > OMNI_SHORT_MAX
        || ev->touch.medium.len > OMNI_SHORT_MAX
        || ev->touch.campaign.len > OMNI_SHORT_MAX)
    {
        return OMNI_EINVAL;
    }

    for (i = 0; i < ev->nitems; i++) {
        if (ev->items[i].len > OMNI_KEY_MAX) {
            return OMNI_EINVAL;
        }
    }

    return OMNI_OK;
}


int
omni_event_encode(omni_writer_t *w, const omni_event_t *ev)
{
    if (omni_event_check(ev) != OMNI_OK) {
        return OMNI_EINVAL;
    }

    omni_event_write(w, ev);

    return OMNI_OK;
}


static void
omni_event_write(omni_writer_t *w, const omni_event_t *ev)
{
    size_t  i;

    omni_write_u8(w, (uint8_t) ev->type);
    omni_write_int(w, ev->at);
    omni_write_uint(w, ev->flags);
    omni_write_str(w, ev->item);
    omni_write_uint(w, ev->qty);
    omni_write_int(w, ev->price);
    omni_write_int(w, ev->value);
    omni_write_str(w, ev->order);
    omni_write_str(w, ev->currency);

    omni_write_uint(w, ev->nitems);

    for (i = 0; i < ev->nitems; i++) {
        omni_write_str(w, ev->items[i]);
    }

    omni_write_str(w, ev->customer);
    omni_write_str(w, ev->offer);
    omni_write_str(w, ev->variant);

    omni_write_u8(w, (uint8_t) ev->touch.channel);
    omni_write_str(w, ev->touch.source);
    omni_write_str(w, ev->touch.medium);
    omni_write_str(w, ev->touch.campaign);
    omni_write_int(w, ev->touch.at);
}


/* the wire coding of one event: omni_event_encode() writes what this reads */

int
omni_event_decode(omni_reader_t *r, omni_event_t *ev)
{
    size_t    i;
    uint64_t  v;

    memset(ev, 0, sizeof(omni_event_t));

    v = omni_read_u8(r);
    ev->type = (v < OMNI_EVENT_MAX) ? (omni_event_type_e) v
                                    : OMNI_EVENT_NONE;
    ev->at = omni_read_int(r);
    ev->flags = (uint32_t) omni_read_uint(r);
    ev->item = omni_read_str(r, OMNI_KEY_MAX);
    ev->qty = (uint32_t) omni_read_uint(r);
    ev->price = omni_read_int(r);
    ev->value = omni_read_int(r);
    ev->order = omni_read_str(r, OMNI_KEY_MAX);
    ev->currency = omni_read_str(r, OMNI_KEY_MAX);

    v = omni_read_uint(r);
    if (v > OMNI_EVENT_MAX_ITEMS) {
        return OMNI_EINVAL;
    }

    ev->nitems = (size_t) v;

    for (i = 0; i < ev->nitems; i++) {
        ev->items[i] = omni_read_str(r, OMNI_KEY_MAX);
    }

    ev->customer = omni_read_str(r, OMNI_KEY_MAX);
    ev->offer = omni_read_str(r, OMNI_KEY_MAX);
    ev->variant = omni_read_str(r, OMNI_KEY_MAX);

    v = omni_read_u8(r);
    ev->touch.channel = (v < OMNI_CHANNEL_MAX) ? (omni_channel_e) v
                                               : OMNI_CHANNEL_NONE;
    ev->touch.source = omni_read_str(r, OMNI_SHORT_MAX);
    ev->touch.medium = omni_read_str(r, OMNI_SHORT_MAX);
    ev->touch.campaign = omni_read_str(r, OMNI_SHORT_MAX);
    ev->touch.at = omni_read_int(r);

    if (r->error || ev->type == OMNI_EVENT_NONE) {
        return OMNI_EINVAL;
    }

    return OMNI_OK;
}


/* by visitor, then by place in the batch: arrival order within a visitor */

static int
omni_entry_cmp(const void *one, const void *two)
{
    int                        rc;
    const omni_batch_entry_t  *a = one, *b = two;

    rc = memcmp(a->visitor, b->visitor, OMNI_ID_SIZE);
    if (rc != 0) {
        return rc;
    }

    return (a->off > b->off) - (a->off < b->off);
}
