/*
 * The "offers" and "experiments" sections.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "omni_campaigns_int.h"


#define OMNI_OFFER_ITEMS_MAX   64
#define OMNI_PRIORITY_MAX      1000000000


static int omni_offer_load(omni_load_t *ld, json_t *o, uint32_t node,
    omni_offer_t *offer, omni_offer_rt_t *rt);
static int omni_offer_names(omni_load_t *ld, json_t *o, uint32_t node,
    const char *what, const char *const *names, size_t nnames,
    uint32_t *mask);
static int omni_offer_segments(omni_load_t *ld, json_t *o, uint32_t node,
    omni_offer_rt_t *rt);
static int omni_offer_cap(omni_load_t *ld, json_t *cap, uint32_t node,
    omni_offer_t *offer);
static int omni_offer_items(omni_load_t *ld, json_t *items, uint32_t node,
    omni_offer_t *offer);
static int omni_offer_link(omni_load_t *ld, json_t *link, uint32_t node,
    omni_offer_t *offer);
static int omni_offer_html(omni_load_t *ld, json_t *v, uint32_t node,
    const omni_offer_t *offer, const omni_template_t **tpl);
static int omni_experiment_load(omni_load_t *ld, json_t *e, uint32_t node,
    omni_experiment_t *exp);
static int omni_variants_load(omni_load_t *ld, json_t *vs, uint32_t node,
    omni_experiment_t *exp, const omni_offer_t *offer);
static int omni_offer_rt_cmp(const void *a, const void *b);


static const char *const  omni_offer_keys[] = {
    "id", "name", "description", "priority", "segments", "stages",
    "channels", "starts", "ends", "cap", "items", "slot", "html",
    "promo_code", "link", NULL
};

static const char *const  omni_cap_keys[] = {
    "per_day", "per_visit", NULL
};

static const char *const  omni_experiment_keys[] = {
    "id", "offer", "holdout", "variants", "description", NULL
};

static const char *const  omni_variant_keys[] = {
    "id", "weight", "html", "description", NULL
};


/* a member's value and node, NULL when absent */
#define omni_member(ld, obj, node, key, vnode)                              \
    (*(vnode) = omni_load_member(ld, obj, node, key),                       \
     json_object_get(obj, key))


int
omni_offers_load(omni_load_t *ld, json_t *offers, uint32_t node)
{
    int                rc;
    size_t             i, k, n;
    json_t            *o, *id;
    uint32_t           child, idnode, *idnodes;
    omni_campaigns_t  *cs;

    cs = ld->cs;

    if (!json_is_array(offers)) {
        omni_load_error(ld, node, 0, "\"offers\" must be a list, "
                        "[ { \"id\": ..., \"html\": ... }, ... ]");
        return OMNI_OK;
    }

    n = json_array_size(offers);

    if (n > OMNI_OFFERS_MAX) {
        omni_load_error(ld, node, 0, "there are %zu offers; at most %d are "
                        "supported", n, OMNI_OFFERS_MAX);
        return OMNI_OK;
    }

    cs->offers = omni_arena_alloc(cs, (n + 1) * sizeof(omni_offer_t));
    cs->rt = omni_arena_alloc(cs, (n + 1) * sizeof(omni_offer_rt_t));
    idnodes = calloc(n + 1, sizeof(uint32_t));

    if (cs->offers == NULL || cs->rt == NULL || idnodes == NULL) {
        free(idnodes);
        ld->oom = 1;
        return OMNI_ERROR;
    }

    /* ids first: experiments and messages name offers by them */

    for (i = 0; i < n; i++) {
        o = json_array_get(offers, i);
        child = omni_jpos_child(&ld->jp, node, i);
        idnodes[i] = OMNI_JPOS_NONE;

        snprintf(ld->ctx, sizeof(ld->ctx), "offer %zu", i + 1);

        if (!json_is_object(o)) {
            omni_load_error(ld, child, 0, "an offer must be an object "
                            "{ \"id\": ..., \"html\": ... }");
            continue;
        }

        id = omni_member(ld, o, child, "id", &idnode);

        if (id == NULL) {
            omni_load_error(ld, child, 0, "\"id\" is missing");
            continue;
        }

        if (omni_load_name(ld, id, idnode, "the id", &cs->offers[i].id)
            != OMNI_OK)
        {
            if (ld->oom) {
                free(idnodes);
                return OMNI_ERROR;
            }

            continue;
        }

        idnodes[i] = idnode;

        for (k = 0; k < i; k++) {
            if (cs->offers[k].id.len == cs->offers[i].id.len
                && memcmp(cs->offers[k].id.data, cs->offers[i].id.data,
                          cs->offers[i].id.len) == 0)
            {
                omni_load_error(ld, idnode, 0, "the id \"%s\" is already "
                                "used by the offer at line %u",
                                cs->offers[i].id.data,
                                ld->jp.nodes[idnodes[k]].line);
                break;
            }
        }
    }

    free(idnodes);

    cs->noffers = n;

    for (i = 0; i < n; i++) {
        o = json_array_get(offers, i);

        if (!json_is_object(o)) {
            continue;
        }

        if (cs->offers[i].id.len) {
            snprintf(ld->ctx, sizeof(ld->ctx), "offer \"%s\"",
                     cs->offers[i].id.data);

        } else {
            snprintf(ld->ctx, sizeof(ld->ctx), "offer %zu", i + 1);
        }

        cs->offers[i].index = i;

        rc = omni_offer_load(ld, o, omni_jpos_child(&ld->jp, node, i),
                             &cs->offers[i], &cs->rt[i]);
        if (rc == OMNI_ERROR) {
            return OMNI_ERROR;
        }
    }

    ld->ctx[0] = '\0';

    /* the decision walks offers by priority, ties in file order */

    qsort(cs->rt, n, sizeof(omni_offer_rt_t), omni_offer_rt_cmp);

    return OMNI_OK;
}


static int
omni_offer_rt_cmp(const void *a, const void *b)
{
    const omni_offer_t  *x, *y;

    x = ((const omni_offer_rt_t *) a)->offer;
    y = ((const omni_offer_rt_t *) b)->offer;

    if (x->priority != y->priority) {
        return (x->priority > y->priority) ? -1 : 1;
    }

    return (x->index < y->index) ? -1 : (x->index > y->index);
}


static int
omni_offer_load(omni_load_t *ld, json_t *o, uint32_t node,
    omni_offer_t *offer, omni_offer_rt_t *rt)
{
    int          rc;
    json_t      *v;
    int64_t      p;
    uint32_t     vnode;
    const char  *s;

    /* absent strings are empty, never NULL */
    offer->name.data = "";
    offer->slot.data = "";
    offer->promo_code.data = "";
    offer->link.data = "";

    rt->offer = offer;
    rt->starts = INT64_MIN;
    rt->ends = INT64_MAX;
    rt->any_segment = 1;
    offer->starts = INT64_MIN;
    offer->ends = INT64_MAX;

    omni_load_keys(ld, o, node, omni_offer_keys);

    v = omni_member(ld, o, node, "name", &vnode);
    if (v) {
        if (!json_is_string(v) || json_string_length(v) > 200) {
            omni_load_error(ld, vnode, 0, "\"name\" must be text in quotes, "
                            "up to 200 characters");

        } else if (omni_load_str(ld, &offer->name, json_string_value(v),
                                 json_string_length(v)) != OMNI_OK)
        {
            return OMNI_ERROR;
        }
    }

    v = omni_member(ld, o, node, "priority", &vnode);
    if (v) {
        p = json_integer_value(v);

        if (!json_is_integer(v) || p < -OMNI_PRIORITY_MAX
            || p > OMNI_PRIORITY_MAX)
        {
            omni_load_error(ld, vnode, 0, "\"priority\" must be a whole "
                            "number, higher wins (such as 10 or 100)");

        } else {
            offer->priority = p;
        }
    }

    v = omni_member(ld, o, node, "segments", &vnode);
    if (v) {
        rc = omni_offer_segments(ld, v, vnode, rt);
        if (rc == OMNI_ERROR) {
            return rc;
        }
    }

    v = omni_member(ld, o, node, "stages", &vnode);
    if (v) {
        omni_offer_names(ld, v, vnode, "stage", omni_stage_names,
                         OMNI_STAGE_MAX, &rt->stages);
    }

    v = omni_member(ld, o, node, "channels", &vnode);
    if (v) {
        omni_offer_names(ld, v, vnode, "channel", omni_channel_names,
                         OMNI_CHANNEL_MAX, &rt->channels);
    }

    v = omni_member(ld, o, node, "starts", &vnode);
    if (v && omni_load_date(ld, v, vnode, 0, &offer->starts) != OMNI_OK) {
        offer->starts = INT64_MIN;
    }

    v = omni_member(ld, o, node, "ends", &vnode);
    if (v && omni_load_date(ld, v, vnode, 1, &offer->ends) != OMNI_OK) {
        offer->ends = INT64_MAX;
    }

    if (offer->ends < offer->starts) {
        omni_load_error(ld, vnode, 0, "\"ends\" is before \"starts\": the "
                        "offer would never be shown");
    }

    rt->starts = offer->starts;
    rt->ends = offer->ends;

    v = omni_member(ld, o, node, "cap", &vnode);
    if (v) {
        omni_offer_cap(ld, v, vnode, offer);
        rt->per_day = offer->per_day;
        rt->per_visit = offer->per_visit;
    }

    v = omni_member(ld, o, node, "items", &vnode);
    if (v && omni_offer_items(ld, v, vnode, offer) == OMNI_ERROR) {
        return OMNI_ERROR;
    }

    v = omni_member(ld, o, node, "slot", &vnode);
    if (v && omni_load_name(ld, v, vnode, "\"slot\"", &offer->slot)
             == OMNI_ERROR)
    {
        return OMNI_ERROR;
    }

    v = omni_member(ld, o, node, "promo_code", &vnode);
    if (v) {
        s = json_string_value(v);

        if (s == NULL || json_string_length(v) == 0
            || json_string_length(v) > OMNI_NAME_MAX)
        {
            omni_load_error(ld, vnode, 0, "\"promo_code\" must be text in "
                            "quotes, 1 to %d characters", OMNI_NAME_MAX);

        } else if (omni_load_str(ld, &offer->promo_code, s,
                                 json_string_length(v)) != OMNI_OK)
        {
            return OMNI_ERROR;
        }
    }

    v = omni_member(ld, o, node, "link", &vnode);
    if (v && omni_offer_link(ld, v, vnode, offer) == OMNI_ERROR) {
        return OMNI_ERROR;
    }

    v = omni_member(ld, o, node, "html", &vnode);
    if (v == NULL) {
        omni_load_error(ld, node, 0, "\"html\" is missing: the template "
                        "of the offer");
        return OMNI_OK;
    }

    rc = omni_offer_html(ld, v, vnode, offer, &offer->html);

    return (rc == OMNI_ERROR) ? OMNI_ERROR : OMNI_OK;
}


static int
omni_offer_html(omni_load_t *ld, json_t *v, uint32_t node,
    const omni_offer_t *offer, const omni_template_t **tpl)
{
    int  rc;

    ld->tpl_click_url = 0;

    rc = omni_load_template(ld, v, node, OMNI_IN_OFFER, tpl);

    if (rc == OMNI_OK && ld->tpl_click_url && offer->link.len == 0) {
        omni_load_error(ld, node, 0, "the template uses {{click_url}}, but "
                        "the offer has no \"link\" to send clicks to");
    }

    return rc;
}


/* "stages" and "channels": a list of names into a bit mask */

static int
omni_offer_names(omni_load_t *ld, json_t *list, uint32_t node,
    const char *what, const char *const *names, size_t nnames,
    uint32_t *mask)
{
    int          idx;
    size_t       i, n;
    json_t      *v;
    uint32_t     child;
    const char  *hint, *s;

    if (!json_is_array(list) || json_array_size(list) == 0) {
        omni_load_error(ld, node, 0, "\"%ss\" must be a list of one or more "
                        "%s names, [ \"...\" ]", what, what);
        return OMNI_EINVAL;
    }

    n = json_array_size(list);

    for (i = 0; i < n; i++) {
        v = json_array_get(list, i);
        child = omni_jpos_child(&ld->jp, node, i);
        s = json_string_value(v);

        idx = s ? omni_name_lookup(names, s, json_string_length(v)) : -1;

        if (idx >= 0) {
            *mask |= (uint32_t) 1 << idx;
            continue;
        }

        hint = s ? omni_suggest(s, json_string_length(v), names, nnames)
                 : NULL;

        if (s == NULL) {
            omni_load_error(ld, child, 0, "write the %s name in quotes",
                            what);

        } else if (hint) {
            omni_load_error(ld, child, 0, "unknown %s \"%.64s\" (did you "
                            "mean \"%s\"?)", what, s, hint);

        } else {
            omni_load_error(ld, child, 0, "unknown %s \"%.64s\"", what, s);
        }
    }

    return OMNI_OK;
}


static int
omni_offer_segments(omni_load_t *ld, json_t *list, uint32_t node,
    omni_offer_rt_t *rt)
{
    int                seg;
    size_t             i, n;
    json_t            *v;
    uint32_t           child;
    const char        *hint, *s;
    const char       **names;
    omni_campaigns_t  *cs;

    cs = ld->cs;

    if (!json_is_array(list) || json_array_size(list) == 0) {
        omni_load_error(ld, node, 0, "\"segments\" must be a list of one or "
                        "more segment names; leave it out to show the "
                        "offer to everyone");
        return OMNI_EINVAL;
    }

    rt->any_segment = 0;
    n = json_array_size(list);

    for (i = 0; i < n; i++) {
        v = json_array_get(list, i);
        child = omni_jpos_child(&ld->jp, node, i);
        s = json_string_value(v);

        if (s == NULL) {
            omni_load_error(ld, child, 0, "write the segment name in quotes");
            continue;
        }

        seg = omni_segment_find(cs, s, json_string_length(v));

        if (seg >= 0) {
            rt->segments[seg >> 6] |= (uint64_t) 1 << (seg & 63);
            continue;
        }

        names = malloc((cs->nsegments + 1) * sizeof(char *));
        if (names == NULL) {
            ld->oom = 1;
            return OMNI_ERROR;
        }

        for (seg = 0; (size_t) seg < cs->nsegments; seg++) {
            names[seg] = cs->segments[seg].name.data;
        }

        hint = omni_suggest(s, json_string_length(v), names, cs->nsegments);

        if (hint) {
            omni_load_error(ld, child, 0, "unknown segment \"%.64s\" (did you "
                            "mean \"%s\"?)", s, hint);

        } else {
            omni_load_error(ld, child, 0, "unknown segment \"%.64s\"%s", s,
                            cs->nsegments ? ""
                                          : " (there is no \"segments\" "
                                            "section)");
        }

        free(names);
    }

    return OMNI_OK;
}


static int
omni_offer_cap(omni_load_t *ld, json_t *cap, uint32_t node,
    omni_offer_t *offer)
{
    size_t       i;
    json_t      *v;
    int64_t      n;
    uint32_t     vnode;
    const char  *key;

    if (!json_is_object(cap) || json_object_size(cap) == 0) {
        omni_load_error(ld, node, 0, "\"cap\" must be an object such as "
                        "{ \"per_day\": 3, \"per_visit\": 1 }");
        return OMNI_EINVAL;
    }

    omni_load_keys(ld, cap, node, omni_cap_keys);

    for (i = 0; omni_cap_keys[i]; i++) {
        key = omni_cap_keys[i];
        v = omni_member(ld, cap, node, key, &vnode);

        if (v == NULL) {
            continue;
        }

        n = json_integer_value(v);

        if (!json_is_integer(v) || n < 1 || n > 1000000) {
            omni_load_error(ld, vnode, 0, "\"%s\" must be a whole number of "
                            "1 or more (leave it out for no limit)", key);
            continue;
        }

        if (i == 0) {
            offer->per_day = (uint32_t) n;

        } else {
            offer->per_visit = (uint32_t) n;
        }
    }

    return OMNI_OK;
}


static int
omni_offer_items(omni_load_t *ld, json_t *items, uint32_t node,
    omni_offer_t *offer)
{
    size_t       i, n;
    json_t      *v;
    omni_str_t  *list;

    if (!json_is_array(items)) {
        omni_load_error(ld, node, 0, "\"items\" must be a list of product "
                        "ids, [ \"SKU-7\", ... ]");
        return OMNI_EINVAL;
    }

    n = json_array_size(items);

    if (n > OMNI_OFFER_ITEMS_MAX) {
        omni_load_error(ld, node, 0, "\"items\" lists %zu products; at most "
                        "%d are supported", n, OMNI_OFFER_ITEMS_MAX);
        return OMNI_EINVAL;
    }

    list = omni_arena_alloc(ld->cs, (n + 1) * sizeof(omni_str_t));
    if (list == NULL) {
        ld->oom = 1;
        return OMNI_ERROR;
    }

    for (i = 0; i < n; i++) {
        v = json_array_get(items, i);

        if (!json_is_string(v) || json_string_length(v) == 0
            || json_string_length(v) > OMNI_KEY_MAX)
        {
            omni_load_error(ld, omni_jpos_child(&ld->jp, node, i), 0,
                            "a product id must be text in quotes, 1 to %d "
                            "characters", OMNI_KEY_MAX);
            return OMNI_EINVAL;
        }

        if (omni_load_str(ld, &list[i], json_string_value(v),
                          json_string_length(v)) != OMNI_OK)
        {
            return OMNI_ERROR;
        }
    }

    offer->items = list;
    offer->nitems = n;

    return OMNI_OK;
}


/*
 * A path on the site ("/cart") or an absolute http(s) address, without
 * spaces or control characters; the click handler redirects there.
 */

static int
omni_offer_link(omni_load_t *ld, json_t *link, uint32_t node,
    omni_offer_t *offer)
{
    size_t       i, len;
    const char  *s;

    s = json_string_value(link);
    len = json_string_length(link);

    if (s == NULL || len == 0 || len > OMNI_LINK_MAX
        || !((s[0] == '/' && (len == 1 || s[1] != '/'))
             || (len > 8 && strncmp(s, "https://", 8) == 0)
             || (len > 7 && strncmp(s, "http://", 7) == 0)))
    {
        omni_load_error(ld, node, 0, "\"link\" must be a path on this site "
                        "such as \"/cart\", or an address starting with "
                        "https://");
        return OMNI_EINVAL;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] <= 0x20 || s[i] == 0x7f || s[i] == '\\') {
            omni_load_error_in(ld, node, i, "\"link\" must not contain "
                               "spaces, control characters or \"\\\"; "
                               "percent-encode them");
            return OMNI_EINVAL;
        }
    }

    return omni_load_str(ld, &offer->link, s, len);
}


/* experiments */

int
omni_experiments_load(omni_load_t *ld, json_t *exps, uint32_t node)
{
    int                rc;
    size_t             i, k, n;
    json_t            *e;
    uint32_t           child;
    omni_campaigns_t  *cs;

    cs = ld->cs;

    if (!json_is_array(exps)) {
        omni_load_error(ld, node, 0, "\"experiments\" must be a list, "
                        "[ { \"id\": ..., \"offer\": ..., \"variants\": "
                        "[ ... ] } ]");
        return OMNI_OK;
    }

    n = json_array_size(exps);

    cs->experiments = omni_arena_alloc(cs, (n + 1)
                                           * sizeof(omni_experiment_t));
    if (cs->experiments == NULL) {
        ld->oom = 1;
        return OMNI_ERROR;
    }

    for (i = 0; i < n; i++) {
        e = json_array_get(exps, i);
        child = omni_jpos_child(&ld->jp, node, i);

        snprintf(ld->ctx, sizeof(ld->ctx), "experiment %zu", i + 1);

        rc = omni_experiment_load(ld, e, child, &cs->experiments[i]);
        if (rc == OMNI_ERROR) {
            return OMNI_ERROR;
        }

        if (rc != OMNI_OK || cs->experiments[i].id.len == 0) {
            continue;
        }

        for (k = 0; k < i; k++) {
            if (cs->experiments[k].id.len == cs->experiments[i].id.len
                && memcmp(cs->experiments[k].id.data,
                          cs->experiments[i].id.data,
                          cs->experiments[i].id.len) == 0)
            {
                omni_load_error(ld, omni_load_member(ld, e, child, "id"), 0,
                                "the id \"%s\" is used by two experiments",
                                cs->experiments[i].id.data);
                break;
            }
        }
    }

    cs->nexperiments = n;
    ld->ctx[0] = '\0';

    return OMNI_OK;
}


static int
omni_experiment_load(omni_load_t *ld, json_t *e, uint32_t node,
    omni_experiment_t *exp)
{
    double              h;
    size_t              i;
    json_t             *v;
    uint32_t            vnode;
    const char         *s, *hint;
    const char        **names;
    omni_offer_t       *offer;
    omni_campaigns_t   *cs;

    cs = ld->cs;

    if (!json_is_object(e)) {
        omni_load_error(ld, node, 0, "an experiment must be an object "
                        "{ \"id\": ..., \"offer\": ..., \"variants\": "
                        "[ ... ] }");
        return OMNI_EINVAL;
    }

    omni_load_keys(ld, e, node, omni_experiment_keys);

    v = omni_member(ld, e, node, "id", &vnode);
    if (v == NULL) {
        omni_load_error(ld, node, 0, "\"id\" is missing");
        return OMNI_EINVAL;
    }

    if (omni_load_name(ld, v, vnode, "the id", &exp->id) != OMNI_OK) {
        return ld->oom ? OMNI_ERROR : OMNI_EINVAL;
    }

    snprintf(ld->ctx, sizeof(ld->ctx), "experiment \"%s\"", exp->id.data);

    v = omni_member(ld, e, node, "offer", &vnode);
    s = json_string_value(v);

    if (s == NULL) {
        omni_load_error(ld, v ? vnode : node, 0, "\"offer\" must name the "
                        "offer under test, in quotes");
        return OMNI_EINVAL;
    }

    offer = (omni_offer_t *) omni_campaigns_offer_by_id(cs, s,
                                                        json_string_length(v));

    if (offer == NULL) {
        names = malloc((cs->noffers + 1) * sizeof(char *));
        if (names == NULL) {
            ld->oom = 1;
            return OMNI_ERROR;
        }

        for (i = 0; i < cs->noffers; i++) {
            names[i] = cs->offers[i].id.data ? cs->offers[i].id.data : "";
        }

        hint = omni_suggest(s, json_string_length(v), names, cs->noffers);
        free(names);

        if (hint) {
            omni_load_error(ld, vnode, 0, "unknown offer \"%.64s\" (did you "
                            "mean \"%s\"?)", s, hint);

        } else {
            omni_load_error(ld, vnode, 0, "unknown offer \"%.64s\"", s);
        }

        return OMNI_EINVAL;
    }

    if (offer->experiment) {
        omni_load_error(ld, vnode, 0, "the offer \"%s\" is already in the "
                        "experiment \"%s\"; an offer can be in one only",
                        offer->id.data, offer->experiment->id.data);
        return OMNI_EINVAL;
    }

    exp->offer = offer;

    v = omni_member(ld, e, node, "holdout", &vnode);
    h = 0;

    if (v) {
        h = json_number_value(v);

        if (!json_is_number(v) || h < 0 || h >= 1) {
            omni_load_error(ld, vnode, 0, "\"holdout\" is the share of "
                            "visitors who see nothing, between 0 and 1: "
                            "write 0.1 for 10%%");
            return OMNI_EINVAL;
        }
    }

    exp->holdout = (uint32_t) (h * OMNI_BUCKETS + 0.5);

    v = omni_member(ld, e, node, "variants", &vnode);
    if (v == NULL) {
        omni_load_error(ld, node, 0, "\"variants\" is missing: [ { \"id\": "
                        "\"a\", \"weight\": 50 }, { \"id\": \"b\", "
                        "\"weight\": 50 } ]");
        return OMNI_EINVAL;
    }

    if (omni_variants_load(ld, v, vnode, exp, offer) != OMNI_OK) {
        return ld->oom ? OMNI_ERROR : OMNI_EINVAL;
    }

    offer->experiment = exp;

    return OMNI_OK;
}


static int
omni_variants_load(omni_load_t *ld, json_t *vs, uint32_t node,
    omni_experiment_t *exp, const omni_offer_t *offer)
{
    int              bad;
    double           total, cum, w;
    size_t           i, k, n, weighted;
    json_t          *v, *x;
    uint32_t         child, xnode, rest, wnode;
    omni_variant_t  *variants;

    if (!json_is_array(vs) || json_array_size(vs) == 0) {
        omni_load_error(ld, node, 0, "\"variants\" must be a list of one or "
                        "more variants, [ { \"id\": \"a\", \"weight\": 50 }, "
                        "... ]");
        return OMNI_EINVAL;
    }

    n = json_array_size(vs);

    if (n > OMNI_VARIANTS_MAX) {
        omni_load_error(ld, node, 0, "there are %zu variants; at most %d are "
                        "supported", n, OMNI_VARIANTS_MAX);
        return OMNI_EINVAL;
    }

    variants = omni_arena_alloc(ld->cs, n * sizeof(omni_variant_t));
    if (variants == NULL) {
        ld->oom = 1;
        return OMNI_ERROR;
    }

    bad = 0;
    weighted = 0;
    total = 0;
    wnode = node;

    for (i = 0; i < n; i++) {
        v = json_array_get(vs, i);
        child = omni_jpos_child(&ld->jp, node, i);

        if (!json_is_object(v)) {
            omni_load_error(ld, child, 0, "a variant must be an object "
                            "{ \"id\": \"a\", \"weight\": 50 }");
            bad++;
            continue;
        }

        omni_load_keys(ld, v, child, omni_variant_keys);

        x = omni_member(ld, v, child, "id", &xnode);

        if (x == NULL) {
            omni_load_error(ld, child, 0, "the variant's \"id\" is missing");
            bad++;

        } else if (omni_load_name(ld, x, xnode, "a variant id",
                                  &variants[i].id) != OMNI_OK)
        {
            bad++;

        } else if (strcmp(variants[i].id.data, "holdout") == 0) {
            omni_load_error(ld, xnode, 0, "\"holdout\" is the name of the "
                            "group that sees nothing; give the variant "
                            "another id and use \"holdout\": 0.1 on the "
                            "experiment");
            bad++;

        } else {
            for (k = 0; k < i; k++) {
                if (variants[k].id.len
                    && strcmp(variants[k].id.data, variants[i].id.data) == 0)
                {
                    omni_load_error(ld, xnode, 0, "two variants are called "
                                    "\"%s\"", variants[i].id.data);
                    bad++;
                    break;
                }
            }
        }

        x = omni_member(ld, v, child, "weight", &xnode);

        if (x) {
            w = json_number_value(x);

            if (!json_is_number(x) || w < 0 || w > 100) {
                omni_load_error(ld, xnode, 0, "\"weight\" is the variant's "
                                "percentage of the visitors who are not held "
                                "out, from 0 to 100");
                bad++;
                w = 0;
            }

            variants[i].weight = w;
            total += w;
            weighted++;
            wnode = xnode;
        }

        x = omni_member(ld, v, child, "html", &xnode);

        if (x) {
            switch (omni_offer_html(ld, x, xnode, offer, &variants[i].html)) {
            case OMNI_OK:
                break;
            case OMNI_ERROR:
                return OMNI_ERROR;
            default:
                bad++;
            }
        }
    }

    if (bad) {
        return OMNI_EINVAL;
    }

    if (weighted == 0) {
        for (i = 0; i < n; i++) {
            variants[i].weight = 100.0 / n;
        }

        total = 100;

    } else if (weighted != n) {
        omni_load_error(ld, node, 0, "give every variant a \"weight\", or "
                        "none of them for an even split");
        return OMNI_EINVAL;

    } else if (total < 99.999 || total > 100.001) {
        omni_load_error(ld, wnode, 0, "the variant weights add up to %g; "
                        "they are percentages and must add up to 100",
                        total);
        return OMNI_EINVAL;
    }

    /* buckets: [0, holdout) sees nothing, the rest split by weight */

    rest = OMNI_BUCKETS - exp->holdout;
    cum = 0;

    for (i = 0; i < n; i++) {
        cum += variants[i].weight;
        variants[i].bucket_end = exp->holdout
                                 + (uint32_t) (rest * cum / total + 0.5);
    }

    variants[n - 1].bucket_end = OMNI_BUCKETS;

    exp->variants = variants;
    exp->nvariants = n;

    return OMNI_OK;
}
