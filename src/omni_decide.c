/*
 * The decision: segments, then the funnel stage, then the offers in
 * priority order until one passes every rule, then its experiment.
 */

#include <string.h>

#include "omni_campaigns_int.h"


static omni_stage_e omni_decide_stage(const omni_campaigns_t *cs,
    omni_view_t *v, const omni_decision_t *d);
static omni_why_e omni_decide_offer(const omni_view_t *v,
    const omni_decision_t *d, const omni_offer_rt_t *rt);


void
omni_decide_conf_init(omni_decide_conf_t *conf)
{
    conf->abandon_after = 1800;
    conf->visit_timeout = 1800;
    conf->click_path.data = OMNI_CLICK_PATH;
    conf->click_path.len = sizeof(OMNI_CLICK_PATH) - 1;
}


void
omni_facts_init(omni_facts_t *facts)
{
    memset(facts, 0, sizeof(omni_facts_t));

    facts->channel = OMNI_CHANNEL_NONE;
    facts->device = OMNI_DEVICE_UNKNOWN;
    facts->event = OMNI_TAG_NONE;
}


int
omni_decide(const omni_campaigns_t *cs, const omni_decide_conf_t *conf,
    const omni_facts_t *facts, omni_decision_t *d, omni_trace_t *trace)
{
    size_t                    i, k, chosen_at;
    uint32_t                  s, bucket;
    omni_why_e                why;
    omni_view_t               v;
    const omni_offer_t       *chosen;
    const omni_offer_rt_t    *rt;
    const omni_variant_t     *var;
    const omni_experiment_t  *exp;

    if (cs == NULL || facts == NULL || d == NULL) {
        return OMNI_EINVAL;
    }

    omni_view_init(&v, cs, conf, facts);

    memset(d, 0, sizeof(omni_decision_t));
    d->variant_id.data = "";
    d->abandoned = v.abandoned;

    /* segments, each once, references first */

    for (i = 0; i < cs->nsegments; i++) {
        s = cs->seg_order[i];

        if (omni_rule_eval(cs, &v, d->segments, cs->segments[s].root)) {
            d->segments[s >> 6] |= (uint64_t) 1 << (s & 63);
        }
    }

    d->stage = omni_decide_stage(cs, &v, d);
    v.stage = d->stage;

    /* offers, by priority */

    if (trace) {
        trace->n = 0;
    }

    chosen = NULL;
    chosen_at = 0;

    for (k = 0; k < cs->noffers; k++) {
        rt = &cs->rt[k];
        why = omni_decide_offer(&v, d, rt);

        if (why == OMNI_WHY_CHOSEN) {
            if (chosen == NULL) {
                chosen = rt->offer;
                chosen_at = k;

                if (trace == NULL) {
                    break;
                }

            } else {
                why = OMNI_WHY_LOWER_PRIORITY;
            }
        }

        if (trace) {
            trace->entries[trace->n].offer = rt->offer;
            trace->entries[trace->n].why = why;
            trace->n++;
        }
    }

    if (chosen == NULL) {
        return OMNI_OK;
    }

    exp = chosen->experiment;

    if (exp == NULL) {
        d->offer = chosen;
        d->html = chosen->html;
        return OMNI_OK;
    }

    /* the experiment: the holdout sees nothing, the others a variant */

    d->experiment = exp;

    bucket = facts->visitor ? omni_bucket(facts->visitor, exp->id.data,
                                          exp->id.len)
                            : exp->holdout;
    d->bucket = bucket;

    if (bucket < exp->holdout) {
        d->held = chosen;
        d->variant_id.data = "holdout";
        d->variant_id.len = sizeof("holdout") - 1;

        if (trace) {
            trace->entries[chosen_at].why = OMNI_WHY_HOLDOUT;
        }

        return OMNI_OK;
    }

    var = &exp->variants[exp->nvariants - 1];

    for (i = 0; i < exp->nvariants; i++) {
        if (bucket < exp->variants[i].bucket_end) {
            var = &exp->variants[i];
            break;
        }
    }

    d->offer = chosen;
    d->variant = var;
    d->variant_id = var->id;
    d->html = var->html ? var->html : chosen->html;

    return OMNI_OK;
}


/*
 * The file's stage rules first, in order; otherwise a cart (or an
 * abandoned one) means conversion, a purchase loyalty, a second visit or
 * a viewed product consideration, and anything else awareness.  A buyer
 * with a new cart is converting again, so the cart comes first.
 */

static omni_stage_e
omni_decide_stage(const omni_campaigns_t *cs, omni_view_t *v,
    const omni_decision_t *d)
{
    size_t                  i;
    const omni_activity_t  *a;

    for (i = 0; i < cs->nstage_rules; i++) {
        if (omni_rule_eval(cs, v, d->segments, cs->stage_rules[i].root)) {
            return cs->stage_rules[i].stage;
        }
    }

    a = v->f->activity;

    if (v->cart_items > 0 || v->cart_value > 0 || v->abandoned) {
        return OMNI_STAGE_CONVERSION;
    }

    if (v->purchases > 0) {
        return OMNI_STAGE_LOYALTY;
    }

    if (v->visits >= 2 || (a && a->nviewed > 0)) {
        return OMNI_STAGE_CONSIDERATION;
    }

    return OMNI_STAGE_AWARENESS;
}


/* every rule of one offer, cheapest first */

static omni_why_e
omni_decide_offer(const omni_view_t *v, const omni_decision_t *d,
    const omni_offer_rt_t *rt)
{
    size_t                   i, k, n;
    const omni_facts_t      *f;
    const omni_offer_t      *o;
    const omni_activity_t   *a;
    const omni_impression_t *imp;

    f = v->f;

    if (f->now < rt->starts) {
        return OMNI_WHY_NOT_STARTED;
    }

    if (f->now > rt->ends) {
        return OMNI_WHY_ENDED;
    }

    if (rt->channels
        && ((unsigned) f->channel >= 32
            || !(rt->channels & ((uint32_t) 1 << f->channel))))
    {
        return OMNI_WHY_CHANNEL;
    }

    if (rt->stages && !(rt->stages & ((uint32_t) 1 << d->stage))) {
        return OMNI_WHY_STAGE;
    }

    if (!rt->any_segment) {
        for (i = 0; i < v->cs->seg_words; i++) {
            if (rt->segments[i] & d->segments[i]) {
                break;
            }
        }

        if (i == v->cs->seg_words) {
            return OMNI_WHY_SEGMENT;
        }
    }

    a = f->activity;
    o = rt->offer;

    if (a == NULL) {
        return OMNI_WHY_CHOSEN;
    }

    if (rt->per_day || rt->per_visit) {
        n = (a->nimpressions < OMNI_ACT_MAX_IMPRESSIONS)
            ? a->nimpressions : OMNI_ACT_MAX_IMPRESSIONS;

        for (i = 0; i < n; i++) {
            imp = &a->impressions[i];

            if (imp->offer.len != o->id.len
                || memcmp(imp->offer.data, o->id.data, o->id.len) != 0)
            {
                continue;
            }

            if (rt->per_day && imp->day == v->day
                && imp->today >= rt->per_day)
            {
                return OMNI_WHY_CAP_DAY;
            }

            if (rt->per_visit && imp->visit == v->visit
                && imp->this_visit >= rt->per_visit)
            {
                return OMNI_WHY_CAP_VISIT;
            }
        }
    }

    if (o->nitems) {
        n = (a->npurchased < OMNI_ACT_MAX_PURCHASED)
            ? a->npurchased : OMNI_ACT_MAX_PURCHASED;

        for (i = 0; i < o->nitems; i++) {
            for (k = 0; k < n; k++) {
                if (omni_str_ieq(o->items[i].data, o->items[i].len,
                                 a->purchased[k].data, a->purchased[k].len))
                {
                    return OMNI_WHY_PURCHASED;
                }
            }
        }
    }

    return OMNI_WHY_CHOSEN;
}


int
omni_decision_in_segment(const omni_decision_t *d, size_t segment)
{
    if (segment >= OMNI_SEGMENTS_MAX) {
        return 0;
    }

    return (d->segments[segment >> 6] >> (segment & 63)) & 1;
}


int
omni_decision_segments(const omni_campaigns_t *cs, const omni_decision_t *d,
    char *buf, size_t size, size_t *len)
{
    size_t       i, n, need;
    omni_str_t   name;

    need = 0;

    if (buf == NULL) {
        size = 0;
    }

    for (i = 0; i < cs->nsegments; i++) {
        if (!omni_decision_in_segment(d, i)) {
            continue;
        }

        name = cs->segments[i].name;
        n = name.len + (need ? 1 : 0);

        if (need + n <= size) {
            if (need) {
                buf[need] = ',';
            }

            memcpy(buf + need + (need ? 1 : 0), name.data, name.len);
        }

        need += n;
    }

    *len = need;

    return (need <= size) ? OMNI_OK : OMNI_ETOOBIG;
}
