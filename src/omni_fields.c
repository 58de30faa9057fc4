/*
 * The fields rules and templates read, their names, and the view of the
 * facts both evaluate against.
 */

#include <string.h>

#include "omni_campaigns_int.h"


#define R   OMNI_IN_RULE
#define G   OMNI_IN_GREETING
#define O   OMNI_IN_OFFER
#define T   OMNI_IN_TAG


/* greeting templates see what rules see about a person; offers see more */

static const omni_field_def_t  omni_fields[] = {
    { "first_name", OMNI_F_FIRST_NAME, OMNI_K_TEXT, R | G | O },
    { "tier", OMNI_F_TIER, OMNI_K_TEXT, R | G | O },
    { "points", OMNI_F_POINTS, OMNI_K_NUMBER, R | G | O },
    { "locale", OMNI_F_LOCALE, OMNI_K_TEXT, R | G | O },
    { "customer_id", OMNI_F_CUSTOMER_ID, OMNI_K_TEXT, R | G | O },
    { "tags", OMNI_F_TAGS, OMNI_K_LIST, R },

    { "visits", OMNI_F_VISITS, OMNI_K_NUMBER, R | G | O },
    { "pageviews", OMNI_F_PAGEVIEWS, OMNI_K_NUMBER, R | G | O },
    { "cart_value", OMNI_F_CART_VALUE, OMNI_K_MONEY, R | G | O },
    { "cart_items", OMNI_F_CART_ITEMS, OMNI_K_NUMBER, R | G | O },
    { "purchases", OMNI_F_PURCHASES, OMNI_K_NUMBER, R | G | O },
    { "days_since_purchase", OMNI_F_DAYS_SINCE_PURCHASE, OMNI_K_NUMBER,
      R | G | O },
    { "abandoned", OMNI_F_ABANDONED, OMNI_K_BOOL, R },
    { "viewed", OMNI_F_VIEWED, OMNI_K_LIST, R },
    { "purchased", OMNI_F_PURCHASED, OMNI_K_LIST, R },

    { "channel", OMNI_F_CHANNEL, OMNI_K_CHANNEL, R | G | O },
    { "utm_source", OMNI_F_UTM_SOURCE, OMNI_K_TEXT, R | G | O },
    { "utm_medium", OMNI_F_UTM_MEDIUM, OMNI_K_TEXT, R | G | O },
    { "utm_campaign", OMNI_F_UTM_CAMPAIGN, OMNI_K_TEXT, R | G | O },
    { "device", OMNI_F_DEVICE, OMNI_K_DEVICE, R | G | O },
    { "path", OMNI_F_PATH, OMNI_K_TEXT, R | G | O },
    { "new_visitor", OMNI_F_NEW_VISITOR, OMNI_K_BOOL, R },

    { "stage", OMNI_F_STAGE, OMNI_K_STAGE, G | O },

    { "promo_code", OMNI_F_PROMO_CODE, OMNI_K_TEXT, O },
    { "click_url", OMNI_F_CLICK_URL, OMNI_K_TEXT, O },
    { "offer", OMNI_F_OFFER, OMNI_K_TEXT, O },
    { "variant", OMNI_F_VARIANT, OMNI_K_TEXT, O },
    { "greeting", OMNI_F_GREETING, OMNI_K_TEXT, O },
    { "brand_name", OMNI_F_BRAND_NAME, OMNI_K_TEXT, O },
    { "logo", OMNI_F_LOGO, OMNI_K_TEXT, O },

    { "item", OMNI_F_ITEM, OMNI_K_TEXT, T },
    { "value", OMNI_F_VALUE, OMNI_K_MONEY, T },
    { "order", OMNI_F_ORDER, OMNI_K_TEXT, T },
    { "items", OMNI_F_ITEMS, OMNI_K_TEXT, T },
    { "currency", OMNI_F_CURRENCY, OMNI_K_TEXT, O | T },

    { NULL, OMNI_F_MAX, OMNI_K_TEXT, 0 }
};

#undef R
#undef G
#undef O
#undef T


const char *const  omni_channel_names[] = {
    "none", "direct", "search", "paid_search", "social", "paid_social",
    "email", "sms", "push", "display", "affiliate", "referral", NULL
};

const char *const  omni_stage_names[] = {
    "awareness", "consideration", "conversion", "loyalty", NULL
};

const char *const  omni_device_names[] = {
    "unknown", "desktop", "mobile", "tablet", "bot", NULL
};

static const char *const  omni_tag_event_names[] = {
    "", "view", "cart", "purchase", NULL
};


const omni_field_def_t *
omni_field_find(const char *name, size_t len)
{
    const omni_field_def_t  *def;

    for (def = omni_fields; def->name; def++) {
        if (strlen(def->name) == len && memcmp(def->name, name, len) == 0) {
            return def;
        }
    }

    return NULL;
}


const omni_field_def_t *
omni_field_def(omni_field_e id)
{
    const omni_field_def_t  *def;

    for (def = omni_fields; def->name; def++) {
        if (def->id == id) {
            return def;
        }
    }

    return NULL;
}


/*
 * For an unknown name: the closest field usable where it was written.
 * For a known field used in the wrong place: an explanation, marked by a
 * leading "!".
 */

const char *
omni_field_suggest(const char *name, size_t len, unsigned where)
{
    size_t                   n;
    const char              *names[sizeof(omni_fields)
                                   / sizeof(omni_fields[0])];
    const omni_field_def_t  *def;

    def = omni_field_find(name, len);

    if (def && !(def->where & where)) {
        if (def->where == OMNI_IN_RULE) {
            return "!can only be used in segment rules";
        }

        if (def->where & OMNI_IN_TAG) {
            return "!is only available in tag event snippets";
        }

        if (where & OMNI_IN_TAG) {
            return "!is not available in tag snippets: they only get the "
                   "event's item, value, order, items and currency";
        }

        return "!is only available in offer templates";
    }

    n = 0;

    for (def = omni_fields; def->name; def++) {
        if (def->where & where) {
            names[n++] = def->name;
        }
    }

    return omni_suggest(name, len, names, n);
}


static int
omni_field_name_ok(const char *name, size_t len)
{
    char    c;
    size_t  i;

    if (len == 0 || len > OMNI_NAME_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
        {
            return 0;
        }
    }

    return 1;
}


/*
 * The index of a profile attribute or variable name, added on first use;
 * -1: not a valid name, -2: the table is full.
 */

int
omni_field_attr(omni_load_t *ld, const char *name, size_t len)
{
    size_t             i;
    omni_campaigns_t  *cs;

    cs = ld->cs;

    if (!omni_field_name_ok(name, len)) {
        return -1;
    }

    for (i = 0; i < cs->nattrs; i++) {
        if (omni_str_ieq(cs->attrs[i].data, cs->attrs[i].len, name, len)) {
            return (int) i;
        }
    }

    if (cs->nattrs == OMNI_ATTRS_MAX) {
        return -2;
    }

    if (omni_load_str(ld, &cs->attrs[cs->nattrs], name, len) != OMNI_OK) {
        return -1;
    }

    return (int) cs->nattrs++;
}


int
omni_field_var(omni_load_t *ld, const char *name, size_t len)
{
    size_t             i;
    omni_campaigns_t  *cs;

    cs = ld->cs;

    if (len && name[0] == '$') {
        name++;
        len--;
    }

    if (!omni_field_name_ok(name, len) || memchr(name, '.', len)) {
        return -1;
    }

    for (i = 0; i < cs->nvars; i++) {
        if (cs->vars[i].len == len && memcmp(cs->vars[i].data, name, len) == 0)
        {
            return (int) i;
        }
    }

    if (cs->nvars == OMNI_VARS_MAX) {
        return -2;
    }

    if (omni_load_str(ld, &cs->vars[cs->nvars], name, len) != OMNI_OK) {
        return -1;
    }

    return (int) cs->nvars++;
}


/* omni_field_lookup_pt for the templates of the file */

int
omni_field_lookup(void *data, const char *name, size_t len)
{
    int                      i;
    size_t                   n;
    omni_load_t             *ld;
    const omni_field_def_t  *def;

    ld = data;

    if (len > 5 && memcmp(name, "attr.", 5) == 0
        && (ld->tpl_where & (OMNI_IN_GREETING | OMNI_IN_OFFER)))
    {
        i = omni_field_attr(ld, name + 5, len - 5);
        if (i >= 0) {
            return OMNI_TF_ATTR + i;
        }

        goto bad;
    }

    if (len > 4 && memcmp(name, "var.", 4) == 0) {
        i = omni_field_var(ld, name + 4, len - 4);
        if (i >= 0) {
            return OMNI_TF_VAR + i;
        }

        goto bad;
    }

    def = omni_field_find(name, len);

    if (def && (def->where & ld->tpl_where)) {
        if (def->id == OMNI_F_CLICK_URL) {
            ld->tpl_click_url = 1;
        }

        return def->id;
    }

    goto unknown;

bad:

    if (i == -2) {
        /* "!": the tables of attributes and variables are full */
        ld->tpl_unknown[0] = '!';
        ld->tpl_unknown[1] = '\0';
        return -1;
    }

unknown:

    n = (len < sizeof(ld->tpl_unknown) - 1) ? len
                                             : sizeof(ld->tpl_unknown) - 1;
    memcpy(ld->tpl_unknown, name, n);
    ld->tpl_unknown[n] = '\0';

    return -1;
}


/* the view */



void
omni_view_init(omni_view_t *v, const omni_campaigns_t *cs,
    const omni_decide_conf_t *conf, const omni_facts_t *f)
{
    size_t                  i, n;
    int64_t                 timeout, abandon_after;
    const omni_profile_t   *p;
    const omni_activity_t  *a;

    timeout = conf ? conf->visit_timeout : 1800;
    abandon_after = conf ? conf->abandon_after : 1800;

    p = f->profile;
    a = f->activity;

    v->cs = cs;
    v->f = f;
    v->day = (f->now > 0) ? (uint32_t) (f->now / 86400) : 0;
    v->stage = OMNI_STAGE_AWARENESS;
    v->attr_done = 0;

    v->customer_id.data = NULL;
    v->customer_id.len = 0;

    if (p && p->customer_id.len) {
        v->customer_id = p->customer_id;
    }

    if (a == NULL) {
        v->visits = 1;
        v->pageviews = 1;
        v->cart_value = 0;
        v->cart_items = 0;
        v->purchases = 0;
        v->days_since_purchase = -1;
        v->visit = 1;
        v->abandoned = 0;
        return;
    }

    if (v->customer_id.len == 0) {
        v->customer_id = a->customer_id;
    }

    v->visits = a->visits;

    if (a->last_seen == 0 || f->now - a->last_seen >= timeout
        || v->visits == 0)
    {
        v->visits++;
    }

    v->visit = (uint32_t) v->visits;
    v->pageviews = (int64_t) a->pageviews + 1;
    v->cart_value = a->cart_value;
    v->purchases = a->purchases;

    n = (a->ncart < OMNI_ACT_MAX_CART) ? a->ncart : OMNI_ACT_MAX_CART;
    v->cart_items = 0;

    for (i = 0; i < n; i++) {
        v->cart_items += a->cart[i].qty ? a->cart[i].qty : 1;
    }

    if (a->last_purchase > 0) {
        v->days_since_purchase = (f->now > a->last_purchase)
                                 ? (f->now - a->last_purchase) / 86400 : 0;

    } else {
        v->days_since_purchase = -1;
    }

    v->abandoned = omni_activity_abandoned(a, f->now, abandon_after);
}


omni_str_t
omni_view_attr(omni_view_t *v, uint32_t i)
{
    size_t                 k, n;
    omni_str_t             key;
    const omni_profile_t  *p;

    if (v->attr_done & ((uint64_t) 1 << i)) {
        return v->attr[i];
    }

    v->attr_done |= (uint64_t) 1 << i;
    v->attr[i].data = NULL;
    v->attr[i].len = 0;

    p = v->f->profile;
    if (p == NULL) {
        return v->attr[i];
    }

    key = v->cs->attrs[i];
    n = (p->nattrs < OMNI_PROFILE_MAX_ATTRS) ? p->nattrs
                                             : OMNI_PROFILE_MAX_ATTRS;

    for (k = 0; k < n; k++) {
        if (omni_str_ieq(p->attrs[k].key.data, p->attrs[k].key.len,
                         key.data, key.len))
        {
            v->attr[i] = p->attrs[k].value;
            break;
        }
    }

    return v->attr[i];
}


omni_str_t
omni_view_var(const omni_view_t *v, uint32_t i)
{
    omni_str_t  none = omni_null_string;

    if (v->f->vars == NULL || i >= v->cs->nvars) {
        return none;
    }

    return v->f->vars[i];
}


/* names */

int
omni_name_lookup(const char *const *names, const char *s, size_t len)
{
    int  i;

    for (i = 0; names[i]; i++) {
        if (omni_str_ieq(names[i], strlen(names[i]), s, len)) {
            return i;
        }
    }

    return -1;
}


int
omni_channel_index(const char *s, size_t len)
{
    return omni_name_lookup(omni_channel_names, s, len);
}


int
omni_device_parse(const char *s, size_t len)
{
    return omni_name_lookup(omni_device_names, s, len);
}


int
omni_stage_parse(const char *s, size_t len)
{
    return omni_name_lookup(omni_stage_names, s, len);
}


omni_str_t
omni_channel_text(omni_channel_e channel)
{
    omni_str_t  s = omni_null_string;

    if (channel > OMNI_CHANNEL_NONE && channel < OMNI_CHANNEL_MAX) {
        s.data = omni_channel_names[channel];
        s.len = strlen(s.data);
    }

    return s;
}


const char *
omni_stage_name(omni_stage_e stage)
{
    return ((unsigned) stage < OMNI_STAGE_MAX) ? omni_stage_names[stage] : "";
}


const char *
omni_device_name(omni_device_e device)
{
    return ((unsigned) device < OMNI_DEVICE_MAX) ? omni_device_names[device]
                                                 : "";
}


const char *
omni_tag_event_name(omni_tag_event_e event)
{
    return ((unsigned) event < OMNI_TAG_MAX) ? omni_tag_event_names[event]
                                               : "";
}
