/*
 * X-Omni-Event and X-Omni-Customer values, then the queue round trip and
 * the merge of whatever parsed.
 */

#include <stdlib.h>
#include <string.h>

#include <omni/event.h>
#include <omni/merge.h>
#include <omni/queue.h>


static omni_queue_t     *queue;
static omni_activity_t   activity;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t         i;
    int64_t        cents;
    omni_id_t      id, out_id;
    omni_str_t     customer;
    const char    *p, *why;
    omni_event_t   ev, out;
    omni_batch_t  *b;

    p = (const char *) data;

    (void) omni_money_parse(p, size, &cents);

    if (omni_event_parse_customer(p, size, &customer) == OMNI_OK) {
        if (customer.data < p || customer.data + customer.len > p + size) {
            abort();
        }
    }

    why = NULL;

    if (omni_event_parse_header(p, size, &ev, &why) != OMNI_OK) {
        if (why == NULL || ev.type != OMNI_EVENT_NONE) {
            abort();
        }

        return 0;
    }

    if (ev.item.len
        && (ev.item.data < p || ev.item.data + ev.item.len > p + size))
    {
        abort();
    }

    for (i = 0; i < ev.nitems; i++) {
        if (!omni_event_valid_id(ev.items[i].data, ev.items[i].len)) {
            abort();
        }
    }

    if (queue == NULL) {
        queue = omni_queue_new(OMNI_QUEUE_MIN_SIZE);
        if (queue == NULL) {
            abort();
        }
    }

    memset(&id, 0x5a, sizeof(id));
    ev.at = 1700000000;

    if (omni_queue_push(queue, &id, &ev) != OMNI_OK) {
        abort();
    }

    b = omni_queue_take(queue);
    if (b == NULL || omni_batch_count(b) != 1
        || omni_batch_event(b, 0, &out_id, &out) != OMNI_OK
        || out.type != ev.type || out.nitems != ev.nitems
        || out.item.len != ev.item.len
        || memcmp(out.item.data, ev.item.data, ev.item.len) != 0
        || out.price != ev.price || out.value != ev.value
        || out.qty != ev.qty || out.flags != ev.flags)
    {
        abort();
    }

    /* strings of the merged view point into the batch: merge, then drop */
    memset(&activity, 0, sizeof(activity));

    if (omni_merge_event(&activity, &out, OMNI_VISIT_TIMEOUT_DEFAULT)
        != OMNI_OK
        || activity.ncart > OMNI_ACT_MAX_CART
        || activity.npurchased > OMNI_ACT_MAX_PURCHASED)
    {
        abort();
    }

    omni_queue_release(queue, b);

    return 0;
}
