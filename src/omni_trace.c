/*
 * The reasoning of a decision, as text for people ("omnictl decide").
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "omni_campaigns_int.h"


typedef struct {
    char    *buf;
    size_t   size;
    size_t   len;
} omni_text_t;


static void omni_text_printf(omni_text_t *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;


static const char *const  omni_why_texts[] = {
    "chosen",
    "the visitor is in none of its segments",
    "not for this funnel stage",
    "not for this channel",
    "not started yet",
    "ended",
    "already shown as often as allowed today (cap per_day)",
    "already shown as often as allowed in this visit (cap per_visit)",
    "the visitor already bought an item it advertises",
    "eligible, but an offer of higher priority won",
    "won, but the visitor is in the experiment's holdout and sees nothing"
};


const char *
omni_why_text(omni_why_e why)
{
    return ((unsigned) why < OMNI_WHY_MAX) ? omni_why_texts[why] : "";
}


static void
omni_text_printf(omni_text_t *t, const char *fmt, ...)
{
    int      n;
    char    *p;
    size_t   room;
    va_list  args;

    room = (t->len < t->size) ? t->size - t->len : 0;
    p = room ? t->buf + t->len : NULL;

    va_start(args, fmt);
    n = vsnprintf(p, room, fmt, args);
    va_end(args);

    if (n > 0) {
        t->len += (size_t) n;
    }
}


int
omni_trace_format(const omni_campaigns_t *cs, const omni_decision_t *d,
    const omni_trace_t *trace, char *buf, size_t size, size_t *len)
{
    size_t               i, n;
    omni_text_t          t;
    const omni_offer_t  *o;

    t.buf = buf;
    t.size = buf ? size : 0;
    t.len = 0;

    omni_text_printf(&t, "stage: %s\n", omni_stage_name(d->stage));
    omni_text_printf(&t, "segments:");

    for (i = 0, n = 0; i < cs->nsegments; i++) {
        if (omni_decision_in_segment(d, i)) {
            omni_text_printf(&t, "%s %s", n++ ? "," : "",
                             cs->segments[i].name.data);
        }
    }

    omni_text_printf(&t, "%s\n", n ? "" : " (none)");

    if (d->abandoned) {
        omni_text_printf(&t, "cart: abandoned\n");
    }

    if (d->offer) {
        omni_text_printf(&t, "offer: %s\n", d->offer->id.data);

    } else if (d->held) {
        omni_text_printf(&t, "offer: (none: held out of \"%s\")\n",
                         d->held->id.data);

    } else {
        omni_text_printf(&t, "offer: (none)\n");
    }

    if (d->experiment) {
        omni_text_printf(&t, "experiment: %s, variant %s (bucket %u of %d)\n",
                         d->experiment->id.data, d->variant_id.data,
                         (unsigned) d->bucket, OMNI_BUCKETS);
    }

    if (trace && trace->n) {
        omni_text_printf(&t, "offers, by priority:\n");

        for (i = 0; i < trace->n && i < OMNI_OFFERS_MAX; i++) {
            o = trace->entries[i].offer;

            omni_text_printf(&t, "  %-24s %-6lld %s\n", o->id.data,
                             (long long) o->priority,
                             omni_why_text(trace->entries[i].why));
        }
    }

    *len = t.len;

    if (buf && size) {
        buf[(t.len < size) ? t.len : size - 1] = '\0';
    }

    return (t.len < size) ? OMNI_OK : OMNI_ETOOBIG;
}
