/*
 * Rendering the decision's offer and the retargeting tags: the template
 * field values, computed on demand into small buffers on the stack.
 */

#include <stdio.h>
#include <string.h>

#include "omni_campaigns_int.h"


#define OMNI_GREETING_MAX  512
/* the click path, then the offer, the variant and the link, encoded */
#define OMNI_CLICK_MAX     (OMNI_CLICK_PATH_MAX + 6 * OMNI_NAME_MAX         \
                            + 3 * OMNI_LINK_MAX + 16)


typedef struct {
    omni_view_t                v;
    const omni_decide_conf_t  *conf;
    const omni_decision_t     *d;
    const omni_brand_t        *brand;
    int                        greeting_done;
    omni_str_t                 greeting;
    char                       scratch[32];
    char                       greeting_buf[OMNI_GREETING_MAX];
    char                       click[OMNI_CLICK_MAX];
} omni_render_t;


typedef struct {
    char                      *buf;
    size_t                     size;
    size_t                     len;
} omni_out_t;


static int omni_render_value(void *data, int field, omni_value_t *value);
static int omni_render_int(omni_render_t *r, int64_t n, omni_value_t *value);
static int omni_render_money(omni_render_t *r, int64_t cents,
    omni_value_t *value);
static int omni_render_str(omni_str_t s, omni_value_t *value);
static void omni_out_put(omni_out_t *out, const char *s, size_t n);
static void omni_out_escape(omni_out_t *out, const char *s, size_t n);


static int
omni_render_str(omni_str_t s, omni_value_t *value)
{
    if (s.len == 0 || s.data == NULL) {
        return OMNI_ENOTFOUND;
    }

    value->str = s;

    return OMNI_OK;
}


static int
omni_render_int(omni_render_t *r, int64_t n, omni_value_t *value)
{
    int  len;

    len = snprintf(r->scratch, sizeof(r->scratch), "%lld", (long long) n);

    value->str.data = r->scratch;
    value->str.len = (size_t) len;

    return OMNI_OK;
}


/* cents as "1234.50": a number the "number" filter passes as it is */

static int
omni_render_money(omni_render_t *r, int64_t cents, omni_value_t *value)
{
    int       len;
    uint64_t  u;

    u = (cents < 0) ? (uint64_t) 0 - (uint64_t) cents : (uint64_t) cents;

    len = snprintf(r->scratch, sizeof(r->scratch), "%s%llu.%02u",
                   (cents < 0) ? "-" : "", (unsigned long long) (u / 100),
                   (unsigned) (u % 100));

    value->str.data = r->scratch;
    value->str.len = (size_t) len;

    return OMNI_OK;
}


static int
omni_render_value(void *data, int field, omni_value_t *value)
{
    int                     rc;
    size_t                  len;
    omni_str_t              s;
    omni_render_t          *r;
    const omni_facts_t     *f;
    const omni_profile_t   *p;
    const omni_offer_t     *o;
    omni_decide_conf_t      conf;

    r = data;
    f = r->v.f;
    p = f->profile;
    o = r->d ? r->d->offer : NULL;

    if (field >= OMNI_TF_VAR) {
        return omni_render_str(omni_view_var(&r->v, field - OMNI_TF_VAR),
                               value);
    }

    if (field >= OMNI_TF_ATTR) {
        return omni_render_str(omni_view_attr(&r->v, field - OMNI_TF_ATTR),
                               value);
    }

    s.data = NULL;
    s.len = 0;

    switch (field) {

    case OMNI_F_FIRST_NAME:
        return p ? omni_render_str(p->first_name, value) : OMNI_ENOTFOUND;

    case OMNI_F_TIER:
        return p ? omni_render_str(p->tier, value) : OMNI_ENOTFOUND;

    case OMNI_F_LOCALE:
        return p ? omni_render_str(p->locale, value) : OMNI_ENOTFOUND;

    case OMNI_F_POINTS:
        return p ? omni_render_int(r, p->points, value) : OMNI_ENOTFOUND;

    case OMNI_F_CUSTOMER_ID:
        return omni_render_str(r->v.customer_id, value);

    case OMNI_F_VISITS:
        return omni_render_int(r, r->v.visits, value);

    case OMNI_F_PAGEVIEWS:
        return omni_render_int(r, r->v.pageviews, value);

    case OMNI_F_CART_VALUE:
        return omni_render_money(r, r->v.cart_value, value);

    case OMNI_F_CART_ITEMS:
        return omni_render_int(r, r->v.cart_items, value);

    case OMNI_F_PURCHASES:
        return omni_render_int(r, r->v.purchases, value);

    case OMNI_F_DAYS_SINCE_PURCHASE:
        if (r->v.days_since_purchase < 0) {
            return OMNI_ENOTFOUND;
        }

        return omni_render_int(r, r->v.days_since_purchase, value);

    case OMNI_F_CHANNEL:
        return omni_render_str(omni_channel_text(f->channel), value);

    case OMNI_F_DEVICE:
        if (f->device == OMNI_DEVICE_UNKNOWN) {
            return OMNI_ENOTFOUND;
        }

        s.data = omni_device_name(f->device);
        s.len = strlen(s.data);
        return omni_render_str(s, value);

    case OMNI_F_STAGE:
        s.data = omni_stage_name(r->v.stage);
        s.len = strlen(s.data);
        return omni_render_str(s, value);

    case OMNI_F_UTM_SOURCE:
        return omni_render_str(f->utm_source, value);

    case OMNI_F_UTM_MEDIUM:
        return omni_render_str(f->utm_medium, value);

    case OMNI_F_UTM_CAMPAIGN:
        return omni_render_str(f->utm_campaign, value);

    case OMNI_F_PATH:
        return omni_render_str(f->path, value);

    case OMNI_F_PROMO_CODE:
        return o ? omni_render_str(o->promo_code, value) : OMNI_ENOTFOUND;

    case OMNI_F_OFFER:
        return o ? omni_render_str(o->id, value) : OMNI_ENOTFOUND;

    case OMNI_F_VARIANT:
        return r->d ? omni_render_str(r->d->variant_id, value)
                    : OMNI_ENOTFOUND;

    case OMNI_F_CLICK_URL:
        if (o == NULL || o->link.len == 0) {
            return OMNI_ENOTFOUND;
        }

        if (r->conf) {
            conf = *r->conf;

        } else {
            omni_decide_conf_init(&conf);
        }

        rc = omni_click_url(conf.click_path, o->id, r->d->variant_id,
                            o->link, r->click, sizeof(r->click), &len);
        if (rc != OMNI_OK) {
            return OMNI_ENOTFOUND;
        }

        s.data = r->click;
        s.len = len;
        return omni_render_str(s, value);

    case OMNI_F_GREETING:
        if (!r->greeting_done) {
            r->greeting_done = 1;

            if (r->brand && r->brand->greeting
                && omni_template_render(r->brand->greeting,
                                        omni_render_value, r,
                                        r->greeting_buf,
                                        sizeof(r->greeting_buf), &len)
                   == OMNI_OK)
            {
                r->greeting.data = r->greeting_buf;
                r->greeting.len = len;
            }
        }

        value->html_safe = 1;
        return omni_render_str(r->greeting, value);

    case OMNI_F_BRAND_NAME:
        if (r->brand == NULL) {
            return OMNI_ENOTFOUND;
        }

        return omni_render_str(r->brand->title.len ? r->brand->title
                                                   : r->brand->name, value);

    case OMNI_F_LOGO:
        return r->brand ? omni_render_str(r->brand->logo, value)
                        : OMNI_ENOTFOUND;

    case OMNI_F_ITEM:
        return omni_render_str(f->event_item, value);

    case OMNI_F_ORDER:
        return omni_render_str(f->event_order, value);

    case OMNI_F_ITEMS:
        return omni_render_str(f->event_items, value);

    case OMNI_F_VALUE:
        if (f->event == OMNI_TAG_NONE) {
            return OMNI_ENOTFOUND;
        }

        return omni_render_money(r, f->event_value, value);

    case OMNI_F_CURRENCY:
        return omni_render_str(r->v.cs->currency, value);

    default:
        return OMNI_ENOTFOUND;
    }
}


int
omni_offer_render(const omni_campaigns_t *cs, const omni_decide_conf_t *conf,
    const omni_facts_t *facts, const omni_decision_t *d,
    const omni_brand_t *brand, char *buf, size_t size, size_t *len)
{
    omni_render_t  r;

    *len = 0;

    if (d == NULL || d->offer == NULL || d->html == NULL) {
        return OMNI_ENOTFOUND;
    }

    omni_view_init(&r.v, cs, conf, facts);
    r.v.stage = d->stage;
    r.conf = conf;
    r.d = d;
    r.brand = brand;
    r.greeting_done = 0;
    r.greeting.data = NULL;
    r.greeting.len = 0;

    return omni_template_render(d->html, omni_render_value, &r, buf, size,
                                len);
}


int
omni_tags_render(const omni_campaigns_t *cs, uint32_t consent,
    const omni_facts_t *facts, char *buf, size_t size, size_t *len)
{
    int                     rc;
    size_t                  i, n;
    omni_out_t              out;
    omni_render_t           r;
    const omni_tag_t       *tag;
    const omni_template_t  *tpl;

    out.buf = buf;
    out.size = buf ? size : 0;
    out.len = 0;

    omni_view_init(&r.v, cs, NULL, facts);
    r.conf = NULL;
    r.d = NULL;
    r.brand = NULL;
    r.greeting_done = 1;
    r.greeting.data = NULL;
    r.greeting.len = 0;

    for (i = 0; i < cs->ntags; i++) {
        tag = &cs->tags[i];

        if (tag->consent && !(tag->consent & consent)) {
            continue;
        }

        omni_out_put(&out, tag->head.data, tag->head.len);

        if ((unsigned) facts->event >= OMNI_TAG_MAX) {
            continue;
        }

        tpl = tag->events[facts->event];
        if (tpl == NULL) {
            continue;
        }

        rc = omni_template_render(tpl, omni_render_value, &r,
                                  (out.len < out.size) ? out.buf + out.len
                                                       : NULL,
                                  (out.len < out.size) ? out.size - out.len
                                                       : 0,
                                  &n);

        if (rc == OMNI_ETOOBIG) {
            out.size = 0;

        } else if (rc != OMNI_OK) {
            return rc;
        }

        out.len += n;
    }

    *len = out.len;

    return (out.len <= size) ? OMNI_OK : OMNI_ETOOBIG;
}


int
omni_click_url(omni_str_t path, omni_str_t offer, omni_str_t variant,
    omni_str_t link, char *buf, size_t size, size_t *len)
{
    omni_out_t  out;

    out.buf = buf;
    out.size = buf ? size : 0;
    out.len = 0;

    if (path.len == 0) {
        path.data = OMNI_CLICK_PATH;
        path.len = sizeof(OMNI_CLICK_PATH) - 1;
    }

    omni_out_put(&out, path.data, path.len);
    omni_out_put(&out, memchr(path.data, '?', path.len) ? "&o=" : "?o=", 3);
    omni_out_escape(&out, offer.data, offer.len);

    if (variant.len) {
        omni_out_put(&out, "&v=", 3);
        omni_out_escape(&out, variant.data, variant.len);
    }

    omni_out_put(&out, "&to=", 4);
    omni_out_escape(&out, link.data, link.len);

    *len = out.len;

    return (out.len <= size) ? OMNI_OK : OMNI_ETOOBIG;
}


static void
omni_out_put(omni_out_t *out, const char *s, size_t n)
{
    if (n == 0) {
        return;
    }

    if (out->len + n <= out->size) {
        memcpy(out->buf + out->len, s, n);

    } else {
        out->size = 0;
    }

    out->len += n;
}


static void
omni_out_escape(omni_out_t *out, const char *s, size_t n)
{
    size_t  room;

    room = (out->len < out->size) ? out->size - out->len : 0;

    n = omni_escape(OMNI_ESCAPE_URL, s, n, room ? out->buf + out->len : NULL,
                    room);

    if (n > room) {
        out->size = 0;
    }

    out->len += n;
}
